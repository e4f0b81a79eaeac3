"""The inbox: updates stored as they arrive, then handled per chat in the order they were stored.

A webhook answers the platform only once the update is stored, so an update is either in the
inbox or still the platform's to deliver again; a process that dies after storing leaves it
waiting here for the next process. The unique (channel, delivery) key drops a repeated
delivery at the door, whichever process it reaches. Marking an update handled happens in the
update's own unit of work, with the dialog state and the use case's write: all or nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Insert, bindparam, delete, func, null, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.state.models import ChatUpdate
from registry.models import utcnow
from registry.uow import UnitOfWork

# Every update goes through these three statements: built once, run with its parameters, on
# the table itself (Core: none of the ORM's work for rows that never become objects).
_TABLE = ChatUpdate.__table__
_WAITING = (
    select(_TABLE.c.id, _TABLE.c.delivery, _TABLE.c.user_id, _TABLE.c.payload)
    .where(
        _TABLE.c.channel == bindparam("channel"),
        _TABLE.c.chat_id == bindparam("chat_id"),
        _TABLE.c.handled_at.is_(None),
    )
    .order_by(_TABLE.c.id)
    .limit(bindparam("limit"))
)
_MARK_HANDLED = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("update_id"), _TABLE.c.handled_at.is_(None))
    .values(handled_at=bindparam("now"), payload=null())
)


@cache
def _store_statement(dialect: str) -> Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(_TABLE)
        # A repeat is not an error: no exception, no error line in the server's log.
        .on_conflict_do_nothing(index_elements=[_TABLE.c.channel, _TABLE.c.delivery])
        .returning(_TABLE.c.id)
    )


@dataclass(frozen=True)
class Stored:
    """An update waiting in the inbox."""

    id: int
    channel: str
    delivery: str
    chat_id: str
    user_id: str
    payload: dict[str, Any]


async def store(
    uow: UnitOfWork,
    channel: str,
    delivery: str,
    chat_id: str,
    user_id: str,
    payload: dict[str, Any],
) -> int | None:
    """Store an update; its id, or ``None`` when this delivery is already stored (a repeat)."""
    values = {
        "channel": channel,
        "delivery": delivery,
        "chat_id": chat_id,
        "user_id": user_id,
        "payload": payload,
        "received_at": utcnow(),
    }
    async with uow:
        statement = _store_statement(uow.session.get_bind().dialect.name)
        stored = (await uow.session.execute(statement, values)).scalar_one_or_none()
        await uow.commit()
        return stored


async def waiting(uow: UnitOfWork, channel: str, chat_id: str, limit: int = 20) -> list[Stored]:
    """The chat's updates not yet handled, oldest first (at most ``limit``)."""
    async with uow.reading():
        rows = await uow.session.execute(
            _WAITING, {"channel": channel, "chat_id": chat_id, "limit": limit}
        )
        return [
            Stored(row.id, channel, row.delivery, chat_id, row.user_id, row.payload or {})
            for row in rows
        ]


async def mark_handled(uow: UnitOfWork, update_id: int) -> bool:
    """Mark an update handled, in the caller's open unit of work (committed with the rest).

    False when it was handled already: someone else got there first, and the caller must not
    commit what it did with it.
    """
    result = await uow.session.execute(_MARK_HANDLED, {"update_id": update_id, "now": utcnow()})
    return result.rowcount == 1  # type: ignore[attr-defined]


async def give_up(uow: UnitOfWork, update_id: int) -> None:
    """Mark an update that failed handled, in a transaction of its own, so that it is not tried
    again and again; nothing of what its handling did was kept."""
    async with uow:
        await mark_handled(uow, update_id)
        await uow.commit()


async def waiting_chats(
    uow: UnitOfWork, channels: Collection[str], received_before: datetime | None = None
) -> list[tuple[str, str]]:
    """The (channel, chat) pairs with updates waiting, on the given channels."""
    query = (
        select(ChatUpdate.channel, ChatUpdate.chat_id)
        .where(ChatUpdate.handled_at.is_(None), ChatUpdate.channel.in_(list(channels)))
        .distinct()
    )
    if received_before is not None:
        query = query.where(ChatUpdate.received_at < received_before)
    async with uow.reading():
        return [(row.channel, row.chat_id) for row in await uow.session.execute(query)]


async def prune(uow: UnitOfWork, older_than: timedelta) -> int:
    """Forget updates handled more than ``older_than`` ago (no platform delivers them again).

    Updates still waiting are kept, however old.
    """
    async with uow:
        result = await uow.session.execute(
            delete(ChatUpdate).where(ChatUpdate.handled_at < utcnow() - older_than)
        )
        await uow.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def depth(uow: UnitOfWork) -> int:
    """How many updates wait, in every chat and process (a read: never takes the write lock)."""
    query = select(func.count()).select_from(_TABLE).where(_TABLE.c.handled_at.is_(None))
    async with uow.reading():
        return int(await uow.session.scalar(query) or 0)
