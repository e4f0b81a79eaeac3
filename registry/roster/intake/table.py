"""A list as read from a file: its header, and its data rows as text.

What the reader (:mod:`registry.roster.intake.reader`) produces and the import works on; no
cell is judged here (see :mod:`registry.roster.intake.checks`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Format = Literal["xlsx", "xls", "ods", "csv"]


@dataclass(frozen=True, slots=True)  # one per row: no __dict__
class ListRow:
    """One non-empty row under the header, as text."""

    number: int  # the row's number as a spreadsheet shows it (CSV: the record's number)
    cells: tuple[str, ...]  # every cell as text, merged cells filled in
    values: dict[str, str]  # column key -> the cell's text, stripped (recognised columns only)

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass(frozen=True)
class ListTable:
    """The table found in a file: its header and its data rows."""

    format: Format
    header_row: int  # number of the (last) header row
    headers: tuple[str, ...]  # each column's header as written ("Điện thoại – Di động")
    columns: dict[str, int]  # column key -> index into ListRow.cells
    rows: tuple[ListRow, ...]
    sheet: str | None = None  # the worksheet read (xlsx)
    encoding: str | None = None  # csv
    delimiter: str | None = None  # csv
    ignored_headers: tuple[str, ...] = field(default_factory=tuple)  # duplicate columns
    # The texts of the rows above the header (the letterhead: "UBND TỈNH LÀO CAI", the title),
    # row by row, cell by cell; where the agency of a list without an agency column is written.
    letterhead: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    # The row where the table ended: the first closing row under the data ("Nơi nhận:", the
    # date line, "KT. CHỦ TỊCH", "Người lập biểu"); it and the rows after it are not data.
    ended_at: int | None = None

    @property
    def width(self) -> int:
        return max([len(self.headers), *(len(row.cells) for row in self.rows)])

    def header_of(self, column: str) -> str | None:
        """The header under which the file wrote ``column``, if it has that column."""
        index = self.columns.get(column)
        return self.headers[index] if index is not None else None
