"""What reading one list may cost, and the checks that refuse a file before it costs more.

A workbook of a few hundred kilobytes can hold millions of shared strings or a sheet 16,384
columns wide: the size and zip-bomb checks pass, and the parser then takes minutes and hundreds
of megabytes. So the cost is bounded twice:

- before parsing, the workbook's XML is streamed and counted (shared-string entries and their
  characters; cells per row, cells and rows with cells per sheet), in one pass of regular
  expressions over decompressed chunks of a megabyte, stopping at the first limit passed;
- while reading, every reader (xlsx, xls, ods, csv) hands its rows to a :class:`Budget` that
  counts filled cells per row and in all, and watches the clock.

The fast reader (python-calamine) holds a sheet as one dense block from its first to its last
filled cell, so a single stray cell at row 1,000,000 or column XFD would cost gigabytes there:
the scan also reports each sheet's extent (:class:`Scan`), and a workbook whose block would be
larger than the cell limit is read by the streaming reader instead (an .xlsx) or refused (an
.ods, whose ``content.xml`` is counted the same way by :func:`scan_ods`). The scan also says
whether an .xlsx holds formulas, which only the streaming reader gives back as their text.

Each limit has its own refusal (a ``ValidationError`` with code ``import.limits.*``), so the
person who sent the file learns what is wrong with it in their own language.
"""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from registry.errors import ValidationError
from registry.settings import Settings

MB = 1024 * 1024

# A tag starts with "<"; its name (with an optional namespace prefix) ends at a space, "/" or ">".
_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData[\s/>]")
_STRING_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
_ANY_TAG = re.compile(rb"<[^>]*>")
# Text left after the tags is counted in characters: UTF-8 continuation bytes are not counted.
_CONTINUATION = tuple(bytes([byte]) for byte in range(0x80, 0xC0))
# A tag name is short: a "<" further than this from the end of a chunk starts a complete one.
_TAG_REACH = 64
# The reference of a row and of the last cell of a row: ``<row r="12"`` and ``<c r="AB12"``.
_ROW_NUMBER = re.compile(rb'[^>]*?\br="(\d+)"')
_CELL_COLUMN = re.compile(rb'\s+r="([A-Z]{1,3})\d+"')
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


@dataclass
class Scan:
    """What the scan of a workbook learnt beyond its cost: whether any cell holds a formula,
    and the largest block from the top-left corner to the last filled cell of a sheet (None
    when a writer left out the references it is measured by)."""

    formulas: bool = False
    area: int | None = 0

    def widen(self, rows: int | None, columns: int | None) -> None:
        if rows is None or columns is None or self.area is None:
            self.area = None
        else:
            self.area = max(self.area, rows * columns)

    def fits(self, limits: Limits) -> bool:
        """Whether the dense reader may hold the largest sheet."""
        return self.area is not None and self.area <= limits.max_cells


@dataclass(frozen=True)
class Limits:
    """What a file may weigh and cost; from the settings, raised by the benchmark.

    The defaults take a real list of 50,000 rows and about 15 columns with room to spare.
    """

    max_bytes: int = 10 * MB
    max_rows: int = 50_000
    max_uncompressed: int = 100 * MB
    max_shared_strings: int = 1_000_000
    max_shared_chars: int = 30_000_000
    max_columns: int = 1_000
    max_cells: int = 2_000_000
    max_sheet_rows: int = 200_000
    max_seconds: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_bytes=settings.import_max_bytes,
            max_rows=settings.import_max_rows,
            max_uncompressed=settings.import_max_uncompressed,
            max_shared_strings=settings.import_max_shared_strings,
            max_shared_chars=settings.import_max_shared_chars,
            max_columns=settings.import_max_columns,
            max_cells=settings.import_max_cells,
            max_sheet_rows=settings.import_max_sheet_rows,
            max_seconds=settings.import_max_seconds,
        )


class Budget:
    """The cost of one read so far: filled cells, and the time left."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds
        self.cells = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise ValidationError("import.limits.time", seconds=_number(self.limits.max_seconds))

    def row(self, cells: Sequence[str]) -> None:
        """Count one row as read, refusing a row too wide or a file with too many cells."""
        filled = sum(1 for cell in cells if cell)
        if filled > self.limits.max_columns:
            raise too_many_columns(self.limits)
        self.cells += filled
        if self.cells > self.limits.max_cells:
            raise too_many_cells(self.limits)
        self.check_time()


def too_many_columns(limits: Limits) -> ValidationError:
    return ValidationError("import.limits.columns", max=limits.max_columns)


def too_many_cells(limits: Limits) -> ValidationError:
    return ValidationError("import.limits.cells", max=limits.max_cells)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _chunks(stream: IO[bytes], budget: Budget) -> Iterator[bytes]:
    """The stream in pieces of about a megabyte, each cut before a tag that may be unfinished
    (the rest comes at the start of the next piece)."""
    tail = b""
    while chunk := stream.read(MB):
        buffer = tail + chunk
        cut = buffer.rfind(b"<")
        if cut == -1 or len(buffer) - cut > _TAG_REACH:
            cut = len(buffer)
        tail = buffer[cut:]
        budget.check_time()
        yield buffer[:cut]
    if tail:
        yield tail


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
    for chunk in _chunks(stream, budget):
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
            raise ValidationError("import.limits.sheet_rows", max=limits.max_sheet_rows)
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
    for chunk in _chunks(stream, budget):
        count += len(_STRING_TAG.findall(chunk))
        if count > allowed:
            raise ValidationError("import.limits.shared_strings", max=allowed)
        text = _ANY_TAG.sub(b"", chunk)
        chars += len(text) - sum(text.count(byte) for byte in _CONTINUATION)
        if chars > limits.max_shared_chars:
            raise ValidationError("import.limits.shared_chars", max=limits.max_shared_chars)


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
    for chunk in _chunks(stream, budget):
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
        raise ValidationError("import.limits.sheet_rows", max=limits.max_sheet_rows)
    return cells, rows


def _ods_extent(limits: Limits, last_row: int, last_column: int) -> None:
    """A sheet whose block from A1 to its last filled cell is larger than the cell limit."""
    if last_row * last_column > limits.max_cells:
        raise too_many_cells(limits)
