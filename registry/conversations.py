"""Storage of dialog state and of the updates already handled, keyed by (channel, chat).

The registry knows nothing of what a dialog means: it keeps an opaque flow, step and data so
that a restart, or another bot process, continues the conversation where it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from registry.models import Conversation, PendingFile, ProcessedUpdate, utcnow
from registry.uow import UnitOfWork


@dataclass
class DialogState:
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    question: int = 0
    updated_at: datetime | None = None

    def reset(self) -> None:
        self.flow, self.step, self.data = None, None, {}

    def snapshot(self) -> tuple[object, ...]:
        return (self.flow, self.step, repr(self.data), self.question)


async def load_state(uow: UnitOfWork, channel: str, chat_id: str) -> DialogState:
    async with uow.reading():
        row = await uow.session.get(Conversation, (channel, chat_id))
        if row is None:
            return DialogState()
        return DialogState(row.flow, row.step, dict(row.data or {}), row.question, row.updated_at)


async def save_state(uow: UnitOfWork, channel: str, chat_id: str, state: DialogState) -> None:
    async with uow:
        row = await uow.session.get(Conversation, (channel, chat_id))
        if row is None:
            row = Conversation(channel=channel, chat_id=chat_id)
            uow.session.add(row)
        row.flow, row.step, row.data, row.question = (
            state.flow,
            state.step,
            state.data,
            state.question,
        )
        row.updated_at = utcnow()
        await uow.commit()


async def first_time(uow: UnitOfWork, channel: str, update_id: str) -> bool:
    """Record that an update is being handled; False if it was handled before."""
    async with uow:
        uow.session.add(ProcessedUpdate(channel=channel, update_id=update_id))
        try:
            await uow.session.commit()
        except IntegrityError:
            return False
        return True


async def forget_processed(uow: UnitOfWork, older_than: timedelta) -> int:
    """Drop the record of updates older than any platform would deliver again."""
    async with uow:
        result = await uow.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.at < utcnow() - older_than)
        )
        await uow.commit()
        return int(result.rowcount or 0)


async def keep_file(uow: UnitOfWork, channel: str, chat_id: str, name: str, content: bytes) -> int:
    """Keep a chat's file until it is confirmed; a chat has one pending file at a time."""
    async with uow:
        await uow.session.execute(
            delete(PendingFile).where(
                PendingFile.channel == channel, PendingFile.chat_id == chat_id
            )
        )
        pending = PendingFile(channel=channel, chat_id=chat_id, name=name[:255], content=content)
        uow.session.add(pending)
        await uow.commit()
        return pending.id


async def pending_file(
    uow: UnitOfWork, channel: str, chat_id: str, file_id: int
) -> tuple[str, bytes] | None:
    async with uow.reading():
        pending = await uow.session.get(PendingFile, file_id)
        if pending is None or (pending.channel, pending.chat_id) != (channel, chat_id):
            return None
        return pending.name, pending.content


async def drop_files(uow: UnitOfWork, channel: str, chat_id: str) -> None:
    async with uow:
        await uow.session.execute(
            delete(PendingFile).where(
                PendingFile.channel == channel, PendingFile.chat_id == chat_id
            )
        )
        await uow.commit()
