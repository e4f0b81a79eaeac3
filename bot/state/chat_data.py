"""What the bot keeps of a person's chats, shown to them (/mydata) and forgotten on erasure.

The registry knows the person's chat identities; the bot keeps, per chat, the dialog state
(with the answers of a dialog under way), the inbox of updates (whose content is dropped once
handled), a list held for a confirmation and files behind download links. A private chat has
the id of the identity talking in it, so an identity names its chat.

Messages the bot sends are not stored anywhere: :data:`MESSAGES_STORED` says so in the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, or_, select, update

from bot.state import conversations
from bot.state.models import ChatUpdate, Conversation, HeldFile, SharedFile
from registry.uow import UnitOfWork

Chat = tuple[str, str]  # (channel, chat id)
MESSAGES_STORED = False


def _of(table: Any, chats: Sequence[Chat], column: str = "chat_id") -> Any:
    return or_(
        *(and_(table.channel == channel, getattr(table, column) == chat) for channel, chat in chats)
    )


async def collect(uow: UnitOfWork, chats: Sequence[Chat]) -> dict[str, Any]:
    """The chat data of ``chats``, as plain JSON-ready values."""
    found: dict[str, Any] = {
        "dialog_state": [],
        "inbox": [],
        "held_files": [],
        "download_links": [],
    }
    if not chats:
        return found
    async with uow.reading():
        session = uow.session
        for row in await session.scalars(select(Conversation).where(_of(Conversation, chats))):
            found["dialog_state"].append(
                {
                    "chat": f"{row.channel}:{row.chat_id}",
                    "flow": row.flow,
                    "step": row.step,
                    "data": row.data,
                    "updated_at": row.updated_at.isoformat(),
                }
            )
        updates = await session.scalars(
            select(ChatUpdate).where(_of(ChatUpdate, chats)).order_by(ChatUpdate.id)
        )
        for update_ in updates:
            found["inbox"].append(
                {
                    "chat": f"{update_.channel}:{update_.chat_id}",
                    "received_at": update_.received_at.isoformat(),
                    "handled_at": update_.handled_at.isoformat() if update_.handled_at else None,
                    "content": update_.payload,  # dropped once handled
                }
            )
        for held in await session.scalars(select(HeldFile).where(_of(HeldFile, chats))):
            found["held_files"].append(
                {
                    "chat": f"{held.channel}:{held.chat_id}",
                    "name": held.name,
                    "bytes": len(held.content),
                    "held_at": held.held_at.isoformat(),
                }
            )
        shared = await session.scalars(
            select(SharedFile).where(_of(SharedFile, chats, "external_id"))
        )
        for link in shared:
            found["download_links"].append(
                {
                    "chat": f"{link.channel}:{link.external_id}",
                    "purpose": link.purpose,
                    "name": link.file_name,
                    "created_at": link.created_at.isoformat(),
                    "expires_at": link.expires_at.isoformat(),
                    "used_at": link.used_at.isoformat() if link.used_at else None,
                }
            )
    return found


async def forget(uow: UnitOfWork, chats: Sequence[Chat]) -> None:
    """Remove the chat-only data of ``chats``: dialog state, held lists, files behind links and
    the content of handled updates. Updates still waiting keep theirs: they are messages sent
    after this one, to be answered."""
    if not chats:
        return
    async with uow:
        session = uow.session
        for channel, chat_id in chats:
            await conversations.forget(uow, channel, chat_id)
        await session.execute(
            delete(HeldFile)
            .where(_of(HeldFile, chats))
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            delete(SharedFile)
            .where(_of(SharedFile, chats, "external_id"))
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(ChatUpdate)
            .where(_of(ChatUpdate, chats), ChatUpdate.handled_at.is_not(None))
            .values(payload=None)
            .execution_options(synchronize_session=False)
        )
        await uow.commit()
