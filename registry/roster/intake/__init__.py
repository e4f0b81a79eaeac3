"""Reading the lists agencies send and importing them.

:mod:`.reader` turns a file (xlsx or csv) into a :class:`~.table.ListTable` of
:class:`~.table.ListRow`, finding the header with :mod:`.headers`; :mod:`.checks` judges each row
without the database; :mod:`.importer` matches rows to people and writes them through the
registry's own use cases, in the caller's unit of work.
"""
