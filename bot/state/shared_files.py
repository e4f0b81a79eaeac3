"""Files behind web links, for chats that cannot carry files (Zalo).

A download is made for one chat identity, served once, and deleted when taken or expired;
looking at it without taking it (:func:`peek_download`, for ``HEAD``) leaves it whole. An
upload slot belongs to one chat identity too: it opens the upload page, whose list then waits
for the confirmation of its dry run in :mod:`bot.state.held_files` like a list sent in the
chat, and the slot is used up by the confirmation. Rows are written by the bot and read by the
web server, which may be another process: the database is what they share. Rows expired
longer than a retention period are deleted on a schedule (:func:`prune`), and at each new share.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update

from bot.state.models import SharedFile
from registry.models import utcnow
from registry.uow import UnitOfWork

DOWNLOAD = "download"
UPLOAD = "upload"


@dataclass(frozen=True)
class Owner:
    """The chat identity a link was made for, and where to tell them about it."""

    channel: str
    external_id: str
    chat_id: str
    language: str


@dataclass(frozen=True)
class Shared:
    id: str
    purpose: str
    owner: Owner
    expires_at: datetime
    file_name: str | None
    media_type: str | None
    content: bytes | None


def new_id() -> str:
    # 128 bits from the OS: the id alone cannot be guessed, the signature binds its expiry.
    return secrets.token_urlsafe(16)


async def share(
    uow: UnitOfWork,
    owner: Owner,
    purpose: str,
    lifetime: timedelta,
    *,
    file_name: str | None = None,
    media_type: str | None = None,
    content: bytes | None = None,
) -> Shared:
    """A new download (with its content) or upload slot (empty) for ``owner``."""
    row = SharedFile(
        id=new_id(),
        purpose=purpose,
        channel=owner.channel,
        external_id=owner.external_id,
        chat_id=owner.chat_id,
        language=owner.language,
        file_name=file_name[:255] if file_name else None,
        media_type=media_type,
        content=content,
        expires_at=utcnow() + lifetime,
    )
    async with uow:
        # Expired files are personal data nobody can fetch any more: gone at the next share.
        await uow.session.execute(delete(SharedFile).where(SharedFile.expires_at < utcnow()))
        uow.session.add(row)
        await uow.commit()
        return _view(row)


async def take_download(uow: UnitOfWork, file_id: str) -> Shared | None:
    """The download's content, exactly once: the first request marks it used and empties it.

    ``None`` when it does not exist, has expired or was already taken. Two requests racing for
    the same link: the conditional UPDATE lets only one through.
    """
    async with uow:
        row = await uow.session.get(SharedFile, file_id)
        if row is None or row.purpose != DOWNLOAD or row.used_at is not None:
            return None
        if row.expires_at <= utcnow() or row.content is None:
            return None
        view = _view(row)
        if not await _mark_used(uow, file_id, DOWNLOAD, content=None):
            return None
        await uow.commit()
        return view


async def peek_download(uow: UnitOfWork, file_id: str) -> Shared | None:
    """The download as :func:`take_download` would give it, without using it up: what a
    ``HEAD`` request (a link preview, a chat app's prefetch) is told. ``None`` likewise."""
    async with uow.reading():
        row = await uow.session.get(SharedFile, file_id)
        if row is None or row.purpose != DOWNLOAD or row.used_at is not None:
            return None
        if row.expires_at <= utcnow() or row.content is None:
            return None
        return _view(row)


async def open_upload(uow: UnitOfWork, file_id: str) -> Shared | None:
    """A live upload slot (not expired, not used up)."""
    async with uow.reading():
        row = await uow.session.get(SharedFile, file_id)
        if row is None or row.purpose != UPLOAD or row.used_at is not None:
            return None
        if row.expires_at <= utcnow():
            return None
        return _view(row)


async def use_up(uow: UnitOfWork, file_id: str) -> bool:
    """Use the upload slot up (its list is being imported); False if someone else did first."""
    async with uow:
        used = await _mark_used(uow, file_id, UPLOAD)
        await uow.commit()
        return used


async def reopen(uow: UnitOfWork, file_id: str) -> None:
    """Open the slot again after an import that failed before writing anything."""
    async with uow:
        await uow.session.execute(
            update(SharedFile)
            .where(SharedFile.id == file_id, SharedFile.purpose == UPLOAD)
            .values(used_at=None)
            .execution_options(synchronize_session=False)
        )
        await uow.commit()


async def _mark_used(uow: UnitOfWork, file_id: str, purpose: str, **values: object) -> bool:
    marked = await uow.session.execute(
        update(SharedFile)
        .where(
            SharedFile.id == file_id,
            SharedFile.purpose == purpose,
            SharedFile.used_at.is_(None),
            SharedFile.expires_at > utcnow(),
        )
        .values(used_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return marked.rowcount == 1  # type: ignore[attr-defined]


def _view(row: SharedFile) -> Shared:
    return Shared(
        id=row.id,
        purpose=row.purpose,
        owner=Owner(row.channel, row.external_id, row.chat_id, row.language),
        expires_at=row.expires_at,
        file_name=row.file_name,
        media_type=row.media_type,
        content=row.content,
    )


async def prune(uow: UnitOfWork, expired_for: timedelta) -> int:
    """Delete links (and any file they still hold) expired more than ``expired_for`` ago;
    how many. Until then an expired link still says "expired" rather than "unknown"."""
    async with uow:
        result = await uow.session.execute(
            delete(SharedFile)
            .where(SharedFile.expires_at < utcnow() - expired_for)
            .execution_options(synchronize_session=False)
        )
        await uow.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
