"""Decisions taken on the command line reach the chats they concern.

``spokes claims confirm`` and ``refuse`` tell the claimant's chat, and ``spokes people erase``
of an agency's last spokesperson tells staff chats, as the same decisions taken in a chat do:
the message waits in the outbox, written with the decision, and ``spokes tick`` (or the running
server) sends it, once. A terminal chat cannot be written to: the command says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from registry import accounts, claims
from registry.uow import Database
from tests.builders import listed
from tests.e2e.fake_telegram import TOKEN, FakeTelegram
from tests.e2e.test_telegram_cli import SCRIPT, Spokes, spokes

pytestmark = pytest.mark.skipif(SCRIPT is None, reason="the spokes console script is not installed")
__all__ = ["spokes"]  # the fixture, shared with the script's other tests


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram.running() as server:
        yield server


def _database(spokes: Spokes) -> Database:
    return Database(spokes.env["SPOKES_DATABASE_URL"])


async def _claims_filed(spokes: Spokes) -> None:
    """Two imported records claimed: #1 from Telegram chat 70 (in English), #2 from the
    terminal."""
    database = _database(spokes)
    try:
        await listed(database, source="import")
        await listed(database, full_name="Trần Thị Bình", mobile="0988 777 666", source="import")
        on_telegram = await accounts.ensure_account(database.uow(), "telegram", "70")
        await accounts.set_language(database.uow(), "telegram", "70", "en")
        await claims.file_claim(
            database.uow(), on_telegram, 1, full_name="nguyễn văn an", mobile="0912 345 678"
        )
        in_terminal = await accounts.ensure_account(database.uow(), "console", "71")
        await claims.file_claim(
            database.uow(), in_terminal, 2, full_name="Trần Thị Bình", mobile="0988777666"
        )
    finally:
        await database.dispose()


def _settings(fake: FakeTelegram) -> dict[str, str]:
    # No quiet hours here: a decision is told at once anyway, whatever the time of day.
    return {"telegram_token": TOKEN, "telegram_base_url": fake.base_url}


async def test_a_claim_decided_on_the_command_line_is_told_to_the_claimants_chat(
    spokes: Spokes, fake: FakeTelegram
) -> None:
    await _claims_filed(spokes)
    confirmed = await spokes("claims", "confirm", "1")
    assert confirmed.returncode == 0, confirmed.stderr
    assert "telegram:70 sẽ được báo quyết định này" in confirmed.stdout
    refused = await spokes("claims", "refuse", "2")
    assert refused.returncode == 0, refused.stderr
    assert "console:71 dùng bot trong terminal nên không nhận được thông báo" in refused.stdout
    assert fake.messages(70) == []  # nothing is sent before the outbox is

    first = await spokes("tick", **_settings(fake))
    assert first.returncode == 0, first.stderr
    (told,) = [m.text for m in fake.messages(70)]
    assert told.startswith("Your claim was confirmed: you are record #1 Nguyễn Văn An")
    again = await spokes("tick", **_settings(fake))
    assert again.returncode == 0 and len(fake.messages(70)) == 1


async def test_erasing_an_agencys_last_spokesperson_tells_staff_chats(
    spokes: Spokes, fake: FakeTelegram
) -> None:
    for grant in (("telegram:1", "staff"), ("zalo:2", "admin"), ("console:3", "staff")):
        done = await spokes("accounts", "grant", *grant)
        assert done.returncode == 0, done.stderr
    added = await spokes(
        "people", "add", "--agency", "Lào Cai", "--name", "Nguyễn Văn An",
        "--role", "spokesperson", "--mobile", "0912 345 678",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    erased = await spokes("people", "erase", "1", "--yes")
    assert erased.returncode == 0, erased.stderr
    assert "2 cuộc trò chuyện của cán bộ sẽ được báo" in erased.stdout

    ticked = await spokes("tick", **_settings(fake))
    assert ticked.returncode == 0, ticked.stderr
    (told,) = [m.text for m in fake.messages(1)]
    assert "Tỉnh Lào Cai" in told
