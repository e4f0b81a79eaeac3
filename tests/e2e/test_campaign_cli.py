"""``spokes campaign`` and ``spokes tick`` as an operator runs them: the installed script, the
fake Bot API standing in for Telegram.

A campaign opened seven days before its deadline is on its first reminder day: one ``tick``
sends the reminder to the focal point of each agency still missing and the digest to staff; a
second ``tick`` sends nothing. Wrong input is one line and exit 1, and changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot import clock
from tests.e2e.fake_telegram import TOKEN, FakeTelegram
from tests.e2e.test_telegram_cli import SCRIPT, Spokes, refused, spokes, vi

pytestmark = pytest.mark.skipif(SCRIPT is None, reason="the spokes console script is not installed")
__all__ = ["spokes"]  # the fixture, shared with the script's other tests


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as server:
        yield server


def _texts(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text for m in fake.messages(chat_id)]


async def test_tick_sends_the_days_reminders_once(spokes: Spokes, fake: FakeTelegram) -> None:
    deadline = (clock.today() + timedelta(days=7)).strftime("%d/%m/%Y")
    for args in (
        ("accounts", "grant", "telegram:1", "staff"),
        ("accounts", "grant", "telegram:100", "focal", "--agency", "Lào Cai"),
        ("campaign", "open", "--deadline", deadline, "--title", "Đợt thử"),
    ):
        done = await spokes(*args)
        assert done.returncode == 0, done.stderr
    # No quiet hours for this test, whatever the time of day it runs at.
    settings = {
        "telegram_token": TOKEN,
        "telegram_base_url": fake.base_url,
        "quiet_from": "00:00",
        "quiet_until": "00:00",
    }
    first = await spokes("tick", **settings)
    assert first.returncode == 0, first.stderr
    assert "đã gửi 2," in first.stdout
    reminder = _texts(fake, 100)
    assert len(reminder) == 1 and "Tỉnh Lào Cai" in reminder[0] and "còn 7 ngày" in reminder[0]
    digest = _texts(fake, 1)
    assert len(digest) == 1 and "0/56 cơ quan đã gửi, 56 chưa gửi, 0 quá hạn" in digest[0]
    second = await spokes("tick", **settings)
    assert second.returncode == 0 and "đã gửi 0," in second.stdout
    assert (len(_texts(fake, 100)), len(_texts(fake, 1))) == (1, 1)

    status = await spokes("campaign", "status")
    assert "0/56 cơ quan đã gửi, 56 chưa gửi, 0 quá hạn" in status.stdout
    # Wrong input: one line, nothing changed.
    assert refused(await spokes("campaign", "open", "--deadline", deadline)) == vi(
        "error.campaign.already_open", id="1", title="Đợt thử"
    )
    closed = await spokes("campaign", "close")
    assert closed.returncode == 0
    assert refused(await spokes("campaign", "close")) == vi("error.campaign.none_open")
    assert refused(await spokes("campaign", "status")) == vi("error.campaign.none_open")
    assert refused(await spokes("campaign", "open", "--deadline", "32/13/2026")) == vi(
        "error.campaign.bad_deadline", deadline="32/13/2026"
    )
    assert refused(
        await spokes("campaign", "open", "--deadline", deadline, "--days", "7,abc")
    ) == vi("error.campaign.bad_days", days="7,abc")
    assert refused(await spokes("campaign", "open", "--deadline", "01/01/2020")) == vi(
        "error.campaign.deadline_past", deadline="01/01/2020"
    )
    assert "Không có ai" in (await spokes("people", "unconfirmed")).stdout
