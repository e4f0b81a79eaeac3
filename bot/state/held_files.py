"""A list held until its sender confirms it: one mechanism for the chat and the upload page.

A list sent for import is first checked by a dry run; what it would change is shown, and only
the confirmation writes it. Between the two the list waits here, one per chat (a new list
replaces the one waiting), whether it was sent in the chat or uploaded on the web page made for
that chat. Each hold gets a new random token, which the confirmation must name: the dialog
state keeps it, the page puts it in its form. A confirmation of a list that has been replaced
since, or taken already (another tab, a second press), finds nothing. A list never confirmed
is forgotten after a retention period (:func:`prune`, run on a schedule by the server).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete

from bot.state.models import HeldFile
from registry.models import utcnow
from registry.uow import UnitOfWork


@dataclass(frozen=True)
class Held:
    token: str
    name: str
    content: bytes


async def hold(
    uow: UnitOfWork,
    channel: str,
    chat_id: str,
    name: str,
    content: bytes,
    *,
    token: str | None = None,
) -> str:
    """Hold ``content`` for the chat, replacing any list it held; the token to confirm it with.

    ``token`` puts back a list taken for an import that then failed, under its old token.
    """
    token = token or secrets.token_urlsafe(16)
    async with uow:
        row = await uow.session.get(HeldFile, (channel, chat_id))
        if row is None:
            row = HeldFile(channel=channel, chat_id=chat_id)
            uow.session.add(row)
        row.token, row.name, row.content, row.held_at = token, name[:255], content, utcnow()
        await uow.commit()
        return token


async def take(uow: UnitOfWork, channel: str, chat_id: str, token: str) -> Held | None:
    """The held list, removed, if it is the one ``token`` names; ``None`` otherwise.

    Two confirmations racing: the conditional DELETE lets only one of them through.
    """
    async with uow:
        row = await uow.session.get(HeldFile, (channel, chat_id))
        if row is None or row.token != token:
            return None
        held = Held(row.token, row.name, row.content)
        taken = await uow.session.execute(
            delete(HeldFile)
            .where(
                HeldFile.channel == channel,
                HeldFile.chat_id == chat_id,
                HeldFile.token == token,
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        await uow.commit()
        return held


async def drop(uow: UnitOfWork, channel: str, chat_id: str) -> None:
    """Forget the chat's held list (the person said no)."""
    async with uow:
        await uow.session.execute(
            delete(HeldFile)
            .where(HeldFile.channel == channel, HeldFile.chat_id == chat_id)
            .execution_options(synchronize_session=False)
        )
        await uow.commit()


async def prune(uow: UnitOfWork, older_than: timedelta) -> int:
    """Forget lists held longer than ``older_than`` and never confirmed nor refused; how many.

    A confirmation arriving later finds nothing and says the list is gone, as for a list
    replaced since.
    """
    async with uow:
        result = await uow.session.execute(
            delete(HeldFile)
            .where(HeldFile.held_at < utcnow() - older_than)
            .execution_options(synchronize_session=False)
        )
        await uow.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
