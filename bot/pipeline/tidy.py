"""The chat state's leftovers, forgotten after their retention periods (settings).

What a chat leaves behind: handled updates (kept only to recognise a late repeat), lists sent
for import and never confirmed, expired download and upload links (and any file one still
holds), and the dialog state of chats long silent. Each is personal data or its trace, kept no
longer than it serves. The running server calls :func:`tidy` on a schedule
(:mod:`bot.pipeline.upkeep`); ``spokes tidy`` calls it once, for cron. Every step is one short
write transaction of its own (on SQLite, in the process's writer turn), and is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta

from sqlalchemy import delete

from bot.settings import BotSettings
from bot.state import held_files, inbox, shared_files
from bot.state.gate import write_gate
from bot.state.models import Conversation
from registry.models import utcnow
from registry.uow import Database, UnitOfWork


@dataclass(frozen=True)
class Retention:
    """How long each kind of leftover is kept."""

    updates: timedelta = timedelta(days=7)  # handled updates
    held_files: timedelta = timedelta(hours=24)  # lists never confirmed
    shared_files: timedelta = timedelta(hours=1)  # links, after their expiry
    conversations: timedelta = timedelta(days=30)  # dialog state of silent chats

    @classmethod
    def from_settings(cls, settings: BotSettings) -> Retention:
        return cls(
            updates=timedelta(days=settings.processed_retention_days),
            held_files=timedelta(hours=settings.held_file_hours),
            shared_files=timedelta(hours=settings.shared_file_hours),
            conversations=timedelta(days=settings.conversation_days),
        )


@dataclass(frozen=True)
class Tidied:
    """How many of each were forgotten."""

    updates: int = 0
    held_files: int = 0
    shared_files: int = 0
    conversations: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, field.name) for field in fields(self))


async def prune_conversations(uow: UnitOfWork, older_than: timedelta) -> int:
    """Forget the dialog state of chats silent for longer than ``older_than`` (long past the
    dialogs' own expiry): the next message starts afresh, as after an expired dialog."""
    async with uow:
        result = await uow.session.execute(
            delete(Conversation)
            .where(Conversation.updated_at < utcnow() - older_than)
            .execution_options(synchronize_session=False)
        )
        await uow.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def tidy(database: Database, retention: Retention) -> Tidied:
    """Forget every kind of leftover past its retention; how many of each."""
    counts: dict[str, int] = {}
    steps = {
        "updates": lambda uow: inbox.prune(uow, retention.updates),
        "held_files": lambda uow: held_files.prune(uow, retention.held_files),
        "shared_files": lambda uow: shared_files.prune(uow, retention.shared_files),
        "conversations": lambda uow: prune_conversations(uow, retention.conversations),
    }
    for name, step in steps.items():
        async with write_gate(database):
            counts[name] = await step(database.uow())
    return Tidied(**counts)
