"""The outbox and broadcasts on SQLite and PostgreSQL, with a fake clock and fake couriers.

What a recipient notices: a message arrives once (a second pass, a second enqueue, a crash and
a restart change nothing), not at night unless staff asked, never to someone who blocked the
bot more than the one time; the sender's chat gets the final figures.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.pipeline.outbox import OutboxOptions, Pace, Sender
from bot.pipeline.protocol import Blocked, RateLimited
from bot.pipeline.schedule import RunnerLock
from bot.state import broadcasts, outbox
from bot.state.broadcasts import ReportTo, Segment, SegmentKind
from bot.state.models import OutboxMessage
from bot.state.outbox import Letter
from registry import accounts
from registry.errors import PermissionDenied, ValidationError
from registry.models import Account, AccountRole, Agency
from registry.uow import Database
from tests.builders import registered
from tests.integration.conftest import Cast

# 10:00 in Hà Nội (UTC+7): outside the quiet hours; 22:00 and 06:59 inside.
DAY = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NIGHT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
EARLY = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
MORNING = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    now: datetime = DAY

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class FakeCourier:
    """Records what it delivered; answers 403 for ``blocked`` chats, 429 for the next
    ``limited`` calls, and fails ``broken`` chats with an error."""

    channel: str = "telegram"
    delivered: list[tuple[str, str]] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)
    limited: int = 0
    retry_after: float = 0.05
    calls: int = 0
    # From this call on, requests hang and never arrive (the network and then the process die).
    hang_from: int | None = None
    hanging: int = 0

    async def post(self, chat_id: str, text: str) -> None:
        self.calls += 1
        await asyncio.sleep(0)
        if self.hang_from is not None and self.calls >= self.hang_from:
            self.hanging += 1
            await asyncio.Event().wait()
        if self.limited > 0:
            self.limited -= 1
            raise RateLimited(self.retry_after)
        if chat_id in self.blocked:
            raise Blocked("Forbidden: bot was blocked by the user")
        if chat_id in self.broken:
            raise ConnectionError("the network went away")
        self.delivered.append((chat_id, text))

    def per_chat(self) -> Counter[str]:
        return Counter(chat for chat, _ in self.delivered)


FAST = OutboxOptions(
    paces={"telegram": Pace(rate=0, per_chat_seconds=0, concurrency=8)},
    batch=50,
    lease=timedelta(minutes=5),
    max_attempts=3,
)


async def focal_points(db: Database, count: int, *, channel: str = "telegram") -> list[str]:
    """``count`` focal points of Hà Nội on ``channel`` (chat ids "1000"...), made in bulk."""
    async with db.uow() as uow:
        hanoi = await uow.session.scalar(select(Agency).where(Agency.name.like("%Hà Nội%")))
        assert hanoi is not None
        uow.session.add_all(
            Account(
                channel=channel,
                external_id=str(1000 + n),
                role=AccountRole.focal,
                agency_id=hanoi.id,
                language="vi" if n % 2 else "en",
            )
            for n in range(count)
        )
        await uow.commit()
    return [str(1000 + n) for n in range(count)]


async def broadcast(
    db: Database, cast: Cast, segment: Segment, *, urgent: bool = False, report: bool = True
) -> broadcasts.BroadcastView:
    return await broadcasts.create(
        db.uow(),
        cast.staff,
        segment,
        "Họp trực tuyến lúc 9:00 thứ Hai.",
        organisation="CỤC BÁO CHÍ",
        default_language="vi",
        urgent=urgent,
        report_to=ReportTo("telegram", "2", "en") if report else None,
    )


async def statuses(db: Database) -> Counter[str]:
    async with db.uow() as uow:
        return Counter(await uow.session.scalars(select(OutboxMessage.status)))


EVERYONE = Segment(SegmentKind.everyone)


async def test_the_same_letter_enqueued_twice_is_stored_once(db: Database) -> None:
    letter = Letter("reminder:1:telegram:7", "telegram", "7", "vi", text_key="outbox.broadcast")
    async with db.uow() as uow:
        assert await outbox.enqueue(uow.session, [letter, letter]) == 1
        await uow.commit()
    async with db.uow() as uow:
        assert await outbox.enqueue(uow.session, [letter]) == 0
        await uow.commit()
    assert await statuses(db) == {"pending": 1}


def test_a_letter_needs_a_text_key_or_a_body() -> None:
    with pytest.raises(ValueError):
        Letter("x", "telegram", "7", "vi")
    with pytest.raises(ValueError):
        Letter("x", "telegram", "7", "vi", text_key="a", body="b")


async def test_a_broadcast_reaches_every_chat_once_in_its_language_and_a_second_pass_sends_nothing(
    db: Database, cast: Cast
) -> None:
    chats = await focal_points(db, 30)
    view = await broadcast(db, cast, EVERYONE)
    assert view.recipients == 32  # the 30, and the cast's two focal points on Telegram
    courier, clock = FakeCourier(), FakeClock()
    first = await Sender(db, [courier], FAST, now=clock).run_once()
    second = await Sender(db, [courier], FAST, now=clock).run_once()
    delivered = courier.per_chat()
    # The report went to the author's chat ("2") after the 32 letters.
    assert first.sent == 33 and second.sent == 0
    assert all(delivered[chat] == 1 for chat in [*chats, "3", "4"]), delivered
    texts = dict(courier.delivered)
    assert texts["1001"].startswith("📣 CỤC BÁO CHÍ:") and "Họp trực tuyến" in texts["1001"]
    assert texts["2"] == (
        f"Broadcast #{view.id} is finished: 32 of 32 delivered, 0 blocked the bot, 0 failed."
    )
    done = await broadcasts.get(db.uow(), cast.staff, view.id)
    assert done.finished_at is not None and done.counts.sent == 32


async def test_nothing_goes_out_in_the_quiet_hours_unless_staff_asked(
    db: Database, cast: Cast
) -> None:
    await focal_points(db, 5)
    await broadcast(db, cast, Segment(SegmentKind.agency, "tp-ha-noi"), report=False)
    urgent = await broadcast(db, cast, Segment(SegmentKind.focal), urgent=True, report=False)
    courier, clock = FakeCourier(), FakeClock(NIGHT)
    night = await Sender(db, [courier], FAST, now=clock).run_once()
    assert night.quiet and night.sent == urgent.recipients == 7
    assert night.waiting == 6  # Hà Nội's five and its focal point wait for the morning
    clock.now = EARLY
    assert (await Sender(db, [courier], FAST, now=clock).run_once()).sent == 0
    clock.now = MORNING
    morning = await Sender(db, [courier], FAST, now=clock).run_once()
    assert not morning.quiet and morning.sent == 6 and morning.waiting == 0


async def test_who_blocked_the_bot_is_marked_and_never_tried_again(
    db: Database, cast: Cast
) -> None:
    chats = await focal_points(db, 10)
    view = await broadcast(db, cast, EVERYONE)
    courier = FakeCourier(blocked={chats[0], chats[1]})
    clock = FakeClock()
    report = await Sender(db, [courier], FAST, now=clock).run_once()
    assert (report.sent, report.blocked) == (11, 2)  # 10 recipients + the report
    clock.advance(3600)
    calls = courier.calls
    await Sender(db, [courier], FAST, now=clock).run_once()
    assert courier.calls == calls  # nobody was tried again
    assert courier.delivered[-1][1].endswith("10 of 12 delivered, 2 blocked the bot, 0 failed.")
    done = await broadcasts.get(db.uow(), cast.staff, view.id)
    assert (done.counts.sent, done.counts.blocked, done.counts.pending) == (10, 2, 0)


async def test_a_429_pauses_the_channel_and_the_message_goes_later_without_losing_an_attempt(
    db: Database, cast: Cast
) -> None:
    await focal_points(db, 5)
    # Urgent: this test runs on the real clock, whatever the hour.
    await broadcast(db, cast, EVERYONE, report=False, urgent=True)
    courier = FakeCourier(limited=2, retry_after=0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    report = await Sender(db, [courier], FAST).run_once()  # the real clock: the pause is waited
    assert report.sent == 7 and report.retried == 2 and report.failed == 0
    assert loop.time() - started >= 0.2
    assert courier.per_chat() == Counter({c: 1 for c in courier.per_chat()})
    async with db.uow() as uow:
        attempts = list(await uow.session.scalars(select(OutboxMessage.attempts)))
    assert max(attempts) == 1  # the 429 did not count against the messages


async def test_other_errors_are_tried_again_with_growing_pauses_then_marked_failed(
    db: Database, cast: Cast
) -> None:
    chats = await focal_points(db, 3)
    view = await broadcast(db, cast, EVERYONE)
    courier, clock = FakeCourier(broken={chats[2]}), FakeClock()
    sender = Sender(db, [courier], FAST, now=clock)
    assert (await sender.run_once()).retried == 1
    clock.advance(29)
    assert (await sender.run_once()).retried == 0  # the first pause is 30 s
    clock.advance(1)
    assert (await sender.run_once()).retried == 1
    clock.advance(59)
    assert (await sender.run_once()).retried == 0  # then 60 s
    clock.advance(1)
    last = await sender.run_once()
    assert last.failed == 1  # the third attempt was the last (max_attempts=3)
    async with db.uow() as uow:
        row = (
            await uow.session.execute(
                select(OutboxMessage.status, OutboxMessage.last_error).where(
                    OutboxMessage.chat_id == chats[2]
                )
            )
        ).one()
    assert tuple(row) == ("failed", "ConnectionError")
    assert courier.delivered[-1] == (
        "2",
        f"Broadcast #{view.id} is finished: 4 of 5 delivered, 0 blocked the bot, 1 failed.",
    )


async def test_a_sender_killed_in_the_middle_of_2000_recipients_resumes_and_each_gets_it_once(
    db: Database, cast: Cast
) -> None:
    """The sender dies with requests in flight that never reached the platform (they hang, then
    the process is gone): after a restart and the lease, every recipient has the message once,
    the two who blocked the bot are marked, and 429s on the way are waited out. (A death in the
    few milliseconds between the platform's answer and the commit would send that one message
    again: see bot.pipeline.outbox.)"""
    chats = await focal_points(db, 2000)
    await broadcast(db, cast, EVERYONE)
    clock = FakeClock()
    courier = FakeCourier(blocked={chats[5], chats[1500]}, hang_from=700)
    task = asyncio.create_task(Sender(db, [courier], FAST, now=clock).run_once())
    # The process dies once the requests answered before the hang are marked.
    while not courier.hanging or (await statuses(db))["sent"] < len(courier.delivered):
        assert not task.done(), task.result()
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    before = courier.per_chat()
    assert 600 < len(before) < 700
    # A new process, before the lease ran out, sends what nobody had claimed; after it, the
    # rest; the platform asks it to slow down on the way.
    courier.hang_from, courier.limited = None, 3
    await Sender(db, [courier], FAST, now=clock).run_once()
    clock.advance(FAST.lease.total_seconds() + 1)
    await Sender(db, [courier], FAST, now=clock).run_once()
    clock.advance(1)
    await Sender(db, [courier], FAST, now=clock).run_once()
    delivered = courier.per_chat()
    odd = {c: delivered[c] for c in [*chats, "3", "4"] if delivered[c] != 1}
    assert set(odd) == {chats[5], chats[1500]}, odd
    assert delivered[chats[5]] == delivered[chats[1500]] == 0
    assert delivered["2"] == 1 + 3  # the author: three progress notes and the report
    assert await statuses(db) == {"sent": 2000 + 4, "blocked": 2}


async def test_two_senders_at_once_never_send_a_message_twice(db: Database, cast: Cast) -> None:
    await focal_points(db, 300)
    await broadcast(db, cast, EVERYONE, report=False, urgent=True)  # the real clock
    courier = FakeCourier()
    options = OutboxOptions(paces=FAST.paces, batch=20, lease=FAST.lease)
    await asyncio.gather(
        Sender(db, [courier], options).run_once(), Sender(db, [courier], options).run_once()
    )
    assert len(courier.delivered) == 302
    assert set(courier.per_chat().values()) == {1}


async def test_only_staff_may_broadcast(db: Database, cast: Cast) -> None:
    await focal_points(db, 2)
    for actor in (cast.member, cast.focal):
        with pytest.raises(PermissionDenied):
            await broadcasts.create(
                db.uow(), actor, EVERYONE, "x", organisation="o", default_language="vi"
            )
        with pytest.raises(PermissionDenied):
            await broadcasts.recipients(db.uow(), actor, EVERYONE, "vi")
    assert await statuses(db) == {}


async def test_segments_choose_their_chats(db: Database, cast: Cast) -> None:
    # A member of Lào Cai registered on Zalo, a staff account with no record, a terminal chat.
    await registered(db, "zalo:z1", agency="Lào Cai")
    await registered(
        db, "console:9", agency="Lào Cai", full_name="Trần Thị Bình", mobile="0912 000 111"
    )
    await accounts.grant(db.uow(), cast.system, "telegram:88", "staff")

    async def chats(segment: Segment) -> set[str]:
        preview = await broadcasts.recipients(db.uow(), cast.staff, segment, "vi")
        return {f"{r.channel}:{r.chat_id}" for r in preview.recipients}

    assert await chats(EVERYONE) == {"telegram:3", "telegram:4", "zalo:z1"}
    assert await chats(Segment(SegmentKind.focal)) == {"telegram:3", "telegram:4"}
    assert await chats(Segment(SegmentKind.agency, "tp-ha-noi")) == {"telegram:4"}
    assert await chats(Segment(SegmentKind.kind, "province")) == {"telegram:3", "zalo:z1"}
    assert await chats(Segment(SegmentKind.kind, "city")) == {"telegram:4"}
    assert await chats(Segment(SegmentKind.kind, "ministry")) == set()
    # Lào Cai has answered (its members registered); Hà Nội has not.
    assert await chats(Segment(SegmentKind.missing)) == {"telegram:4"}
    preview = await broadcasts.recipients(db.uow(), cast.staff, EVERYONE, "vi")
    assert preview.per_channel == {"telegram": 2, "zalo": 1}


@pytest.mark.parametrize(
    ("segment", "target", "code"),
    [
        ("", None, "broadcast.bad_segment"),
        ("everybody", None, "broadcast.bad_segment"),
        ("kind", None, "broadcast.needs_kind"),
        ("kind", "planet", "agency.unknown_kind"),
        ("agency", "  ", "broadcast.needs_agency"),
    ],
)
def test_a_wrong_segment_says_what_is_wrong(segment: str, target: str | None, code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        broadcasts.parse_segment(segment, target)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "broadcast.empty"), (" \n ", "broadcast.empty"), ("x" * 1501, "broadcast.too_long")],
)
def test_a_wrong_text_says_what_is_wrong(text: str, code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        broadcasts.check_body(text)
    assert raised.value.code == code


async def test_a_broadcast_to_nobody_or_to_an_unknown_agency_stores_nothing(
    db: Database, cast: Cast
) -> None:
    with pytest.raises(ValidationError):
        await broadcast(db, cast, Segment(SegmentKind.kind, "ministry"))
    with pytest.raises(Exception) as raised:
        await broadcast(db, cast, Segment(SegmentKind.agency, "NOPE"))
    assert getattr(raised.value, "code", "") == "broadcast.no_agency"
    assert await statuses(db) == {}
    assert await broadcasts.latest(db.uow(), cast.staff) == []


async def test_progress_notes_reach_the_author_at_each_quarter_once(
    db: Database, cast: Cast
) -> None:
    await focal_points(db, 198)
    view = await broadcast(db, cast, EVERYONE, urgent=True)  # the real clock
    courier = FakeCourier()
    await Sender(db, [courier], FAST).run_once()
    await Sender(db, [courier], FAST).run_once()
    to_author = [text for chat, text in courier.delivered if chat == "2"]
    assert [text.split(" (")[0] for text in to_author[:3]] == [
        f"Broadcast #{view.id}: 25% done",
        f"Broadcast #{view.id}: 50% done",
        f"Broadcast #{view.id}: 75% done",
    ]
    assert to_author[3].startswith(f"Broadcast #{view.id} is finished: 200 of 200 delivered")
    assert len(to_author) == 4
    # Each note went out as soon as it was due, before the letters still waiting.
    assert courier.delivered.index(("2", to_author[0])) < 60


async def test_one_process_at_a_time_holds_the_scheduled_work(db: Database, backend: str) -> None:
    first, second = RunnerLock(db), RunnerLock(db)
    try:
        assert await first.acquire()
        assert await first.acquire()  # kept
        assert await second.acquire() is (backend == "sqlite")
        await first.release()
        assert await second.acquire()
    finally:
        await first.release()
        await second.release()
