"""The outbox: messages the bot sends on its own, stored before they are sent.

Whatever wants to write to people without being asked (a broadcast today; campaign reminders
and re-confirmation prompts later) does it here, in its own transaction: it builds
:class:`Letter` values and calls :func:`enqueue`. The sender (:mod:`bot.pipeline.outbox`) takes
it from there, at its own pace, in the platforms' limits, resuming after a crash.

Each letter has a dedupe key chosen by whoever writes it ("broadcast:12:telegram:7",
"reminder:<campaign>:<agency>:<day>:<chat>"): the key is unique, so enqueueing the same letter
twice stores it once. That is what makes every scheduled job idempotent: a job that runs twice
(two ``spokes tick`` in a row, a server and a cron job) asks for the same letters twice and
gets them once.

A message is *claimed* by pushing its ``next_attempt_at`` a lease into the future, in one short
transaction (on PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so two senders never take the same
row); it is marked done in a commit of its own as soon as the platform answered. A sender that
dies leaves its claimed messages pending: they are due again when the lease runs out.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.state.models import OutboxMessage
from registry.models import utcnow

CHUNK = 500  # rows a single INSERT carries


class OutboxStatus(enum.StrEnum):
    pending = "pending"  # waiting to be sent (or claimed by a sender right now)
    sent = "sent"  # the platform accepted it
    blocked = "blocked"  # the recipient blocked the bot (403): never tried again
    failed = "failed"  # gave up after repeated errors


@dataclass(frozen=True)
class Letter:
    """A message to enqueue: to whom, in which language, and what.

    Give either ``text_key`` (a key of bot/texts, rendered with ``params`` in ``language`` when
    it is sent) or ``body`` (a text staff wrote, sent as it is). ``quiet``: held back during the
    quiet hours (the default); ``False`` only when staff asked for it to go out at once.
    ``not_before``: not sent earlier than this (UTC).
    """

    dedupe: str
    channel: str
    chat_id: str
    language: str
    text_key: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    body: str | None = None
    broadcast_id: int | None = None
    quiet: bool = True
    not_before: datetime | None = None

    def __post_init__(self) -> None:
        if (self.text_key is None) == (self.body is None):
            raise ValueError("a letter has a text key or a body, not both or neither")
        if not self.dedupe or len(self.dedupe) > 160:
            raise ValueError("a letter's dedupe key has 1 to 160 characters")


@dataclass(frozen=True)
class Claimed:
    """A message a sender has taken, with what it needs to render and send it."""

    id: int
    channel: str
    chat_id: str
    language: str
    text_key: str | None
    params: dict[str, Any]
    body: str | None
    broadcast_id: int | None
    attempts: int  # including this one


# Channels whose chats can be written to when nobody is talking: not the terminal.
PUSH_CHANNELS = ("telegram", "zalo")


@dataclass(frozen=True)
class Chat:
    """A chat to tell something: its channel, its id there, and its language if known."""

    channel: str
    external_id: str
    language: str | None


async def tell_chats(
    session: AsyncSession,
    dedupe: str,
    chats: Sequence[Chat],
    text_key: str,
    *,
    default_language: str,
    **params: Any,
) -> int:
    """Tell ``chats`` one text from outside any chat (a decision taken on the command line),
    each in its language, at once rather than after the quiet hours: staff acted now. Returns
    how many chats will be told; a terminal chat cannot be, and is left out.
    """
    letters = [
        Letter(
            f"{dedupe}:{chat.channel}:{chat.external_id}",
            chat.channel,
            chat.external_id,
            chat.language or default_language,
            text_key=text_key,
            params=params,
            quiet=False,
        )
        for chat in chats
        if chat.channel in PUSH_CHANNELS
    ]
    await enqueue(session, letters)
    return len(letters)


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(OutboxMessage)
    return sqlite.insert(OutboxMessage)


async def enqueue(session: AsyncSession, letters: Sequence[Letter]) -> int:
    """Store the letters not stored yet (by dedupe key); how many were new.

    Runs in the caller's transaction: the letters are kept only if the caller commits, together
    with whatever decided to send them.
    """
    now = utcnow()
    stored = 0
    for start in range(0, len(letters), CHUNK):
        rows = [
            {
                "dedupe": letter.dedupe,
                "channel": letter.channel,
                "chat_id": letter.chat_id,
                "language": letter.language,
                "text_key": letter.text_key,
                "params": letter.params,
                "body": letter.body,
                "broadcast_id": letter.broadcast_id,
                "quiet": letter.quiet,
                "status": OutboxStatus.pending.value,
                "attempts": 0,
                "next_attempt_at": letter.not_before or now,
                "created_at": now,
            }
            for letter in letters[start : start + CHUNK]
        ]
        statement = _insert(session).values(rows).on_conflict_do_nothing(index_elements=["dedupe"])
        result = await session.execute(statement)
        stored += max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    return stored


async def claim(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    lease: timedelta,
    channels: Sequence[str],
    quiet_hours: bool,
) -> list[Claimed]:
    """Take up to ``limit`` due messages for ``channels`` (oldest due first) for ``lease``.

    During the quiet hours only the messages staff asked to send at once are due. The caller
    commits right away: the claim is what keeps another sender off these rows.
    """
    if not channels or limit <= 0:
        return []
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.pending.value,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.channel.in_(channels),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if quiet_hours:
        query = query.where(OutboxMessage.quiet.is_(False))
    rows = list(await session.scalars(query))
    if not rows:
        return []
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([row.id for row in rows]))
        .values(next_attempt_at=now + lease, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return [
        Claimed(
            id=row.id,
            channel=row.channel,
            chat_id=row.chat_id,
            language=row.language,
            text_key=row.text_key,
            params=dict(row.params or {}),
            body=row.body,
            broadcast_id=row.broadcast_id,
            attempts=row.attempts + 1,
        )
        for row in rows
    ]


async def _set(session: AsyncSession, message_id: int, **values: Any) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.pending.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def mark_sent(session: AsyncSession, message_id: int, now: datetime) -> None:
    await _set(session, message_id, status=OutboxStatus.sent.value, sent_at=now, last_error=None)


async def mark_blocked(session: AsyncSession, message_id: int, error: str) -> None:
    await _set(session, message_id, status=OutboxStatus.blocked.value, last_error=error[:200])


async def mark_failed(session: AsyncSession, message_id: int, error: str) -> None:
    await _set(session, message_id, status=OutboxStatus.failed.value, last_error=error[:200])


async def mark_retry(
    session: AsyncSession, message_id: int, when: datetime, error: str, *, counted: bool = True
) -> None:
    """Due again at ``when``; ``counted=False`` (the platform asked to slow down) gives the
    attempt back, since the message itself did nothing wrong."""
    values: dict[str, Any] = {"next_attempt_at": when, "last_error": error[:200]}
    if not counted:
        values["attempts"] = OutboxMessage.attempts - 1
    await _set(session, message_id, **values)


@dataclass(frozen=True)
class Counts:
    pending: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.sent + self.blocked + self.failed

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed


async def counts(session: AsyncSession, broadcast_id: int | None = None) -> Counts:
    """Messages by status: of one broadcast, or of the whole outbox."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if broadcast_id is not None:
        query = query.where(OutboxMessage.broadcast_id == broadcast_id)
    by_status = {status: number for status, number in (await session.execute(query)).all()}
    return Counts(**{s.value: int(by_status.get(s.value, 0)) for s in OutboxStatus})


async def next_due(session: AsyncSession) -> datetime | None:
    """When the next pending message is due (for a status line)."""
    return await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.pending.value
        )
    )
