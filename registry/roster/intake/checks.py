"""One row of an imported list, checked without the database: what it says, and how it differs.

Every filled cell is checked with the registry's own parsers (``parse_field``, ``parse_phones``),
so a row is judged exactly as a person typing the same values in a chat would be; all of a row's
problems are reported at once, each with the column it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from registry.errors import RegistryError, ValidationError
from registry.models import PersonField, Role
from registry.people import parse_field
from registry.roster.intake.closing import LOOKED_AT
from registry.roster.intake.table import ListRow
from registry.validation import Phone, fold, parse_phones, parse_role
from registry.views import Notice

# Order in which an update changes a person's fields: the fields' own, the agency first (a name
# is unique within an agency).
_UPDATE_ORDER: tuple[str, ...] = tuple(f.value for f in PersonField)
# Fields judged one cell each by ``parse_field``; the agency is looked up in the catalog and the
# two phone columns are read together (a cell may hold both numbers).
_SINGLE_CELL_FIELDS: tuple[str, ...] = tuple(
    f.value
    for f in PersonField
    if f not in (PersonField.agency, PersonField.mobile, PersonField.office_phone)
)
# Cells that make a row a person: a name or a way to reach them.
_PERSON_FIELDS: tuple[str, ...] = tuple(
    f.value for f in (PersonField.full_name, *PersonField.contacts())
)
_EXAMPLE_MARKERS = ("vi du", "example", "vd")


@dataclass(frozen=True)
class Problem:
    """Why a row failed (an error code, see ``registry.errors``) or was skipped
    (``import.example_row``, ``import.no_person``), and the column it concerns."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    column: str | None = None

    @classmethod
    def of(cls, error: RegistryError, column: str | None = None) -> Problem:
        params = dict(error.params)
        return cls(error.code, params, column or _column_of(error))


def _column_of(error: RegistryError) -> str | None:
    field_name = error.params.get("field")
    if isinstance(field_name, str):
        return field_name
    if error.code == "person.duplicate_name":
        return "full_name"
    return None


class Current(NamedTuple):
    """The stored values of a person an import row is compared with."""

    id: int
    agency_id: int
    full_name: str
    name_key: str
    position: str | None
    role: Role
    mobile: str | None
    office_phone: str | None
    office_ext: str | None
    email: str | None
    note: str | None


@dataclass
class Fields:
    """A row's cells, checked; None where the cell is empty."""

    full_name: str | None = None
    name_key: str | None = None
    position: str | None = None
    role: Role | None = None
    mobile: Phone | None = None
    office: Phone | None = None
    email: str | None = None
    note: str | None = None
    notices: list[Notice] = field(default_factory=list)

    def office_text(self) -> str | None:
        if self.office is None:
            return None
        ext = f" ext. {self.office.extension}" if self.office.extension else ""
        return self.office.e164 + ext


def is_blank(row: ListRow, columns: dict[str, int]) -> bool:
    """A row with nothing but its number and agency: a grid row of the template, pre-filled
    with the agency and never filled in, or a section heading ("I. Bộ, cơ quan ngang bộ").
    Such rows are left out like empty ones, not reported row by row."""
    kept = {columns[name] for name in ("stt", "agency") if name in columns}
    return not any(cell.strip() for index, cell in enumerate(row.cells) if index not in kept)


def skip_reason(row: ListRow, columns: dict[str, int]) -> Problem | None:
    """Rows that hold no person: the template's example row, a heading or a footer line.

    The example row says "Ví dụ" in its STT cell (any cell but the name's when the file has no
    STT column: a person may be called Vi Dũng).
    """
    if is_example_row(row, columns):
        return Problem("import.example_row")
    if not any(row.get(name) for name in _PERSON_FIELDS):
        return Problem("import.no_person")
    return None


def is_example_row(row: ListRow, columns: dict[str, int]) -> bool:
    """The template's example row: "Ví dụ" in its STT cell (see :func:`skip_reason`)."""
    if "stt" in columns:
        markers = [row.get("stt")]
    else:
        name_index = columns.get("full_name")
        markers = [cell for index, cell in enumerate(row.cells) if index != name_index]
    return any(_is_example(marker) for marker in markers)


def _is_example(text: str) -> bool:
    key = fold(text.strip()[:LOOKED_AT])
    return any(key == marker or key.startswith(marker + " ") for marker in _EXAMPLE_MARKERS)


