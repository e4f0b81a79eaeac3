"""``spokes export`` and ``spokes template`` end to end: the installed script, a SQLite file.

A person runs the command in a folder and finds a file there (or where -o says), readable by
Excel; a refusal is one line on stderr, exit code 1, no traceback, and no file left behind,
not even a half-written one, and an older file of the same name is left as it was.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.e2e.cli_runner import Spokes, needs_script, ok, refused, sqlite_url

pytestmark = needs_script

FORMULA = '=HYPERLINK("http://x")'


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2025 catalog and three people: two in the Ministry of Finance, one in Lào Cai."""
    directory = tmp_path_factory.mktemp("prepared")
    spokes = Spokes(directory, sqlite_url(directory))
    for command in (
        ("agencies", "load", "--edition", "2025"),
        ("people", "add", "--agency", "Bộ Tài chính", "--name", "Trần Quốc Cường",
         "--role", "head", "--position", "Bộ trưởng", "--office-phone", "024 2220 2828"),
        ("people", "add", "--agency", "Bộ Tài chính", "--name", "Lê Văn Bình",
         "--role", "press_contact", "--position", FORMULA, "--mobile", "+44 20 7946 0958"),
        ("people", "add", "--agency", "Lào Cai", "--name", "Nguyễn Văn An",
         "--role", "spokesperson", "--mobile", "0912 345 678", "--email", "an@laocai.gov.vn"),
    ):  # fmt: skip
        ok(spokes(*command))
    return directory


@pytest.fixture
def spokes(prepared: Path, tmp_path: Path) -> Spokes:
    """A person's own folder with a copy of the prepared database."""
    for path in prepared.glob("spokes.db*"):
        shutil.copy2(path, tmp_path / path.name)
    return Spokes(tmp_path, sqlite_url(tmp_path))


def _files(directory: Path) -> set[str]:
    """What a person sees in the folder (hidden temporary files included)."""
    return {p.name for p in directory.iterdir() if not p.name.startswith("spokes.db")}


def test_export_writes_the_roster_beside_the_person(spokes: Spokes) -> None:
    result = ok(spokes("export"))
    [name] = _files(spokes.directory)  # dated the day it is in Vietnam
    assert re.fullmatch(r"danh-sach-nguoi-phat-ngon-\d{4}-\d\d-\d\d\.xlsx", name)
    assert result.stdout.strip() == (
        f"Đã ghi {spokes.directory / name}: 3 người; 54 cơ quan, đơn vị chưa có đầu mối."
    )
    book = load_workbook(spokes.directory / name)
    sheet = book["Danh sách"]
    assert sheet["A3"].value == "DANH SÁCH NGƯỜI PHÁT NGÔN, CUNG CẤP THÔNG TIN CHO BÁO CHÍ"
    assert sheet["A7"].value == "I. Bộ, cơ quan ngang bộ"
    assert sheet["C8"].value == "Trần Quốc Cường"
    position = sheet["D9"]
    assert (position.value, position.data_type, position.quotePrefix) == (FORMULA, "s", True)
    assert "B8:B9" in {str(r) for r in sheet.merged_cells.ranges}
    assert (spokes.directory / name).stat().st_mode & 0o777 != 0o600  # not a private temp file


