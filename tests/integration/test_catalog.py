"""The agency catalog on every backend: loading the lists, the 2025 mergers, loose names."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bot.texts import error_text
from registry import catalog, directory, people
from registry.errors import Ambiguous, NotFound, PermissionDenied, ValidationError
from registry.models import ChangeLog
from registry.uow import Database
from tests.integration.conftest import SYSTEM, Cast


async def _changes(db: Database) -> int:
    async with db.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(ChangeLog)) or 0


async def test_2025_list_has_the_agencies_of_the_restructuring(db: Database) -> None:
    result = await catalog.load_edition(db.uow(), SYSTEM, "2025")
    assert result.created == 56
    agencies = await catalog.list_agencies(db.uow())
    kinds = [a.kind for a in agencies]
    assert kinds.count("ministry") == 14
    assert kinds.count("ministerial_agency") == 3
    assert kinds.count("government_agency") == 5
    assert kinds.count("province") + kinds.count("city") == 34
    missing = await directory.missing_agencies(db.uow(), SYSTEM)
    assert len(missing) == 56


async def test_loading_the_same_list_twice_changes_nothing(db: Database) -> None:
    await catalog.load_edition(db.uow(), SYSTEM, "2024")
    first = await _changes(db)
    again = await catalog.load_edition(db.uow(), SYSTEM, "2024")
    assert (again.created, again.updated, again.merged, again.unchanged) == (0, 0, 0, 93)
    assert await _changes(db) == first


async def test_the_2024_list_is_not_loaded_over_2025(db: Database) -> None:
    """It would give today's agencies their old names and bring the merged ones back."""
    await catalog.load_edition(db.uow(), SYSTEM, "2025")
    first = await _changes(db)
    with pytest.raises(ValidationError) as refused:
        await catalog.load_edition(db.uow(), SYSTEM, "2024")
    assert refused.value.code == "agency.older_edition"
    assert error_text("vi", refused.value).startswith("Đã nạp danh mục 2025, mới hơn danh mục 2024")
    assert await _changes(db) == first


async def test_2025_over_2024_merges_and_keeps_people_attached(db: Database) -> None:
    await catalog.load_edition(db.uow(), SYSTEM, "2024")
    registered = await people.register_person(
        db.uow(),
        SYSTEM,
        agency="Yên Bái",
        full_name="Hoàng Thị Mai",
        role="spokesperson",
        mobile="0912 000 111",
    )
    result = await catalog.load_edition(db.uow(), SYSTEM, "2025")
    assert result.merged == 40
    assert result.created == 3  # Bộ NN&MT, Bộ DT&TG, Thành phố Huế
    every = {a.code: a for a in await catalog.list_agencies(db.uow(), include_all=True)}
    yen_bai = every["tinh-yen-bai"]
    assert yen_bai.valid_to == date(2025, 7, 1)
    assert yen_bai.successor_code == "tinh-lao-cai"
    assert every["bo-thong-tin-va-truyen-thong"].successor_code == "bo-khoa-hoc-va-cong-nghe"
    assert every["bo-nong-nghiep-va-moi-truong"].valid_from == date(2025, 3, 1)
    current = await catalog.list_agencies(db.uow())
    assert len(current) == 56
    stale = await directory.list_people(db.uow(), SYSTEM, stale=True)
    assert [p.id for p in stale] == [registered.person.id]
    assert stale[0].agency_code == "tinh-yen-bai"
    # Loading 2025 again is a no-op, mergers included.
    again = await catalog.load_edition(db.uow(), SYSTEM, "2025")
    assert (again.created, again.updated, again.merged) == (0, 0, 0)


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("tinh-lao-cai", "tinh-lao-cai"),
        ("UBND tỉnh Lào Cai", "tinh-lao-cai"),
        ("Lao Cai", "tinh-lao-cai"),
        ("lào cai", "tinh-lao-cai"),
        ("Tỉnh Lào Cai", "tinh-lao-cai"),
        ("TP. Hồ Chí Minh", "tp-ho-chi-minh"),
        ("Thành phố Hồ Chí Minh", "tp-ho-chi-minh"),
        ("UBND TP Hà Nội", "tp-ha-noi"),
        ("Ha Noi", "tp-ha-noi"),
        ("Huế", "tp-hue"),
        ("Bộ TT&TT", "bo-thong-tin-va-truyen-thong"),
        ("Bộ KH&CN", "bo-khoa-hoc-va-cong-nghe"),
        ("Bộ GD&ĐT", "bo-giao-duc-va-dao-tao"),
        ("Bộ LĐ-TB&XH", "bo-lao-dong-thuong-binh-va-xa-hoi"),
        ("bo tai chinh", "bo-tai-chinh"),
        ("NHNN", "ngan-hang-nha-nuoc-viet-nam"),
        ("Văn phòng Chính phủ", "van-phong-chinh-phu"),
        ("Đắk Lắk", "tinh-dak-lak"),
        ("Thừa Thiên Huế", "tinh-thua-thien-hue"),
    ],
)
async def test_agency_written_loosely(db: Database, written: str, code: str) -> None:
    await catalog.load_edition(db.uow(), SYSTEM, "2024")
    await catalog.load_edition(db.uow(), SYSTEM, "2025")
    assert (await catalog.find_agency(db.uow(), written)).code == code


