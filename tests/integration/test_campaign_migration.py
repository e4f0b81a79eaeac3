"""Migration 0013 on every backend: every person gets a "last confirmed" date, the last change
of the record (or its creation), so nobody is asked to re-confirm on the day of the upgrade
unless their details really are old."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from registry.db import upgrade
from registry.uow import Database
from tests.builders import stored
from tests.integration.test_migrations import empty  # noqa: F401  (the fixture)

CREATED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
UPDATED = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


async def test_confirmed_dates_are_backfilled_from_the_last_change(empty: Database) -> None:  # noqa: F811
    await upgrade(empty.engine, "0009")
    async with empty.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO agency (id, code, name, kind, sort_order, created_at, updated_at) "
                "VALUES (1, 'tinh-lao-cai', 'Tỉnh Lào Cai', 'province', 1, :at, :at)"
            ),
            {"at": CREATED},
        )
        for person_id, updated in ((1, UPDATED), (2, CREATED)):
            await connection.execute(
                text(
                    "INSERT INTO person (id, agency_id, full_name, name_key, role, status, "
                    "source, version, created_at, updated_at) VALUES (:id, 1, :name, :key, "
                    "'spokesperson', 'verified', 'cli', 1, :created, :updated)"
                ),
                {
                    "id": person_id,
                    "name": f"Người {person_id}",
                    "key": f"nguoi {person_id}",
                    "created": CREATED,
                    "updated": updated,
                },
            )
    await upgrade(empty.engine)
    assert (await stored(empty, 1)).confirmed_at == UPDATED
    assert (await stored(empty, 2)).confirmed_at == CREATED
