"""Writing the audit trail. Always called inside the transaction of the change it records.

:func:`record` writes one entry; the creation of a person or an agency, which every path that
creates one writes the same way, has its own function, so that the history of a record reads
the same whoever made it (a chat, an import, the CLI).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from registry.actors import Actor
from registry.models import Agency, ChangeLog, Person, PersonField


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def record(
    session: AsyncSession,
    actor: Actor,
    *,
    entity: str,
    entity_id: int,
    action: str,
    field: str | None = None,
    old: object = None,
    new: object = None,
) -> None:
    session.add(
        ChangeLog(
            actor=actor.label,
            entity=entity,
            entity_id=entity_id,
            action=action,
            field=field,
            old_value=_text(old),
            new_value=_text(new),
        )
    )


def logged_value(person: Person | Mapping[str, Any], field: PersonField) -> object:
    """A person's field as the change log keeps it: an office phone with its extension
    (``+842438221234;ext=101``); the agency is logged by its code, which the caller knows.
    ``person`` may also be a mapping of their columns (a bulk import works on those)."""
    return _logged(_reader(person), field.value)


def _reader(person: Any) -> Callable[[str], Any]:
    return person.__getitem__ if isinstance(person, Mapping) else functools.partial(getattr, person)


def _logged(column: Callable[[str], Any], name: str) -> object:
    """:func:`logged_value` of the column ``name``, read with ``column``."""
    value = column(name)
    if name == _OFFICE_PHONE and value:
        extension = column("office_ext")
        if extension:
            return f"{value};ext={extension}"
    return value


def person_created(session: AsyncSession, actor: Actor, person: Person, agency: Agency) -> None:
    """A new person: one entry for the agency (its code), one for each field given, in the
    fields' order, and one for the status they start with. ``person`` must have its id."""
    for field, value in creation_values(person, agency.code):
        record(
            session,
            actor,
            entity="person",
            entity_id=person.id,
            action="create",
            field=field,
            new=value,
        )


def creation_values(person: Any, agency_code: str) -> list[tuple[str, object]]:
    """(field, value) of the entries :func:`person_created` writes, in their order; ``person``
    is anything with a person's attributes, or a mapping of their columns (a bulk import
    writes them itself)."""
    column = (
        person.__getitem__ if isinstance(person, Mapping) else functools.partial(getattr, person)
    )
    values: list[tuple[str, object]] = [(_AGENCY, agency_code)]
    for name in _CREATED:
        value = _logged(column, name)
        if value is not None:
            values.append((name, value))
    values.append(("status", column("status")))
    return values


# The fields a creation logs after the agency, in the fields' order.
_AGENCY = PersonField.agency.value
_OFFICE_PHONE = PersonField.office_phone.value
_CREATED = tuple(field.value for field in PersonField if field is not PersonField.agency)


def entry(
    actor: Actor, entity_id: int, action: str, field: str, old: object, new: object
) -> dict[str, object]:
    """The columns of one person's entry, for a bulk insert of many."""
    return {
        "actor": actor.label,
        "entity": "person",
        "entity_id": entity_id,
        "action": action,
        "field": field,
        "old_value": _text(old),
        "new_value": _text(new),
    }


def agency_created(session: AsyncSession, actor: Actor, agency: Agency) -> None:
    """A new agency, loaded from an official list or added by an admin. It must have its id."""
    record(
        session,
        actor,
        entity="agency",
        entity_id=agency.id,
        action="create",
        new=f"{agency.code} {agency.name}",
    )
