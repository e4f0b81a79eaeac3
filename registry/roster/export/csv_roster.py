"""The roster as CSV: one row per person, the roster's columns, for spreadsheets and scripts.

UTF-8 with a byte-order mark, because Excel on Windows reads a CSV without one in the local
code page and shows "Nguyá»…n" for "Nguyễn"; CRLF line ends and commas (Excel's own dialect).
Risky values get a leading apostrophe (see ``registry.roster.cells``).
"""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

from registry.roster.cells import neutralised
from registry.roster.export.columns import DATE_COLUMNS, ColumnTexts, Layout, layout_columns
from registry.roster.export.labels import RosterLabels
from registry.roster.export.selection import ExportRow
from registry.roster.export.summary import ExportSummary

DATE_FORMAT = "%d/%m/%Y"


class CsvRoster:
    def __init__(
        self, labels: RosterLabels, target: BinaryIO, layout: Layout = Layout.working
    ) -> None:
        self.labels = labels
        self.columns = layout_columns(layout)
        # After the number: the person's columns (and the status) as ColumnTexts shows them.
        self._person_columns = [c for c in self.columns if c not in ("stt", *DATE_COLUMNS)]
        self.texts = ColumnTexts(labels)
        # The wrapper is detached, not closed, at the end: the caller owns ``target``.
        self._text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text, dialect="excel")
        self._csv.writerow([neutralised(labels.headers[c]) for c in self.columns])
        self.number = 0

    def add(self, rows: list[ExportRow]) -> None:
        local_date = self.labels.local_date
        for row in rows:
            self.number += 1
            shown = self.texts(row)
            values = [shown[column] or "" for column in self._person_columns]
            if "updated_at" in self.columns:
                values.append(local_date(row.updated_at).strftime(DATE_FORMAT))
            if "confirmed_at" in self.columns:
                confirmed = row.confirmed_at
                values.append(local_date(confirmed).strftime(DATE_FORMAT) if confirmed else "")
            self._csv.writerow([self.number, *(neutralised(value) for value in values)])

    def finish(self, summary: ExportSummary, target: BinaryIO) -> None:
        self._text.flush()
        self._text.detach()