async def test_ambiguous_name_lists_candidates(loaded: Database) -> None:
    with pytest.raises(Ambiguous) as caught:
        await catalog.find_agency(loaded.uow(), "Quảng")
    names = " ".join(caught.value.params["candidates"])
    assert "Tỉnh Quảng Ninh" in names and "Tỉnh Quảng Trị" in names
    assert caught.value.params["count"] >= 3


@pytest.mark.parametrize("written", ["Atlantis", "   ", "!!!", "Bộ Ma thuật", "Ban", "ninh b"])
async def test_unknown_agency(loaded: Database, written: str) -> None:
    with pytest.raises((NotFound, ValidationError)):
        await catalog.find_agency(loaded.uow(), written)


async def test_add_a_department_under_a_province(loaded: Database) -> None:
    added = await catalog.add_agency(
        loaded.uow(),
        SYSTEM,
        name="Sở Văn hóa và Thể thao tỉnh Lào Cai",
        kind="department",
        parent="Lao Cai",
    )
    assert added.parent_code == "tinh-lao-cai"
    assert added.code == "so-van-hoa-va-the-thao-tinh-lao-cai"
    departments = await catalog.list_agencies(loaded.uow(), kind="department")
    assert [a.code for a in departments] == [added.code]
    with pytest.raises(ValidationError) as taken:
        await catalog.add_agency(
            loaded.uow(), SYSTEM, name="Sở Văn hóa và Thể thao tỉnh Lào Cai", kind="department"
        )
    assert taken.value.code == "agency.code_taken"


@pytest.mark.parametrize(
    ("name", "kind", "code", "error"),
    [
        ("", "department", None, "text.empty"),
        ("Sở X", "galaxy", None, "agency.unknown_kind"),
        ("Sở X", "department", "bad code!", "agency.bad_code"),
        ("Sở\u200bX", "department", None, "text.invalid_character"),
    ],
)
async def test_add_agency_rejects_garbage(
    loaded: Database, name: str, kind: str, code: str | None, error: str
) -> None:
    before = await _changes(loaded)
    with pytest.raises(ValidationError) as caught:
        await catalog.add_agency(loaded.uow(), SYSTEM, name=name, kind=kind, code=code)
    assert caught.value.code == error
    assert await _changes(loaded) == before


async def test_only_admins_manage_the_catalog(cast: Cast, loaded: Database) -> None:
    for who in (cast.staff, cast.focal, cast.member):
        with pytest.raises(PermissionDenied):
            await catalog.load_edition(loaded.uow(), who, "2025")
        with pytest.raises(PermissionDenied):
            await catalog.add_agency(loaded.uow(), who, name="Sở Y tế", kind="department")
    added = await catalog.add_agency(loaded.uow(), cast.admin, name="Sở Y tế", kind="department")
    assert added.code == "so-y-te"


async def test_unknown_edition(db: Database) -> None:
    with pytest.raises(ValidationError) as caught:
        await catalog.load_edition(db.uow(), SYSTEM, "2030")
    assert caught.value.code == "agency.unknown_edition"


# --- names of 2024, other names, typos ---------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "former", "current"),
    [
        ("Yên Bái", "Tỉnh Yên Bái", "tinh-lao-cai"),
        ("UBND tỉnh Yên Bái", "Tỉnh Yên Bái", "tinh-lao-cai"),
        (
            "Bộ Thông tin và Truyền thông",
            "Bộ Thông tin và Truyền thông",
            "bo-khoa-hoc-va-cong-nghe",
        ),
        ("Bộ TT&TT", "Bộ Thông tin và Truyền thông", "bo-khoa-hoc-va-cong-nghe"),
        ("BTTTT", "Bộ Thông tin và Truyền thông", "bo-khoa-hoc-va-cong-nghe"),
        ("MIC", "Bộ Thông tin và Truyền thông", "bo-khoa-hoc-va-cong-nghe"),
        ("Thừa Thiên Huế", "Tỉnh Thừa Thiên Huế", "tp-hue"),
        ("Bình Dương", "Tỉnh Bình Dương", "tp-ho-chi-minh"),
        ("tinh-ha-giang", "Tỉnh Hà Giang", "tinh-tuyen-quang"),
    ],
)
async def test_a_name_of_2024_leads_to_todays_agency_with_only_2025_loaded(
    loaded: Database, written: str, former: str, current: str
) -> None:
    async with loaded.uow().reading() as uow:
        agency, notices = await catalog.today_agency(uow.session, written)
        assert agency.code == current
        assert [(n.code, n.params["former"]) for n in notices] == [("agency.merged_into", former)]
        # Anything naming the agency (lists, exports) finds where its people are now.
        assert (await catalog.resolve_agency(uow.session, written)).code == current
        # Registering or importing under the old name is refused, naming the new one.
        with pytest.raises(ValidationError) as caught:
            await catalog.current_agency(uow.session, written)
    assert caught.value.code == "agency.merged"
    assert caught.value.params["agency"] == former