def test_csv_and_vcard_go_where_o_says(spokes: Spokes) -> None:
    ok(spokes("export", "--format", "csv", "-o", "ds.csv", "--agency", "Tài chính"))
    data = (spokes.directory / "ds.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["Trần Quốc Cường", "Lê Văn Bình"]
    assert rows[2][3] == "'" + FORMULA
    ok(spokes("export", "-f", "vcf", "-o", "out", "--kind", "province"))
    text = (spokes.directory / "out").read_bytes().decode()
    assert text.count("BEGIN:VCARD") == 1
    assert "FN:Nguyễn Văn An\r\n" in text and "TEL;TYPE=CELL:+84 912 345 678\r\n" in text


def test_a_folder_as_output_gets_the_default_name(spokes: Spokes) -> None:
    (spokes.directory / "exports").mkdir()
    ok(spokes("export", "--status", "verified", "-o", "exports"))
    [name] = _files(spokes.directory / "exports")
    assert re.fullmatch(r"danh-sach-nguoi-phat-ngon-verified-\d{4}-\d\d-\d\d\.xlsx", name)


def test_export_speaks_english_when_asked(spokes: Spokes) -> None:
    result = ok(spokes("export", "-o", "en.xlsx", lang="en"))
    assert result.stdout.startswith("Wrote en.xlsx: 3 people;")
    assert load_workbook(spokes.directory / "en.xlsx").sheetnames == [
        "Roster",
        "No contact yet",
        "Summary",
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--format", "pdf"), "Không có định dạng “pdf”. Các định dạng: xlsx, csv, vcf."),
        (("--agency", "Bộ Không Có"), "Không tìm thấy cơ quan “Bộ Không Có”"),
        (("--kind", "planet"), "Loại cơ quan “planet” không có."),
        (("--status", "asleep"), "Trạng thái “asleep” không có."),
        (("--layout", "poster"), "Không có bố cục “poster”. Chọn một trong: working, handout"),
        (("-o", "no/such/folder/ds.xlsx"), "thư mục no/such/folder không tồn tại"),
        (("-o", "a-file/ds.xlsx"), "Không ghi được a-file/ds.xlsx"),
    ],
)
def test_garbage_is_refused_in_one_line_and_leaves_no_file(
    spokes: Spokes, arguments: tuple[str, ...], message: str
) -> None:
    (spokes.directory / "a-file").write_text("not a folder")
    before = _files(spokes.directory)
    line = refused(spokes("export", *arguments))
    assert message in line
    assert _files(spokes.directory) == before


def test_the_handout_layout_leaves_out_status_and_update(spokes: Spokes) -> None:
    ok(spokes("export", "--layout", "handout", "-o", "handout.xlsx"))
    ok(spokes("export", "-o", "working.xlsx"))
    handout = load_workbook(spokes.directory / "handout.xlsx")["Danh sách"]
    working = load_workbook(spokes.directory / "working.xlsx")["Danh sách"]
    handout_header = [cell.value for cell in handout[6]]
    working_header = [cell.value for cell in working[6]]
    assert "Trạng thái" not in handout_header and "Cập nhật" not in handout_header
    assert working_header == [*handout_header, "Trạng thái", "Cập nhật", "Xác nhận lần cuối"]
    names = {row[2] for row in handout.iter_rows(min_row=7, values_only=True)}
    assert {"Trần Quốc Cường", "Lê Văn Bình", "Nguyễn Văn An"} <= names
    ok(spokes("export", "--layout", "handout", "-f", "csv", "-o", "handout.csv"))
    text = (spokes.directory / "handout.csv").read_text(encoding="utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header[-1] == "Thư điện tử"


def test_a_refused_export_leaves_an_older_file_as_it_was(spokes: Spokes) -> None:
    old = spokes.directory / "ds.xlsx"
    old.write_bytes(b"the roster of last week")
    refused(spokes("export", "-o", "ds.xlsx", "--agency", "Bộ Không Có"))
    assert old.read_bytes() == b"the roster of last week"
    assert _files(spokes.directory) == {"ds.xlsx"}


def test_template_writes_the_blank_list(spokes: Spokes) -> None:
    result = ok(spokes("template"))
    assert result.stdout.strip() == (
        f"Đã ghi mẫu danh sách {spokes.directory / 'mau-danh-sach.xlsx'} "
        "(danh sách thả xuống có 56 cơ quan, đơn vị)."
    )
    book = load_workbook(spokes.directory / "mau-danh-sach.xlsx")
    assert book.sheetnames == ["Danh sách", "Hướng dẫn", "Danh mục"]
    assert book["Danh sách"]["A5"].value == "Ví dụ"


def test_template_for_one_agency(spokes: Spokes) -> None:
    ok(spokes("template", "--agency", "UBND tỉnh Lào Cai"))
    sheet = load_workbook(spokes.directory / "mau-danh-sach-tinh-lao-cai.xlsx")["Danh sách"]
    assert sheet["A2"].value == "Cơ quan, đơn vị: Tỉnh Lào Cai"
    assert sheet["B6"].value == "Tỉnh Lào Cai"
    ok(spokes("template", "-o", "mau.xlsx"))
    assert (spokes.directory / "mau.xlsx").is_file()


def test_template_garbage_is_refused(spokes: Spokes) -> None:
    before = _files(spokes.directory)
    assert "Không tìm thấy cơ quan" in refused(spokes("template", "--agency", "Bộ Không Có"))
    assert "không tồn tại" in refused(spokes("template", "-o", "nowhere/mau.xlsx"))
    assert _files(spokes.directory) == before
