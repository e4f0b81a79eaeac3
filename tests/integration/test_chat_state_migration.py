"""Migration 0005 on every backend: what the old chat tables held is carried over and back.

Updates recorded as processed stay recognised as handled (a late repeat is still dropped), and
a list waiting for its confirmation in the old ``pending_file`` is held under its old id, which
is what the dialog state of its chat names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from bot.state import held_files, inbox
from registry.db import downgrade, upgrade
from registry.uow import Database
from tests.integration.test_migrations import empty  # noqa: F401  (the fixture)


@pytest.fixture
async def at_0004(empty: Database) -> AsyncIterator[Database]:  # noqa: F811
    await upgrade(empty.engine, "0004")
    async with empty.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO processed_update (channel, update_id, at) VALUES "
                "('telegram', '1001', CURRENT_TIMESTAMP), ('zalo', 'message.text:m-1', "
                "CURRENT_TIMESTAMP)"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO pending_file (channel, chat_id, name, content, created_at) "
                "VALUES ('telegram', '7', 'danh-sach.xlsx', :content, CURRENT_TIMESTAMP)"
            ),
            {"content": b"PK list"},
        )
    yield empty


async def test_the_old_chat_tables_are_carried_over_and_back(at_0004: Database) -> None:
    db = at_0004
    await upgrade(db.engine)
    # Both repeats are recognised; nothing is waiting to be handled.
    assert await inbox.store(db.uow(), "telegram", "1001", "7", "7", {}) is None
    assert await inbox.store(db.uow(), "zalo", "message.text:m-1", "u", "u", {}) is None
    assert await inbox.waiting_chats(db.uow(), ["telegram", "zalo"]) == []
    # The waiting list is confirmed with the id its dialog state kept.
    async with db.engine.connect() as connection:
        old_id = await connection.scalar(text("SELECT token FROM held_file"))
    held = await held_files.take(db.uow(), "telegram", "7", str(old_id))
    assert held is not None and (held.name, held.content) == ("danh-sach.xlsx", b"PK list")

    await held_files.hold(db.uow(), "zalo", "u-1", "b.csv", b"a,b")
    await downgrade(db.engine, "0004")
    async with db.engine.connect() as connection:
        processed = await connection.execute(
            text("SELECT channel, update_id FROM processed_update")
        )
        assert sorted(processed.all()) == [
            ("telegram", "1001"),
            ("zalo", "message.text:m-1"),
        ]
        pending = await connection.execute(text("SELECT channel, chat_id, name FROM pending_file"))
        assert pending.all() == [("zalo", "u-1", "b.csv")]
