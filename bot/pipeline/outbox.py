"""The sender: the outbox's due messages out to the platforms, in their limits, once each.

One pass (:meth:`Sender.run_once`) claims due messages in small batches and sends them through
each channel's :class:`Courier`, until nothing is due. The pace is each platform's: Telegram
allows a bot about 30 messages a second in all and about one a second per chat; Zalo publishes
no figure, so its rate is a setting. Each channel has its own pacer (one message every
``1/rate`` seconds, no bursts) and up to ``concurrency`` requests in flight, and messages to one
chat go one after the other, ``per_chat_seconds`` apart.

What a platform answers decides what becomes of a message:

* accepted: marked ``sent`` at once, in a commit of its own;
* 429 / ``retry_after``: the whole channel pauses that long, and the message is due again
  after it (the attempt is not counted against it);
* 403 (the person blocked the bot, or never opened a chat with it): marked ``blocked``, never
  tried again;
* anything else: tried again after a growing pause (30 s, 1 min, 2 min... at most an hour),
  and marked ``failed`` after ``max_attempts``.

**Crash safety: at least once, with a window of one message per request in flight.** A
message is claimed with a lease (its due time pushed ``lease`` ahead, committed before any
request), and marked sent in a commit of its own right after the platform accepted it. A
process that dies leaves the messages it had claimed and not yet marked as they were, pending:
they are due again when the lease runs out, and sent then. Nothing is lost. The one case that
sends twice is a death between the platform's answer and the commit that follows it (a few
milliseconds per message), and then only for the requests in flight at that instant (at most
``concurrency`` per channel). Marking "sending" before each request would turn that window
into messages lost instead; for notices from the Press Department, a rare repeat is the lesser
harm.

Quiet hours: between ``quiet_from`` and ``quiet_until`` local time (``SPOKES_TIMEZONE``), only
messages staff asked to send at once are due; the others wait for the morning.
"""

from __future__ import annotations

import asyncio
import logging
import time as monotonic_time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from aiolimiter import AsyncLimiter

from bot import clock
from bot.pipeline.protocol import Blocked, Courier, RateLimited
from bot.state import broadcasts, outbox
from bot.state.outbox import Claimed
from bot.texts import t
from registry.models import utcnow
from registry.uow import Database

log = logging.getLogger(__name__)

RETRY_FIRST = 30.0  # seconds before the second attempt after an error
RETRY_MAX = 3600.0  # the longest pause between two attempts
RETRY_AFTER_MAX = 3600.0  # a retry_after beyond this is taken as this


@dataclass(frozen=True)
class Pace:
    """A channel's limits: ``rate`` messages a second in all (0: none), one chat at most every
    ``per_chat_seconds``, ``concurrency`` requests at once."""

    rate: float = 25.0
    per_chat_seconds: float = 1.0
    concurrency: int = 8


@dataclass(frozen=True)
class OutboxOptions:
    paces: Mapping[str, Pace] = field(default_factory=dict)
    # Messages claimed at once: a batch waits for its slowest message, so between two batches
    # the channel idles a moment; 300 is about 12 s of sending at 25 a second.
    batch: int = 300
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    quiet_from: time = time(21, 0)
    quiet_until: time = time(7, 0)

    def pace(self, channel: str) -> Pace:
        return self.paces.get(channel, Pace())


@dataclass
class PassReport:
    """What one pass did."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0  # errors and 429s: due again later
    quiet: bool = False  # the pass ran in the quiet hours
    waiting: int = 0  # messages still pending after the pass

    def line(self, language: str) -> str:
        key = "outbox.pass_quiet" if self.quiet else "outbox.pass"
        return t(
            language,
            key,
            sent=self.sent,
            blocked=self.blocked,
            failed=self.failed,
            retried=self.retried,
            waiting=self.waiting,
        )


def render(message: Claimed) -> str:
    if message.body is not None:
        return message.body
    return t(message.language, message.text_key or "", **message.params)


class _Channel:
    """A channel's pacing state in this process."""

    def __init__(self, courier: Courier, pace: Pace) -> None:
        self.courier = courier
        self.pace = pace
        self.limiter = AsyncLimiter(1, 1 / pace.rate) if pace.rate > 0 else None
        self.slots = asyncio.Semaphore(pace.concurrency)
        self.resume_at = 0.0  # monotonic time before which nothing is sent (a 429)
        self.last_sent: dict[str, float] = {}

    async def wait_turn(self, chat_id: str) -> None:
        while True:
            pause = self.resume_at - monotonic_time.monotonic()
            since = monotonic_time.monotonic() - self.last_sent.get(chat_id, -1e9)
            pause = max(pause, self.pace.per_chat_seconds - since)
            if pause <= 0:
                break
            await asyncio.sleep(pause)
        if self.limiter is not None:
            await self.limiter.acquire()
        # A 429 seen by another request meanwhile holds this one too.
        pause = self.resume_at - monotonic_time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)


