"""The columns of the printed roster and of the blank template, and what each one shows.

Each column has a stable key; the header a person reads comes from the text catalog
(``roster.column.<key>``). The person's own columns are :class:`registry.models.PersonField`
in its order, framed by the row number and by what the registry itself keeps (status, last
update); the note is for staff and is never printed.
"""

from __future__ import annotations

import enum

from registry.models import PersonField
from registry.roster.export.labels import RosterLabels
from registry.roster.export.selection import ExportRow
from registry.validation import format_phone

# The person's fields a printed roster shows, in their order.
PRINTED_FIELDS: tuple[str, ...] = tuple(f.value for f in PersonField if f is not PersonField.note)

# In the order of the printed roster.
COLUMNS: tuple[str, ...] = ("stt", *PRINTED_FIELDS, "status", "updated_at", "confirmed_at")
# Columns of dates the registry keeps (the last update, the last re-confirmation).
DATE_COLUMNS: tuple[str, ...] = ("updated_at", "confirmed_at")


class Layout(enum.StrEnum):
    """``working``: the staff's copy, with what the registry keeps (status, last update);
    ``handout``: the copy handed out at a conference, only what a reader needs."""

    working = "working"
    handout = "handout"


# The handout: the same roster without the registry's own columns.
HANDOUT_COLUMNS: tuple[str, ...] = ("stt", *PRINTED_FIELDS)


def layout_columns(layout: Layout) -> tuple[str, ...]:
    return HANDOUT_COLUMNS if layout is Layout.handout else COLUMNS


# Columns an agency fills in on the template; the registry sets the status and the update date.
TEMPLATE_COLUMNS: tuple[str, ...] = ("stt", *PRINTED_FIELDS)

# Columns of phone numbers (kept as text in the template, so that Excel keeps the leading 0).
PHONE_COLUMNS: tuple[str, ...] = (PersonField.mobile.value, PersonField.office_phone.value)


class ColumnTexts:
    """What each printed column shows of one person, in the reader's words (None when empty).

    Shared by the xlsx and csv writers, so that both print the same thing in the same column;
    one per file.
    """

    def __init__(self, labels: RosterLabels) -> None:
        self.labels = labels
        self.phone = format_phone

    def __call__(self, row: ExportRow) -> dict[str, str | None]:
        labels = self.labels
        office = self.phone(row.office_phone)
        if office and row.office_ext:
            office = labels.phone_extension(office, row.office_ext)
        return {
            PersonField.agency: row.agency_name,
            PersonField.full_name: row.full_name,
            PersonField.position: row.position,
            PersonField.role: labels.roles.get(row.role, row.role),
            PersonField.mobile: self.phone(row.mobile) or None,
            PersonField.office_phone: office or None,
            PersonField.email: row.email,
            "status": labels.statuses.get(row.status, row.status),
        }
