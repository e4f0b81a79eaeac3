"""A row that moves someone, renames them or changes their mobile, decided in memory.

Such a row was left to :func:`registry.people.update_field`, one field after another, because
each of these changes may collide with another record (the unique indexes on an agency's folded
names and on mobiles). The batch knows the records it could collide with: the people its rows
name, fetched by agency and folded name and by mobile, kept as the batch changes them. So the
use case's steps are taken here on those, field by field in the same order, with the same
checks (a contact left, the name free in the agency, the mobile free anywhere) and the same
change log entries; a collision gives the same ``Duplicate`` the use case raises.

What the batch does not know gives ``None`` (the row goes through the use cases): a name or a
mobile it did not fetch, a collision with someone the batch has not written yet (the error
names their id), a move out of an agency the importer does not manage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registry import changelog
from registry.actors import Actor, manages_agency
from registry.errors import Duplicate, RegistryError, ValidationError
from registry.models import PersonField
from registry.people import parse_field
from registry.roster.intake.checks import Current

# A holder looked up: the person, nobody (None), or not known to the batch (UNKNOWN).
UNKNOWN: Any = object()
Holder = Callable[[Any], Any]

_CONTACTS = tuple(f.value for f in PersonField.contacts())


@dataclass(frozen=True)
class Moved:
    """What the use cases would store and log for the row."""

    values: dict[str, Any]  # the person's columns after the row (Current's fields)
    entries: list[dict[str, object]]
    versions: int  # fields written (each moves the version on)


def decide(
    actor: Actor,
    person: Current,
    changes: list[tuple[str, str]],
    target_id: int,
    codes: dict[int, str],
    by_key: Holder,
    by_mobile: Holder,
) -> Moved | RegistryError | None:
    """``update_field`` for each change in turn, on ``person`` as the batch holds them: what
    it stores and logs, the error it raises (the row's other fields then undone), or None
    when the batch cannot tell. ``by_key((agency id, folded name))`` and ``by_mobile(e164)``
    give who holds them (not retired) as the batch knows it."""
    values = person._asdict()
    entries: list[dict[str, object]] = []
    versions = 0
    for name, value in changes:
        try:
            if name == "agency":
                if not manages_agency(actor, values["agency_id"]):
                    return None  # refused by the use case: rare, left to it
                columns: dict[str, Any] = {"agency_id": target_id}
            else:
                columns = parse_field(name, value).columns
            if all(values[key] == new for key, new in columns.items()):
                continue
            after = values | columns
            if not any(after[key] for key in _CONTACTS):
                raise ValidationError("person.no_contact", field=name)
            # _check_duplicates, on the record as it would stand.
            key = (after["agency_id"], after["name_key"])
            if key != (values["agency_id"], values["name_key"]):
                holder = by_key(key)
                if holder is UNKNOWN or (holder is not None and holder.id < 0):
                    return None
                if holder is not None and holder.id != person.id:
                    raise Duplicate(
                        "person.duplicate_name", person_id=holder.id, name=holder.full_name
                    )
            mobile = after["mobile"]
            if mobile is not None and mobile != values["mobile"]:
                holder = by_mobile(mobile)
                if holder is UNKNOWN or (holder is not None and holder.id < 0):
                    return None
                if holder is not None and holder.id != person.id:
                    raise Duplicate(
                        "person.duplicate_mobile",
                        person_id=holder.id,
                        name=holder.full_name,
                        field="mobile",
                    )
        except RegistryError as error:
            return error
        if name == "agency":
            old: object = codes.get(values["agency_id"])
            new: object = codes.get(target_id)
            if old is None or new is None:
                return None
        else:
            old = changelog.logged_value(values, PersonField(name))
            new = changelog.logged_value(after, PersonField(name))
        values = after
        entries.append(changelog.entry(actor, person.id, "update", name, old, new))
        versions += 1
    return Moved(values, entries, versions)
