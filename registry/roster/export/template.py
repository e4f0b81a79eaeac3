"""The blank template agencies fill in and send back (the import reads it).

Sheet "Danh sách": the title, the header row (the roster's columns an agency can know: status
and update date are the registry's to fill), an example row marked "Ví dụ" in the STT cell,
which the import skips, and blank rows in the grid. The agency and role cells have drop-down
lists; the agency list (56 names and more, some with commas) cannot be written inline in a
validation (255 characters at most, commas separate items), so both lists live on a hidden
sheet the validations point at. Phone cells are formatted as text, so that Excel keeps the
leading zero of "0912345678".
Sheet "Hướng dẫn": how to fill it in.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from registry.catalog import KIND_ORDER, resolve_agency
from registry.models import Agency
from registry.roster.export.columns import PHONE_COLUMNS, TEMPLATE_COLUMNS
from registry.roster.export.labels import TemplateLabels
from registry.roster.export.sheets import Item, Sheet, Styles, print_setup, with_number_format
from registry.roster.export.xlsx import WIDTHS
from registry.uow import UnitOfWork

# The import skips a row whose STT cell says this (or "VD"), whatever the file's language.
EXAMPLE_MARKER = "Ví dụ"
HEADER_ROW = 4
EXAMPLE_ROW = HEADER_ROW + 1
BLANK_ROWS = 30  # rows drawn in the grid (and pre-filled with the agency) below the example
VALIDATED_ROWS = 2_000  # rows the drop-down lists cover
TEXT_FORMAT = "@"
# One column as wide as an A4 portrait page (about 6 inches of text).
INSTRUCTIONS_WIDTH = 95


@dataclass(frozen=True)
class TemplateResult:
    agency_name: str | None
    agency_code: str | None
    agencies: int  # names in the agency drop-down


def _column(key: str) -> str:
    return get_column_letter(TEMPLATE_COLUMNS.index(key) + 1)


async def write_template(
    uow: UnitOfWork,
    target: BinaryIO,
    *,
    labels: TemplateLabels,
    agency: str | None = None,
    on: date | None = None,
) -> TemplateResult:
    """Write the template into ``target``. The agency catalog is public (people pick their
    agency from it), so anyone may have the template; ``agency`` pre-fills it for one agency.
    """
    on = on or date.today()
    async with uow.reading():
        session = uow.session
        chosen = await resolve_agency(session, agency) if agency else None
        current = [a for a in await session.scalars(select(Agency)) if a.is_current(on)]
        current.sort(key=lambda a: (KIND_ORDER.index(a.kind), a.sort_order, a.name, a.id))
        names = [a.name for a in current]
        result = TemplateResult(
            agency_name=chosen.name if chosen else None,
            agency_code=chosen.code if chosen else None,
            agencies=len(names),
        )
    workbook = build_template(labels, names, agency=result.agency_name)
    await asyncio.to_thread(workbook.save, target)
    return result


def build_template(labels: TemplateLabels, agencies: list[str], *, agency: str | None) -> Workbook:
    workbook = Workbook(write_only=True)
    workbook.properties.title = labels.title
    sheet = Sheet(workbook, labels.sheet_data, [WIDTHS[c] for c in TEMPLATE_COLUMNS])
    styles = Styles.build(sheet.ws)
    ws = sheet.ws
    print_setup(sheet, header_row=HEADER_ROW, landscape=True)
    for key in PHONE_COLUMNS:
        # New cells typed below the grid take the column's format: text, keeping the 0.
        ws.column_dimensions[_column(key)].number_format = TEXT_FORMAT
    text_phone = with_number_format(ws, styles.text, TEXT_FORMAT)

    sheet.line(labels.title, styles.title, height=24)
    if agency:
        sheet.line(labels.agency_line(agency), styles.subtitle, height=18)
    else:
        sheet.put([])
    sheet.put([])
    sheet.fitted(
        [(labels.headers[c], styles.header) for c in TEMPLATE_COLUMNS], bold=True, least=22
    )
    assert sheet.row == HEADER_ROW

    example = {
        "stt": EXAMPLE_MARKER,
        "agency": agency or (agencies[0] if agencies else ""),
        "role": labels.roles["spokesperson"],
        **labels.example,
    }
    sheet.fitted([(example.get(c), styles.example) for c in TEMPLATE_COLUMNS])
    for _ in range(BLANK_ROWS):
        items: list[Item] = []
        for key in TEMPLATE_COLUMNS:
            value = agency if key == "agency" else None
            items.append((value, text_phone if key in PHONE_COLUMNS else styles.text))
        sheet.put(items)

    lists = quote_sheetname(labels.sheet_lists)
    last = HEADER_ROW + VALIDATED_ROWS
    for key, count, prompt, error in (
        ("agency", len(agencies), labels.agency_prompt, labels.agency_error),
        ("role", len(labels.roles), labels.role_prompt, labels.role_error),
    ):
        list_column = "A" if key == "agency" else "B"
        validation = DataValidation(
            type="list",
            formula1=f"{lists}!${list_column}$2:${list_column}${count + 1}",
            allow_blank=True,
            showDropDown=False,  # False shows the arrow (the attribute's meaning is inverted)
            showErrorMessage=True,
            showInputMessage=True,
            errorStyle="stop",
            errorTitle=labels.headers[key][:32],
            error=error[:255],
            promptTitle=labels.headers[key][:32],
            prompt=prompt[:255],
        )
        validation.add(f"{_column(key)}{EXAMPLE_ROW}:{_column(key)}{last}")
        ws.data_validations.append(validation)
    sheet.close()

    _instructions(workbook, labels, styles)
    _lists(workbook, labels, agencies)
    return workbook


def _instructions(workbook: Workbook, labels: TemplateLabels, styles: Styles) -> None:
    sheet = Sheet(workbook, labels.sheet_instructions, [INSTRUCTIONS_WIDTH])
    print_setup(sheet, header_row=None, landscape=False)
    sheet.put([(labels.instructions_title, styles.title)], height=24)
    sheet.put([])
    for paragraph in labels.instructions:
        sheet.fitted([(paragraph, styles.plain)])
    sheet.close()


def _lists(workbook: Workbook, labels: TemplateLabels, agencies: list[str]) -> None:
    sheet = Sheet(workbook, labels.sheet_lists, [60, 40])
    sheet.ws.sheet_state = "hidden"
    roles = list(labels.roles.values())
    sheet.put([(labels.headers["agency"], None), (labels.headers["role"], None)])
    for index in range(max(len(agencies), len(roles))):
        sheet.put(
            [
                (agencies[index], None) if index < len(agencies) else None,
                (roles[index], None) if index < len(roles) else None,
            ]
        )
    sheet.close()
