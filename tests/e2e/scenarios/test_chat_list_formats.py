"""Lists saved as Excel 97-2003 (.xls) or LibreOffice (.ods), sent in a chat on every channel
that carries files: read like the .xlsx they were saved from; garbage under those names is
refused with the reason, in the person's language."""

from __future__ import annotations

import pytest

from tests.builders import count_people
from tests.e2e.scenarios.driver import only_where
from tests.e2e.scenarios.script import en, staff, vi
from tests.e2e.scenarios.stage import Stage
from tests.e2e.scenarios.test_chat_files import NO_FILES
from tests.roster_files import fixture


@only_where("files", NO_FILES)
@pytest.mark.parametrize("extension", ["xls", "ods"])
async def test_a_provinces_list_as_xls_or_ods_is_imported(stage: Stage, extension: str) -> None:
    clerk = await staff(stage, 790)
    dry_run = await clerk.send_file(f"ds-lao-cai.{extension}", fixture(f"province.{extension}"))
    assert "Cơ quan của cả danh sách: Tỉnh Lào Cai (theo tiêu đề văn bản)." in dry_run
    assert "1 dòng lỗi: dòng 9" in dry_run
    assert "Sẽ thêm 3 người: Hoàng Văn Sơn (dòng 7); Lò Thị Mai (dòng 8)" in dry_run
    done = await clerk.pick("Ghi vào danh sách")
    assert "Đã ghi vào danh sách" in done and "Đã thêm 3 người" in done
    assert await count_people(stage.db) == 3


@only_where("files", NO_FILES)
async def test_garbage_named_xls_or_ods_is_refused_with_the_reason(stage: Stage) -> None:
    clerk = await staff(stage, 791)
    cut = fixture("province.xls")[:3000]
    assert str(await clerk.send_file("ds.xls", cut)) == vi("error.import.corrupt")
    await clerk.say("/lang en")
    cut = fixture("province.ods")[:2000]
    assert str(await clerk.send_file("ds.ods", cut)) == en("error.import.corrupt")
    assert await count_people(stage.db) == 0