def check_fields(row: ListRow) -> tuple[Fields, list[Problem]]:
    """Every filled cell checked with the registry's own parsers; all problems at once."""
    fields = Fields()
    problems: list[Problem] = []
    for name in _SINGLE_CELL_FIELDS:
        cell = row.get(name)
        if not cell:
            continue
        try:
            parsed = parse_field(name, cell)
        except RegistryError as error:
            problems.append(Problem.of(error, name))
            continue
        for key, value in parsed.columns.items():
            setattr(fields, key, value)
        # What was tidied ("NGUYỄN VĂN AN" in the usual case, a trailing dot dropped) is told.
        fields.notices.extend(parsed.notices)
    try:
        _check_phones(row, fields)
    except RegistryError as error:
        problems.append(Problem.of(error))
    return fields, problems


def _check_phones(row: ListRow, fields: Fields) -> None:
    """First mobile -> mobile, first landline -> office phone, from either phone column."""
    found: list[tuple[str, Phone]] = []
    for column in ("mobile", "office_phone"):
        cell = row.get(column)
        if not cell:
            continue
        try:
            found.extend((column, phone) for phone in parse_phones(cell))
        except ValidationError as error:
            error.params["field"] = column
            raise
    mobiles = [pair for pair in found if pair[1].kind != "fixed_line"]
    landlines = [pair for pair in found if pair[1].kind == "fixed_line"]
    # A number written in its own column goes first.
    mobiles.sort(key=lambda pair: pair[0] != "mobile")
    landlines.sort(key=lambda pair: pair[0] != "office_phone")
    used: list[tuple[str, Phone]] = []
    if mobiles:
        used.append(mobiles[0])
        fields.mobile = mobiles[0][1]
    if landlines:
        used.append(landlines[0])
        fields.office = landlines[0][1]
    for column, phone in found:
        if (column, phone) in used:
            target = "mobile" if phone is fields.mobile else "office_phone"
            if phone.converted_from is not None:
                fields.notices.append(
                    Notice(
                        "phone.converted",
                        {"field": target, "old": phone.converted_from, "new": phone.national()},
                    )
                )
        elif phone not in (fields.mobile, fields.office):
            fields.notices.append(
                Notice("import.phone_ignored", {"field": column, "number": phone.display()})
            )


def role_for(fields: Fields) -> tuple[Role, bool]:
    """The row's role; without one, the role its position names, else a press contact (the
    letter asks agencies for the people who give information to the press). The second value
    says the role was assumed, which the report tells."""
    if fields.role is not None:
        return fields.role, False
    if fields.position:
        try:
            return Role(parse_role(fields.position)), True
        except ValidationError:
            pass
    return Role.press_contact, True


def differences(
    person: Current, agency_id: int, agency_code: str, fields: Fields
) -> list[tuple[str, str]]:
    """(field, value for update_field) for each filled cell that differs from the record."""
    changes: dict[str, str] = {}
    if person.agency_id != agency_id:
        changes["agency"] = agency_code
    if fields.full_name is not None and _better_name(fields.full_name, person.full_name):
        changes["full_name"] = fields.full_name
    if fields.position is not None and fields.position != person.position:
        changes["position"] = fields.position
    if fields.role is not None and fields.role is not person.role:
        changes["role"] = fields.role.value
    if fields.mobile is not None and fields.mobile.e164 != person.mobile:
        changes["mobile"] = fields.mobile.e164
    office = fields.office
    if office is not None and (office.e164, office.extension) != (
        person.office_phone,
        person.office_ext,
    ):
        changes["office_phone"] = fields.office_text() or ""
    if fields.email is not None and fields.email != person.email:
        changes["email"] = fields.email
    if fields.note is not None and fields.note != person.note:
        changes["note"] = fields.note
    return [(name, changes[name]) for name in _UPDATE_ORDER if name in changes]


def _better_name(new: str, old: str) -> bool:
    """Whether the file's spelling should replace the stored one.

    Another name replaces it. The same name (same folded key) only does when the file adds
    accents the record lacks: lists typed in a hurry ("Nguyen Van An") or in capitals
    ("NGUYỄN VĂN AN") must not undo a careful record, and a file read twice must not flip
    between two spellings of one person.
    """
    if new == old:
        return False
    if fold(new) != fold(old):
        return True
    return _accents(new) > _accents(old) and not new.isupper()


def _accents(text: str) -> int:
    return sum(1 for char in text if not char.isascii())
