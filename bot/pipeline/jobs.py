"""Imports confirmed in a chat or on the upload page, run as jobs beside the chats.

Why: a real import of a long list takes seconds to minutes. Run inside the chat update that
confirmed it, it held SQLite's write lock and the process's write gate for all that time, and
every other chat waited (and hit the per-update time limit). So the confirmation only queues
the run with its file (:func:`registry.roster.intake.journal.enqueue`, in the update's own
transaction) and answers at once; this module runs it afterwards through the importer in short
committed batches, taking the process's write gate per batch only, so the chats' updates slip
in between. At the end the chat that asked is told the summary and gets the report, in its
turn, through its own channel (:meth:`bot.pipeline.core.Pipeline.deliver`); a job that fails
tells the chat why, in the person's language.

One job at a time per process (:class:`JobRunner`): woken when this process queued a run, and
looking for queued or interrupted runs at start and every minute. Several processes on one
PostgreSQL database each look; :func:`~registry.roster.intake.journal.claim` lets one of them
take a run. A runner stopped mid-way (SIGTERM) puts its run back in the queue: the rows
already written stay, the journal lists them, and the next start goes on from there. A process
killed outright leaves its run "running"; it is found interrupted and taken again the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from bot import roster
from bot.dialogs.io import Document, Reply
from bot.import_report import report_xlsx, summary_lines
from bot.texts import error_text, language_of, t
from registry import accounts
from registry.errors import RegistryError
from registry.roster.intake import journal
from registry.roster.intake.importer import Batching, Journaled, import_roster
from registry.roster.intake.reader import Limits
from registry.settings import Settings
from registry.uow import Database

log = logging.getLogger(__name__)

CHECK_EVERY = 60.0  # seconds between two looks for runs waiting or interrupted

# Sends replies to a chat in its turn: (channel, chat id, user id, replies, language).
Deliver = Callable[[str, str, str, Sequence[Reply], str], Awaitable[None]]
Gate = Callable[[], AbstractAsyncContextManager[object]]


@dataclass(frozen=True)
class Origin:
    """Where a run was asked from: the chat to tell, the person whose rights it uses."""

    channel: str
    chat_id: str
    user_id: str
    language: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "chat_id": self.chat_id,
            "user_id": self.user_id,
            "language": self.language,
        }

    @classmethod
    def of(cls, saved: dict[str, Any]) -> Origin:
        return cls(
            str(saved.get("channel", "")),
            str(saved.get("chat_id", "")),
            str(saved.get("user_id", "")),
            language_of(saved.get("language")),
        )


def queued_reply(language: str, file_name: str, run_id: int) -> str:
    """What the person is told when their confirmation queued the run."""
    return t(language, "bot.import_job.queued", file=file_name, run=run_id)


def failure(language: str, file_name: str, run_id: int, reason: str) -> Reply:
    return Reply(
        t(language, "bot.import_job_failed.failed", file=file_name, run=run_id, reason=reason)
    )


async def run_claimed(
    database: Database, settings: Settings, claimed: journal.Claimed, gate: Gate | None
) -> list[Reply]:
    """Run a claimed import to its end; what to tell its chat (the summary and the report, or
    why it failed). A cancellation goes through: the caller puts the run back."""
    origin = Origin.of(claimed.origin)
    language, name = origin.language, claimed.file_name
    try:
        profile = await accounts.open_profile(database.uow(), origin.channel, origin.user_id)
        result = await import_roster(
            database.uow(),
            profile.actor,
            claimed.content,
            dry_run=False,
            agency=claimed.options.get("agency"),
            limits=Limits.from_settings(settings),
            journal=Journaled(run_id=claimed.id),
            batching=Batching(gate=gate),
        )
    except RegistryError as error:
        log.info("import run %d refused: %s", claimed.id, error.code)
        await _fail(database, claimed.id, error.code, gate)
        return [failure(language, name, claimed.id, error_text(language, error))]
    except Exception:
        log.exception("import run %d broke", claimed.id)
        await _fail(database, claimed.id, "import.broken", gate)
        reason = t(language, "bot.import_job_failed.broken")
        return [failure(language, name, claimed.id, reason)]
    lines = summary_lines(language, result, file_name=name)
    report = Document(
        t(language, "bot.import.report_name", name=name.rsplit(".", 1)[0][:100]),
        report_xlsx(language, result, file_name=name),
        roster.XLSX_MEDIA_TYPE,
    )
    return [
        Reply("\n".join([*lines, t(language, "bot.import_job.run", run=claimed.id)])),
        Reply(t(language, "bot.import.report"), document=report),
    ]


async def run_pending(
    database: Database,
    settings: Settings,
    deliver: Deliver,
    *,
    gate: Gate | None = None,
    only: Callable[[Origin], bool] | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Run every queued or interrupted run this process can take, oldest first, one at a time,
    telling each one's chat; how many were run. ``only`` limits them to some chats."""
    done = 0
    for run_id in await journal.runnable(database.uow()):
        if only is not None and not only(await _origin_of(database, run_id)):
            continue
        async with gate() if gate is not None else contextlib.nullcontext():
            lost = await journal.orphaned(database.uow(), run_id)
        if lost is not None:
            origin = Origin.of(lost.origin)
            reason = t(origin.language, "bot.import_job_failed.gone")
            await _tell(
                deliver, origin, [failure(origin.language, lost.file_name, lost.id, reason)]
            )
            done += 1
            continue
        async with gate() if gate is not None else contextlib.nullcontext():
            claimed = await journal.claim(database.uow(), run_id)
        if claimed is None:
            continue  # another process took it
        try:
            batches = _stoppable(gate, stop) if stop is not None else gate
            replies = await run_claimed(database, settings, claimed, batches)
        except (asyncio.CancelledError, StopImport):
            # Stopping: back in the queue, for the next start to go on from its last batch.
            await asyncio.shield(_release(database, claimed.id, gate))
            raise
        await _tell(deliver, Origin.of(claimed.origin), replies)
        done += 1
    return done


