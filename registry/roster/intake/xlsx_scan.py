"""The scan of an .xlsx before it is parsed: its XML streamed and counted.

A workbook of a few hundred kilobytes can hold millions of shared strings or a sheet 16,384
columns wide, which the parser then takes minutes and hundreds of megabytes to read. So the
sheets and the shared-string table are counted first (shared-string entries and their
characters; cells per row, cells and rows with cells per sheet), in one pass of regular
expressions over decompressed chunks of a megabyte, stopping at the first limit passed.

The fast reader (python-calamine) holds a sheet as one dense block from its first to its last
filled cell, so a single stray cell at row 1,000,000 or column XFD would cost gigabytes there:
the scan also reports each sheet's extent (:class:`~.guards.Scan`), and a workbook whose block
would be larger than the cell limit is read by the streaming reader instead. The scan also
says whether the workbook holds formulas, which only the streaming reader gives back as their
text.
"""

from __future__ import annotations

import re
import zipfile
from typing import IO

from registry.errors import ValidationError
from registry.roster.intake.guards import (
    Budget,
    Scan,
    too_many_cells,
    too_many_columns,
    too_many_sheet_rows,
    xml_chunks,
)

# A tag starts with "<"; its name (with an optional namespace prefix) ends at a space, "/" or ">".
_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData[\s/>]")
_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
_ANY_TAG = re.compile(rb"<[^>]*>")
# Text left after the tags is counted in characters: UTF-8 continuation bytes are not counted.
_CONTINUATION = tuple(bytes([byte]) for byte in range(0x80, 0xC0))
# The reference of a row and of the last cell of a row: ``<row r="12"`` and ``<c r="AB12"``.
_ROW_NUMBER = re.compile(rb'[^>]*?\br="(\d+)"')
_CELL_COLUMN = re.compile(rb'\s+r="([A-Z]{1,3})\d+"')


def scan_workbook(archive: zipfile.ZipFile, budget: Budget) -> Scan:
    """Refuse a workbook whose sheets or shared strings are past the limits, before parsing.

    The sheets are counted first: a shared-string table longer than the cells that could use
    it (plus some slack for a writer's leftovers) is refused too, whatever its size.
    """
    limits = budget.limits
    cells = 0
    scan = Scan()
    strings: list[zipfile.ZipInfo] = []
    for member in archive.infolist():
        name = member.filename.lower()
        if not name.endswith(".xml"):
            continue
        if name.rsplit("/", 1)[-1].startswith("sharedstrings"):
            strings.append(member)
        elif "worksheets/" in name:
            with archive.open(member) as stream:
                cells += _scan_sheet(stream, budget, limits.max_cells - cells, scan)
    allowed = min(limits.max_shared_strings, cells + 1_000)
    for member in strings:
        with archive.open(member) as stream:
            _scan_strings(stream, budget, allowed)
    return scan


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + (char - 64)
    return number


def _scan_sheet(stream: IO[bytes], budget: Budget, cells_left: int, scan: Scan) -> int:
    """The cells of one sheet's XML; refuses a row too wide, too many cells or rows.

    Everything is counted by ``bytes.split`` and ``bytes.count`` (the namespace prefix, if the
    writer uses one, is read from the ``sheetData`` tag), so the cost in Python is per chunk:
    well under a second for a list of 50,000 rows. Only a row long enough in bytes to hold more
    cells than the limit has its cells counted on its own.
    """
    limits = budget.limits
    # The shortest cell is "<c/>": a row of fewer bytes than this cannot be too wide.
    wide = 4 * (limits.max_columns + 1)
    cells = rows = in_row = 0
    prefix: bytes | None = None
    # The extent: the last row with a reference, the rightmost last cell of a row.
    last_row: int | None = 0
    last_column: int | None = 0
    for chunk in xml_chunks(stream, budget):
        start = 0
        if prefix is None:
            found = _SHEET_DATA.search(chunk)
            if found is None:
                continue  # rows and cells are only inside sheetData
            prefix, start = found.group(1) or b"", found.end()
            row_tag, cell_tag = b"<" + prefix + b"row", b"<" + prefix + b"c"
            formula = re.compile(rb"<" + re.escape(prefix) + rb"f[\s/>]")
            cell_spaced = re.compile(re.escape(cell_tag) + rb"\s")
        body = chunk[start:]
        if not scan.formulas and formula.search(body):
            scan.formulas = True
        pieces = body.split(row_tag)
        for index, piece in enumerate(pieces):
            if last_row is None or last_column is None:
                break
            if index:  # the first piece goes on with the row of the chunk before
                number = _ROW_NUMBER.match(piece)
                if number is None:
                    last_row = None
                    break
                last_row = max(last_row, int(number.group(1)))
            end = piece.rfind(cell_tag + b' r="')
            if end == -1:
                if cell_spaced.search(piece):  # cells, their reference not first: unknown
                    last_column = None
                continue
            column = _CELL_COLUMN.match(piece, end + len(cell_tag))
            if column is None:
                last_column = None
                break
            last_column = max(last_column, _column_number(column.group(1)))
        # The first piece ends the row the last chunk left open; the last one may go on.
        in_row += _count(pieces[0], cell_tag)
        if len(pieces) > 1:
            if in_row > limits.max_columns:
                raise too_many_columns(limits)
            for piece in [piece for piece in pieces[1:-1] if len(piece) >= wide]:
                if _count(piece, cell_tag) > limits.max_columns:
                    raise too_many_columns(limits)
            in_row = _count(pieces[-1], cell_tag)
        if in_row > limits.max_columns:
            raise too_many_columns(limits)
        cells += _count(body, cell_tag)
        rows += len(pieces) - 1
        if cells > cells_left:
            raise too_many_cells(limits)
        if rows > limits.max_sheet_rows:
            raise too_many_sheet_rows(limits)
    scan.widen(last_row, last_column)
    return cells


def _count(data: bytes, cell_tag: bytes) -> int:
    """Cells in a piece of sheet data: inside ``sheetData`` the only element whose name starts
    with "c" is the cell (the few after it, like conditional formats, are counted too, which
    errs on the safe side)."""
    return data.count(cell_tag)


def _scan_strings(stream: IO[bytes], budget: Budget, allowed: int) -> None:
    """Count the shared-string entries and their characters; refuse past the limits."""
    limits = budget.limits
    count = chars = 0
    for chunk in xml_chunks(stream, budget):
        count += len(_STRING_TAG.findall(chunk))
        if count > allowed:
            raise ValidationError("import.limits.shared_strings", max=allowed)
        text = _ANY_TAG.sub(b"", chunk)
        chars += len(text) - sum(text.count(byte) for byte in _CONTINUATION)
        if chars > limits.max_shared_chars:
            raise ValidationError("import.limits.shared_chars", max=limits.max_shared_chars)
