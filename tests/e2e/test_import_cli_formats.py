"""``spokes import`` of lists saved as .xls (Excel 97-2003) and .ods (LibreOffice): the same
summary as the .xlsx they were saved from; garbage under those names is one line and exit 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.cli_runner import Spokes, needs_script, ok, refused, sqlite_url
from tests.roster_files import fixture, province_xlsx

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
    return Spokes(tmp_path, sqlite_url(tmp_path))


@pytest.mark.parametrize("extension", ["xls", "ods"])
def test_a_list_saved_as_xls_or_ods_imports_like_the_xlsx(spokes: Spokes, extension: str) -> None:
    (spokes.directory / "goc.xlsx").write_bytes(province_xlsx())
    (spokes.directory / f"ds.{extension}").write_bytes(fixture(f"province.{extension}"))
    original = spokes.json("import", "goc.xlsx", "--dry-run", "--json")
    saved = spokes.json("import", f"ds.{extension}", "--dry-run", "--json")
    assert (
        saved["counts"]
        == original["counts"]
        == {"created": 3, "updated": 0, "unchanged": 0, "error": 1, "skipped": 0}
    )
    assert saved["rows"] == original["rows"]
    result = ok(spokes("import", f"ds.{extension}"))
    assert f"Nhập ds.{extension}: 4 dòng" in result.stdout
    assert "Đã ghi: thêm 3, cập nhật 0 người." in result.stdout


@pytest.mark.parametrize("extension", ["xls", "ods"])
def test_garbage_named_xls_or_ods_is_one_line_and_exit_one(spokes: Spokes, extension: str) -> None:
    (spokes.directory / f"hong.{extension}").write_bytes(fixture(f"province.{extension}")[:2000])
    assert "Tệp bị hỏng" in refused(spokes("import", f"hong.{extension}"))
    line = refused(spokes("--lang", "en", "import", f"hong.{extension}", "--dry-run"))
    assert line.startswith("The file is damaged")
