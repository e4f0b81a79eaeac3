"""Storage of dialog state, keyed by (channel, chat).

The store knows nothing of what a dialog means: it keeps an opaque flow, step and data so that
a restart, or another bot process, continues the conversation where it was. It is written in
the update's unit of work, so the state and the use case's write commit together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.state.models import Conversation
from registry.models import utcnow
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


async def forget(uow: UnitOfWork, channel: str, chat_id: str) -> None:
    """Forget where the chat's dialog stood and what it gathered (an erasure)."""
    async with uow:
        row = await uow.session.get(Conversation, (channel, chat_id))
        if row is not None:
            await uow.session.delete(row)
        await uow.commit()
