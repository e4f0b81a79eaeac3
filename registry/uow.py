"""The database handle and the unit of work every use case runs in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    AsyncSessionTransaction,
    async_sessionmaker,
)
from sqlalchemy.orm.exc import StaleDataError

from registry.db import READ_ONLY, create_engine
from registry.errors import Conflict, Duplicate, RegistryError


class Database:
    """One engine and its session factory; create one per process."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 5000) -> None:
        self.url = url
        self.engine: AsyncEngine = create_engine(url, busy_timeout_ms=busy_timeout_ms)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    async def dispose(self) -> None:
        await self.engine.dispose()


# Unique indexes whose violation means "this person is already registered". SQLite names the
# columns in its message, PostgreSQL the index, so both spellings are listed.
DUPLICATE_MARKERS = {
    "uq_person_active_mobile": "person.duplicate_mobile",
    "person.mobile": "person.duplicate_mobile",
    "uq_person_active_name": "person.duplicate_name",
    "person.agency_id, person.name_key": "person.duplicate_name",
}


class UnitOfWork:
    """``async with uow:`` opens a session; nothing is kept unless the use case commits.

    A use case that is interrupted by an error leaves the database as it was: the change and its
    ChangeLog entries are rolled back together.

    A unit of work may be entered again while it is open. The outer ``async with`` owns the
    transaction (the chat pipeline opens one per update); an inner one, as every use case opens,
    borrows it inside a SAVEPOINT: the use case's ``commit()`` releases the savepoint and its
    failure rolls back only its own writes, and nothing is durable until the outer owner
    commits. So one update's dialog state and the use case's write commit together or not at
    all, and the use cases are written the same way whether they run alone (the CLI) or inside
    a chat update.
    """

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._read_only = False
        # One entry per open ``async with``: the savepoint of a borrowed level (None for the
        # owner, and for a borrowed read that needs none).
        self._levels: list[AsyncSessionTransaction | None] = []

    @property
    def engine(self) -> AsyncEngine:
        """The engine the sessions come from (through one connection of it, for a sandbox)."""
        bind = self._sessions.kw["bind"]
        return bind if isinstance(bind, AsyncEngine) else bind.engine

    @property
    def is_open(self) -> bool:
        """Whether an ``async with`` of this unit of work is under way (its caller owns it)."""
        return bool(self._levels)

    @property
    def borrowed(self) -> bool:
        """Whether the innermost level runs inside a transaction someone else owns."""
        return len(self._levels) > 1

    def reading(self) -> UnitOfWork:
        """``async with uow.reading():`` for a use case that only reads.

        On SQLite it then starts a plain deferred transaction instead of taking the write lock,
        so searches never wait for, or hold up, writers. Inside an open unit it simply reads
        within it.
        """
        self._read_only = True
        return self

    async def __aenter__(self) -> UnitOfWork:
        read_only, self._read_only = self._read_only, False
        if self._levels:
            self._levels.append(None if read_only else await self.session.begin_nested())
            return self
        self.session = self._sessions()
        self._levels.append(None)
        if read_only:
            await self.session.connection(execution_options={READ_ONLY: True})
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        level = self._levels.pop()
        if self._levels:
            # Borrowed: whatever this level did not commit is undone, the owner's work stays.
            await self._undo(level)
            return
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        """Commit, turning a lost race into the registry's own errors.

        Borrowed, it releases this level's savepoint: the owner commits for everyone.
        """
        async with self._translated_errors():
            level = self._levels[-1] if self._levels else None
            if level is not None:
                await level.commit()
            elif self.borrowed:
                await self.session.flush()
            else:
                await self.session.commit()

    async def _undo(self, level: AsyncSessionTransaction | None) -> None:
        """Roll a borrowed level's savepoint back, unless it is closed already (released by
        ``commit`` or rolled back). A failed flush leaves its savepoint inactive but still open,
        the session's current one: it must be rolled back before the session can go on."""
        if level is not None and self.session.get_nested_transaction() is level:
            await level.rollback()

    async def flush(self) -> None:
        """Flush pending changes, with the same error translation as :meth:`commit`."""
        async with self._translated_errors():
            await self.session.flush()

    @asynccontextmanager
    async def _translated_errors(self) -> AsyncIterator[None]:
        try:
            yield
        except (StaleDataError, IntegrityError) as error:
            level = self._levels[-1] if self._levels else None
            if level is not None:
                await self._undo(level)
            elif not self.borrowed:
                await self.session.rollback()
            translated = registry_error(error)
            if translated is None:
                raise
            raise translated from error


def registry_error(error: Exception) -> RegistryError | None:
    """What a database error caused by a lost race means to a person, if anything: a record
    changed meanwhile, or the same person registered at the same moment."""
    if isinstance(error, StaleDataError):
        return Conflict("person.changed")
    if isinstance(error, IntegrityError):
        message = str(error.orig)
        for marker, code in DUPLICATE_MARKERS.items():
            if marker in message:
                return Duplicate(code)
    return None
