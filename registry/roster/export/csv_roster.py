"""The roster as CSV: one row per person, the roster's columns, for spreadsheets and scripts.

UTF-8 with a byte-order mark, because Excel on Windows reads a CSV without one in the local
code page and shows "Nguyá»…n" for "Nguyễn"; CRLF line ends and commas (Excel's own dialect).
Risky values get a leading apostrophe (see ``registry.roster.cells``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import BinaryIO

from registry.roster.cells import RISKY_FIRST, neutralised
from registry.roster.export.columns import Layout, layout_columns
from registry.roster.export.labels import RosterLabels
from registry.roster.export.phones import PhoneTexts
from registry.roster.export.selection import ExportRow, PersonValues, values_of
from registry.roster.export.summary import ExportSummary

DATE_FORMAT = "%d/%m/%Y"
# A text that starts otherwise is never risky (see ``registry.roster.cells.is_risky``).
_MAYBE_RISKY = RISKY_FIRST | {" "}
# The values ``add`` makes for each row, in this order; each layout picks its columns.
_ROW = (
    "stt", "agency", "full_name", "position", "role", "mobile", "office_phone", "email",
    "status", "updated_at", "confirmed_at",
)  # fmt: skip


class CsvRoster:
    """What a row shows is ``ColumnTexts``'s (the xlsx writer's), computed here in one pass per
    row for 100,000 people: the texts that repeat (agencies, roles, statuses, days) are
    neutralised and formatted once, and each batch goes to ``writerows`` in one call."""

    def __init__(
        self, labels: RosterLabels, target: BinaryIO, layout: Layout = Layout.working
    ) -> None:
        self.labels = labels
        self.columns = layout_columns(layout)
        # A column this writer does not know is an error here, not a shifted file.
        self._pick = itemgetter(*(_ROW.index(c) for c in self.columns))
        self._roles = {key: neutralised(text or "") for key, text in labels.roles.items()}
        self._statuses = {key: neutralised(text or "") for key, text in labels.statuses.items()}
        self._agencies: dict[str, str] = {}
        self._days: dict[date, str] = {}
        self._phones = PhoneTexts()
        # The wrapper is detached, not closed, at the end: the caller owns ``target``.
        self._text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text, dialect="excel")
        self._csv.writerow([neutralised(labels.headers[c]) for c in self.columns])
        self.number = 0

    def _day(self, moment: datetime) -> str:
        day = self.labels.local_date(moment)
        shown = self._days.get(day)
        if shown is None:
            shown = self._days[day] = day.strftime(DATE_FORMAT)
        return shown

    def _office(self, e164: str, extension: str | None) -> str:
        office = self._phones.national(e164)
        if office and extension:
            office = self.labels.phone_extension(office, extension)
        return neutralised(office)

    def add(self, rows: list[ExportRow]) -> None:
        self.add_values([values_of(row) for row in rows])

    def add_values(self, rows: Sequence[PersonValues]) -> None:
        """Rows of values in ExportRow's order (``selection.stream_values``)."""
        pick, day, office_cell, phones = self._pick, self._day, self._office, self._phones
        agencies, roles, statuses = self._agencies, self._roles, self._statuses
        number = self.number
        out = []
        for (
            _, _, agency_name, _, _, name, position, role_key, mobile, office, extension, email,
            status_key, updated_at, confirmed_at,
        ) in rows:  # fmt: skip
            number += 1
            agency = agencies.get(agency_name)
            if agency is None:
                agency = agencies[agency_name] = neutralised(agency_name or "")
            role = roles.get(role_key)
            if role is None:
                role = neutralised(role_key or "")
            status = statuses.get(status_key)
            if status is None:
                status = neutralised(status_key or "")
            # What the person typed is neutralised as ``neutralised`` does, its first
            # character looked at here (the call only for the few that may be risky).
            name = name or ""
            if name[:1] in _MAYBE_RISKY:
                name = neutralised(name)
            position = position or ""
            if position[:1] in _MAYBE_RISKY:
                position = neutralised(position)
            email = email or ""
            if email[:1] in _MAYBE_RISKY:
                email = neutralised(email)
            out.append(
                pick(
                    (
                        number,
                        agency,
                        name,
                        position,
                        role,
                        phones.national_cell(mobile),
                        office_cell(office, extension) if office else "",
                        email,
                        status,
                        day(updated_at),
                        day(confirmed_at) if confirmed_at else "",
                    )
                )
            )
        self.number = number
        self._csv.writerows(out)

    def finish(self, summary: ExportSummary, target: BinaryIO) -> None:
        self._text.flush()
        self._text.detach()
