"""A whole campaign under a fake clock: the scheduled passes run every three hours from the day
it opens to three weeks past its deadline, through fake couriers that record what each chat
received and when (local time).

Reminders come on the scheduled days only (7, 3 and 1 days before, then weekly while overdue),
to the focal points of the agencies still missing only, in each one's language; none at night;
none once the agency answered; staff get one digest a day with the right figures; a pass run
twice sends nothing twice.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook

from bot import clock
from bot.pipeline import campaign as campaign_jobs
from bot.pipeline.outbox import OutboxOptions, Pace, Sender
from bot.pipeline.schedule import scheduled_pass
from bot.roster import export_file
from registry import accounts, campaigns
from registry.uow import Database
from tests.builders import SYSTEM, grant, listed, registered

STEP = timedelta(hours=3)


@pytest.fixture(autouse=True)
def fresh_process() -> None:
    """Each test is a process of its own: the jobs' look-again memory starts empty."""
    campaign_jobs._last_run.clear()


@dataclass
class Recorder:
    """A channel that accepts everything and remembers it, with the fake time it came."""

    channel: str
    now: list[datetime]
    got: list[tuple[str, str, datetime]] = field(default_factory=list)

    async def post(self, chat_id: str, text: str) -> None:
        self.got.append((chat_id, text, self.now[0]))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.local_time(datetime.now(UTC)).tzinfo)


def _days(got: list[tuple[str, str, datetime]], chat: str, start: date) -> list[int]:
    return [(clock.local_date(at) - start).days for c, _, at in got if c == chat]


async def test_a_whole_campaign_under_a_fake_clock(loaded: Database) -> None:
    today = clock.today()
    deadline = today + timedelta(days=10)
    await grant(loaded, "telegram:1", "staff")
    await grant(loaded, "telegram:100", "focal", agency="Lào Cai")  # never answers
    await grant(loaded, "zalo:200", "focal", agency="Hà Nội")  # answers on day 5
    await accounts.set_language(loaded.uow(), "zalo", "200", "en")
    # Cao Bằng answered before the campaign: its member is never reminded.
    await registered(loaded, "telegram:300", agency="Cao Bằng", mobile="0912 000 300")
    opened = await campaigns.open_campaign(
        loaded.uow(), SYSTEM, title="Đợt 2027", deadline=deadline, today=today
    )

    now = [_local_midnight(today)]
    telegram, zalo = Recorder("telegram", now), Recorder("zalo", now)
    sender = Sender(
        loaded,
        [telegram, zalo],
        OutboxOptions(paces={c: Pace(0, 0, 8) for c in ("telegram", "zalo")}),
        now=lambda: now[0],
    )
    reminder_days = {3, 7, 9, 17, 24}
    twice = 0
    while now[0] < _local_midnight(deadline + timedelta(days=17)):
        day = (clock.local_date(now[0]) - today).days
        if day == 5 and clock.local_time(now[0]).hour == 12:
            await listed(loaded, agency="Hà Nội", full_name="Lê Thị Hà", mobile="0912 000 200")
        report = await scheduled_pass(loaded, sender)
        if report.sent and day in reminder_days:
            # A second process (spokes tick beside the server): the outbox's dedupe keys,
            # not the server's own memory, keep it from sending anything twice.
            campaign_jobs._last_run.clear()
            again = await scheduled_pass(loaded, sender)
            assert (again.sent, again.waiting) == (0, 0)  # spokes tick twice: nothing twice
            twice += 1
        now[0] += STEP
    assert twice >= len(reminder_days)

    got = telegram.got + zalo.got
    # None at night: nothing between 21:00 and 07:00 local time.
    assert all(time(7) <= clock.local_time(at).time() < time(21) for _, _, at in got)
    # Lào Cai's focal point: the three days before the deadline, then weekly while missing.
    assert _days(telegram.got, "100", today) == sorted(reminder_days)
    laocai = [text for chat, text, _ in telegram.got if chat == "100"]
    assert all("Tỉnh Lào Cai" in text and "Đợt 2027" in text for text in laocai)
    assert "còn 7 ngày" in laocai[0] and "còn 1 ngày" in laocai[2]
    assert "đã quá hạn" in laocai[3] and "7 ngày" in laocai[3]
    # Hà Nội's focal point (in English): only the reminder before Hà Nội answered on day 5.
    assert _days(zalo.got, "200", today) == [3]
    assert zalo.got[0][1].startswith("⏰ Reminder from") and "Hà Nội City" in zalo.got[0][1]
    # Cao Bằng's member: nothing.
    assert _days(telegram.got, "300", today) == []

    # The staff digest: once a day, every day, with the day's figures.
    digests = [(at, text) for chat, text, at in telegram.got if chat == "1"]
    assert [(clock.local_date(at) - today).days for at, _ in digests] == list(range(27))
    total = (await campaigns.progress(loaded.uow(), opened, today)).figures()["total"]
    by_day = {(clock.local_date(at) - today).days: text for at, text in digests}
    assert f"1/{total} cơ quan đã gửi, {total - 1} chưa gửi, 0 quá hạn" in by_day[0]
    assert f"2/{total} cơ quan đã gửi, {total - 2} chưa gửi, 0 quá hạn" in by_day[6]
    assert f"{total - 2} chưa gửi, {total - 2} quá hạn" in by_day[11]

    # Closed: no reminder and no digest any more.
    await campaigns.close_campaign(loaded.uow(), SYSTEM)
    now[0] = _local_midnight(deadline + timedelta(days=21)) + timedelta(hours=9)
    assert (await scheduled_pass(loaded, sender)).sent == 0


