"""Whose turn it is in a chat: one handler at a time, in order, across processes.

Two levels. Inside a process, an ``asyncio.Lock`` per chat: tasks that ask for it before their
first ``await`` get it in the order they asked, and only one task per chat goes on to wait for
the database. Across processes on PostgreSQL, a session-level advisory lock keyed on the chat,
taken on a connection of its own and held until the replies have been delivered: a lock that
ended with the transaction would be released at the commit, before delivery, and another
process could answer the chat's next message first. A process that dies loses its connection,
and the lock with it. SQLite needs nothing more: one file is one machine's, and the processes
sharing it are expected to be one (PostgreSQL is for several).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from registry.uow import Database

log = logging.getLogger(__name__)

# Connections holding chat locks, per process: as many chats are handled at once, at most.
LOCK_CONNECTIONS = 10


class ChatLocks:
    """One lock per chat, dropped when nobody holds or waits for it.

    ``asyncio.Lock`` wakes its waiters first come, first served, so the tasks of one chat get
    it in the order they reached it, which is the order of the updates as long as each task
    asks for the lock before its first ``await``.
    """

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, chat: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat, (asyncio.Lock(), 0))
        self._locks[chat] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat]
            if users == 1:
                del self._locks[chat]
            else:
                self._locks[chat] = (lock, users - 1)


def lock_key(channel: str, chat_id: str) -> int:
    """The advisory lock's key: a signed 64-bit hash of the channel and the chat."""
    digest = hashlib.blake2b(f"{channel}\n{chat_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class ChatOrder:
    """The turn of a chat: the process's lock, then (PostgreSQL) the database's."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._local = ChatLocks()
        self._shared = database.engine.dialect.name == "postgresql"
        self._engine: AsyncEngine | None = None
        # A chat waits here for a lock connection, rather than on the pool's timeout.
        self._connections = asyncio.Semaphore(LOCK_CONNECTIONS)

    @asynccontextmanager
    async def hold(self, channel: str, chat_id: str) -> AsyncIterator[None]:
        async with self._local.hold((channel, chat_id)):
            if not self._shared:
                yield
                return
            async with self._connections, self._advisory(lock_key(channel, chat_id)):
                yield

    @asynccontextmanager
    async def _advisory(self, key: int) -> AsyncIterator[None]:
        if self._engine is None:
            # A pool of its own: a chat holding a lock connection still gets a connection for
            # its unit of work, however many chats hold locks.
            self._engine = create_async_engine(
                self.database.url, pool_size=LOCK_CONNECTIONS, max_overflow=0, pool_pre_ping=True
            )
        async with self._engine.connect() as connection:
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            await connection.commit()  # the lock is the session's, not the transaction's
            try:
                yield
            finally:
                try:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    await connection.commit()
                except BaseException:
                    # Whatever happened, the lock must not outlive this turn: closing the
                    # connection releases it.
                    log.warning("advisory lock %s: connection dropped to release it", key)
                    await connection.invalidate()
                    raise

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
