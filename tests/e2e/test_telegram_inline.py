"""Looking up the published directory from any Telegram chat (``@bot tên hoặc cơ quan``): the
real python-telegram-bot application answers inline queries from the fake Bot API, by polling
and through the webhook, with public cards only, and with nothing while the directory is off."""

from __future__ import annotations

from typing import Any

import pytest

from registry import people, published
from registry.uow import Database
from tests.builders import SYSTEM, listed, registered
from tests.e2e.fake_telegram import FakeTelegram, bot_running

MODES = ["polling", "webhook"]


def _texts(results: list[dict[str, Any]]) -> list[str]:
    return [r["input_message_content"]["message_text"] for r in results]


async def _people(database: Database) -> None:
    an = await listed(
        database,
        position="Chánh Văn phòng UBND tỉnh",
        office_phone="(0214) 3840 123 máy lẻ 101",
        email="an.nv@laocai.gov.vn",
    )
    await published.set_publish_mobile(database.uow(), SYSTEM, an.id, True)
    await listed(
        database,
        full_name="Đặng Thị Hồng",
        mobile="0988 111 222",
        email="hong.dt@laocai.gov.vn",
    )
    await registered(database, "telegram:70", full_name="Đặng Văn Chờ", mobile="0977 000 111")
    gone = await listed(database, full_name="Đặng Văn Thôi", mobile="0977 000 222")
    await people.retire_person(database.uow(), SYSTEM, gone.id)


@pytest.mark.parametrize("mode", MODES)
async def test_inline_lookup_offers_public_cards(
    mode: str, fake: FakeTelegram, database: Database
) -> None:
    await _people(database)
    async with bot_running(mode, fake, database, public_directory=True):  # type: ignore[arg-type]
        assert fake.allowed_updates is not None and "inline_query" in fake.allowed_updates
        journalist = fake.user(900, "Phóng viên")
        results = await fake.inline_answer(await journalist.inline_query("dang"))
        # Only the verified Đặng: not the one waiting for verification, not the one who left.
        assert [r["title"] for r in results] == ["Đặng Thị Hồng"]
        assert results[0]["type"] == "article"
        [hong] = _texts(results)
        assert "hong.dt@laocai.gov.vn" in hong
        assert "0988" not in hong  # she did not agree to publish her mobile

        results = await fake.inline_answer(await journalist.inline_query("NGUYỄN văn"))
        [an] = _texts(results)
        assert an.split("\n")[:3] == [
            "Nguyễn Văn An",
            "Người phát ngôn · Chánh Văn phòng UBND tỉnh",
            "Tỉnh Lào Cai",
        ]
        assert "Điện thoại cơ quan: 0214 3840 123 máy lẻ 101" in an
        assert "Di động: 0912 345 678" in an  # he agreed
        # An agency's name finds its people; an English-speaking user gets English words.
        english = fake.user(901, "Reporter", language_code="en")
        results = await fake.inline_answer(await english.inline_query("lao cai"))
        assert sorted(r["title"] for r in results) == ["Nguyễn Văn An", "Đặng Thị Hồng"]
        assert all("Lào Cai Province" in text for text in _texts(results))
        # Nothing, or garbage: no results, and no error.
        for typed in ("", "   ", "x" * 300, "<script>"):
            assert await fake.inline_answer(await journalist.inline_query(typed)) == []
        asked = await journalist.inline_query("hong")
        await fake.inline_answer(asked)
        answer = fake.inline_answers[asked]
        assert answer["cache_time"] == 30 and answer["is_personal"] is False


async def test_inline_lookup_finds_nobody_while_the_directory_is_off(
    fake: FakeTelegram, database: Database
) -> None:
    await _people(database)
    async with bot_running("polling", fake, database):
        assert fake.allowed_updates is not None and "inline_query" not in fake.allowed_updates
        # Even if Telegram delivered one anyway, it gets no results.
        journalist = fake.user(900, "Phóng viên")
        assert await fake.inline_answer(await journalist.inline_query("dang")) == []
