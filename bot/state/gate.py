"""Writers of one process take turns on SQLite, instead of spinning on its busy timeout.

SQLite has one writer at a time. Every write transaction starts with ``BEGIN IMMEDIATE``
(:mod:`registry.db`), and a second writer on another connection then retries in the driver,
sleeping a little longer each time, until the busy timeout: under a burst of chats most of the
time goes to those sleeps. Inside one process an ``asyncio.Lock`` orders the writers first come,
first served, with no sleeping and no timeout. PostgreSQL needs no gate.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AbstractAsyncContextManager
from weakref import WeakKeyDictionary

from registry.uow import Database

_gates: WeakKeyDictionary[Database, asyncio.Lock] = WeakKeyDictionary()


def write_gate(database: Database) -> AbstractAsyncContextManager[object]:
    """``async with write_gate(db):`` around a write transaction: the process's one writer of
    a SQLite database at a time (the same lock for every caller), or nothing on PostgreSQL."""
    if database.engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    gate = _gates.get(database)
    if gate is None:
        gate = _gates[database] = asyncio.Lock()
    return gate
