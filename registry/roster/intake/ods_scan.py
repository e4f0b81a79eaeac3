"""The scan of an .ods before it is parsed: its ``content.xml`` counted like an .xlsx's sheets.

An OpenDocument sheet says a row or a cell repeats with an attribute of a few bytes
(``number-rows-repeated="1000000"``), and the fast reader (python-calamine) holds a sheet as
one dense block from its first to its last filled cell: the repeats are counted, and a
workbook past the limits, or whose block would be larger than the cell limit, is refused (no
streaming reader takes an .ods instead). The merged cells are collected on the way, since
calamine does not give them back.
"""

from __future__ import annotations

import re
from typing import IO

from registry.roster.intake.guards import (
    Budget,
    Limits,
    too_many_cells,
    too_many_columns,
    too_many_sheet_rows,
    xml_chunks,
)

# ODF: rows and cells with their attributes (repeats, spans), and where a sheet starts.
_ODS_TAG = re.compile(
    rb"<(table:table|table:table-row|table:table-cell|table:covered-table-cell)(?=[\s/>])"
    rb"([^>]*?)(/?)>"
    rb"|</table:table-row>|</table:table>"
)
_ODS_ROWS_REPEATED = re.compile(rb'number-rows-repeated="(\d+)"')
_ODS_COLUMNS_REPEATED = re.compile(rb'number-columns-repeated="(\d+)"')
_ODS_ROWS_SPANNED = re.compile(rb'number-rows-spanned="(\d+)"')
_ODS_COLUMNS_SPANNED = re.compile(rb'number-columns-spanned="(\d+)"')


def scan_ods(stream: IO[bytes], budget: Budget) -> dict[int, dict[int, list[tuple[int, int]]]]:
    """Count an OpenDocument spreadsheet's ``content.xml`` like an .xlsx's sheets, repeats
    included (``number-rows-repeated="1000000"`` is a few bytes), and refuse it past the
    limits or when a sheet's block of cells would be larger than the cell limit; returns the
    cells merged down one column, per sheet: first row -> [(column index, last row)]."""
    limits = budget.limits
    merges: dict[int, dict[int, list[tuple[int, int]]]] = {}
    sheet = -1
    row = column = in_row = repeat = 0  # row: rows above this one; column: cells before
    cells = rows = last_row = last_column = 0
    for chunk in xml_chunks(stream, budget):
        for found in _ODS_TAG.finditer(chunk):
            tag, attributes, empty = found.groups()
            if tag is None:  # a closing tag
                if found.group(0) == b"</table:table>":
                    _ods_extent(limits, last_row, last_column)
                    last_row = last_column = 0
                    continue
                cells, rows = _ods_row_end(limits, in_row, repeat, cells, rows)
                if in_row:
                    last_row = row + repeat
                row += repeat
                continue
            if tag == b"table:table":
                sheet, row = sheet + 1, 0
                merges[sheet] = {}
            elif tag == b"table:table-row":
                repeat = _ods_number(_ODS_ROWS_REPEATED, attributes)
                column = in_row = 0
                if empty:
                    row += repeat
            else:
                across = _ods_number(_ODS_COLUMNS_REPEATED, attributes)
                if not empty or b"value-type" in attributes:
                    in_row += across
                    last_column = max(last_column, column + across)
                    spanned = _ods_number(_ODS_ROWS_SPANNED, attributes)
                    wide = _ods_number(_ODS_COLUMNS_SPANNED, attributes)
                    if spanned > 1 and wide == 1 and sheet >= 0:
                        merges[sheet].setdefault(row + 1, []).append((column, row + spanned))
                column += across
    _ods_extent(limits, last_row, last_column)
    return merges


def _ods_number(pattern: re.Pattern[bytes], attributes: bytes) -> int:
    found = pattern.search(attributes)
    return int(found.group(1)) if found else 1


def _ods_row_end(
    limits: Limits, in_row: int, repeat: int, cells: int, rows: int
) -> tuple[int, int]:
    if in_row > limits.max_columns:
        raise too_many_columns(limits)
    if in_row:
        cells += in_row * repeat
        rows += repeat
    if cells > limits.max_cells:
        raise too_many_cells(limits)
    if rows > limits.max_sheet_rows:
        raise too_many_sheet_rows(limits)
    return cells, rows


def _ods_extent(limits: Limits, last_row: int, last_column: int) -> None:
    """A sheet whose block from A1 to its last filled cell is larger than the cell limit."""
    if last_row * last_column > limits.max_cells:
        raise too_many_cells(limits)
