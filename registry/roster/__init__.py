"""The roster in files, by direction.

- :mod:`registry.roster.export`: the registry writes files for people: the roster (xlsx for
  printing, csv, vCard) and the blank template agencies fill in.
- :mod:`registry.roster.intake`: the registry reads the lists agencies send (xlsx, csv) and
  imports them row by row through its own use cases.

The two directions share only :mod:`registry.roster.cells` (what makes a cell value safe to
hand to a spreadsheet); each keeps its own names for its own rows, so that a reader never
wonders which "row" is meant. The columns of both derive from ``registry.models.PersonField``.
"""
