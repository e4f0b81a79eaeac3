"""One lock per chat, so that the messages of a chat are handled one at a time and in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class ChatLocks:
    """One lock per chat, dropped when nobody holds or waits for it.

    ``asyncio.Lock`` wakes its waiters first come, first served, so the messages of one chat are
    handled in the order their tasks reached the lock, which is the order of the updates as
    long as each task asks for the lock before its first ``await``.
    """

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, chat_id: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users == 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)
