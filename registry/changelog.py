"""Writing the audit trail. Always called inside the transaction of the change it records."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

from registry.actors import Actor
from registry.models import ChangeLog


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
