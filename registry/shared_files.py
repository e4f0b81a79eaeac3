"""Files behind web links, for chats that cannot carry files (Zalo).

A download is made for one chat identity, served once, and deleted when taken or expired. An
upload slot belongs to one chat identity too: the list sent through the page waits in the slot
for the confirmation of its dry run, then the slot is used up. Rows are written by the bot and
read by the web server, which may be another process: the database is what they share.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update

from registry.models import SharedFile, utcnow
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

    ``None`` when it does not exist, has expired or was already taken.
    """
    return await _consume(uow, file_id, DOWNLOAD)


async def open_upload(uow: UnitOfWork, file_id: str) -> Shared | None:
    """A live upload slot (not expired, not used up), with the list waiting in it if any."""
    async with uow.reading():
        row = await uow.session.get(SharedFile, file_id)
        if row is None or row.purpose != UPLOAD or row.used_at is not None:
            return None
        if row.expires_at <= utcnow():
            return None
        return _view(row)


async def hold_upload(uow: UnitOfWork, file_id: str, file_name: str, content: bytes) -> bool:
    """Keep the uploaded list in its slot until it is confirmed (a new upload replaces it)."""
    async with uow:
        held = await uow.session.execute(
            update(SharedFile)
            .where(
                SharedFile.id == file_id,
                SharedFile.purpose == UPLOAD,
                SharedFile.used_at.is_(None),
                SharedFile.expires_at > utcnow(),
            )
            .values(file_name=file_name[:255], content=content)
            .execution_options(synchronize_session=False)
        )
        await uow.commit()
        return held.rowcount == 1  # type: ignore[attr-defined]


async def use_upload(uow: UnitOfWork, file_id: str) -> Shared | None:
    """Use the slot up and hand back the list it held; ``None`` if someone else did first."""
    return await _consume(uow, file_id, UPLOAD)


async def _consume(uow: UnitOfWork, file_id: str, purpose: str) -> Shared | None:
    """The file with its content, marked used and emptied in the same transaction.

    Two requests racing for the same link: the conditional UPDATE lets only one through.
    """
    async with uow:
        row = await uow.session.get(SharedFile, file_id)
        if row is None or row.purpose != purpose or row.used_at is not None:
            return None
        if row.expires_at <= utcnow() or row.content is None:
            return None
        view = _view(row)
        taken = await uow.session.execute(
            update(SharedFile)
            .where(SharedFile.id == file_id, SharedFile.used_at.is_(None))
            .values(used_at=utcnow(), content=None)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        await uow.commit()
        return view


async def release_upload(uow: UnitOfWork, file_id: str, file_name: str, content: bytes) -> None:
    """Give the slot its list back after an import that failed before writing anything."""
    async with uow:
        await uow.session.execute(
            update(SharedFile)
            .where(SharedFile.id == file_id, SharedFile.purpose == UPLOAD)
            .values(used_at=None, file_name=file_name[:255], content=content)
            .execution_options(synchronize_session=False)
        )
        await uow.commit()


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