async def test_a_name_of_2024_leads_to_todays_agency_with_both_lists_loaded(db: Database) -> None:
    await catalog.load_edition(db.uow(), SYSTEM, "2024")
    await catalog.load_edition(db.uow(), SYSTEM, "2025")
    async with db.uow().reading() as uow:
        agency, notices = await catalog.today_agency(uow.session, "Yên Bái")
        assert agency.code == "tinh-lao-cai"
        assert notices[0].params["effective"] == "01/07/2025"
        # The merged agency itself is still there for its people's lists.
        assert (await catalog.resolve_agency(uow.session, "Yên Bái")).code == "tinh-yen-bai"
    picked = await catalog.pick_agencies(db.uow(), "Bộ TT&TT")
    assert [a.code for a in picked.agencies] == ["bo-khoa-hoc-va-cong-nghe"]
    assert picked.notices[0].params["successor"] == "Bộ Khoa học và Công nghệ"


async def test_registering_under_a_name_of_2024_names_todays_agency(loaded: Database) -> None:
    result = await people.register_person(
        loaded.uow(),
        SYSTEM,
        agency="Bộ TT&TT",
        full_name="Trần Văn Bình",
        role="spokesperson",
        mobile="0912 000 222",
    )
    assert result.person.agency_name == "Bộ Khoa học và Công nghệ"
    [merged] = [n for n in result.notices if n.code == "agency.merged_into"]
    assert merged.params["successor"] == "Bộ Khoa học và Công nghệ"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("MOF", "bo-tai-chinh"),
        ("Ministry of Finance", "bo-tai-chinh"),
        ("ministry of health", "bo-y-te"),
        ("State Bank of Vietnam", "ngan-hang-nha-nuoc-viet-nam"),
        ("People's Committee of Lào Cai Province", "tinh-lao-cai"),
        ("Lao Cai Provincial People's Committee", "tinh-lao-cai"),
        ("Lào Cai Province", "tinh-lao-cai"),
        ("Ho Chi Minh City", "tp-ho-chi-minh"),
        ("HCMC", "tp-ho-chi-minh"),
        ("TP. HCM", "tp-ho-chi-minh"),
        ("TPHCM", "tp-ho-chi-minh"),
        ("Hanoi", "tp-ha-noi"),
        ("UBND thành phố Đà Nẵng", "tp-da-nang"),
    ],
)
async def test_english_names_and_abbreviations(loaded: Database, written: str, code: str) -> None:
    assert (await catalog.find_agency(loaded.uow(), written)).code == code


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Lao Kai", "tinh-lao-cai"),
        ("Bộ Tài chín", "bo-tai-chinh"),
        ("Ministry of Financ", "bo-tai-chinh"),
        ("Thanh pho Ha Nio", "tp-ha-noi"),
        ("Yen Bay", "tinh-lao-cai"),  # a typo of a name of 2024
    ],
)
async def test_a_typo_gets_the_closest_names_never_a_guess(
    loaded: Database, written: str, expected: str
) -> None:
    with pytest.raises(NotFound) as caught:
        await catalog.find_agency(loaded.uow(), written)
    assert caught.value.code == "agency_name.did_you_mean"
    assert expected in caught.value.params["codes"]
    # A picker offers them (a typed beginning of a name is not a typo, but offered too).
    picked = await catalog.pick_agencies(loaded.uow(), written)
    assert expected in [a.code for a in picked.agencies]
    assert picked.guessed or written in ("Bộ Tài chín", "Ministry of Financ")


@pytest.mark.parametrize("written", ["UBND", "Ủy ban nhân dân", "ubnd tỉnh", "People's Committee"])
async def test_a_peoples_committee_without_its_province_asks_which(
    loaded: Database, written: str
) -> None:
    with pytest.raises(Ambiguous) as caught:
        await catalog.find_agency(loaded.uow(), written)
    assert caught.value.code == "agency_name.which_province"
    with pytest.raises(Ambiguous):
        await catalog.pick_agencies(loaded.uow(), written)


async def test_garbage_gets_no_suggestions(loaded: Database) -> None:
    for written in ("Atlantis", "xyz", "MOX", "1234567"):
        with pytest.raises(NotFound) as caught:
            await catalog.find_agency(loaded.uow(), written)
        assert caught.value.code == "agency.not_found"
        assert (await catalog.pick_agencies(loaded.uow(), written)).agencies == []
