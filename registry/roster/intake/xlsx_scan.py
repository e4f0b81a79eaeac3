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

calamine also gives every cell that points at a shared string its own copy of the text: a few
long strings pointed at by hundreds of thousands of cells are a file of a megabyte and
gigabytes once read. So the cells' pointers are collected from the sheets and the characters
they would copy are counted against the same limit as the table's own.
"""

from __future__ import annotations

import re
import zipfile
from array import array
from typing import IO

from registry.errors import ValidationError
from registry.roster.intake.guards import (
    MB,
    Budget,
    Limits,
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
# The reference of a row and of the last cell of a row: ``<row r="12"`` and ``<c r="AB12"``.
_ROW_NUMBER = re.compile(rb'[^>]*?\br="(\d+)"')
_CELL_COLUMN = re.compile(rb'\s+r="([A-Z]{1,3})\d+"')
# A cell's type attribute saying its value is the index of a shared string: ``t="s"`` as
# Excel writes it, or spelt some other way XML allows (``t = 's'``). Only the attribute's name
# ending in "t" is looked at: a cell has no other such attribute.
_SHARED_TYPE = rb"t\s*=\s*[\"']s[\"']"
_SHARED_TYPE_OTHERWISE = re.compile(rb"t(?:\s+=|=\s|=')|t=\"s'")
# A cell of the sheets a carried piece may hold at most before it is counted anyway.
_CARRY_REACH = MB


def scan_workbook(archive: zipfile.ZipFile, budget: Budget) -> Scan:
    """Refuse a workbook whose sheets or shared strings are past the limits, before parsing.

    The sheets are counted first: a shared-string table longer than the cells that could use
    it (plus some slack for a writer's leftovers) is refused too, whatever its size.
    """
    limits = budget.limits
    cells = 0
    scan = Scan()
    strings: list[zipfile.ZipInfo] = []
    copies = _Copies()
    for member in archive.infolist():
        name = member.filename.lower()
        if not name.endswith(".xml"):
            continue
        if name.rsplit("/", 1)[-1].startswith("sharedstrings"):
            strings.append(member)
        elif "worksheets/" in name:
            with archive.open(member) as stream:
                cells += _scan_sheet(stream, budget, limits.max_cells - cells, scan, copies)
    allowed = min(limits.max_shared_strings, cells + 1_000)
    for member in strings:
        with archive.open(member) as stream:
            lengths = _scan_strings(stream, budget, allowed)
        copies.check(lengths, limits)
    return scan


class _Copies:
    """The shared strings the cells of the sheets point at, collected as the sheets are read.

    A cell's type and value are found by a regular expression over pieces of the sheet that
    end where a cell starts (the rest is carried to the next piece), so no cell is cut in two.
    A cell typed as a shared string whose index is not read (written in some unusual way) is
    counted as pointing at the longest one, which errs on the safe side.
    """

    def __init__(self) -> None:
        self.references: array[int] = array("I")
        self.unknown = 0
        self._carry = b""
        self._cell_tag = b"<c"
        self._typed = re.compile(_SHARED_TYPE)
        self._valued = self._excel = self._typed

    def sheet(self, prefix: bytes) -> None:
        """Start a sheet whose elements have the namespace ``prefix``."""
        self._carry = b""
        self._cell_tag = b"<" + prefix + b"c"
        self._valued = re.compile(
            _SHARED_TYPE + rb"[^>]*>\s*<" + re.escape(prefix) + rb"v(?:\s[^>]*)?>\s*(\d{1,9})(?!\d)"
        )
        # As Excel writes a cell: the type last, the value next.
        self._excel = re.compile(rb't="s"><' + re.escape(prefix) + rb"v>(\d{1,9})<")

    def feed(self, body: bytes) -> None:
        text = self._carry + body
        cut = text.rfind(self._cell_tag)
        if cut == -1:  # no cell starts here, nor in the carried piece
            self._carry = b""
            return
        if cut == 0:  # one cell so far: carried, unless it is already too long
            if len(text) <= _CARRY_REACH:
                self._carry = text
                return
            cut = len(text)
        self._count(text[:cut])
        self._carry = text[cut:]

    def end_sheet(self) -> None:
        self._count(self._carry)
        self._carry = b""

    def _count(self, text: bytes) -> None:
        """Collect the indexes of a piece of whole cells: by the short pattern of the cells
        Excel writes when every cell of the piece is written so, else by the general one."""
        if _SHARED_TYPE_OTHERWISE.search(text) is None:
            typed = text.count(b't="s"')
            indexes = self._excel.findall(text)
            if len(indexes) != typed:
                indexes = self._valued.findall(text)
        else:
            typed = len(self._typed.findall(text))
            indexes = self._valued.findall(text)
        self.references.extend(map(int, indexes))
        self.unknown += typed - len(indexes)

    def check(self, lengths: array[int], limits: Limits) -> None:
        """Refuse cells that would copy more characters from the table (``lengths``: each
        string's characters) than the shared-string character limit."""
        references = self.references
        known = len(lengths)
        if references and max(references) < known:
            copied = sum(map(lengths.__getitem__, references))
        else:  # an index past the table: no text to copy
            copied = sum(lengths[index] for index in references if index < known)
        copied += self.unknown * max(lengths, default=0)
        if copied > limits.max_shared_chars:
            raise ValidationError("import.limits.shared_chars", max=limits.max_shared_chars)


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + (char - 64)
    return number


def _scan_sheet(
    stream: IO[bytes], budget: Budget, cells_left: int, scan: Scan, copies: _Copies
) -> int:
    """The cells of one sheet's XML; refuses a row too wide, too many cells or rows, and
    collects the shared strings the cells point at into ``copies``.

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
            copies.sheet(prefix)
        body = chunk[start:]
        copies.feed(body)
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
    copies.end_sheet()
    scan.widen(last_row, last_column)
    return cells


def _count(data: bytes, cell_tag: bytes) -> int:
    """Cells in a piece of sheet data: inside ``sheetData`` the only element whose name starts
    with "c" is the cell (the few after it, like conditional formats, are counted too, which
    errs on the safe side)."""
    return data.count(cell_tag)


def _scan_strings(stream: IO[bytes], budget: Budget, allowed: int) -> array[int]:
    """Count the shared-string entries and their characters; refuse past the limits. Returns
    the characters of each entry, in order.

    Each entry's start is marked with a NUL (which XML never holds: any in the file are
    dropped first), the tags are removed, and the text is split at the marks: the first
    piece of a chunk goes on with the entry the chunk before left open."""
    limits = budget.limits
    count = chars = 0
    lengths: array[int] = array("I")
    current = -1  # the characters of the entry still open; -1 before the first one
    for chunk in xml_chunks(stream, budget):
        marked, found = _STRING_TAG.subn(b"\0", chunk.replace(b"\0", b""))
        count += found
        if count > allowed:
            raise ValidationError("import.limits.shared_strings", max=allowed)
        text = _ANY_TAG.sub(b"", marked).decode("utf-8", "replace")
        pieces = list(map(len, text.split("\0")))
        chars += len(text) - len(pieces) + 1
        if chars > limits.max_shared_chars:
            raise ValidationError("import.limits.shared_chars", max=limits.max_shared_chars)
        if current >= 0:
            current += pieces[0]
        if len(pieces) > 1:
            if current >= 0:
                lengths.append(current)
            lengths.extend(pieces[1:-1])
            current = pieces[-1]
    if current >= 0:
        lengths.append(current)
    return lengths
