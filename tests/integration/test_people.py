"""Registering, updating, retiring and finding people, on every backend."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry import directory, people
from registry.errors import Conflict, Duplicate, ValidationError
from registry.models import ChangeLog, Person
from registry.uow import Database
from registry.views import PersonResult
from tests.integration.conftest import SYSTEM


async def _register(db: Database, **fields: str) -> PersonResult:
    values = {
        "agency": "Lào Cai",
        "full_name": "Nguyễn Văn An",
        "role": "spokesperson",
        "position": "Chánh Văn phòng UBND tỉnh",
        "mobile": "0912 345 678",
        **fields,
    }
    return await people.register_person(db.uow(), SYSTEM, **values)


async def _count(db: Database, model: type) -> int:
    async with db.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model)) or 0


async def test_register_converts_an_old_mobile_and_says_so(loaded: Database) -> None:
    result = await _register(loaded, mobile="0169.123.4567", email=" An.NV@LaoCai.gov.vn ")
    person = result.person
    assert person.mobile == "+84391234567"
    assert person.email == "an.nv@laocai.gov.vn"
    assert person.status == "verified"
    assert person.agency_code == "tinh-lao-cai"
    assert [n.code for n in result.notices] == ["phone.converted"]
    assert result.notices[0].params["old"] == "01691234567"
    shown = await people.show_person(loaded.uow(), SYSTEM, person.id)
    assert shown.mobile == "+84391234567"


async def test_register_stores_names_in_nfc(loaded: Database) -> None:
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Ho\u0302\u0300ng"
    result = await _register(loaded, full_name=decomposed)
    assert result.person.full_name == "Nguyễn Thị Hồng"


async def test_office_phone_keeps_its_extension(loaded: Database) -> None:
    result = await _register(loaded, office_phone="(0214) 3840 888 máy lẻ 12")
    assert result.person.office_phone == "+842143840888"
    assert result.person.office_ext == "12"


async def test_duplicates_are_refused_and_nothing_is_written(loaded: Database) -> None:
    await _register(loaded)
    before = (await _count(loaded, Person), await _count(loaded, ChangeLog))
    with pytest.raises(Duplicate) as same_name:
        await _register(loaded, full_name="NGUYEN VAN AN", mobile="0988 111 222")
    assert same_name.value.code == "person.duplicate_name"
    with pytest.raises(Duplicate) as same_mobile:
        await _register(
            loaded, full_name="Trần Thị Bình", agency="Hà Nội", mobile="+84 912 345 678"
        )
    assert same_mobile.value.code == "person.duplicate_mobile"
    assert (await _count(loaded, Person), await _count(loaded, ChangeLog)) == before


async def test_same_name_in_another_agency_is_another_person(loaded: Database) -> None:
    await _register(loaded)
    other = await _register(loaded, agency="Hà Nội", mobile="0988 111 222")
    assert other.person.agency_code == "tp-ha-noi"


async def test_a_retired_mobile_can_be_used_again(loaded: Database) -> None:
    first = await _register(loaded)
    await people.retire_person(loaded.uow(), SYSTEM, first.person.id)
    second = await _register(loaded, full_name="Lê Văn Cường")
    assert second.person.mobile == "+84912345678"


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"full_name": "Nguyễn Văn 4n"}, "name.digits", "full_name"),
        ({"full_name": ""}, "name.empty", "full_name"),
        ({"mobile": "0913.xxx.xxx"}, "phone.letters", "mobile"),
        ({"mobile": "1900 1234"}, "phone.premium_or_tollfree", "mobile"),
        ({"mobile": "024 3822 1234"}, "phone.not_mobile", "mobile"),
        ({"email": "an.nv.laocai.gov.vn"}, "email.missing_at", "email"),
        ({"role": "chairman of everything"}, "role.unknown", "role"),
        ({"mobile": "", "email": ""}, "person.no_contact", "mobile"),
        ({"position": "x" * 201}, "text.too_long", "position"),
    ],
)
async def test_register_rejects_bad_input_and_names_the_field(
    loaded: Database, fields: dict[str, str], code: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await _register(loaded, **fields)
    assert caught.value.code == code
    assert caught.value.params["field"] == field
    assert await _count(loaded, Person) == 0


async def test_a_former_agency_name_leads_to_its_successor_with_a_notice(db: Database) -> None:
    from registry import catalog

    await catalog.load_edition(db.uow(), SYSTEM, "2025")  # the 2024 names are known all the same
    result = await _register(db, agency="Bộ TT&TT")
    assert result.person.agency_name == "Bộ Khoa học và Công nghệ"
    [merged] = [n for n in result.notices if n.code == "agency.merged_into"]
    assert merged.params["successor"] == "Bộ Khoa học và Công nghệ"
    assert merged.params["former"] == "Bộ Thông tin và Truyền thông"
    moved = await people.update_field(db.uow(), SYSTEM, result.person.id, "agency", "Yên Bái")
    assert moved.person.agency_name == "Tỉnh Lào Cai"
    assert [n.params["former"] for n in moved.notices] == ["Tỉnh Yên Bái"]


async def test_update_one_field_writes_history(loaded: Database) -> None:
    registered = (await _register(loaded)).person
    updated = await people.update_field(
        loaded.uow(),
        SYSTEM,
        registered.id,
        "mobile",
        "0127 123 4567",
        expected_version=registered.version,
    )
    assert updated.person.mobile == "+84811234567"
    assert updated.person.version == registered.version + 1
    assert updated.notices[0].code == "phone.converted"
    history = await people.person_history(loaded.uow(), SYSTEM, registered.id)
    last = history[-1]
    assert (last.action, last.field, last.old_value, last.new_value) == (
        "update",
        "mobile",
        "+84912345678",
        "+84811234567",
    )
    assert {h.field for h in history if h.action == "create"} >= {"full_name", "mobile", "role"}


async def test_rename_updates_the_search_index(loaded: Database) -> None:
    registered = (await _register(loaded)).person
    await people.update_field(loaded.uow(), SYSTEM, registered.id, "full_name", "Đặng Văn Bình")
    assert (await directory.find_people(loaded.uow(), SYSTEM, "nguyen van an")).items == []
    found = await directory.find_people(loaded.uow(), SYSTEM, "dang van")
    assert [p.full_name for p in found.items] == ["Đặng Văn Bình"]


async def test_a_stale_version_is_a_conflict_and_nothing_is_written(loaded: Database) -> None:
    registered = (await _register(loaded)).person
    await people.update_field(
        loaded.uow(), SYSTEM, registered.id, "position", "Phó Chánh Văn phòng"
    )
    changes = await _count(loaded, ChangeLog)
    with pytest.raises(Conflict) as caught:
        await people.update_field(
            loaded.uow(),
            SYSTEM,
            registered.id,
            "email",
            "an@laocai.gov.vn",
            expected_version=registered.version,
        )
    assert caught.value.code == "person.changed"
    current = await people.show_person(loaded.uow(), SYSTEM, registered.id)
    assert current.email is None
    assert await _count(loaded, ChangeLog) == changes


async def test_same_value_is_not_a_change(loaded: Database) -> None:
    registered = (await _register(loaded)).person
    changes = await _count(loaded, ChangeLog)
    result = await people.update_field(
        loaded.uow(), SYSTEM, registered.id, "mobile", "091.234.5678"
    )
    assert [n.code for n in result.notices] == ["person.unchanged"]
    assert result.person.version == registered.version
    assert await _count(loaded, ChangeLog) == changes


async def test_update_rejects_unknown_fields_and_bad_values(loaded: Database) -> None:
    registered = (await _register(loaded)).person
    with pytest.raises(ValidationError) as unknown:
        await people.update_field(loaded.uow(), SYSTEM, registered.id, "salary", "1")
    assert unknown.value.code == "person.unknown_field"
    with pytest.raises(ValidationError) as bad:
        await people.update_field(loaded.uow(), SYSTEM, registered.id, "email", "=HYPERLINK()")
    assert bad.value.code.startswith("email.")


async def test_move_to_another_agency(loaded: Database) -> None:
    registered = (await _register(loaded)).person
    moved = await people.update_field(loaded.uow(), SYSTEM, registered.id, "agency", "Hà Nội")
    assert moved.person.agency_code == "tp-ha-noi"
    history = await people.person_history(loaded.uow(), SYSTEM, registered.id)
    assert (history[-1].old_value, history[-1].new_value) == ("tinh-lao-cai", "tp-ha-noi")


async def test_retire_keeps_the_record_and_its_trail(loaded: Database) -> None:
    registered = (await _register(loaded)).person
    retired = await people.retire_person(loaded.uow(), SYSTEM, registered.id)
    assert retired.status == "retired"
    assert await directory.list_people(loaded.uow(), SYSTEM) == []
    everyone = await directory.list_people(loaded.uow(), SYSTEM, include_retired=True)
    assert [p.status for p in everyone] == ["retired"]
    history = await people.person_history(loaded.uow(), SYSTEM, registered.id)
    assert history[-1].action == "retire"
    with pytest.raises(ValidationError):
        await people.update_field(loaded.uow(), SYSTEM, registered.id, "position", "Giám đốc")
    missing = await directory.missing_agencies(loaded.uow(), SYSTEM)
    assert "tinh-lao-cai" in {a.code for a in missing}


async def test_find_by_name_ignores_accents_case_and_folds_d(loaded: Database) -> None:
    await _register(loaded)
    await _register(loaded, full_name="Đặng Thị Hồng", mobile="0988 111 222", agency="Hà Nội")
    await _register(loaded, full_name="Nguyễn Thị An Anh", mobile="0988 111 333")
    for query, expected in [
        ("nguyen van an", ["Nguyễn Văn An"]),
        ("Nguyễn Văn", ["Nguyễn Văn An"]),
        ("NGUYEN", ["Nguyễn Thị An Anh", "Nguyễn Văn An"]),
        ("dang", ["Đặng Thị Hồng"]),
        ("Đặng", ["Đặng Thị Hồng"]),
        ("hong", ["Đặng Thị Hồng"]),
        ("thi hong", ["Đặng Thị Hồng"]),
        ("van an", ["Nguyễn Văn An"]),
        ("uyen thi", ["Nguyễn Thị An Anh"]),  # from the middle of a word
        ("khong ai", []),
    ]:
        found = await directory.find_people(loaded.uow(), SYSTEM, query)
        assert sorted(p.full_name for p in found.items) == expected, query
        assert found.query_kind == "name"


async def test_a_name_matching_twice_is_listed_once(loaded: Database) -> None:
    await _register(loaded, full_name="Nguyễn Thị An Anh")
    found = await directory.find_people(loaded.uow(), SYSTEM, "an")
    assert [p.full_name for p in found.items] == ["Nguyễn Thị An Anh"]


async def test_find_by_phone_in_any_written_form_and_by_email(loaded: Database) -> None:
    registered = (
        await _register(loaded, office_phone="024.3822.1234", email="an.nv@laocai.gov.vn")
    ).person
    for query in (
        "0912345678",
        "(+84) 912 345 678",
        "84912345678",
        "091.234.5678",
        "(024) 3822 1234",
        "AN.NV@LAOCAI.GOV.VN",
    ):
        found = await directory.find_people(loaded.uow(), SYSTEM, query)
        assert [p.id for p in found.items] == [registered.id], query
    assert (await directory.find_people(loaded.uow(), SYSTEM, "0912 345 679")).items == []


@pytest.mark.parametrize("query", ["", "   ", "!!!", "0913.xxx.xxx", "a@", "🙂"])
async def test_find_rejects_garbage_with_a_reason(loaded: Database, query: str) -> None:
    with pytest.raises(ValidationError):
        await directory.find_people(loaded.uow(), SYSTEM, query)


async def test_find_pages(loaded: Database) -> None:
    for i, given in enumerate(["An", "Bình", "Cường", "Dũng", "Giang"]):
        await _register(loaded, full_name=f"Trần Văn {given}", mobile=f"0988 111 {200 + i}")
    first = await directory.find_people(loaded.uow(), SYSTEM, "tran van", limit=2)
    second = await directory.find_people(loaded.uow(), SYSTEM, "tran van", limit=2, offset=2)
    third = await directory.find_people(loaded.uow(), SYSTEM, "tran van", limit=2, offset=4)
    assert [p.full_name for p in first.items] == ["Trần Văn An", "Trần Văn Bình"]
    assert [p.full_name for p in second.items] == ["Trần Văn Cường", "Trần Văn Dũng"]
    assert [p.full_name for p in third.items] == ["Trần Văn Giang"]
    assert (first.has_more, second.has_more, third.has_more) == (True, True, False)


async def test_list_by_agency_in_role_order(loaded: Database) -> None:
    await _register(loaded, full_name="Lê Thị Cán Bộ", role="press_contact", mobile="0988 111 001")
    await _register(loaded, full_name="Phạm Văn Chủ Tịch", role="head", mobile="0988 111 002")
    await _register(loaded)
    listed = await directory.list_people(loaded.uow(), SYSTEM, agency="Lào Cai")
    assert [p.role for p in listed] == ["head", "spokesperson", "press_contact"]


async def test_missing_and_statistics(loaded: Database) -> None:
    await _register(loaded)
    await _register(
        loaded,
        full_name="Vũ Thị Lan",
        agency="Bộ Tài chính",
        mobile="0988 111 003",
        role="press_contact",
    )
    retired = await _register(
        loaded, full_name="Bùi Văn Nam", agency="Hà Nội", mobile="0988 111 004"
    )
    await people.retire_person(loaded.uow(), SYSTEM, retired.person.id)
    missing = await directory.missing_agencies(loaded.uow(), SYSTEM)
    assert len(missing) == 54
    assert "tp-ha-noi" in {a.code for a in missing}
    cities = await directory.missing_agencies(loaded.uow(), SYSTEM, kind="city")
    assert cities[0].code == "tp-ha-noi"
    stats = await directory.statistics(loaded.uow(), SYSTEM)
    by_kind = {k.kind: (k.answered, k.total) for k in stats.agencies}
    assert by_kind["ministry"] == (1, 14)
    assert by_kind["province"] == (1, 28)
    assert by_kind["city"] == (0, 6)
    assert stats.by_role["spokesperson"] == 1
    assert stats.by_role["press_contact"] == 1
    assert stats.by_status == {"pending": 0, "verified": 2, "retired": 1}
