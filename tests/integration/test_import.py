"""Importing agencies' lists into the registry, on every backend, and the report of it."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.import_report import report_xlsx, row_reason, summary_lines
from bot.texts import LANGUAGES
from registry import catalog, people
from registry.errors import NotFound, PermissionDenied, ValidationError
from registry.models import Agency, ChangeLog, NameWord, Person, Source
from registry.roster.intake import importer
from registry.roster.intake.importer import ImportResult, Outcome, RowResult, import_roster
from registry.roster.intake.reader import Limits
from registry.uow import Database
from tests.integration.conftest import SYSTEM, Cast
from tests.roster_files import (
    corrupt_xlsx,
    csv_bytes,
    encrypted_workbook,
    messy_xlsx,
    png,
    province_csv,
    province_xlsx,
    random_bytes,
    xlsx,
    zip_bomb,
)

HEADER = ("STT", "Cơ quan, đơn vị", "Họ và tên", "Chức vụ", "Vai trò", "Điện thoại", "Email")


async def _count(db: Database, model: type) -> int:
    """What is committed (read beside any unit of work still open, without waiting for it)."""
    async with db.uow().reading() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model)) or 0


async def _state(db: Database) -> tuple[int, int, int]:
    return (await _count(db, Person), await _count(db, ChangeLog), await _count(db, NameWord))


def _by_row(result: ImportResult) -> dict[int, RowResult]:
    return {row.row.number: row for row in result.rows}


def _outcomes(result: ImportResult) -> dict[int, tuple[Outcome, tuple[str, ...]]]:
    return {
        row.row.number: (row.outcome, tuple(p.code for p in row.problems)) for row in result.rows
    }


async def _person(db: Database, name_key: str) -> Person:
    async with db.uow() as uow:
        person = await uow.session.scalar(select(Person).where(Person.name_key == name_key))
        assert person is not None, name_key
        uow.session.expunge(person)  # keeps the values the rollback on leaving would expire
        return person


# --- the messy list --------------------------------------------------------------------------


# What becomes of each row of the messy list in an empty directory.
MESSY_OUTCOMES = {
    8: (Outcome.skipped, ("import.example_row",)),
    9: (Outcome.created, ()),
    11: (Outcome.error, ("email.bad_domain",)),
    12: (Outcome.error, ("email.bad_domain",)),
    13: (Outcome.error, ("agency.not_found",)),
    15: (Outcome.unchanged, ()),
    16: (Outcome.error, ("name.invalid_character",)),
    17: (Outcome.created, ()),
}


async def test_a_messy_list_imports_row_by_row(cast: Cast, db: Database) -> None:
    result = await import_roster(db.uow(), cast.staff, messy_xlsx())
    assert _outcomes(result) == MESSY_OUTCOMES
    rows = _by_row(result)
    assert rows[15].duplicate_of == 9
    assert rows[15].person_id == rows[9].person_id
    # The problem names its column: the agency's own header is shown in the reason.
    assert rows[13].problems[0].column == "agency"
    assert rows[11].problems[0].column == "email"
    assert row_reason("vi", result, rows[11]).startswith("E-mail: ")
    assert row_reason("vi", result, rows[13]).startswith("Đơn vị: Không tìm thấy cơ quan")
    assert "(=)" in row_reason("vi", result, rows[16])
    assert "(=)" in row_reason("en", result, rows[16])

    an = await _person(db, "nguyen van an")
    # Two numbers in one cell: the mobile (an old 11-digit one, converted) and the landline.
    assert (an.mobile, an.office_phone) == ("+84391234567", "+842143840888")
    assert an.email == "an.nv@laocai.gov.vn"
    assert an.source is Source.import_
    assert an.role.value == "spokesperson"  # from the position, and the reason says so
    reason = row_reason("vi", result, rows[9])
    assert "01691234567" in reason and "0391 234 567" in reason
    assert "Người phát ngôn" in reason
    assert "0391 234 567" in row_reason("en", result, rows[9])
    hai = await _person(db, "pham minh hai")
    assert hai.role.value == "press_contact"
    assert await _count(db, Person) == 2


async def test_importing_the_same_file_twice_changes_nothing(cast: Cast, db: Database) -> None:
    first = await import_roster(db.uow(), cast.staff, messy_xlsx())
    before = await _state(db)
    second = await import_roster(db.uow(), cast.staff, messy_xlsx())
    assert await _state(db) == before
    assert second.count(Outcome.created) == second.count(Outcome.updated) == 0
    assert second.count(Outcome.unchanged) == first.count(Outcome.created) + 1
    assert second.count(Outcome.error) == first.count(Outcome.error)


async def test_a_dry_run_writes_nothing_and_says_what_a_real_run_does(
    cast: Cast, db: Database
) -> None:
    before = await _state(db)
    dry = await import_roster(db.uow(), cast.staff, messy_xlsx(), dry_run=True)
    assert await _state(db) == before
    assert dry.dry_run
    real = await import_roster(db.uow(), cast.staff, messy_xlsx())
    assert _outcomes(dry) == _outcomes(real)
    # A dry run has no id to show for someone it would create.
    assert [row.person_id for row in dry.rows if row.outcome is Outcome.created] == [None, None]
    assert "Sẽ được thêm" in row_reason("vi", dry, _by_row(dry)[9])
    assert any("chạy thử" in line for line in summary_lines("vi", dry))


async def test_the_change_log_shows_who_imported_what(cast: Cast, db: Database) -> None:
    await import_roster(db.uow(), cast.staff, messy_xlsx())
    an = await _person(db, "nguyen van an")
    history = await people.person_history(db.uow(), cast.staff, an.id)
    assert {entry.actor for entry in history} == {"telegram:2"}
    assert {entry.field for entry in history} >= {"full_name", "mobile", "office_phone", "email"}


# --- updates ---------------------------------------------------------------------------------


async def _register_an(db: Database) -> int:
    result = await people.register_person(
        db.uow(),
        SYSTEM,
        agency="Lào Cai",
        full_name="Nguyễn Văn An",
        role="spokesperson",
        position="Phó Chánh Văn phòng",
        mobile="0912 345 678",
        note="Đầu mối từ 2024",
    )
    return result.person.id


async def test_an_update_changes_only_the_fields_that_differ(cast: Cast, db: Database) -> None:
    person_id = await _register_an(db)
    data = xlsx(
        [
            HEADER,
            (1, "UBND tỉnh Lào Cai", "Nguyễn Văn An", "Chánh Văn phòng", "", "0912.345.678",
             "an.nv@laocai.gov.vn"),
        ]
    )  # fmt: skip
    result = await import_roster(db.uow(), cast.staff, data)
    (row,) = result.rows
    assert (row.outcome, row.person_id, row.changed) == (
        Outcome.updated,
        person_id,
        ("position", "email"),
    )
    view = await people.show_person(db.uow(), SYSTEM, person_id)
    # Empty cells (role, note) leave the record as it was.
    assert (view.position, view.email, view.role, view.note) == (
        "Chánh Văn phòng",
        "an.nv@laocai.gov.vn",
        "spokesperson",
        "Đầu mối từ 2024",
    )
    history = await people.person_history(db.uow(), SYSTEM, person_id)
    updates = [(e.actor, e.field) for e in history if e.action == "update"]
    assert updates == [("telegram:2", "position"), ("telegram:2", "email")]
    assert "Chức vụ, Email" in row_reason("vi", result, row)
    again = await import_roster(db.uow(), cast.staff, data)
    assert again.rows[0].outcome is Outcome.unchanged


async def test_a_person_is_found_by_mobile_and_a_name_without_accents_is_not_taken(
    cast: Cast, db: Database
) -> None:
    person_id = await _register_an(db)
    data = xlsx([HEADER, (1, "Hà Nội", "Nguyen Van An", "", "", "0912345678", "")])
    result = await import_roster(db.uow(), cast.staff, data)
    (row,) = result.rows
    # Same mobile: the same person, who moved to Hà Nội; the accented name is kept.
    assert (row.outcome, row.person_id, row.changed) == (Outcome.updated, person_id, ("agency",))
    view = await people.show_person(db.uow(), SYSTEM, person_id)
    assert (view.full_name, view.agency_code) == ("Nguyễn Văn An", "tp-ha-noi")


async def test_a_row_that_fails_half_way_changes_nothing(cast: Cast, db: Database) -> None:
    person_id = await _register_an(db)
    await people.register_person(
        db.uow(), SYSTEM, agency="Hà Nội", full_name="Trần Thị Bình", role="press_contact",
        mobile="0987 654 321",
    )  # fmt: skip
    # New position (fine), then Bình's mobile (taken): the whole row is rolled back.
    data = xlsx([HEADER, (1, "Lào Cai", "Nguyễn Văn An", "Chánh Văn phòng", "", "0987654321", "")])
    before = await _state(db)
    result = await import_roster(db.uow(), cast.staff, data)
    (row,) = result.rows
    assert (row.outcome, [p.code for p in row.problems]) == (
        Outcome.error,
        ["person.duplicate_mobile"],
    )
    assert row.problems[0].column == "mobile"
    assert await _state(db) == before
    view = await people.show_person(db.uow(), SYSTEM, person_id)
    assert view.position == "Phó Chánh Văn phòng"


@pytest.mark.parametrize("borrowed", [False, True], ids=["own", "borrowed"])
async def test_a_lost_race_fails_one_row_and_the_import_goes_on(
    cast: Cast, db: Database, monkeypatch: pytest.MonkeyPatch, borrowed: bool
) -> None:
    """Another process registering the same mobile between the checks and the write: the unique
    index refuses the row, its savepoint is rolled back alone, the rows around it are kept."""
    await _register_an(db)  # 0912 345 678

    async def unseen(*args: object, **kwargs: object) -> None:
        return None

    # Neither the import's match nor the use case's check sees An: the race is lost at the write.
    monkeypatch.setattr(importer._Run, "_match", unseen)
    monkeypatch.setattr(people, "_check_duplicates", unseen)
    data = xlsx(
        [
            HEADER,
            (1, "Hà Nội", "Lê Văn Bảo", "", "", "0912 345 679", ""),
            (2, "Hà Nội", "Trần Văn Cư", "", "", "0912 345 678", ""),
            (3, "Hà Nội", "Đỗ Thị Dung", "", "", "0912 345 670", ""),
        ]
    )
    if borrowed:
        async with db.uow() as uow:
            result = await import_roster(uow, cast.staff, data)
            await uow.commit()
    else:
        result = await import_roster(db.uow(), cast.staff, data)
    assert _outcomes(result) == {
        2: (Outcome.created, ()),
        3: (Outcome.error, ("person.duplicate_mobile",)),
        4: (Outcome.created, ()),
    }
    assert await _count(db, Person) == 3
    assert await _count(db, NameWord) == 3 + 3 + 3  # every word-suffix of three names


async def test_duplicate_rows_never_make_two_people(cast: Cast, db: Database) -> None:
    data = xlsx(
        [
            HEADER,
            (1, "Lào Cai", "Nguyễn Văn An", "Chánh Văn phòng", "", "0912 345 678", ""),
            (2, "Tỉnh Lào Cai", "NGUYỄN VĂN AN", "Chánh Văn phòng", "", "0912.345.678", ""),
            (3, "Lào Cai", "Nguyễn Văn An", "Chánh Văn phòng", "", "0912 345 999", ""),
            (4, "Hà Nội", "Lê Văn Bảo", "", "", "0912 345 678", ""),
        ]
    )
    for _ in range(2):
        result = await import_roster(db.uow(), cast.staff, data)
        outcomes = _outcomes(result)
        assert outcomes[3] == (Outcome.unchanged, ())
        assert outcomes[4] == outcomes[5] == (Outcome.error, ("import.duplicate_row",))
        assert _by_row(result)[4].problems[0].params == {"row": 2}
        assert await _count(db, Person) == 1


# --- the agency of the file, and who may import --------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: province_xlsx(),
        lambda: province_xlsx(("ỦY BAN NHÂN DÂN", "TỈNH LÀO CAI", "VĂN PHÒNG")),
        lambda: province_xlsx(("UBND TỈNH YÊN BÁI",)),  # the name before the 2025 merger
        lambda: province_csv(),
    ],
    ids=["xlsx", "two-line-letterhead", "former-name", "csv"],
)
async def test_a_province_list_takes_its_agency_from_the_letterhead(
    cast: Cast, db: Database, make: Callable[[], bytes]
) -> None:
    result = await import_roster(db.uow(), cast.staff, make())
    assert result.agency is not None and result.agency.code == "tinh-lao-cai"
    assert result.agency_from == "letterhead"
    assert result.count(Outcome.created) == 3 and result.count(Outcome.error) == 1
    (error,) = [row for row in result.rows if row.outcome is Outcome.error]
    assert error.row.get("full_name") == "Giàng A Páo"
    # The letter's closing block (date, "Nơi nhận:", the signer) is neither a row nor an error.
    assert len(result.rows) == 4 and result.table.ended_at is not None
    assert (await _person(db, "hoang van son")).source == Source.import_


async def test_a_letterhead_naming_no_single_agency_leaves_the_question_open(
    cast: Cast, db: Database
) -> None:
    for letterhead in [("ỦY BAN NHÂN DÂN",), ("UBND TỈNH LÀO CAI", "UBND THÀNH PHỐ HÀ NỘI")]:
        with pytest.raises(ValidationError) as caught:
            await import_roster(db.uow(), cast.staff, province_xlsx(letterhead), dry_run=True)
        assert caught.value.code == "import.agency_needed"
        # A focal point's own agency is the default.
        result = await import_roster(db.uow(), cast.focal, province_xlsx(letterhead), dry_run=True)
        assert result.agency is not None and result.agency.code == "tinh-lao-cai"
        assert result.agency_from == "own" and result.count(Outcome.created) == 3
    # The agency given wins over the letterhead.
    given = await import_roster(
        db.uow(), cast.staff, province_xlsx(("ỦY BAN NHÂN DÂN",)), dry_run=True, agency="Lào Cai"
    )
    assert given.agency_from == "given"


async def test_a_letterhead_is_not_the_agency_of_a_list_with_an_agency_column(
    cast: Cast, db: Database
) -> None:
    # The Press Department's compiled list under its own letterhead: a row without an agency
    # cell is an error to fix, not the letterhead's agency.
    data = xlsx(
        [
            ("BỘ TÀI CHÍNH",),
            (),
            HEADER,
            (1, "Lào Cai", "Nguyễn Văn An", "Chánh Văn phòng", "", "0912 345 678", ""),
            (2, "", "Trần Thị Bình", "Chuyên viên", "", "0912 345 679", ""),
        ]
    )
    result = await import_roster(db.uow(), cast.staff, data, dry_run=True)
    assert result.agency is None and result.agency_from is None
    assert _outcomes(result)[5] == (Outcome.error, ("import.agency_missing",))


async def test_a_focal_point_sending_another_agencys_list_is_told_once(
    cast: Cast, db: Database
) -> None:
    before = await _state(db)
    with pytest.raises(PermissionDenied) as caught:
        await import_roster(db.uow(), cast.other_focal, province_xlsx())
    assert caught.value.code == "import_letterhead.other_agency"
    assert caught.value.params["agency"] == "Tỉnh Lào Cai"
    assert await _state(db) == before


async def test_a_person_titled_chu_tich_without_a_number_does_not_end_the_table(
    cast: Cast, db: Database
) -> None:
    rows = [
        ("Hoàng Văn Sơn", "Chủ tịch", "", ""),  # no STT, no contact: looks like a signer
        ("Lò Thị Mai", "Phó Chánh Văn phòng", "0913 222 333", "mai.lt@laocai.gov.vn"),
    ]
    result = await import_roster(db.uow(), cast.staff, province_xlsx(rows=rows), dry_run=True)
    assert [row.row.number for row in result.rows] == [7, 8]
    assert result.table.ended_at == 12


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_summary_names_rows_and_people_and_labels_counts(
    cast: Cast, db: Database, language: str
) -> None:
    result = await import_roster(db.uow(), cast.staff, province_xlsx(), dry_run=True)
    text = "\n".join(summary_lines(language, result, file_name="ds.xlsx"))
    if language == "vi":
        assert "1 dòng lỗi: dòng 9" in text
        assert "Sẽ thêm 3 người: Hoàng Văn Sơn (dòng 7); Lò Thị Mai (dòng 8)" in text
        assert "(theo tiêu đề văn bản)" in text and "Bảng kết thúc ở dòng 12" in text
        assert "Thêm mới 3, cập nhật 0, không đổi 0, lỗi 1, bỏ qua 0 (số dòng)." in text
    else:
        assert "1 row with this error: rows 9" in text
        assert "Would add (3): Hoàng Văn Sơn (row 7)" in text
        assert "The table ends at row 12" in text
    assert "• 1 " not in text and "--" not in text


async def test_a_file_of_one_agency_with_agency_given(cast: Cast, db: Database) -> None:
    data = xlsx(
        [
            ("Họ và tên", "Chức danh", "SĐT", "Thư điện tử"),
            ("Nguyễn Văn An", "Chánh Văn phòng", "0912 345 678", "an@laocai.gov.vn"),
            ("Trần Thị Bình", "Chuyên viên", "0912 345 679", "binh@laocai.gov.vn"),
        ]
    )
    before = await _state(db)
    with pytest.raises(ValidationError) as caught:
        await import_roster(db.uow(), cast.staff, data)
    assert caught.value.code == "import.agency_needed"
    assert await _state(db) == before
    result = await import_roster(db.uow(), cast.staff, data, agency="UBND tỉnh Lào Cai")
    assert result.agency is not None and result.agency.code == "tinh-lao-cai"
    assert result.count(Outcome.created) == 2
    with pytest.raises(NotFound) as unknown:
        await import_roster(db.uow(), cast.staff, data, agency="Tỉnh Atlantis")
    assert unknown.value.code == "agency.not_found"


async def test_a_focal_point_imports_only_its_own_agency(cast: Cast, db: Database) -> None:
    data = xlsx(
        [
            HEADER,
            (1, "Lào Cai", "Nguyễn Văn An", "", "", "0912 345 678", ""),
            (2, "Hà Nội", "Trần Thị Bình", "", "", "0912 345 679", ""),
            (3, "", "Lê Văn Cường", "", "", "0912 345 670", ""),
        ]
    )
    result = await import_roster(db.uow(), cast.focal, data)
    outcomes = _outcomes(result)
    assert outcomes[2] == outcomes[4] == (Outcome.created, ())
    assert outcomes[3] == (Outcome.error, ("import.other_agency",))
    reason = row_reason("vi", result, _by_row(result)[3])
    assert "Tỉnh Lào Cai" in reason and "Thành phố Hà Nội" in reason
    cuong = await _person(db, "le van cuong")
    assert cuong.agency_id == cast.focal.agency_id  # the focal point's agency by default
    with pytest.raises(PermissionDenied):
        await import_roster(db.uow(), cast.focal, data, agency="Hà Nội")
    for outsider in (cast.member, cast.other_member):
        with pytest.raises(PermissionDenied):
            await import_roster(db.uow(), outsider, data)


async def test_template_rows_never_filled_in_and_headings_are_left_out(
    cast: Cast, db: Database
) -> None:
    data = xlsx(
        [
            HEADER,
            ("Ví dụ", "Tỉnh Lào Cai", "Nguyễn Văn A", "Chánh Văn phòng", "Người phát ngôn",
             "0912 345 678", "a@laocai.gov.vn"),
            ("I. Bộ, cơ quan ngang bộ",),
            (1, "Tỉnh Lào Cai", "Trần Thị Bình", "", "", "0912 345 679", ""),
            (2, "Tỉnh Lào Cai"),
            (3, "Tỉnh Lào Cai"),
        ]
    )  # fmt: skip
    result = await import_roster(db.uow(), cast.focal, data)
    assert _outcomes(result) == {
        2: (Outcome.skipped, ("import.example_row",)),
        4: (Outcome.created, ()),
    }


async def test_an_ambiguous_agency_is_an_error_on_its_column(cast: Cast, db: Database) -> None:
    data = xlsx([HEADER, (1, "Thanh", "Hoàng Văn Em", "", "", "0912 345 678", "")])
    result = await import_roster(db.uow(), cast.staff, data)
    (row,) = result.rows
    assert [(p.code, p.column) for p in row.problems] == [("agency.ambiguous", "agency")]
    reason = row_reason("vi", result, row)
    assert reason.startswith("Cơ quan, đơn vị: “Thanh” khớp với")
    assert "Thanh tra Chính phủ" in reason
    assert await _count(db, Person) == 0


@pytest.mark.parametrize("editions", [("2024", "2025"), ("2025",)])
async def test_a_row_naming_an_agency_merged_in_2025_lands_in_its_successor(
    db: Database, editions: tuple[str, ...]
) -> None:
    """A list written before the mergers: its rows go to today's agency, and the report and
    the summary say so, even when only the 2025 edition is loaded."""
    for edition in editions:
        await catalog.load_edition(db.uow(), SYSTEM, edition)
    data = xlsx(
        [
            HEADER,
            (1, "Tỉnh Yên Bái", "Hoàng Văn Em", "", "", "0912 345 678", ""),
            (2, "UBND tỉnh Lào Cai", "Lò Thị Hoa", "", "", "0912 345 679", ""),
        ]
    )
    result = await import_roster(db.uow(), SYSTEM, data)
    first, second = result.rows
    assert (first.outcome, second.outcome) == (Outcome.created, Outcome.created)
    assert "agency.merged_into" in [n.code for n in first.notices]
    assert "agency.merged_into" not in [n.code for n in second.notices]
    assert "Tỉnh Yên Bái đã hợp nhất vào Tỉnh Lào Cai" in row_reason("vi", result, first)
    assert "Tỉnh Yên Bái merged into Tỉnh Lào Cai" in row_reason("en", result, first)
    assert any(
        line.startswith("Tỉnh Yên Bái đã hợp nhất vào Tỉnh Lào Cai: dòng 2 ")
        for line in summary_lines("vi", result)
    )
    async with db.uow().reading() as uow:
        agencies = (
            await uow.session.execute(
                select(Person.full_name, Agency.name).join(Agency, Person.agency_id == Agency.id)
            )
        ).all()
    assert sorted(agencies) == [("Hoàng Văn Em", "Tỉnh Lào Cai"), ("Lò Thị Hoa", "Tỉnh Lào Cai")]


async def test_rows_are_committed_in_batches_and_reimport_still_changes_nothing(
    loaded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "COMMIT_ROWS", 3)
    rows = [HEADER] + [
        (i, "Lào Cai", f"Người Số {name}", "", "", f"0912 345 {i:03d}", "")
        for i, name in enumerate(("An", "Bình", "Cường", "Dung", "Em", "Giang", "Hà", "Khoa"))
    ]
    rows.append((99, "Lào Cai", "Người Số An", "", "", "0912 345 998", ""))  # conflicts with row 2
    data = csv_bytes(rows, delimiter=";")
    first = await import_roster(loaded.uow(), SYSTEM, data)
    assert first.count(Outcome.created) == 8
    assert first.count(Outcome.error) == 1
    before = await _state(loaded)
    second = await import_roster(loaded.uow(), SYSTEM, data)
    assert second.count(Outcome.unchanged) == 8
    assert await _state(loaded) == before


# --- inside a unit of work the caller holds open (a chat update) -----------------------------


async def test_an_import_in_an_open_unit_of_work_is_kept_only_when_its_owner_commits(
    cast: Cast, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "COMMIT_ROWS", 1)  # a run of its own would commit every row
    before = await _state(db)
    async with db.uow() as uow:
        result = await import_roster(uow, cast.staff, messy_xlsx())
        assert _outcomes(result) == MESSY_OUTCOMES
        assert await _state(db) == before  # nothing is committed behind the owner's back
    assert await _state(db) == before  # the owner left without committing: nothing at all
    async with db.uow() as uow:
        again = await import_roster(uow, cast.staff, messy_xlsx())
        await uow.commit()
    assert _outcomes(again) == MESSY_OUTCOMES
    assert await _count(db, Person) == 2


async def test_a_dry_run_in_an_open_unit_of_work_leaves_nothing_of_itself(
    cast: Cast, db: Database
) -> None:
    an = await _register_an(db)
    data = xlsx(
        [
            HEADER,
            (1, "Lào Cai", "Nguyễn Văn An", "Chánh Văn phòng", "", "0912 345 678", ""),
            (2, "Hà Nội", "Lê Văn Bảo", "", "", "0912 345 679", ""),
        ]
    )
    before = await _state(db)
    async with db.uow() as uow:
        # The owner's own write, before the dry run: it must stay.
        await people.update_field(uow, SYSTEM, an, "note", "Đã gọi điện xác nhận")
        dry = await import_roster(uow, cast.staff, data, dry_run=True)
        await uow.commit()
    assert _outcomes(dry) == {2: (Outcome.updated, ()), 3: (Outcome.created, ())}
    assert [row.person_id for row in dry.rows] == [an, None]
    view = await people.show_person(db.uow(), SYSTEM, an)
    assert (view.position, view.note) == ("Phó Chánh Văn phòng", "Đã gọi điện xác nhận")
    persons, changes, words = await _state(db)
    assert (persons, changes, words) == (before[0], before[1] + 1, before[2])


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "limits", "code"),
    [
        (lambda: b"", None, "import.empty_file"),
        (
            lambda: messy_xlsx() + b"\0" * 4096,
            Limits(max_bytes=len(messy_xlsx())),
            "import.too_large",
        ),
        (messy_xlsx, Limits(max_rows=5), "import.too_many_rows"),
        (png, None, "import.not_a_table"),
        (lambda: random_bytes()[:8] + b"\0" + random_bytes(), None, "import.not_a_table"),
        (encrypted_workbook, None, "import.encrypted"),
        (corrupt_xlsx, None, "import.corrupt"),
        (lambda: zip_bomb(6), Limits(max_uncompressed=5 * 1024 * 1024), "import.zip_bomb"),
    ],
    ids=[
        "empty",
        "too-large",
        "too-many-rows",
        "png",
        "random",
        "encrypted",
        "corrupt",
        "zip-bomb",
    ],
)
async def test_a_refused_file_writes_nothing(
    cast: Cast, db: Database, make: Callable[[], bytes], limits: Limits | None, code: str
) -> None:
    before = await _state(db)
    with pytest.raises(ValidationError) as caught:
        await import_roster(db.uow(), cast.staff, make(), limits=limits)
    assert caught.value.code == code
    assert await _state(db) == before


# --- the report --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_report_has_the_rows_with_result_and_reason_and_a_summary(
    cast: Cast, db: Database, language: str
) -> None:
    result = await import_roster(db.uow(), cast.staff, messy_xlsx())
    workbook = load_workbook(io.BytesIO(report_xlsx(language, result, file_name="ds.xlsx")))
    rows_sheet, summary = workbook.worksheets
    table = [[cell.value for cell in row] for row in rows_sheet.iter_rows()]
    result_header = {"vi": ("Kết quả", "Lý do"), "en": ("Result", "Reason")}[language]
    assert tuple(table[0][8:]) == result_header
    # The row's number in the agency's file comes first, as Excel shows it.
    assert table[0][0] == {"vi": "Dòng trong tệp", "en": "Row in the file"}[language]
    assert table[0][1:8] == list(
        ("STT", "Họ tên", "Chức danh", "Đơn vị", "ĐT di động", "Điện thoại cố định", "E-mail")
    )
    assert len(table) == 1 + len(result.rows)
    assert [line[0] for line in table[1:]] == [row.row.number for row in result.rows]
    by_name: dict[str, list[object]] = {}
    for line in table[1:]:
        by_name.setdefault(str(line[2]), line)  # the first row of a name (row 9, not 15)
    assert by_name["Nguyễn Văn An"][0] == 9
    assert by_name["Nguyễn Văn An"][8] == {"vi": "Thêm mới", "en": "Created"}[language]
    assert by_name["Lê Thị Dung"][0] == 13
    assert by_name["Lê Thị Dung"][8] == {"vi": "Lỗi", "en": "Error"}[language]
    assert "Tỉnh Atlantis" in str(by_name["Lê Thị Dung"][9])
    # The name that was a formula is text in the report, never a formula.
    formula_row = next(
        row for row in rows_sheet.iter_rows(min_row=2) if "HYPERLINK" in str(row[2].value)
    )
    assert formula_row[2].data_type == "s"
    assert formula_row[2].fill.fgColor.rgb.endswith("FFC7CE")  # the cell at fault, in red
    assert rows_sheet.freeze_panes == "A2"
    lines = [[cell.value for cell in row] for row in summary.iter_rows()]
    flat = [value for line in lines for value in line if value is not None]
    assert "ds.xlsx" in flat and "telegram:2" in flat
    # Counts say they are counts, never a bare number that reads like a row number.
    counts = {line[0]: line[1] for line in lines if len(line) > 1}
    created = {"vi": "Thêm mới", "en": "Created"}[language]
    assert counts[created] == {"vi": "2 dòng", "en": "rows: 2"}[language]
    assert not any(isinstance(value, int) for value in flat)
    # Each problem names its rows: Tỉnh Atlantis is on row 13.
    atlantis = next(line for line in lines if "Tỉnh Atlantis" in str(line[0]))
    assert str(atlantis[1]).endswith({"vi": "dòng 13", "en": "rows 13"}[language])


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_outcome_reads_in_both_languages(
    cast: Cast, db: Database, language: str
) -> None:
    await _register_an(db)
    data = xlsx(
        [
            HEADER,
            ("Ví dụ", "Lào Cai", "Người Mẫu", "", "", "", ""),
            (1, "Lào Cai", "Nguyễn Văn An", "Chánh Văn phòng", "", "0912 345 678", ""),
            (2, "Lào Cai", "Nguyễn Văn An", "Chánh Văn phòng", "", "0912 345 678", ""),
            (3, "", "", "Ghi chú cuối bảng", "", "", ""),
            (4, "Hà Nội", "Lê Y", "", "Người phát ngôn", "0912 345 600; 0912 345 601", ""),
            (5, "", "Lê Văn Bảo", "", "", "0912 345 602", ""),
            (6, "Lào Cai", "Trần Văn Xoan", "", "khách mời", "abc", "@@"),
        ]
    )
    for dry_run in (True, False):
        result = await import_roster(db.uow(), cast.staff, data, dry_run=dry_run)
        assert {row.outcome for row in result.rows} == set(Outcome)
        for row in result.rows:
            text = row_reason(language, result, row)
            assert text and "{" not in text, (row, text)
        assert all("{" not in line for line in summary_lines(language, result, file_name="a.xlsx"))
        report_xlsx(language, result)


async def test_what_an_import_tidies_is_told_on_its_row(cast: Cast, db: Database) -> None:
    data = xlsx(
        [
            ("Họ và tên", "Chức danh", "SĐT", "Thư điện tử"),
            ("NGUYỄN VĂN AN", "Chánh Văn phòng", "0912 345 678", "an@laocai.gov.vn."),
        ]
    )
    result = await import_roster(db.uow(), cast.staff, data, agency="UBND tỉnh Lào Cai")
    (row,) = result.rows
    assert row.outcome is Outcome.created
    an = await _person(db, "nguyen van an")
    assert (an.full_name, an.email) == ("Nguyễn Văn An", "an@laocai.gov.vn")
    for language in LANGUAGES:
        reason = row_reason(language, result, row)
        assert "Nguyễn Văn An" in reason and "an@laocai.gov.vn" in reason
