"""Writing roster files: the roster (xlsx, csv, vCard), its summary, and the blank template.

:mod:`.exporter` is the use case; :mod:`.selection` decides who may export what and streams the
people in printing order (:class:`~.selection.ExportRow`, or the query's rows); the writers
(:mod:`.xlsx`, :mod:`.csv_roster`, :mod:`.vcard`) place them, with the words of :mod:`.labels`
and the numbers of :mod:`.phones`, and finish with the :class:`~.summary.ExportSummary`.
:mod:`.template` writes the blank list the import reads.
"""
