"""The roster's two directions together: what is exported imports back with no change, and the
blank template, filled in as an agency would, imports."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.roster import export_file, template_file
from registry import people
from registry.models import ChangeLog, Person
from registry.roster.intake.importer import Outcome, import_roster
from registry.uow import Database
from tests.integration.conftest import SYSTEM


async def _count(db: Database, model: type) -> int:
    async with db.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model)) or 0


async def _people(db: Database) -> None:
    for agency, name, role, mobile, office, email in [
        (
            "Lào Cai",
            "Nguyễn Văn An",
            "spokesperson",
            "0169.123.4567",
            "(0214) 3840 888 máy lẻ 12",
            "an.nv@laocai.gov.vn",
        ),
        ("Lào Cai", "Đặng Thị Hồng", "press_contact", "0912 000 111", None, "hong@laocai.gov.vn"),
        ("Bộ Tài chính", "Trần Quốc Bình", "head", "0988 222 333", "024.2220.2828", None),
        (
            "TP. Hồ Chí Minh",
            "Lê Thị Yến",
            "authorized_spokesperson",
            "+84 903 444 555",
            None,
            "le@tphcm.gov.vn",
        ),
    ]:
        await people.register_person(
            db.uow(),
            SYSTEM,
            agency=agency,
            full_name=name,
            role=role,
            position="Chánh Văn phòng",
            mobile=mobile,
            office_phone=office,
            email=email,
        )


@pytest.mark.parametrize("format_", ["xlsx", "csv"])
async def test_an_exported_roster_imports_back_unchanged(loaded: Database, format_: str) -> None:
    await _people(loaded)
    exported = await export_file(
        loaded.uow(), SYSTEM, format=format_, language="vi", organisation="CỤC BÁO CHÍ"
    )
    assert exported.people == 4
    changes = await _count(loaded, ChangeLog)
    result = await import_roster(loaded.uow(), SYSTEM, exported.data)
    outcomes = [row.outcome for row in result.rows if row.outcome is not Outcome.skipped]
    assert outcomes == [Outcome.unchanged] * 4, [(row.outcome, row.problems) for row in result.rows]
    assert await _count(loaded, ChangeLog) == changes
    assert await _count(loaded, Person) == 4


async def test_the_template_filled_in_imports(loaded: Database) -> None:
    blank = await template_file(loaded.uow(), language="vi", organisation="CỤC BÁO CHÍ")
    workbook = openpyxl.load_workbook(io.BytesIO(blank.data))
    sheet = workbook["Danh sách"]
    header = next(row[0].row for row in sheet.iter_rows(max_row=20) if row[2].value == "Họ và tên")
    filled = [
        (
            1,
            "UBND tỉnh Lào Cai",
            "Nguyễn Văn An",
            "Chánh Văn phòng",
            "Người phát ngôn",
            "0169.123.4567",
            "(0214) 3840 888 máy lẻ 12",
            "an.nv@laocai.gov.vn",
        ),
        (
            2,
            "Tỉnh Lào Cai",
            "Giàng A Páo",
            "Chuyên viên",
            "Cán bộ đầu mối cung cấp thông tin",
            "ĐT: 0214.3840.999; DĐ: 0912.000.111",
            None,
            "pao@laocai.gov.vn",
        ),
    ]
    for offset, values in enumerate(filled, start=2):  # below the example row
        for column, value in enumerate(values, start=1):
            sheet.cell(row=header + offset, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = await import_roster(loaded.uow(), SYSTEM, buffer.getvalue())
    assert result.count(Outcome.created) == 2, [(r.outcome, r.problems) for r in result.rows]
    assert result.count(Outcome.error) == 0
    an = await people.show_person(loaded.uow(), SYSTEM, 1)
    assert (an.mobile, an.office_ext, an.role) == ("+84391234567", "12", "spokesperson")
    pao = await people.show_person(loaded.uow(), SYSTEM, 2)
    assert (pao.mobile, pao.office_phone, pao.role) == (
        "+84912000111",
        "+842143840999",
        "press_contact",
    )