class Sender:
    """Sends the outbox's due messages through the couriers it has (other channels wait)."""

    def __init__(
        self,
        database: Database,
        couriers: Sequence[Courier],
        options: OutboxOptions | None = None,
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.options = options or OutboxOptions()
        self.now = now
        self.channels = {c.channel: _Channel(c, self.options.pace(c.channel)) for c in couriers}

    async def run_once(self) -> PassReport:
        """Send everything due now; returns when nothing is left due (or only what waits for
        a pause to end)."""
        report = PassReport()
        while True:
            # Looked at before each batch: a long pass stops the quiet messages at 21:00.
            report.quiet = clock.in_quiet_hours(
                self.now(), self.options.quiet_from, self.options.quiet_until
            )
            await self._follow_up()
            batch = await self._claim(report.quiet)
            if not batch:
                # Messages held back by a 429 are due when the pause ends: wait for it here,
                # so that one pass (``spokes tick``) still sends them.
                pause = (
                    max((c.resume_at for c in self.channels.values()), default=0.0)
                    - monotonic_time.monotonic()
                )
                if 0 < pause <= RETRY_AFTER_MAX:
                    await asyncio.sleep(pause + 0.01)  # asyncio may wake a tick early
                    continue
                break
            await self._send_batch(batch, report)
        async with self.database.uow().reading() as uow:
            report.waiting = (await outbox.counts(uow.session)).pending
        return report

    async def _follow_up(self) -> None:
        async with self.database.uow() as uow:
            await broadcasts.follow_up(uow.session, self.now())
            await uow.commit()

    async def _claim(self, quiet: bool) -> list[Claimed]:
        async with self.database.uow() as uow:
            claimed = await outbox.claim(
                uow.session,
                self.now(),
                limit=self.options.batch,
                lease=self.options.lease,
                channels=list(self.channels),
                quiet_hours=quiet,
            )
            await uow.commit()
            return claimed

    async def _send_batch(self, batch: list[Claimed], report: PassReport) -> None:
        by_chat: dict[tuple[str, str], list[Claimed]] = defaultdict(list)
        for message in batch:
            by_chat[(message.channel, message.chat_id)].append(message)
        await asyncio.gather(*(self._send_chat(messages, report) for messages in by_chat.values()))

    async def _send_chat(self, messages: list[Claimed], report: PassReport) -> None:
        for message in messages:
            await self._send(message, report)

    async def _send(self, message: Claimed, report: PassReport) -> None:
        channel = self.channels[message.channel]
        try:
            text = render(message)
        except (KeyError, ValueError, IndexError) as error:
            await self._mark(outbox.mark_failed, message.id, f"render: {type(error).__name__}")
            report.failed += 1
            return
        async with channel.slots:
            await channel.wait_turn(message.chat_id)
            try:
                await channel.courier.post(message.chat_id, text)
            except Blocked as error:
                channel.last_sent[message.chat_id] = monotonic_time.monotonic()
                await self._mark(outbox.mark_blocked, message.id, _summary(error))
                report.blocked += 1
                return
            except RateLimited as error:
                pause = min(max(error.retry_after, 1.0), RETRY_AFTER_MAX)
                # Due again no later than the channel resumes (``when`` read first).
                when = self.now() + timedelta(seconds=pause)
                channel.resume_at = max(channel.resume_at, monotonic_time.monotonic() + pause)
                log.warning("%s asked to wait %.0f s", message.channel, pause)
                await self._mark(
                    outbox.mark_retry, message.id, when, "rate limited (429)", counted=False
                )
                report.retried += 1
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                channel.last_sent[message.chat_id] = monotonic_time.monotonic()
                await self._failed(message, error, report)
                return
            channel.last_sent[message.chat_id] = monotonic_time.monotonic()
        await self._mark(outbox.mark_sent, message.id, self.now())
        report.sent += 1

    async def _failed(self, message: Claimed, error: Exception, report: PassReport) -> None:
        summary = _summary(error)
        if message.attempts >= self.options.max_attempts:
            log.warning("outbox message %s failed for good: %s", message.id, summary)
            await self._mark(outbox.mark_failed, message.id, summary)
            report.failed += 1
            return
        pause = min(RETRY_FIRST * 2 ** (message.attempts - 1), RETRY_MAX)
        when = self.now() + timedelta(seconds=pause)
        await self._mark(outbox.mark_retry, message.id, when, summary)
        report.retried += 1

    async def _mark(self, mark: Callable[..., object], *args: object, **kwargs: object) -> None:
        async with self.database.uow() as uow:
            await mark(uow.session, *args, **kwargs)  # type: ignore[misc]
            await uow.commit()


def _summary(error: BaseException) -> str:
    """The error's class and code, never its message (it may quote a chat or a token)."""
    code = getattr(error, "code", None) or getattr(error, "status_code", None)
    return f"{type(error).__name__}{f' {code}' if code else ''}"[:200]
