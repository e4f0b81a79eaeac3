"""``spokes import`` end to end: the installed console script, a real SQLite file, real files.

Each test works in its own directory on a copy of one database that has the 2025 catalog.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.e2e.cli_runner import Spokes, needs_script, ok, refused, sqlite_url
from tests.roster_files import (
    deep_sheet,
    many_cells,
    many_shared_strings,
    messy_xlsx,
    png,
    province_xlsx,
    wide_sheet,
    xlsx,
)

pytestmark = needs_script


@pytest.fixture(scope="module")
def catalog_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("catalog")
    ok(Spokes(directory, sqlite_url(directory))("agencies", "load", "--edition", "2025"))
    return directory


@pytest.fixture
def spokes(catalog_db: Path, tmp_path: Path) -> Spokes:
    for path in catalog_db.glob("spokes.db*"):
        shutil.copy2(path, tmp_path / path.name)
    (tmp_path / "danh-sach.xlsx").write_bytes(messy_xlsx())
    return Spokes(tmp_path, sqlite_url(tmp_path))


def people(spokes: Spokes) -> list[dict[str, object]]:
    return spokes.json("people", "list", "--json")


def test_an_import_prints_a_summary_and_lists_the_rows_with_errors(spokes: Spokes) -> None:
    result = ok(spokes("import", "danh-sach.xlsx"))
    assert "Nhập danh-sach.xlsx: 8 dòng" in result.stdout
    assert "Thêm mới" in result.stdout and "Các dòng lỗi (4)" in result.stdout
    assert "Tỉnh Atlantis" in result.stdout
    assert "Đã ghi: thêm 2, cập nhật 0 người." in result.stdout
    assert "━" not in result.stderr  # no progress bar when stderr is not a terminal
    listed = {person["full_name"]: person for person in people(spokes)}
    assert set(listed) == {"Nguyễn Văn An", "Phạm Minh Hải"}
    assert listed["Nguyễn Văn An"]["source"] == "import"
    again = ok(spokes("--lang", "en", "import", "danh-sach.xlsx"))
    assert "Written: 0 created, 0 updated." in again.stdout


def test_a_dry_run_writes_nothing(spokes: Spokes) -> None:
    result = ok(spokes("import", "danh-sach.xlsx", "--dry-run"))
    assert "Chạy thử: chưa ghi gì. Nếu ghi thật sẽ thêm 2 và cập nhật 0 người" in result.stdout
    assert people(spokes) == []


def test_the_report_file_has_every_row_with_its_result_and_reason(spokes: Spokes) -> None:
    result = ok(spokes("import", "danh-sach.xlsx", "--report", "bao-cao.xlsx"))
    assert "Đã ghi báo cáo vào bao-cao.xlsx." in result.stdout
    workbook = load_workbook(spokes.directory / "bao-cao.xlsx")
    assert workbook.sheetnames == ["Kết quả nhập", "Tổng hợp"]
    rows = [[cell.value for cell in row] for row in workbook["Kết quả nhập"].iter_rows()]
    assert rows[0][-2:] == ["Kết quả", "Lý do"]
    assert len(rows) == 9
    # Each row's number in the file comes first.
    assert rows[0][0] == "Dòng trong tệp" and [row[0] for row in rows[1:]] == [
        8,
        9,
        11,
        12,
        13,
        15,
        16,
        17,
    ]
    outcomes = [row[-2] for row in rows[1:]]
    assert outcomes == ["Bỏ qua", "Thêm mới", "Lỗi", "Lỗi", "Lỗi", "Không đổi", "Lỗi", "Thêm mới"]
    assert "0391 234 567" in rows[2][-1]
    summary = [value for row in workbook["Tổng hợp"].iter_rows(values_only=True) for value in row]
    assert "danh-sach.xlsx" in summary and "cli" in summary


def test_json_output_for_scripts(spokes: Spokes) -> None:
    data = spokes.json("import", "danh-sach.xlsx", "--dry-run", "--json")
    assert data["dry_run"] is True
    assert data["header_row"] == 7
    assert data["counts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 1,
        "error": 4,
        "skipped": 1,
    }
    errors = {row["row"]: row for row in data["rows"] if row["outcome"] == "error"}
    assert errors[13]["problems"][0]["code"] == "agency.not_found"
    assert errors[13]["problems"][0]["column"] == "agency"


def test_a_provinces_own_list_reads_its_agency_and_ends_at_the_signature(
    spokes: Spokes,
) -> None:
    (spokes.directory / "lao-cai.xlsx").write_bytes(province_xlsx())
    result = ok(spokes("import", "lao-cai.xlsx", "--report", "bao-cao.xlsx"))
    assert "Cơ quan của cả danh sách: Tỉnh Lào Cai (theo tiêu đề văn bản)." in result.stdout
    assert "Bảng kết thúc ở dòng 12" in result.stdout
    assert "Các dòng lỗi (1)" in result.stdout and "Giàng A Páo" in result.stdout
    assert "Nơi nhận" not in result.stdout and "KT. CHỦ TỊCH" not in result.stdout
    assert {person["agency_code"] for person in people(spokes)} == {"tinh-lao-cai"}
    workbook = load_workbook(spokes.directory / "bao-cao.xlsx")
    rows = list(workbook["Kết quả nhập"].iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [7, 8, 9, 10]
    data = spokes.json("import", "lao-cai.xlsx", "--dry-run", "--json")
    assert data["agency_from"] == "letterhead" and data["ended_at"] == 12


def test_a_list_of_one_agency_with_agency(spokes: Spokes) -> None:
    (spokes.directory / "lao-cai.csv").write_bytes(
        "Họ và tên;Chức vụ;Số điện thoại\r\nNguyễn Văn An;Chánh Văn phòng;0912 345 678\r\n".encode(
            "utf-8-sig"
        )
    )
    line = refused(spokes("import", "lao-cai.csv"))
    assert "--agency" in line
    ok(spokes("import", "lao-cai.csv", "--agency", "UBND tỉnh Lào Cai"))
    (person,) = people(spokes)
    assert person["agency_code"] == "tinh-lao-cai"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("khong-co.xlsx",), "Không có tệp “khong-co.xlsx”."),
        ((".",), "“.” không phải là tệp"),
        (("danh-sach.xlsx", "--agency", "Tỉnh Atlantis"), "Không tìm thấy cơ quan “Tỉnh Atlantis”"),
        (("anh.xlsx",), "không phải bảng tính Excel"),
        (("rong.csv",), "Tệp rỗng"),
        (("lon.xlsx",), "quá giới hạn 10 MB"),
        (("danh-sach.xlsx", "--report", "khong-co/bao-cao.xlsx"), "Không ghi được báo cáo"),
    ],
    ids=["missing", "directory", "unknown-agency", "png", "empty", "too-large", "report-path"],
)
def test_garbage_arguments_are_one_line_and_exit_one(
    spokes: Spokes, args: tuple[str, ...], message: str
) -> None:
    (spokes.directory / "anh.xlsx").write_bytes(png())
    (spokes.directory / "rong.csv").write_bytes(b"")
    with (spokes.directory / "lon.xlsx").open("wb") as big:
        big.truncate(11 * 1024 * 1024)
    line = refused(spokes("import", *args))
    assert message in line
    assert people(spokes) == []


def test_refusals_in_english(spokes: Spokes) -> None:
    (spokes.directory / "anh.xlsx").write_bytes(png())
    line = refused(spokes("--lang", "en", "import", "anh.xlsx"))
    assert line.startswith("The file is neither an Excel workbook (.xlsx) nor a CSV file.")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: many_shared_strings(3_000_000), "chuỗi văn bản dùng chung"),
        (lambda: wide_sheet(16_384, 200), "hơn 1.000 ô có dữ liệu"),
        (lambda: many_cells(110_000, 20), "Tệp chứa hơn 2.000.000 ô"),
        (lambda: deep_sheet(300_000), "hơn 200.000 dòng"),
    ],
    ids=["shared-strings", "columns", "cells", "deep"],
)
def test_a_hostile_workbook_is_one_line_and_exit_one(
    spokes: Spokes, build: Callable[[], bytes], message: str
) -> None:
    (spokes.directory / "doc.xlsx").write_bytes(build())
    assert message in refused(spokes("import", "doc.xlsx"))
    assert message in refused(spokes("import", "doc.xlsx", "--dry-run"))
    assert people(spokes) == []


def test_a_hostile_workbook_refused_in_english(spokes: Spokes) -> None:
    (spokes.directory / "doc.xlsx").write_bytes(wide_sheet(16_384, 200))
    line = refused(spokes("--lang", "en", "import", "doc.xlsx"))
    assert line.startswith("A row of the file has more than 1,000 filled cells")


def test_a_name_that_is_a_formula_is_reported_not_run(spokes: Spokes) -> None:
    (spokes.directory / "f.xlsx").write_bytes(
        xlsx([("Họ và tên", "Cơ quan", "Email"), ('=cmd|" /C calc"!A', "Lào Cai", "a@b.gov.vn")])
    )
    data = spokes.json("import", "f.xlsx", "--json")
    (row,) = data["rows"]
    assert row["outcome"] == "error"
    assert row["problems"][0]["code"] == "name.invalid_character"
    assert json.dumps(row, ensure_ascii=False).count("(=)") == 1


# --- the journal ---------------------------------------------------------------------------------

KILL_IMPORT = '''
"""Kills this process (SIGKILL) as an import is about to commit its second batch."""
import os
import signal

if os.environ.get("KILL_IMPORT_AT_BATCH"):
    from registry.roster.intake import importer

    _record = importer.record
    _calls = [0]

    async def _record_then_die(session, run_id, rows, *, finished=False):
        _calls[0] += 1
        if _calls[0] >= int(os.environ["KILL_IMPORT_AT_BATCH"]):
            os.kill(os.getpid(), signal.SIGKILL)
        await _record(session, run_id, rows, finished=finished)

    importer.record = _record_then_die
'''


def _long_list(count: int) -> bytes:
    header = ("STT", "Cơ quan, đơn vị", "Họ và tên", "Điện thoại")
    letters = "abcdeghiklmnopqrstuvxy"
    rows: list[tuple[object, ...]] = [header]
    for index in range(count):
        word = letters[index // len(letters) % len(letters)] + letters[index % len(letters)]
        name = f"Nguyễn Văn {word.capitalize()} {letters[index // 484].upper()}"
        rows.append((index + 1, "Lào Cai", name, f"0912 {index:06d}"))
    return xlsx(rows)


def test_an_import_killed_midway_reports_what_it_wrote_and_a_second_run_finishes(
    spokes: Spokes, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess

    from tests.e2e.cli_runner import SCRIPT

    (tmp_path / "dai.xlsx").write_bytes(_long_list(600))
    faults = tmp_path / "faults"
    faults.mkdir()
    (faults / "sitecustomize.py").write_text(KILL_IMPORT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOKES_")}
    env |= {
        "SPOKES_DATABASE_URL": spokes.url,
        "PYTHONPATH": str(faults),
        "KILL_IMPORT_AT_BATCH": "2",
    }
    assert SCRIPT is not None
    killed = subprocess.run(
        [SCRIPT, "import", "dai.xlsx"], cwd=tmp_path, env=env, capture_output=True, timeout=120
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    [run] = spokes.json("imports", "list", "--json")
    assert run["status"] == "interrupted" and run["file_name"] == "dai.xlsx"
    written = len(people(spokes))
    # The journal says exactly what was written: its first batch, no more, no less.
    assert 0 < run["rows_done"] == written < 600
    assert run["counts"] == {"created": written}
    shown = ok(spokes("imports", "show", str(run["id"])))
    assert "bị ngắt" in shown.stdout and "Nhập lại đúng tệp đó" in shown.stdout
    detail = spokes.json("imports", "show", str(run["id"]), "--json")
    assert len(detail["report"]["rows"]) == written

    again = spokes.json("import", "dai.xlsx", "--json")
    assert again["counts"]["unchanged"] == written
    assert again["counts"]["created"] == 600 - written
    assert again["counts"]["error"] == 0 and again["run_id"] == run["id"] + 1
    assert len(people(spokes)) == 600
    statuses = {r["id"]: r["status"] for r in spokes.json("imports", "list", "--json")}
    assert statuses == {run["id"]: "interrupted", run["id"] + 1: "finished"}


def test_the_journal_refuses_an_unknown_run_in_one_line(spokes: Spokes) -> None:
    assert "spokes imports list" in refused(spokes("imports", "show", "999"))
    assert "Chưa có lần nhập" in ok(spokes("imports", "list")).stdout
    result = ok(spokes("import", "danh-sach.xlsx"))
    assert "Lần nhập số 1." in result.stdout
    listed = ok(spokes("imports", "list")).stdout
    assert "danh-sach.xlsx" in listed and "đã xong" in listed


def _names(count: int) -> list[str]:
    """``count`` different full names without digits (a name with digits is refused)."""
    family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
    middle = ["Văn", "Thị", "Minh", "Quốc", "Thu", "Đức"]
    given = ["An", "Bình", "Cường", "Dung", "Giang", "Hà", "Khánh", "Lan", "Mai", "Nam",
             "Oanh", "Phúc", "Quang", "Sơn", "Tâm", "Uyên", "Vinh", "Xuân", "Yến", "Hải"]  # fmt: skip
    names = [f"{f} {m} {g}" for f in family for m in middle for g in given]
    assert len(names) >= count
    return names[:count]


def test_large_counts_are_written_with_grouped_digits(spokes: Spokes) -> None:
    header = ("Họ và tên", "Cơ quan, đơn vị", "Vai trò", "Điện thoại di động")
    rows = [
        (name, "UBND tỉnh Lào Cai", "Cán bộ đầu mối", f"0912{number:06d}")
        for number, name in enumerate(_names(1_200))
    ]
    (spokes.directory / "lon.xlsx").write_bytes(xlsx([header, *rows]))
    vi = ok(spokes("import", "lon.xlsx"))
    assert "Nhập lon.xlsx: 1.200 dòng" in vi.stdout
    assert "Đã ghi: thêm 1.200, cập nhật 0 người." in vi.stdout
    (created,) = [line for line in vi.stdout.splitlines() if "Thêm mới" in line]
    assert created.split("│")[2].strip() == "1.200"  # the count in its table cell
    assert "1.200/1.200" in ok(spokes("imports", "list")).stdout
    assert "Người trong mạng lưới (1.200)" in ok(spokes("stats")).stdout
    en = ok(spokes("--lang", "en", "import", "lon.xlsx", "--dry-run"))
    assert "Import of lon.xlsx: 1,200 rows" in en.stdout
    assert "1,200" in ok(spokes("--lang", "en", "stats")).stdout
