"""The roster as CSV: one row per person, the roster's columns, for spreadsheets and scripts.

UTF-8 with a byte-order mark, because Excel on Windows reads a CSV without one in the local
code page and shows "Nguyá»…n" for "Nguyễn"; CRLF line ends and commas (Excel's own dialect).
Risky values get a leading apostrophe (see ``registry.roster.cells``).
"""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

from registry.roster.cells import PhoneText, neutralised
from registry.roster.columns import COLUMNS
from registry.roster.labels import RosterLabels
from registry.roster.rows import RosterReport, RosterRow

DATE_FORMAT = "%d/%m/%Y"


class CsvRoster:
    def __init__(self, labels: RosterLabels, target: BinaryIO) -> None:
        self.labels = labels
        self.phone = PhoneText()
        # The wrapper is detached, not closed, at the end: the caller owns ``target``.
        self._text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text, dialect="excel")
        self._csv.writerow([neutralised(labels.headers[c]) for c in COLUMNS])
        self.number = 0

    def add(self, rows: list[RosterRow]) -> None:
        labels = self.labels
        for row in rows:
            self.number += 1
            office = self.phone(row.office_phone)
            if office and row.office_ext:
                office = labels.phone_extension(office, row.office_ext)
            values = (
                row.agency_name,
                row.full_name,
                row.position or "",
                labels.roles.get(row.role, row.role),
                self.phone(row.mobile),
                office,
                row.email or "",
                labels.statuses.get(row.status, row.status),
                labels.local_date(row.updated_at).strftime(DATE_FORMAT),
            )
            self._csv.writerow([self.number, *(neutralised(value) for value in values)])

    def finish(self, report: RosterReport, target: BinaryIO) -> None:
        self._text.flush()
        self._text.detach()