async def _fail(database: Database, run_id: int, code: str, gate: Gate | None) -> None:
    """The run says it failed (the importer says so itself once it has begun, not before: a
    run refused at once, the rights revoked since, is closed here)."""
    try:
        async with gate() if gate is not None else contextlib.nullcontext():
            await journal.fail(database.uow(), run_id, code)
    except Exception:
        log.exception("import run %d could not be marked failed", run_id)


async def _origin_of(database: Database, run_id: int) -> Origin:
    return Origin.of(await journal.origin_of(database.uow(), run_id) or {})


def _stoppable(gate: Gate | None, stop: Callable[[], bool]) -> Gate:
    """``gate``, refused with :class:`StopImport` once ``stop()`` says so: between batches."""

    @contextlib.asynccontextmanager
    async def turn() -> AsyncIterator[object]:
        if stop():
            raise StopImport
        async with gate() if gate is not None else contextlib.nullcontext():
            yield None

    return turn


async def _release(database: Database, run_id: int, gate: Gate | None) -> None:
    try:
        async with gate() if gate is not None else contextlib.nullcontext():
            await journal.release(database.uow(), run_id)
    except Exception:
        # The run stays "running" and is found interrupted once this process is gone.
        log.exception("import run %d could not be put back in the queue", run_id)


async def _tell(deliver: Deliver, origin: Origin, replies: Sequence[Reply]) -> None:
    try:
        await deliver(origin.channel, origin.chat_id, origin.user_id, replies, origin.language)
    except Exception:
        # The import is written and journaled; the chat can ask again with the run number.
        log.exception("could not tell %s chat %s about its import", origin.channel, origin.chat_id)


class StopImport(BaseException):
    """Raised between two batches when the runner stops: no transaction is open then, so the
    run is put back in the queue cleanly. (A BaseException, like a cancellation, so that no
    ``except Exception`` on the way takes it for a failure of the import.)"""


STOP_WAIT = 10.0  # seconds a stopping runner lets the batch under way finish


class JobRunner:
    """Runs the imports waiting in the journal, one at a time, in the background."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        deliver: Deliver,
        *,
        gate: Gate | None = None,
        check_every: float = CHECK_EVERY,
    ) -> None:
        self.database = database
        self.settings = settings
        self.deliver = deliver
        self.gate = gate
        self.check_every = check_every
        self._wake = asyncio.Event()
        self._seen = self._heard = journal.queued_here()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._unlisten: Callable[[], None] = lambda: None
        self.finished = 0  # jobs run to their end (told), for whoever watches

    def start(self) -> None:
        if self._task is None:
            self._unlisten = journal.listen(self.wake)
            self._task = asyncio.create_task(self._loop(), name="import jobs")

    def wake(self) -> None:
        """A run was queued: look now rather than at the next round."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop; a run under way goes back to the queue for the next start."""
        if self._task is None:
            return
        self._unlisten()
        # The batch under way finishes and the run goes back in the queue before the next
        # one: a batch cut off mid-transaction could leave SQLite's write lock with a connection
        # nobody closes. Only a batch that takes too long is cancelled.
        self._stopping = True
        self._wake.set()
        done, _ = await asyncio.wait({self._task}, timeout=STOP_WAIT)
        if not done:
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopImport):
            await self._task
        self._task = None

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                self._seen = journal.queued_here()
                self.finished += await run_pending(
                    self.database,
                    self.settings,
                    self.deliver,
                    gate=self.gate,
                    stop=lambda: self._stopping,
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database may be down for a while: try again at the next round.
                log.exception("import jobs: looking for runs failed")
            if self._stopping:
                return
            await self._sleep()

    async def on_update(self, *_: object) -> None:
        """A pipeline completion hook: wake up when the update just handled queued a run."""
        queued = journal.queued_here()
        if queued != self._heard:
            self._heard = queued
            self._wake.set()

    async def _sleep(self) -> None:
        """Until woken, or the next round; at once when a run was queued meanwhile."""
        if journal.queued_here() != self._seen:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.check_every):
                await self._wake.wait()
