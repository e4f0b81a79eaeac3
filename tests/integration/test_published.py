"""What the published directory shows: verified people only, public fields only, the mobile
only with the person's consent, retired people gone at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry import people, published
from registry.errors import NotFound, PermissionDenied
from registry.models import ChangeLog
from registry.uow import Database
from tests.builders import SYSTEM, grant, listed, registered, with_catalog

MOBILE = "+84912345678"


@pytest.fixture
async def loaded(db: Database) -> Database:
    return await with_catalog(db)


async def test_only_verified_people_are_published(loaded: Database) -> None:
    db = loaded
    verified = await listed(db, full_name="Nguyễn Văn An", email="an@laocai.gov.vn")
    pending = await registered(db, "telegram:50", full_name="Trần Thị Bình", mobile="0988 111 222")
    retired = await listed(db, full_name="Lê Văn Cường", mobile="0988 111 333")
    await people.retire_person(db.uow(), SYSTEM, retired.id)

    agency, shown = await published.agency_people(db.uow(), verified.agency_code)
    assert [p.full_name for p in shown] == ["Nguyễn Văn An"]
    assert agency.people == 1
    for query in ("binh", "cuong", "tran"):
        assert await published.search(db.uow(), query) == []
    for hidden in (pending, retired.id):
        with pytest.raises(NotFound):
            await published.person(db.uow(), hidden)
    assert [p.full_name for p in await published.everyone(db.uow())] == ["Nguyễn Văn An"]


async def test_retiring_hides_a_person_at_once(loaded: Database) -> None:
    db = loaded
    an = await listed(db)
    assert [p.id for p in await published.search(db.uow(), "an")] == [an.id]
    await people.retire_person(db.uow(), SYSTEM, an.id)
    assert await published.search(db.uow(), "an") == []
    _, shown = await published.agency_people(db.uow(), an.agency_code)
    assert shown == []


async def test_search_ignores_accents_case_and_d(loaded: Database) -> None:
    db = loaded
    dang = await listed(db, full_name="Đặng Thị Hồng", mobile="0988 111 444")
    for query in ("dang", "ĐẶNG", "Đặng Thị", "hong", "  DANG  thi "):
        assert [p.id for p in await published.search(db.uow(), query)] == [dang.id], query
    # An agency's name finds its people.
    assert [p.id for p in await published.search(db.uow(), "lao cai")] == [dang.id]
    assert [p.id for p in await published.search(db.uow(), "LÀO")] == [dang.id]
    assert await published.search(db.uow(), "ao cai") == []  # not from the middle of a word
    assert await published.search(db.uow(), "") == []


async def test_mobile_only_with_consent_and_withdrawable(loaded: Database) -> None:
    db = loaded
    await grant(db, "telegram:60", "member")
    person_id = await registered(db, "telegram:60", mobile="0912 345 678")
    await people.verify_person(db.uow(), SYSTEM, person_id)
    assert (await published.person(db.uow(), person_id)).mobile is None  # default: no

    from tests.builders import actor_of

    me = await actor_of(db, "telegram:60")
    assert await published.set_publish_mobile(db.uow(), me, person_id, True)
    assert (await published.person(db.uow(), person_id)).mobile == MOBILE
    assert await published.set_publish_mobile(db.uow(), me, person_id, False)
    assert (await published.person(db.uow(), person_id)).mobile is None
    async with db.uow() as uow:
        logged = (
            await uow.session.execute(
                select(ChangeLog.action, ChangeLog.new_value, ChangeLog.at)
                .where(ChangeLog.entity_id == person_id, ChangeLog.field == "publish_mobile")
                .order_by(ChangeLog.id)
            )
        ).all()
    assert [(a, v) for a, v, _ in logged] == [("consent", "True"), ("consent", "False")]
    assert all(at is not None for _, _, at in logged)


async def test_only_the_person_answers_for_their_mobile(loaded: Database) -> None:
    db = loaded
    await grant(db, "telegram:2", "staff")
    from tests.builders import actor_of

    staff = await actor_of(db, "telegram:2")
    an = await listed(db)
    with pytest.raises(PermissionDenied):
        await published.set_publish_mobile(db.uow(), staff, an.id, True)
    assert (await published.person(db.uow(), an.id)).mobile is None


async def test_consent_given_at_registration(loaded: Database) -> None:
    db = loaded
    person_id = await registered(db, "telegram:61", mobile="0912 345 678", publish_mobile=True)
    await people.verify_person(db.uow(), SYSTEM, person_id)
    assert (await published.person(db.uow(), person_id)).mobile == MOBILE
