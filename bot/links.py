"""Signed, expiring links to the web server: a file to download, a page to upload a list.

A link is ``<public url>/files/<token>`` or ``/upload/<token>``, where the token is
``<id>.<expiry>.<signature>``: the id of the stored file (random, 128 bits), the Unix time after
which the link is refused, and an HMAC-SHA256 of purpose, id and expiry under the link key. A
tampered token fails the signature before the database is asked anything; an expired one fails
on its own expiry; single use is kept by the database (:mod:`bot.state.shared_files`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.settings import BotSettings, link_secret
from bot.state import shared_files
from bot.state.gate import write_gate
from bot.state.shared_files import Owner, Shared
from registry.models import utcnow
from registry.uow import Database

_TOKEN = re.compile(
    r"^(?P<id>[A-Za-z0-9_-]{16,64})\.(?P<expiry>\d{1,12})\.(?P<mac>[A-Za-z0-9_-]{43})$"
)
PATHS = {shared_files.DOWNLOAD: "/files/", shared_files.UPLOAD: "/upload/"}


class LinkRefused(Exception):
    """Why a link does not open: ``tampered``, ``expired`` or ``used`` (also: never existed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Link:
    url: str
    expires_at: datetime


def _mac(key: bytes, purpose: str, file_id: str, expiry: int) -> str:
    message = f"{purpose}\n{file_id}\n{expiry}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(key: bytes, purpose: str, file_id: str, expires_at: datetime) -> str:
    expiry = int(expires_at.timestamp())
    return f"{file_id}.{expiry}.{_mac(key, purpose, file_id, expiry)}"


def verify(key: bytes, purpose: str, token: str, now: datetime | None = None) -> str:
    """The file id of a genuine, unexpired token; :class:`LinkRefused` otherwise."""
    match = _TOKEN.match(token or "")
    if match is None:
        raise LinkRefused("tampered")
    file_id, expiry = match["id"], int(match["expiry"])
    expected = _mac(key, purpose, file_id, expiry)
    if not hmac.compare_digest(expected.encode(), match["mac"].encode()):
        raise LinkRefused("tampered")
    if (now or utcnow()).timestamp() >= expiry:
        raise LinkRefused("expired")
    return file_id


def base_url(settings: BotSettings) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return f"http://{settings.host}:{settings.port}"


class Links:
    """Makes links for the bot and checks them for the web server (same key, same database)."""

    def __init__(self, database: Database, settings: BotSettings) -> None:
        self.database = database
        self.key = link_secret(settings)
        self.base = base_url(settings)
        self.lifetime = timedelta(minutes=settings.link_minutes)

    def _link(self, shared: Shared) -> Link:
        token = sign(self.key, shared.purpose, shared.id, shared.expires_at)
        return Link(f"{self.base}{PATHS[shared.purpose]}{token}", shared.expires_at)

    async def download(self, owner: Owner, name: str, media_type: str, content: bytes) -> Link:
        async with write_gate(self.database):
            shared = await shared_files.share(
                self.database.uow(),
                owner,
                shared_files.DOWNLOAD,
                self.lifetime,
                file_name=name,
                media_type=media_type,
                content=content,
            )
        return self._link(shared)

    async def upload(self, owner: Owner) -> Link:
        async with write_gate(self.database):
            shared = await shared_files.share(
                self.database.uow(), owner, shared_files.UPLOAD, self.lifetime
            )
        return self._link(shared)

    async def take_download(self, token: str) -> Shared:
        file_id = verify(self.key, shared_files.DOWNLOAD, token)
        async with write_gate(self.database):
            shared = await shared_files.take_download(self.database.uow(), file_id)
        if shared is None:
            raise LinkRefused("used")
        return shared

    async def peek_download(self, token: str) -> Shared:
        """What :meth:`take_download` would give, the link left unused (for ``HEAD``)."""
        file_id = verify(self.key, shared_files.DOWNLOAD, token)
        shared = await shared_files.peek_download(self.database.uow(), file_id)
        if shared is None:
            raise LinkRefused("used")
        return shared

    async def open_upload(self, token: str) -> Shared:
        file_id = verify(self.key, shared_files.UPLOAD, token)
        shared = await shared_files.open_upload(self.database.uow(), file_id)
        if shared is None:
            raise LinkRefused("used")
        return shared
