"""The pipeline: every update of every channel, stored, ordered per chat, handled once.

A channel hands over an :class:`Inbound`. It is first stored in the inbox (a repeat of a
delivery is dropped there, whichever process it reached); then the chat gets its turn (this
process's lock, and PostgreSQL's advisory lock when several processes share the database) and
its waiting updates are handled oldest first, whichever process stored them. Handling one update
is one unit of work: the dialogs' step, the use case's write, the new dialog state and the mark
"handled" commit together, or nothing does. The replies are delivered after the commit, still in
the chat's turn, so the next message of the chat is answered after them. When something breaks,
the person gets an apology in their language and the update is marked handled on its own, so it
is not tried forever. Every update ends in the completion hooks, whatever became of it.

Bounds (:class:`Limits`), so that a burst queues rather than fails: a webhook is told
:class:`Busy` (nothing stored) once this process holds too many updates not yet handled; only
so many chats are handled at once (each holds a database connection); an update gets a time
limit, past which the person gets the apology and the chat goes on; a transaction PostgreSQL
aborted as a serialisation failure or a deadlock is run again a few times first. At shutdown,
:meth:`Pipeline.stop` lets the work under way finish for a bounded time and leaves the rest in
the inbox for the next start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.dialogs.engine import Dialogs
from bot.dialogs.io import Incoming, Reply
from bot.pipeline.locks import ChatLocks, ChatOrder
from bot.pipeline.protocol import (
    Busy,
    Done,
    Inbound,
    Limits,
    Received,
    Result,
    Status,
    Transport,
)
from bot.state import inbox
from bot.state.gate import write_gate
from bot.state.inbox import Stored
from registry.retry import backoff, is_disconnect, is_transient
from registry.uow import Database

log = logging.getLogger(__name__)


class DatabaseAway(Exception):
    """The database stayed unreachable while an update was handled: the chat waits for it."""


Chat = tuple[str, str]  # (channel, chat id)
BATCH = 20  # waiting updates read at once


class Pipeline:
    """The one way an update goes, from any channel.

    ``on_done`` hooks are awaited once per update, with what became of it.
    """

    def __init__(
        self,
        database: Database,
        dialogs: Dialogs,
        *,
        on_done: Iterable[Done] = (),
        limits: Limits | None = None,
    ) -> None:
        self.database = database
        self.dialogs = dialogs
        self.limits = limits or Limits()
        self._slots = asyncio.Semaphore(self.limits.concurrency)
        self._stores = asyncio.Semaphore(self.limits.concurrency)
        # Per chat, the ids of the updates this process stored that are not known handled.
        self._pending: dict[Chat, set[int]] = {}
        self._closing = False
        self.transports: dict[str, Transport] = {}
        self.on_done: list[Done] = list(on_done)
        self._intake = ChatLocks()
        self._order = ChatOrder(database)
        self._gate = write_gate(database)
        # Per chat, the run that has not yet looked at the inbox: it will see what is stored
        # meanwhile, so a new update needs no run of its own.
        self._starting: dict[Chat, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, transport: Transport) -> None:
        """Handle the updates of ``transport.channel`` with ``transport``."""
        self.transports[transport.channel] = transport

    # --- handing over ----------------------------------------------------------------------

    @property
    def backlog(self) -> int:
        """Updates this process stored that are not yet handled."""
        return sum(len(ids) for ids in self._pending.values())

    async def accept(self, inbound: Inbound) -> None:
        """Store the update and handle it in the background (a webhook: the platform gets its
        200 once this returns). Raises if it could not be stored: the platform sends it again;
        :class:`Busy`, storing nothing, when this process has enough waiting or is stopping."""
        if self._closing or self.backlog >= self.limits.intake:
            raise Busy(self.limits.retry_after)
        if await self._store(inbound):
            self.schedule(inbound.channel, inbound.chat_id)

    async def handle(self, inbound: Inbound) -> None:
        """Store the update and handle it: returns once the chat's updates up to this one are
        answered (polling loops, the terminal). Never raises."""
        try:
            stored = await self._store(inbound)
        except Exception as error:
            # Not even stored (the database is down): the person hears of it all the same.
            log.error(
                "could not store %s update %s", inbound.channel, inbound.delivery, exc_info=error
            )
            await self._apologise(inbound)
            await self._done(inbound, Result(Status.failed, error=error))
            return
        if stored:
            await self.answer_stored(inbound.channel, inbound.chat_id)

    async def store(self, inbound: Inbound) -> bool:
        """Only store the update (polling: before the platform is told it was received);
        whether it is new. Raises if it could not be stored."""
        return await self._store(inbound)

    async def answer_stored(self, channel: str, chat_id: str) -> None:
        """Handle the chat's stored updates; returns once they are answered."""
        # Shielded: a caller giving up must not cancel the run other updates wait for.
        run = self.schedule(channel, chat_id)
        try:
            await asyncio.shield(run)
        except asyncio.CancelledError:
            if not run.cancelled():
                raise  # the caller itself was cancelled
            # The pipeline stopped (shutdown): the update waits in the inbox.

    async def _store(self, inbound: Inbound) -> bool:
        # The intake lock is asked for before any await: a chat's updates are stored in the
        # order they were handed over, even on PostgreSQL where stores run in parallel.
        chat = (inbound.channel, inbound.chat_id)
        async with self._intake.hold(chat), self._stores, self._gate:
            stored = await inbox.store(
                self.database.uow(),
                inbound.channel,
                inbound.delivery,
                inbound.chat_id,
                inbound.user_id,
                inbound.payload,
            )
        if stored is None:
            log.info(
                "%s update %s was delivered before; ignored", inbound.channel, inbound.delivery
            )
            await self._done(inbound, Result(Status.duplicate))
            return False
        self._pending.setdefault(chat, set()).add(stored)
        return True

    def schedule(self, channel: str, chat_id: str) -> asyncio.Task[None]:
        """Have the chat's waiting updates handled; the run that will do it."""
        chat = (channel, chat_id)
        run = self._starting.get(chat)
        if run is None:
            run = asyncio.create_task(self._run(chat), name=f"chat {channel}:{chat_id}")
            self._starting[chat] = run
            self._tasks.add(run)
            run.add_done_callback(self._tasks.discard)
        return run

    async def resume(self, received_before: datetime | None = None) -> int:
        """Schedule every chat with updates waiting on this process's channels (a process was
        stopped, or died, after storing them); how many chats."""
        chats = await inbox.waiting_chats(self.database.uow(), self.transports, received_before)
        for channel, chat_id in chats:
            self.schedule(channel, chat_id)
        return len(chats)

    async def prune(self, older_than: timedelta) -> int:
        """Forget updates handled more than ``older_than`` ago; how many."""
        async with self._gate:
            return await inbox.prune(self.database.uow(), older_than)

    async def tell(self, channel: str, chat_id: str, text: str) -> None:
        """Say ``text`` in a chat, in its turn (a notice from the web server)."""
        transport = self.transports.get(channel)
        if transport is None:
            log.warning("no %s channel here to tell chat %s", channel, chat_id)
            return
        async with self._order.hold(channel, chat_id):
            await transport.say(chat_id, text)

    async def deliver(
        self, channel: str, chat_id: str, user_id: str, replies: Sequence[Reply], language: str
    ) -> None:
        """Send dialog replies (documents too) to a chat, in its turn: what a job tells at its
        end (an import's summary and report)."""
        transport = self.transports.get(channel)
        if transport is None:
            log.warning("no %s channel here to tell chat %s", channel, chat_id)
            return
        inbound = Inbound(channel, "job", chat_id, user_id, {})
        async with self._order.hold(channel, chat_id):
            await transport.deliver(inbound, Received(Incoming("unsupported")), replies, language)

    async def drain(self) -> None:
        """Wait for the runs under way (at shutdown, once nothing new comes in)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self, grace: float) -> int:
        """Take no new work, let the updates under way finish for up to ``grace`` seconds,
        then cancel what is left (its unit of work rolls back; the updates wait in the inbox
        for the next start). How many runs were cut short."""
        self._closing = True
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        left = [task for task in self._tasks if not task.done()]
        for task in left:
            task.cancel()
        if left:
            await asyncio.gather(*left, return_exceptions=True)
        return len(left)

    async def close(self) -> None:
        await self.drain()
        await self._order.close()

    # --- handling ----------------------------------------------------------------------------

    async def _run(self, chat: Chat) -> None:
        channel, chat_id = chat
        me = asyncio.current_task()
        try:
            async with self._order.hold(channel, chat_id), self._slots:
                # From here on, an update stored later needs a run of its own.
                if self._starting.get(chat) is me:
                    del self._starting[chat]
                await self._drain(channel, chat_id)
        except DatabaseAway:
            log.warning(
                "chat %s:%s: the database is unreachable; its updates wait for it", channel, chat_id
            )
        except Exception:
            log.exception("chat %s:%s: its waiting updates are left for later", channel, chat_id)
        finally:
            if self._starting.get(chat) is me:
                del self._starting[chat]

    async def _drain(self, channel: str, chat_id: str) -> None:
        transport = self.transports.get(channel)
        if transport is None:
            log.warning("no %s channel here for chat %s", channel, chat_id)
            return
        seen: set[int] = set()
        known = self._known_pending((channel, chat_id))
        batch = await inbox.waiting(self.database.uow(), channel, chat_id, BATCH)
        while batch:
            if self._closing:
                return  # stopping: the rest waits in the inbox for the next start
            stored = batch.pop(0)
            if stored.id in seen:
                # It could not even be marked handled: leave it rather than loop on it.
                log.error("%s update %s is stuck; left for later", channel, stored.delivery)
                return
            seen.add(stored.id)
            if not batch:
                known = self._known_pending((channel, chat_id))
            upcoming = await self._handle(transport, stored, look_ahead=not batch)
            if not batch:
                batch = (
                    upcoming
                    if upcoming is not None
                    else await inbox.waiting(self.database.uow(), channel, chat_id, BATCH)
                )
        # Nothing waits: whatever this process stored for the chat before that was seen is
        # handled (maybe by another process).
        self._forget_pending((channel, chat_id), known)

    def _known_pending(self, chat: Chat) -> set[int]:
        return set(self._pending.get(chat, ()))

    def _forget_pending(self, chat: Chat, ids: Iterable[int]) -> None:
        pending = self._pending.get(chat)
        if pending is None:
            return
        pending.difference_update(ids)
        if not pending:
            del self._pending[chat]

    async def _handle(
        self, transport: Transport, stored: Stored, *, look_ahead: bool
    ) -> list[Stored] | None:
        """Handle one update; with ``look_ahead``, the chat's next waiting updates as seen by
        its transaction (``None`` when it did not commit)."""
        inbound = Inbound(
            stored.channel, stored.delivery, stored.chat_id, stored.user_id, stored.payload
        )
        upcoming: list[Stored] | None = None
        try:
            result, upcoming = await self._answer_in_time(transport, stored, inbound, look_ahead)
        except Exception as error:
            if is_disconnect(error):
                # Nothing of it was kept, and it could not even be closed: it stays waiting,
                # to be answered (once, without an apology) when the database is back.
                raise DatabaseAway from error
            log.error(
                "error while handling %s update %s", stored.channel, stored.delivery, exc_info=error
            )
            await self._apologise(inbound)
            try:
                async with self._gate:
                    await inbox.give_up(self.database.uow(), stored.id)
            except Exception:
                log.exception("%s update %s could not be closed", stored.channel, stored.delivery)
            result = Result(Status.failed, error=error)
        self._forget_pending((stored.channel, stored.chat_id), (stored.id,))
        await self._done(inbound, result)
        return upcoming

    async def _answer_in_time(
        self, transport: Transport, stored: Stored, inbound: Inbound, look_ahead: bool
    ) -> tuple[Result, list[Stored] | None]:
        """:meth:`_answer` within the update's time limit, run again when PostgreSQL aborted
        its transaction for a reason that passes (serialisation failure, deadlock)."""
        attempt = 0
        reconnect_until = time.monotonic() + self.limits.reconnect_seconds
        while True:
            try:
                async with asyncio.timeout(self.limits.update_seconds):
                    return await self._answer(transport, stored, inbound, look_ahead)
            except Exception as error:
                if is_disconnect(error) and time.monotonic() < reconnect_until:
                    # The database went away (a restart, a failover): wait for it.
                    await asyncio.sleep(backoff(min(attempt, 5), cap=2.0))
                    attempt += 1
                    continue
                if attempt >= self.limits.retries or not is_transient(error):
                    raise
                delay = backoff(attempt)
                attempt += 1
                log.warning(
                    "%s update %s: transaction aborted by the database (%s); retry %d in %.2f s",
                    stored.channel,
                    stored.delivery,
                    type(error).__name__,
                    attempt,
                    delay,
                )
                await asyncio.sleep(delay)

    async def _answer(
        self, transport: Transport, stored: Stored, inbound: Inbound, look_ahead: bool
    ) -> tuple[Result, list[Stored] | None]:
        received = await transport.decode(stored.payload)
        if received is None:
            async with self._gate:
                await inbox.give_up(self.database.uow(), stored.id)
            return Result(Status.ignored), None
        async with self._gate, self.database.uow() as uow:
            outcome = await self.dialogs.handle(
                uow, stored.channel, stored.chat_id, stored.user_id, received.incoming
            )
            if not await inbox.mark_handled(uow, stored.id):
                # Handled elsewhere meanwhile (the chat's lock was lost): keep none of this.
                log.warning("%s update %s was handled elsewhere", stored.channel, stored.delivery)
                return Result(Status.duplicate), None
            # What comes next is read in the same transaction: one less per update.
            upcoming = (
                await inbox.waiting(uow, stored.channel, stored.chat_id, BATCH)
                if look_ahead
                else None
            )
            await uow.commit()
        await transport.deliver(inbound, received, outcome.replies, outcome.language)
        for notice in outcome.notices:
            await self._notify(notice.channel, notice.chat_id, notice.text)
        return Result(Status.answered, tuple(outcome.replies)), upcoming

    async def _notify(self, channel: str, chat_id: str, text: str) -> None:
        """A notice for another chat (staff told of an erasure): best effort, never fatal."""
        transport = self.transports.get(channel)
        try:
            if transport is None:
                raise LookupError(f"no {channel} channel here")
            await transport.say(chat_id, text)
        except Exception:
            log.warning("a notice for %s chat %s could not be delivered", channel, chat_id)

    async def _apologise(self, inbound: Inbound) -> None:
        transport = self.transports.get(inbound.channel)
        if transport is None:
            return
        language = self.dialogs.settings.default_language
        try:
            language = await self.dialogs.language_for(inbound.channel, inbound.user_id)
        except Exception:
            log.warning("language of %s user %s unknown", inbound.channel, inbound.user_id)
        try:
            async with asyncio.timeout(self.limits.update_seconds):
                await transport.say(inbound.chat_id, self.dialogs.error_reply(language).text)
        except Exception:
            log.exception(
                "could not tell %s chat %s about an error", inbound.channel, inbound.chat_id
            )

    async def _done(self, inbound: Inbound, result: Result) -> None:
        for hook in self.on_done:
            try:
                await hook(inbound, result)
            except Exception:
                log.exception("completion hook %r failed", hook)
