"""The statement that fetches the people a batch could name, on both backends: the active
person of an agency with a folded name, or the active holder of a mobile, never a retired one;
and every value asked for is answered, however many."""

from __future__ import annotations

from sqlalchemy import select

from registry.models import Person
from registry.people import register_person, retire_person
from registry.roster.intake.wanted import wanted_people
from registry.uow import Database
from tests.integration.conftest import Cast

COLUMNS = (Person.id, Person.agency_id, Person.name_key, Person.mobile)


async def _add(db: Database, cast: Cast, agency: str, name: str, mobile: str) -> int:
    async with db.uow() as uow:
        view = await register_person(
            uow, cast.staff, agency=agency, full_name=name, role="press_contact", mobile=mobile
        )
        await uow.commit()
    return view.person.id


async def _wanted(
    db: Database, keys: set[tuple[int, str]], mobiles: set[str]
) -> list[tuple[object, ...]]:
    async with db.uow().reading() as uow:
        dialect = uow.session.bind.dialect.name
        statement = wanted_people(dialect, COLUMNS, keys, mobiles)
        assert statement is not None
        return [tuple(row) for row in await uow.session.execute(statement)]


async def test_the_active_people_a_batch_names_and_no_one_else(cast: Cast, db: Database) -> None:
    retired = await _add(db, cast, "Lào Cai", "Nguyễn Văn An", "0912000001")
    async with db.uow() as uow:
        await retire_person(uow, cast.staff, retired)
        await uow.commit()
    # The same name in the same agency and the retired one's mobile, held again by others.
    again = await _add(db, cast, "Lào Cai", "Nguyễn Văn An", "0912000002")
    holder = await _add(db, cast, "Bộ Tài chính", "Trần Thị Bình", "0912000001")
    elsewhere = await _add(db, cast, "Bộ Tài chính", "Nguyễn Văn An", "0912000003")
    async with db.uow().reading() as uow:
        lao_cai = await uow.session.scalar(select(Person.agency_id).where(Person.id == again))
        finance = await uow.session.scalar(select(Person.agency_id).where(Person.id == holder))
    assert lao_cai is not None
    found = await _wanted(
        db,
        {(lao_cai, "nguyen van an"), (lao_cai, "no one"), (finance, "tran thi binh")},
        {"+84912000001", "+84999999999"},
    )
    ids = sorted(row[0] for row in found)
    # The Lào Cai An now active, and Bình twice (by name and by the mobile she took over).
    assert ids == sorted([again, holder, holder])
    assert retired not in ids and elsewhere not in ids


async def test_every_value_of_a_full_batch_is_answered(cast: Cast, db: Database) -> None:
    ids = [
        await _add(
            db, cast, "Lào Cai", f"Người Số {chr(0x61 + i)}{chr(0x61 + j)}", f"09130{i:02d}{j:03d}"
        )
        for i in range(3)
        for j in range(20)
    ]
    async with db.uow().reading() as uow:
        rows = (await uow.session.execute(select(*COLUMNS).where(Person.id.in_(ids)))).all()
    keys = {(agency, key) for _, agency, key, _ in rows}
    asked = {(agency, key + " khac") for agency, key in keys}  # as many asked and not held
    found = await _wanted(db, keys | asked, {mobile for *_, mobile in rows})
    assert sorted(row[0] for row in found) == sorted(ids + ids)
