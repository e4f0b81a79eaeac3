"""Two people editing one record at the same moment: exactly one wins, on every backend."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text

from registry import catalog, directory, people
from registry.errors import Conflict, Duplicate
from registry.models import ChangeLog
from registry.uow import Database
from tests.integration.conftest import SYSTEM


async def test_two_updates_with_the_same_version_one_wins(loaded: Database) -> None:
    registered = (
        await people.register_person(
            loaded.uow(),
            SYSTEM,
            agency="Lào Cai",
            full_name="Nguyễn Văn An",
            role="spokesperson",
            mobile="0912 345 678",
        )
    ).person
    # Two processes' worth of connections: each update runs in its own session.
    outcomes = await asyncio.gather(
        people.update_field(
            loaded.uow(),
            SYSTEM,
            registered.id,
            "position",
            "Giám đốc Sở",
            expected_version=registered.version,
        ),
        people.update_field(
            loaded.uow(),
            SYSTEM,
            registered.id,
            "position",
            "Phó Giám đốc Sở",
            expected_version=registered.version,
        ),
        return_exceptions=True,
    )
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1 and isinstance(losers[0], Conflict), outcomes
    assert losers[0].code == "person.changed"
    current = await people.show_person(loaded.uow(), SYSTEM, registered.id)
    assert current.position == winners[0].person.position
    assert current.version == registered.version + 1
    async with loaded.uow() as uow:
        updates = (
            await uow.session.scalars(
                select(ChangeLog).where(
                    ChangeLog.entity == "person",
                    ChangeLog.entity_id == registered.id,
                    ChangeLog.action == "update",
                )
            )
        ).all()
        assert [u.new_value for u in updates] == [current.position]


@pytest.mark.parametrize("attempts", [4])
async def test_racing_registrations_of_one_mobile(loaded: Database, attempts: int) -> None:
    """The unique index settles a race the duplicate check cannot see."""
    outcomes = await asyncio.gather(
        *(
            people.register_person(
                loaded.uow(),
                SYSTEM,
                agency="Hà Nội",
                full_name=name,
                role="press_contact",
                mobile="0988 765 432",
            )
            for name in ("Trần Văn Một", "Trần Văn Hai", "Trần Văn Ba", "Trần Văn Bốn")[:attempts]
        ),
        return_exceptions=True,
    )
    created = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(created) == 1, outcomes
    assert all(isinstance(r, Duplicate) and r.code == "person.duplicate_mobile" for r in refused)


async def test_searches_do_not_wait_for_a_writer(loaded: Database, database_url: str) -> None:
    """A long write (an import, say) in one process must not block searches in another."""
    impatient = Database(database_url, busy_timeout_ms=200)
    try:
        async with loaded.engine.connect() as writer:
            await writer.begin()
            await writer.execute(text("UPDATE agency SET sort_order = sort_order + 1"))
            found = await directory.find_people(impatient.uow(), SYSTEM, "nguyen")
            assert found.items == []
            listed = await catalog.list_agencies(impatient.uow())
            assert len(listed) == 56
            await writer.rollback()
    finally:
        await impatient.dispose()
