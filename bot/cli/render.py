"""Rich tables for the CLI, with headers and values in the chosen language."""

from __future__ import annotations

from rich.table import Table

from bot.cli.runtime import count, out, say, state, tell
from bot.clock import shown
from registry.agency_names import english_name, known
from registry.directory import Statistics
from registry.models import PersonField
from registry.validation import format_phone
from registry.views import AccountView, AgencyView, ChangeView, Notice, PersonView

# The people table: the id and the name first (what a reader scans for), then the other
# fields in their order; the note is for the card.
_LISTED_FIELDS = (
    PersonField.full_name,
    *(f for f in PersonField if f not in (PersonField.full_name, PersonField.note)),
)


def _text(group: str, value: str | None) -> str:
    return say(f"{group}.{value}") if value else ""


def _logged(field: str | None, value: str | None) -> str:
    """A value of the change log as a person reads it: the agency's name for its code, the
    role's and status's names, phones in national form with the extension in words."""
    if not value:
        return ""
    if field in ("role", "status"):
        return _text(field, value)
    if field in ("mobile", "office_phone"):
        number, _, extension = value.partition(";ext=")
        return format_phone(number, extension or None, extension_word=say("phone.extension"))
    if field == "agency":
        listed = known().get(value)
        if listed is None:
            return value
        name = (english_name(value) or listed.name) if state.language == "en" else listed.name
        return f"{name} ({value})"
    return value


def _shown(view: PersonView, field: PersonField) -> str:
    """One field of a person as a cell shows it: names for codes, phones in national form."""
    if field is PersonField.agency:
        return view.agency_name
    if field is PersonField.role:
        return _text("role", view.role)
    if field is PersonField.mobile:
        return format_phone(view.mobile)
    if field is PersonField.office_phone:
        return format_phone(
            view.office_phone, view.office_ext, extension_word=say("phone.extension")
        )
    value = getattr(view, field.value)
    return value or ""


def agencies(rows: list[AgencyView]) -> None:
    table = Table(title=say("cli.agencies_title", count=len(rows)))
    for header in ("code", "name", "kind", "short_name", "valid_to", "successor"):
        table.add_column(say(f"column.{header}"))
    for row in rows:
        table.add_row(
            row.code,
            row.name,
            _text("kind", row.kind),
            row.short_name or "",
            row.valid_to.strftime("%d/%m/%Y") if row.valid_to else "",
            row.successor_name or "",
        )
    out.print(table)


def people(rows: list[PersonView], *, title: str) -> None:
    table = Table(title=title)
    for header in ("id", *_LISTED_FIELDS, "status"):
        table.add_column(say(f"column.{header}"))
    for row in rows:
        table.add_row(
            str(row.id),
            *(_shown(row, field) for field in _LISTED_FIELDS),
            _text("status", row.status),
        )
    out.print(table)


def person(view: PersonView) -> None:
    table = Table(show_header=False, title=f"#{view.id} {view.full_name}")
    table.add_column()
    table.add_column()
    agency = f"{view.agency_name} ({view.agency_code})"
    rows = (
        *(
            (field.value, agency if field is PersonField.agency else _shown(view, field))
            for field in PersonField
        ),
        ("status", _text("status", view.status)),
        ("source", _text("source", view.source)),
        ("version", str(view.version)),
        ("updated_at", shown(view.updated_at)),
        ("confirmed_at", shown(view.confirmed_at) if view.confirmed_at else "—"),
    )
    for key, value in rows:
        table.add_row(say(f"column.{key}"), value)
    out.print(table)


def history(rows: list[ChangeView]) -> None:
    table = Table(title=say("cli.history_title", count=len(rows)))
    for header in ("at", "actor", "action", "field", "old_value", "new_value"):
        table.add_column(say(f"column.{header}"))
    for row in rows:
        table.add_row(
            shown(row.at, "%d/%m/%Y %H:%M:%S"),
            row.actor,
            _text("action", row.action),
            _text("field", row.field),
            _logged(row.field, row.old_value),
            _logged(row.field, row.new_value),
        )
    out.print(table)


def accounts(rows: list[AccountView]) -> None:
    table = Table(title=say("cli.accounts_title", count=len(rows)))
    for header in ("identity", "account_role", "agency", "person", "display_name"):
        table.add_column(say(f"column.{header}"))
    for row in rows:
        table.add_row(
            row.identity,
            _text("account_role", row.role),
            row.agency_code or "",
            str(row.person_id or ""),
            row.display_name or "",
        )
    out.print(table)


def statistics(stats: Statistics) -> None:
    agencies_table = Table(title=say("cli.stats_agencies"))
    agencies_table.add_column(say("column.kind"))
    for header in ("answered", "total"):
        agencies_table.add_column(say(f"column.{header}"), justify="right")
    for kind in stats.agencies:
        agencies_table.add_row(_text("kind", kind.kind), count(kind.answered), count(kind.total))
    agencies_table.add_row(
        say("column.all"),
        count(sum(c.answered for c in stats.agencies)),
        count(sum(c.total for c in stats.agencies)),
    )
    out.print(agencies_table)
    people_table = Table(title=say("cli.stats_people", count=stats.people))
    people_table.add_column("")
    people_table.add_column(say("column.count"), justify="right")
    for role, n in stats.by_role.items():
        people_table.add_row(_text("role", role), count(n))
    for status, n in stats.by_status.items():
        people_table.add_row(_text("status", status), count(n))
    out.print(people_table)


def notices(items: list[Notice]) -> None:
    for notice in items:
        tell(say(f"notice.{notice.code}", **_fields(notice.params)))


def _fields(params: dict[str, object]) -> dict[str, object]:
    return {k: (say(f"field.{v}") if k == "field" else v) for k, v in params.items()}
