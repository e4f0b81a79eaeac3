"""The unit of work alone and borrowed: a use case inside an open unit commits with its owner.

A chat update opens one unit of work and runs the dialog and the use case in it; the use case
opens the same unit again. Its commit then only releases a savepoint, its failure undoes only its
own writes, and nothing is kept unless the owner commits.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry import people
from registry.errors import Duplicate, ValidationError
from registry.models import ChangeLog, Person
from registry.uow import Database, UnitOfWork
from tests.integration.conftest import Cast


async def _count(db: Database, model: type) -> int:
    async with db.uow().reading() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model)) or 0


async def _register(uow: UnitOfWork, cast: Cast, name: str, mobile: str) -> int:
    result = await people.register_person(
        uow, cast.staff, agency="Lào Cai", full_name=name, role="spokesperson", mobile=mobile
    )
    return result.person.id


async def test_a_borrowed_use_case_is_kept_only_when_the_owner_commits(
    db: Database, cast: Cast
) -> None:
    audit_before = await _count(db, ChangeLog)
    uow = db.uow()
    async with uow:
        await _register(uow, cast, "Nguyễn Văn An", "0912345678")
        assert uow.borrowed is False
        # Inside the owner's transaction the write is visible...
        assert await uow.session.scalar(select(func.count()).select_from(Person)) == 1
        # ...the owner leaves without committing: nothing was kept, not even the audit trail.
    assert await _count(db, Person) == 0
    assert await _count(db, ChangeLog) == audit_before

    async with uow:
        await _register(uow, cast, "Nguyễn Văn An", "0912345678")
        await uow.commit()
    assert await _count(db, Person) == 1


async def test_a_failing_use_case_undoes_only_its_own_writes(db: Database, cast: Cast) -> None:
    uow = db.uow()
    async with uow:
        first = await _register(uow, cast, "Nguyễn Văn An", "0912345678")
        with pytest.raises(Duplicate):
            # Same mobile: refused; the first registration of this unit stays.
            await _register(uow, cast, "Trần Thị Bình", "0912345678")
        with pytest.raises(ValidationError):
            await _register(uow, cast, "Lê Văn Cường", "0913.xxx.xxx")
        second = await _register(uow, cast, "Lê Văn Cường", "0913000111")
        await uow.commit()
    async with db.uow().reading() as reader:
        names = (await reader.session.scalars(select(Person.full_name).order_by(Person.id))).all()
    assert names == ["Nguyễn Văn An", "Lê Văn Cường"]
    assert second > first


async def test_the_unit_can_be_used_again_after_it_closes(db: Database, cast: Cast) -> None:
    uow = db.uow()
    async with uow:
        await _register(uow, cast, "Nguyễn Văn An", "0912345678")
        await uow.commit()
    async with uow.reading():
        assert uow.borrowed is False
        assert await uow.session.scalar(select(func.count()).select_from(Person)) == 1
    async with uow:
        await _register(uow, cast, "Trần Thị Bình", "0912345679")
        await uow.commit()
    assert await _count(db, Person) == 2


async def test_a_write_the_database_refuses_undoes_only_its_own_level(
    db: Database, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A race lost at the write: the unique index, not the use case's check, refuses it. The
    failed flush leaves its savepoint open; it is rolled back and the owner's unit goes on."""

    async def unchecked(*args: object, **kwargs: object) -> None:
        return None

    monkeypatch.setattr(people, "_check_duplicates", unchecked)
    uow = db.uow()
    async with uow:
        await _register(uow, cast, "Nguyễn Văn An", "0912345678")
        with pytest.raises(Duplicate):
            await _register(uow, cast, "Trần Thị Bình", "0912345678")
        await _register(uow, cast, "Lê Văn Cường", "0913000111")
        await uow.commit()
    assert await _count(db, Person) == 2
