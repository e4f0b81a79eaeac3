"""The ``spokes`` command line end to end: the installed console script, a real SQLite file.

Every test runs the script as a person would, in its own directory, and checks what that person
sees: the exit code, the messages on stdout and stderr, and the JSON other programs read.
A module fixture builds one database (the 2024 list, a person of a province that then merges,
the 2025 list, a few people) and each test that needs it works on its own copy.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.texts import t
from tests.e2e.cli_runner import Spokes, needs_script, ok, refused, sqlite_url

UPGRADED = "Cơ sở dữ liệu đã được nâng cấp"
CURRENT_2025 = 56  # 14 ministries, 3 ministerial-level, 5 government agencies, 34 provinces

pytestmark = needs_script


def copy_database(source: Path, target: Path) -> None:
    files = list(source.glob("spokes.db*"))
    assert files, f"no database in {source}"
    for path in files:
        shutil.copy2(path, target / path.name)


def person_id(stdout: str) -> int:
    """The id in "Đã thêm #12 ..." ."""
    found = re.search(r"#(\d+)", stdout)
    assert found, stdout
    return int(found.group(1))


@dataclass
class Prepared:
    directory: Path
    results: dict[str, subprocess.CompletedProcess[str]]
    ids: dict[str, int]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """2024 list, Hoàng Văn Em in Yên Bái, 2025 list (Yên Bái merges into Lào Cai), then An in
    Lào Cai (an old 11-digit mobile), Bình in Hồ Chí Minh City and Cường in the Ministry of
    Finance."""
    directory = tmp_path_factory.mktemp("prepared")
    spokes = Spokes(directory, sqlite_url(directory))
    results = {
        "load_2024": spokes("agencies", "load", "--edition", "2024"),
        "em": spokes(
            "people", "add", "--agency", "Tỉnh Yên Bái", "--name", "Hoàng Văn Em",
            "--role", "press_contact", "--email", "em.hv@yenbai.gov.vn", "--json",
        ),
        "load_2025": spokes("agencies", "load", "--edition", "2025"),
        "an": spokes(
            "people", "add", "--agency", "UBND tỉnh Lào Cai", "--name", "Nguyễn Văn An",
            "--role", "spokesperson", "--position", "Chánh Văn phòng UBND tỉnh",
            "--mobile", "0169.123.4567", "--email", "an.nv@laocai.gov.vn", "--json",
        ),
        "binh": spokes(
            "people", "add", "--agency", "TP. Hồ Chí Minh", "--name", "Đặng Thị Bình",
            "--role", "press_contact", "--mobile", "0912 345 678",
            "--email", "binh.dt@tphcm.gov.vn", "--json",
        ),
        "cuong": spokes(
            "people", "add", "--agency", "Bộ Tài chính", "--name", "Trần Quốc Cường",
            "--role", "head", "--office-phone", "(024) 2220 2828 máy lẻ 101", "--json",
        ),
    }  # fmt: skip
    for result in results.values():
        ok(result)
    ids = {
        name: json.loads(results[name].stdout)["person"]["id"]
        for name in ("em", "an", "binh", "cuong")
    }
    return Prepared(directory, results, ids)


@pytest.fixture
def spokes(tmp_path: Path) -> Spokes:
    """The CLI on an empty directory: the first command creates the database."""
    return Spokes(tmp_path, sqlite_url(tmp_path))


@pytest.fixture
def ready(tmp_path: Path, prepared: Prepared) -> Spokes:
    """The CLI on a copy of the prepared database."""
    copy_database(prepared.directory, tmp_path)
    return Spokes(tmp_path, sqlite_url(tmp_path))


# --- database -------------------------------------------------------------------------------


def test_first_command_on_a_fresh_database_upgrades_it_and_says_so(spokes: Spokes) -> None:
    first = ok(spokes("missing", "--json"))
    assert UPGRADED in first.stderr
    assert (spokes.directory / "spokes.db").exists()
    # A new database loads the current list of agencies by itself, and says so once.
    assert "đã nạp danh sách cơ quan 2025 (56 cơ quan)" in first.stderr
    assert len(json.loads(first.stdout)) == CURRENT_2025
    second = ok(spokes("missing", "--json"))
    assert second.stderr == ""
    assert len(json.loads(second.stdout)) == CURRENT_2025


def test_a_fresh_database_finds_agencies_at_the_first_command(spokes: Spokes) -> None:
    added = ok(
        spokes(
            "people", "add", "--agency", "UBND tỉnh Lào Cai", "--name", "Nguyễn Văn An",
            "--role", "spokesperson", "--mobile", "0912 345 678", lang="en",
        )
    )  # fmt: skip
    assert "loaded the 2025 list of agencies (56 agencies)" in added.stderr
    assert "Nguyễn Văn An" in added.stdout


def test_an_emptied_catalog_says_what_to_run(spokes: Spokes) -> None:
    ok(spokes("agencies", "load", "--edition", "2025"))
    with sqlite3.connect(spokes.directory / "spokes.db") as connection:
        connection.execute("DELETE FROM agency")
    for args in (["people", "find", "An"], ["export", "-o", "roster.xlsx"], ["agencies", "list"]):
        refused = spokes(*args)
        assert refused.returncode == 1, args
        assert "spokes agencies load --edition 2025" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert not (spokes.directory / "roster.xlsx").exists()
    # Loading is what the message says to run, and it works.
    ok(spokes("agencies", "load", "--edition", "2025"))
    assert len(spokes.json("missing", "--json")) == CURRENT_2025


@pytest.mark.parametrize(
    ("setting", "value", "lang", "line"),
    [
        ("SPOKES_DEFAULT_LANGUAGE", "fr", None, "Thiết lập SPOKES_DEFAULT_LANGUAGE không hợp lệ (“fr”)"),
        ("SPOKES_SQLITE_BUSY_TIMEOUT_MS", "abc", "en", "The setting SPOKES_SQLITE_BUSY_TIMEOUT_MS is wrong (“abc”)"),
    ],
)  # fmt: skip
def test_a_wrong_setting_gives_one_line_naming_it(
    tmp_path: Path, setting: str, value: str, lang: str | None, line: str
) -> None:
    spokes = Spokes(tmp_path, sqlite_url(tmp_path), env={setting: value})
    result = spokes("missing", lang=lang)
    assert result.returncode == 78
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(line)
    assert "Traceback" not in result.stderr and "validation error" not in result.stderr


def test_db_upgrade_twice_says_the_second_time_that_it_is_current(spokes: Spokes) -> None:
    first = ok(spokes("db", "upgrade"))
    assert UPGRADED in first.stdout
    second = ok(spokes("db", "upgrade"))
    assert "đã ở phiên bản mới nhất" in second.stdout
    assert UPGRADED not in second.stdout + second.stderr


# --- agencies -------------------------------------------------------------------------------


def test_loading_2025_on_a_fresh_database_leaves_56_agencies_missing(spokes: Spokes) -> None:
    loaded = ok(spokes("agencies", "load", "--edition", "2025"))
    assert "Danh mục 2025: thêm 56," in loaded.stdout

    missing = spokes.json("missing", "--json")
    assert len(missing) == CURRENT_2025
    codes = {row["code"] for row in missing}
    assert len(codes) == CURRENT_2025
    assert {"tinh-lao-cai", "tp-ho-chi-minh", "bo-tai-chinh"} <= codes
    assert "tinh-yen-bai" not in codes
    assert {row["kind"] for row in missing} == {
        "ministry",
        "ministerial_agency",
        "government_agency",
        "city",
        "province",
    }

    table = ok(spokes("missing"))
    assert table.stdout.strip().splitlines()[-1].startswith(f"{CURRENT_2025} cơ quan")
    assert "Cơ quan (56)" in table.stdout.splitlines()[0]

    again = ok(spokes("agencies", "load", "--edition", "2025"))
    assert "thêm 0," in again.stdout
    assert f"giữ nguyên {CURRENT_2025}," in again.stdout
    assert "hợp nhất 0" in again.stdout


def test_an_unknown_edition_fails_with_one_line(ready: Spokes) -> None:
    line = refused(ready("agencies", "load", "--edition", "2030"))
    assert "2030" in line
    assert "2024, 2025" in line


def test_merged_agencies_point_to_their_successor_and_leave_the_current_list(
    ready: Spokes,
) -> None:
    everything = {row["code"]: row for row in ready.json("agencies", "list", "--all", "--json")}
    yen_bai = everything["tinh-yen-bai"]
    assert yen_bai["successor_code"] == "tinh-lao-cai"
    assert yen_bai["successor_name"] == "Tỉnh Lào Cai"
    assert yen_bai["valid_to"] == "2025-07-01"
    assert everything["bo-thong-tin-va-truyen-thong"]["successor_code"] == (
        "bo-khoa-hoc-va-cong-nghe"
    )
    assert everything["tinh-lao-cai"]["valid_to"] is None

    current = ready.json("agencies", "list", "--json")
    assert len(current) == CURRENT_2025
    assert all(row["valid_to"] is None for row in current)
    assert "tinh-yen-bai" not in {row["code"] for row in current}
    assert len(everything) > len(current)


def test_agencies_can_be_listed_by_kind(ready: Spokes) -> None:
    provinces = ready.json("agencies", "list", "--kind", "province", "--json")
    assert len(provinces) == 28
    assert {row["kind"] for row in provinces} == {"province"}
    assert "tinh-lao-cai" in {row["code"] for row in provinces}
    assert "tp-ho-chi-minh" not in {row["code"] for row in provinces}


def test_an_unknown_kind_is_refused_with_the_list_of_kinds(ready: Spokes) -> None:
    line = refused(ready("agencies", "list", "--kind", "tinh"))
    assert "“tinh”" in line
    for kind in ("ministry", "province", "city", "department", "commune"):
        assert kind in line


def test_a_department_can_be_added_under_a_province_written_loosely(ready: Spokes) -> None:
    added = ok(
        ready(
            "agencies", "add", "--name", "Sở Văn hóa và Thể thao",
            "--kind", "department", "--parent", "Lao Cai",
        )
    )  # fmt: skip
    assert "Đã thêm cơ quan Sở Văn hóa và Thể thao" in added.stdout
    departments = ready.json("agencies", "list", "--kind", "department", "--json")
    assert [(row["name"], row["parent_code"]) for row in departments] == [
        ("Sở Văn hóa và Thể thao", "tinh-lao-cai")
    ]


# --- people: adding -------------------------------------------------------------------------


def test_an_old_11_digit_mobile_is_converted_and_stored_in_e164(
    prepared: Prepared, ready: Spokes
) -> None:
    added = json.loads(prepared.results["an"].stdout)
    assert added["person"]["mobile"] == "+84391234567"
    assert added["notices"] == [
        {"code": "phone.converted", "field": "mobile", "old": "01691234567", "new": "0391 234 567"}
    ]
    shown = ready.json("people", "show", str(prepared.ids["an"]), "--json")
    assert shown["mobile"] == "+84391234567"
    assert shown["full_name"] == "Nguyễn Văn An"
    assert shown["status"] == "verified"
    assert shown["source"] == "cli"


def test_adding_a_person_says_in_words_that_an_old_mobile_was_converted(ready: Spokes) -> None:
    added = ok(
        ready(
            "people", "add", "--agency", "Thanh tra Chính phủ", "--name", "Lê Thị Hoa",
            "--role", "spokesperson", "--mobile", "0168.765.4321",
        )
    )  # fmt: skip
    assert "Đã thêm #" in added.stdout
    assert "Lê Thị Hoa" in added.stdout
    assert "01687654321" in added.stdout
    assert "0387 654 321" in added.stdout
    shown = ready.json("people", "show", str(person_id(added.stdout)), "--json")
    assert shown["mobile"] == "+84387654321"
    assert shown["agency_code"] == "thanh-tra-chinh-phu"


def test_loosely_written_agencies_find_the_right_one(prepared: Prepared, ready: Spokes) -> None:
    people = {row["id"]: row for row in ready.json("people", "list", "--json")}
    assert people[prepared.ids["an"]]["agency_code"] == "tinh-lao-cai"  # "UBND tỉnh Lào Cai"
    assert people[prepared.ids["binh"]]["agency_code"] == "tp-ho-chi-minh"  # "TP. Hồ Chí Minh"
    assert people[prepared.ids["cuong"]]["agency_code"] == "bo-tai-chinh"
    cuong = people[prepared.ids["cuong"]]
    assert (cuong["office_phone"], cuong["office_ext"]) == ("+842422202828", "101")


def test_a_former_agency_name_leads_to_its_successor_and_says_so(ready: Spokes) -> None:
    added = ok(
        ready(
            "people", "add", "--agency", "Bộ TT&TT", "--name", "Vũ Minh Khoa",
            "--role", "spokesperson", "--mobile", "0903 111 222",
        )
    )  # fmt: skip
    assert "Vũ Minh Khoa (Bộ Khoa học và Công nghệ)" in added.stdout
    notice = "Bộ Thông tin và Truyền thông đã hợp nhất vào Bộ Khoa học và Công nghệ"
    assert notice in added.stdout + added.stderr


def test_an_ambiguous_agency_lists_the_candidates(ready: Spokes) -> None:
    line = refused(
        ready(
            "people", "add", "--agency", "Quảng", "--name", "Vũ Minh Khoa",
            "--role", "spokesperson", "--mobile", "0903 111 222",
        )
    )  # fmt: skip
    for code in ("tinh-quang-ninh", "tinh-quang-tri", "tinh-quang-ngai"):
        assert code in line
    # Merged provinces are not offered.
    assert "tinh-quang-nam" not in line


def test_the_same_name_twice_in_one_agency_is_refused(prepared: Prepared, ready: Spokes) -> None:
    line = refused(
        ready(
            "people", "add", "--agency", "tinh-lao-cai", "--name", "nguyễn  văn an",
            "--role", "press_contact", "--mobile", "0903 111 222",
        )
    )  # fmt: skip
    assert "Nguyễn Văn An" in line
    assert f"#{prepared.ids['an']}" in line


def test_a_mobile_held_by_another_active_person_is_refused(
    prepared: Prepared, ready: Spokes
) -> None:
    line = refused(
        ready(
            "people", "add", "--agency", "Bộ Tài chính", "--name", "Phan Văn Giang",
            "--role", "press_contact", "--mobile", "039 123 4567",
        )
    )  # fmt: skip
    assert "Nguyễn Văn An" in line
    assert f"#{prepared.ids['an']}" in line


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--mobile", "0913.xxx.xxx", "Số điện thoại chỉ gồm chữ số"),
        ("--email", "hoa.lt.mof.gov.vn", "Địa chỉ email phải có dấu @"),
        ("--name", "Lê Thị Hoa 2", "Họ và tên không được có chữ số"),
    ],
    ids=["phone-with-letters", "email-without-at", "name-with-digits"],
)
def test_bad_input_is_refused_with_one_vietnamese_line(
    ready: Spokes, option: str, value: str, expected: str
) -> None:
    fields = {"--name": "Lê Thị Hoa", "--mobile": "0903 111 222", option: value}
    line = refused(
        ready(
            "people", "add", "--agency", "Bộ Tài chính", "--role", "press_contact",
            *(item for pair in fields.items() for item in pair),
        )
    )  # fmt: skip
    assert expected in line


def test_lang_en_gives_the_message_in_english(ready: Spokes) -> None:
    line = refused(
        ready(
            "people", "add", "--agency", "Bộ Tài chính", "--name", "Lê Thị Hoa",
            "--role", "press_contact", "--mobile", "0913.xxx.xxx",
            lang="en",
        )
    )  # fmt: skip
    assert line.startswith("Mobile phone: A phone number has only digits")
    assert "Số điện thoại" not in line


# --- people: finding ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "kind", "who"),
    [
        ("nguyen van an", "name", ["an"]),
        ("NGUYỄN", "name", ["an"]),
        ("dang", "name", ["binh"]),
        ("(+84) 391 234 567", "phone", ["an"]),
        ("BINH.DT@TPHCM.GOV.VN", "email", ["binh"]),
        ("nguyen van b", "name", []),
    ],
)
def test_people_are_found_by_name_phone_or_email(
    prepared: Prepared, ready: Spokes, query: str, kind: str, who: list[str]
) -> None:
    found = ready.json("people", "find", query, "--json")
    assert found["query_kind"] == kind
    assert found["has_more"] is False
    assert found["offset"] == 0
    assert [item["id"] for item in found["items"]] == [prepared.ids[name] for name in who]
    for item in found["items"]:
        assert {"full_name", "agency_name", "mobile", "email", "role", "status"} <= set(item)


def test_find_prints_a_titled_table(ready: Spokes) -> None:
    found = ok(ready("people", "find", "dang"))
    assert "Kết quả tìm “dang” (1)" in found.stdout
    assert "Đặng" in found.stdout


@pytest.mark.parametrize(
    "position",
    ["Phó Chánh Văn phòng [kiêm nhiệm] :smile:", "Chuyên viên [/b] phòng [Báo chí]"],
    ids=["brackets-and-colons", "closing-tag"],
)
def test_tables_print_what_people_wrote_brackets_and_all(ready: Spokes, position: str) -> None:
    # Brackets and colon words are text a person wrote, never styles or emoji codes for the
    # terminal: they are printed as they are, and a "[/b]" does not stop the listing.
    added = ok(
        ready(
            "people", "add", "--agency", "Lào Cai", "--name", "Lý Thị Hoa", "--role",
            "press_contact", "--position", position, "--mobile", "0987 654 321",
        )
    )  # fmt: skip
    for args in (("people", "find", "ly thi hoa"), ("people", "list", "--agency", "Lào Cai")):
        shown = ok(ready(*args))
        assert position in shown.stdout, shown.stdout
    card = ok(ready("people", "show", str(person_id(added.stdout))))
    assert position in card.stdout, card.stdout


# --- people: changing -----------------------------------------------------------------------


def test_update_history_and_a_stale_version(prepared: Prepared, ready: Spokes) -> None:
    an = str(prepared.ids["an"])
    updated = ok(ready("people", "update", an, "mobile", "(+84) 912.000.111"))
    assert f"Đã cập nhật #{an} Nguyễn Văn An" in updated.stdout

    by_email = ready.json("people", "update", an, "email", "AN.NV2@LAOCAI.GOV.VN", "--version", "2", "--json")  # fmt: skip
    assert by_email["person"]["email"] == "an.nv2@laocai.gov.vn"
    assert by_email["person"]["mobile"] == "+84912000111"
    assert by_email["person"]["version"] == 3

    line = refused(ready("people", "update", an, "email", "khac@laocai.gov.vn", "--version", "1"))
    assert "Bản ghi đã được người khác thay đổi" in line
    assert "chưa có gì được ghi" in line
    shown = ready.json("people", "show", an, "--json")
    assert shown["email"] == "an.nv2@laocai.gov.vn"
    assert shown["version"] == 3

    history = ready.json("people", "history", an, "--json")
    created = {row["field"]: row["new_value"] for row in history if row["action"] == "create"}
    assert created["agency"] == "tinh-lao-cai"
    assert created["full_name"] == "Nguyễn Văn An"
    assert created["mobile"] == "+84391234567"
    assert created["status"] == "verified"
    updates = [
        (row["field"], row["old_value"], row["new_value"])
        for row in history
        if row["action"] == "update"
    ]
    assert updates == [
        ("mobile", "+84391234567", "+84912000111"),
        ("email", "an.nv@laocai.gov.vn", "an.nv2@laocai.gov.vn"),
    ]
    assert {row["actor"] for row in history} == {"cli"}
    # The table a person reads: names and national phone numbers (JSON keeps the codes).
    table = ok(ready("people", "history", an)).stdout
    assert "Tỉnh Lào Cai (tinh-lao-cai)" in table and "Người phát ngôn" in table
    assert "0912 000 111" in table and "+84912000111" not in table
    assert "spokesperson" not in table


def test_the_last_way_to_reach_a_person_cannot_be_cleared(
    prepared: Prepared, ready: Spokes
) -> None:
    em = str(prepared.ids["em"])  # an email and nothing else
    line = refused(ready("people", "update", em, "email", ""))
    assert "Cần ít nhất một cách liên hệ" in line
    assert ready.json("people", "show", em, "--json")["email"] == "em.hv@yenbai.gov.vn"


def test_retire_keeps_the_record_out_of_the_list_and_in_the_statistics(
    prepared: Prepared, ready: Spokes
) -> None:
    binh = prepared.ids["binh"]
    retired = ok(ready("people", "retire", str(binh)))
    assert "Đặng Thị Bình" in retired.stdout
    assert "đã thôi tham gia mạng lưới" in retired.stdout

    assert binh not in {row["id"] for row in ready.json("people", "list", "--json")}
    everyone = {row["id"]: row for row in ready.json("people", "list", "--all", "--json")}
    assert everyone[binh]["status"] == "retired"

    line = refused(ready("people", "verify", str(binh)))
    assert f"#{binh}" in line
    assert "đã thôi tham gia" in line

    stats = ready.json("stats", "--json")
    assert stats["by_status"]["retired"] == 1
    assert stats["by_role"]["press_contact"] == 1  # Em only
    assert stats["people"] == 3 == sum(stats["by_role"].values())
    city = next(row for row in stats["agencies"] if row["kind"] == "city")
    assert city["answered"] == 0


def test_verify_confirms_the_record(prepared: Prepared, ready: Spokes) -> None:
    cuong = str(prepared.ids["cuong"])
    verified = ok(ready("people", "verify", cuong))
    assert f"#{cuong} Trần Quốc Cường (Bộ Tài chính) đã được xác minh" in verified.stdout
    assert ready.json("people", "show", cuong, "--json")["status"] == "verified"


# --- lists and reports ----------------------------------------------------------------------


def test_stale_lists_people_of_merged_agencies(prepared: Prepared, ready: Spokes) -> None:
    stale = ready.json("people", "list", "--stale", "--json")
    assert [(row["id"], row["agency_code"]) for row in stale] == [
        (prepared.ids["em"], "tinh-yen-bai")
    ]
    assert stale[0]["full_name"] == "Hoàng Văn Em"


def test_stats_count_answered_agencies_and_people(ready: Spokes) -> None:
    stats = ready.json("stats", "--json")
    agencies = {row["kind"]: (row["answered"], row["total"]) for row in stats["agencies"]}
    assert agencies == {
        "ministry": (1, 14),
        "ministerial_agency": (0, 3),
        "government_agency": (0, 5),
        "city": (1, 6),
        "province": (1, 28),  # Lào Cai; Yên Bái is no longer a current province
    }
    assert stats["by_role"] == {
        "head": 1,
        "spokesperson": 1,
        "authorized_spokesperson": 0,
        "press_contact": 2,
    }
    assert stats["by_status"] == {"pending": 0, "verified": 4, "retired": 0}
    assert stats["people"] == 4


# --- accounts -------------------------------------------------------------------------------


def test_accounts_grant_list_and_revoke(ready: Spokes) -> None:
    admin = ok(ready("accounts", "grant", "console:7", "admin"))
    assert "console:7: quyền quản trị" in admin.stdout
    focal = ok(ready("accounts", "grant", "telegram:42", "focal", "--agency", "Lào Cai"))
    assert "telegram:42: quyền đầu mối cơ quan tinh-lao-cai" in focal.stdout

    accounts = {row["identity"]: row for row in ready.json("accounts", "list", "--json")}
    assert (accounts["console:7"]["role"], accounts["console:7"]["agency_code"]) == ("admin", None)
    assert (accounts["telegram:42"]["role"], accounts["telegram:42"]["agency_code"]) == (
        "focal",
        "tinh-lao-cai",
    )

    revoked = ok(ready("accounts", "revoke", "telegram:42"))
    assert "telegram:42: quyền thành viên" in revoked.stdout
    accounts = {row["identity"]: row for row in ready.json("accounts", "list", "--json")}
    assert (accounts["telegram:42"]["role"], accounts["telegram:42"]["agency_code"]) == (
        "member",
        None,
    )
    assert accounts["console:7"]["role"] == "admin"


def test_a_bad_identity_is_refused(ready: Spokes) -> None:
    line = refused(ready("accounts", "grant", "foo", "admin"))
    assert "“foo”" in line
    assert "telegram:123456" in line


def test_a_focal_point_needs_an_agency(ready: Spokes) -> None:
    line = refused(ready("accounts", "grant", "telegram:43", "focal"))
    assert "--agency" in line


# --- garbage in -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["frobnicate"], "No such command"),
        (["people", "add", "--bogus", "1"], "No such option"),
        (["people", "show", "abc"], "person_id"),
    ],
    ids=["unknown-command", "unknown-option", "id-not-a-number"],
)
def test_bad_arguments_show_usage(spokes: Spokes, args: list[str], complaint: str) -> None:
    result = spokes(*args)
    assert result.returncode == 2
    assert "Usage: spokes" in result.stderr
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr
    # Arguments are checked before the database is touched.
    assert not (spokes.directory / "spokes.db").exists()


def test_an_unknown_person_id(ready: Spokes) -> None:
    line = refused(ready("people", "show", "99999"))
    assert "Không có người nào mang số #99999" in line


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://nobody@127.0.0.1:1/x",
        "sqlite+aiosqlite:///{tmp}/no/such/directory/spokes.db",
    ],
    ids=["postgres-unreachable", "sqlite-no-directory"],
)
def test_an_unusable_database_gives_one_line(tmp_path: Path, url: str) -> None:
    spokes = Spokes(tmp_path, url.format(tmp=tmp_path))
    result = spokes("missing")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "Exception" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Lỗi hệ thống: ")
    assert result.stdout == ""
    assert not (tmp_path / "no").exists()


# --- personal-data rights -------------------------------------------------------------------


def test_export_data_writes_one_persons_file(ready: Spokes, prepared: Prepared) -> None:
    an = prepared.ids["an"]
    result = ok(ready("people", "export-data", str(an), "-o", "an.json"))
    assert "an.json" in result.stdout
    data = json.loads((ready.directory / "an.json").read_text(encoding="utf-8"))
    assert data["records"][0]["record"]["full_name"] == "Nguyễn Văn An"
    assert data["messages_sent_to_you"]["stored"] is False
    text = json.dumps(data, ensure_ascii=False)
    assert "Đặng Thị Bình" not in text and "binh.dt@" not in text
    refused(ready("people", "export-data", "999999"))  # one line, no file, no traceback
    assert not list(ready.directory.glob("du-lieu-ca-nhan*"))


def test_erase_asks_first_then_the_person_is_gone_from_exports(
    ready: Spokes, prepared: Prepared
) -> None:
    an = str(prepared.ids["an"])
    declined = ready("people", "erase", an, stdin="n\n")
    assert declined.returncode == 1 and "Chưa xóa gì" in declined.stdout
    assert ok(ready("people", "show", an, "--json")).stdout.count("Nguyễn Văn An") == 1
    garbage = ready("people", "erase", an, stdin="có lẽ\n\n")
    assert garbage.returncode == 1 and "Chưa xóa gì" in garbage.stdout
    erased = ok(ready("people", "erase", an, "--yes"))
    assert f"#{an}" in erased.stdout
    assert "Tỉnh Lào Cai" in erased.stdout  # its only spokesperson: staff are reminded
    shown = ready.json("people", "show", an, "--json")
    assert shown["full_name"] == "—" and shown["mobile"] is None and shown["email"] is None
    history = ready.json("people", "history", an, "--json")
    assert all(e["old_value"] is None and e["new_value"] is None
               for e in history if e["field"] not in ("agency", "role", "status"))  # fmt: skip
    ok(ready("export", "--format", "csv", "-o", "all.csv", "--include-retired"))
    assert "Nguyễn Văn An" not in (ready.directory / "all.csv").read_text(encoding="utf-8-sig")
    assert "đã được xóa" in refused(ready("people", "erase", an, "--yes"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["confirm", "abc"], "“abc” không phải là số yêu cầu"),
        (["refuse", "--", "-3"], "“-3” không phải là số yêu cầu"),
        (["confirm", "12345678901234567890123"], "không phải là số yêu cầu"),
        (["confirm", "42"], "Không có yêu cầu số 42"),
    ],
    ids=["letters", "negative", "too-long", "no-such-claim"],
)
def test_claims_refuse_garbage_with_one_vietnamese_line(
    ready: Spokes, args: list[str], expected: str
) -> None:
    assert expected in refused(ready("claims", *args))
    assert ok(ready("claims", "list")).stdout.strip() == t("vi", "cli.claims.none")


def test_claims_without_a_number_show_usage(ready: Spokes) -> None:
    result = ready("claims", "confirm")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Usage: spokes claims confirm" in result.stderr and "claim_id" in result.stderr