async def test_a_pass_in_the_night_stores_nothing_and_the_morning_sends_it(
    loaded: Database,
) -> None:
    today = clock.today()
    await grant(loaded, "telegram:100", "focal", agency="Lào Cai")
    await campaigns.open_campaign(
        loaded.uow(), SYSTEM, title="Đợt", deadline=today + timedelta(days=3), today=today
    )
    now = [_local_midnight(today) + timedelta(hours=22)]
    telegram = Recorder("telegram", now)
    sender = Sender(
        loaded, [telegram], OutboxOptions(paces={"telegram": Pace(0, 0, 8)}), now=lambda: now[0]
    )
    report = await scheduled_pass(loaded, sender)
    assert (report.sent, report.waiting, report.quiet) == (0, 0, True)
    now[0] += timedelta(hours=10)  # 08:00 the next day
    assert (await scheduled_pass(loaded, sender)).sent == 1
    assert telegram.got[0][0] == "100"


async def test_the_exports_summary_shows_each_agency_with_the_day_it_answered(
    loaded: Database,
) -> None:
    today = clock.today()
    await campaigns.open_campaign(
        loaded.uow(), SYSTEM, title="Đợt", deadline=today + timedelta(days=3), today=today
    )
    await listed(loaded, agency="Lào Cai", full_name="Lê Thị Hà", mobile="0912 000 200")
    after = today + timedelta(days=5)  # two days past the deadline
    file = await export_file(
        loaded.uow(), SYSTEM, format="xlsx", organisation="CỤC BÁO CHÍ", language="vi", on=after
    )
    sheet = load_workbook(io.BytesIO(file.data))["Tổng hợp"]
    rows = [row for row in sheet.iter_rows(values_only=True) if any(row)]
    texts = [str(row[0]) for row in rows]
    start = texts.index("Từng cơ quan và ngày gửi danh sách")
    assert rows[start + 1][0] == (
        f"Đợt đề nghị cử người đang mở, hạn {(today + timedelta(days=3)).strftime('%d/%m/%Y')}: "
        "1 cơ quan đã gửi, 55 chưa gửi, 55 quá hạn."
    )
    assert rows[start + 2][:4] == ("Cơ quan, đơn vị", "Loại cơ quan", "Ngày gửi", "Tình trạng")
    by_name = {row[0]: row for row in rows[start + 3 :]}
    assert len(by_name) == 56
    laocai = by_name["Tỉnh Lào Cai"]
    assert (laocai[2].date(), laocai[3]) == (today, "Đã gửi")
    assert by_name["Thành phố Hà Nội"][2:4] == ("—", "Quá hạn")
