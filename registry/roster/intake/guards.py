"""What reading one list may cost, and the checks that refuse a file before it costs more.

A workbook of a few hundred kilobytes can hold millions of shared strings or a sheet 16,384
columns wide: the size and zip-bomb checks pass, and the parser then takes minutes and hundreds
of megabytes. So the cost is bounded twice:

- before parsing, the workbook's XML is streamed and counted (shared-string entries and their
  characters; cells per row, cells and rows with cells per sheet), in one pass of regular
  expressions over decompressed chunks of a megabyte, stopping at the first limit passed;
- while reading, every reader (xlsx, csv, any reader added later) hands its rows to a
  :class:`Budget` that counts filled cells per row and in all, and watches the clock.

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


def scan_workbook(archive: zipfile.ZipFile, budget: Budget) -> None:
    """Refuse a workbook whose sheets or shared strings are past the limits, before parsing.

    The sheets are counted first: a shared-string table longer than the cells that could use
    it (plus some slack for a writer's leftovers) is refused too, whatever its size.
    """
    limits = budget.limits
    cells = 0
    strings: list[zipfile.ZipInfo] = []
    for member in archive.infolist():
        name = member.filename.lower()
        if not name.endswith(".xml"):
            continue
        if name.rsplit("/", 1)[-1].startswith("sharedstrings"):
            strings.append(member)
        elif "worksheets/" in name:
            with archive.open(member) as stream:
                cells += _scan_sheet(stream, budget, limits.max_cells - cells)
    allowed = min(limits.max_shared_strings, cells + 1_000)
    for member in strings:
        with archive.open(member) as stream:
            _scan_strings(stream, budget, allowed)


def _scan_sheet(stream: IO[bytes], budget: Budget, cells_left: int) -> int:
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
    for chunk in _chunks(stream, budget):
        start = 0
        if prefix is None:
            found = _SHEET_DATA.search(chunk)
            if found is None:
                continue  # rows and cells are only inside sheetData
            prefix, start = found.group(1) or b"", found.end()
            row_tag, cell_tag = b"<" + prefix + b"row", b"<" + prefix + b"c"
        body = chunk[start:]
        pieces = body.split(row_tag)
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
