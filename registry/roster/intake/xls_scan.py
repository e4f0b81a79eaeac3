"""The scan of an .xls (Excel 97-2003) before python-calamine opens it.

python-calamine reads an .xls whole when it opens it: every sheet becomes a dense block from
its first to its last filled cell, a DIMENSIONS record has room reserved for the cells it
declares, and the compound file's chains are followed as they say. A file of a few kilobytes
can so ask for gigabytes (one cell at row 65,536 and column 65,536; DIMENSIONS saying its last
row comes before its first) or never end (a chain of sectors looping back on itself), and a
failed allocation aborts the whole process rather than raising. So the compound file is read
here first, with every sector checked, and the records calamine reads are walked and counted.

:func:`scan_xls` refuses a damaged or encrypted file, cells or a declared size whose block would
pass the cell limit, and a shared-string table or the texts its cells copy from it past the
string limits.
"""

from __future__ import annotations

import re
import struct
import sys
from array import array
from collections.abc import Sequence
from typing import Any

from registry.errors import ValidationError
from registry.roster.intake.guards import Budget, too_many_cells, too_many_sheet_rows

_CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENDOFCHAIN = 0xFFFFFFFE
_DIFSECT = 0xFFFFFFFC
_MAXREGSECT = 0xFFFFFFFA
# Streams shorter than this live in the mini stream, in sectors of 64 bytes.
_MINI_CUTOFF = 4096
# The names calamine looks for, in its order.
_WORKBOOK_NAMES = ("Workbook", "Book", "WORKBOOK", "BOOK")
# calamine reserves room for as many entries as the header's bytes 62-65 say (a real file has
# there a few times 65,536: the top of the mini FAT's first sector and its sector count).
_MAX_HEADER_RESERVE = 1 << 24
# A sheet per BOUNDSHEET record; a list has a few.
MAX_SHEETS = 1_000
# CONTINUE records after one record: calamine takes them one by one from the front of a list
# (quadratic); Excel cuts the largest shared-string table allowed here into about 1,300.
_MAX_CONTINUES = 10_000
_U16 = struct.Struct("<H").unpack_from
_U32 = struct.Struct("<I").unpack_from
_HEADER = struct.Struct("<HH").unpack_from
_STRING_HEAD = struct.Struct("<HB").unpack_from
_DIMENSIONS = struct.Struct("<IIHH").unpack_from
_SHORT_DIMENSIONS = struct.Struct("<HHHH").unpack_from
_BOF, _EOF, _CONTINUE = 0x0809, 0x000A, 0x003C
_FILEPASS, _BOUNDSHEET, _SST, _DIMENSION, _ROW = 0x002F, 0x0085, 0x00FC, 0x0200, 0x0208
_FORMULA, _STRING, _MULRK, _LABELSST = 0x0006, 0x0207, 0x00BD, 0x00FD
# The records that are one cell for calamine, starting with its row and column: NUMBER, LABEL,
# RSTRING, BOOLERR, RK, LABELSST, FORMULA.
_CELL_RECORDS = frozenset((0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, _LABELSST, _FORMULA))
# One or more LABELSST or RK records: 14 bytes each, the row and column at the same place.
_RK = 0x027E
_SHEET_RECORDS = _CELL_RECORDS | {_MULRK, _STRING, _ROW, _DIMENSION, _BOF, _EOF}
_CELL_RUN = re.compile(rb"(?:(?:\xfd\x00|\x7e\x02)\x0a\x00.{10})+", re.DOTALL)
# Global records calamine reads without checking their size first: BOF, CODEPAGE, DATEMODE.
_GLOBAL_MINIMUM = {_BOF: 2, 0x0042: 2, 0x0022: 2, _BOUNDSHEET: 7}
_GLOBAL_RECORDS = frozenset((*_GLOBAL_MINIMUM, _FILEPASS, _SST, _CONTINUE, _EOF))


def _corrupt() -> ValidationError:
    return ValidationError("import.corrupt")


def scan_xls(data: bytes, budget: Budget) -> None:
    """Refuse an .xls (Excel 97-2003) that is damaged, encrypted or past the limits before
    python-calamine opens it: the compound file's sectors and chains are checked, then the
    Workbook stream's records are walked as calamine walks them, counting what it would hold
    (cells, their blocks, rows, shared strings and the characters the cells copy from them)."""
    stream = _workbook_stream(data)
    _BiffScan(stream, budget).run()


def _workbook_stream(data: bytes) -> bytes:
    """The Workbook stream of a compound file, every sector and chain on the way checked."""
    if len(data) < 512 or not data.startswith(_CFB_SIGNATURE):
        raise _corrupt()
    shift, mini_shift = struct.unpack_from("<HH", data, 30)
    if shift not in (9, 12) or mini_shift != 6:
        raise _corrupt()
    size = 1 << shift
    count = (len(data) - size) // size + (1 if (len(data) - size) % size else 0)
    if count <= 0:
        raise _corrupt()
    fat_sectors, directory_start = struct.unpack_from("<II", data, 44)
    mini_fat_start, mini_fat_sectors, difat_start = struct.unpack_from("<III", data, 60)
    if fat_sectors > count or _U32(data, 62)[0] > _MAX_HEADER_RESERVE or mini_fat_sectors > count:
        raise _corrupt()

    def sector(number: int, whole: bool = True) -> bytes:
        if number >= count:
            raise _corrupt()
        start = size * (number + 1)
        piece = data[start : start + size]
        if whole and len(piece) < size:
            raise _corrupt()
        return piece

    # The DIFAT: the FAT's sectors, 109 in the header and the rest in a chain of sectors.
    difat = list(struct.unpack_from("<109I", data, 76))
    seen: set[int] = set()
    number = difat_start
    while number < _MAXREGSECT:
        if number in seen:
            raise _corrupt()
        seen.add(number)
        entries = struct.unpack(f"<{size // 4}I", sector(number))
        difat.extend(entries[:-1])
        number = entries[-1]
    # calamine loads every sector the DIFAT names, repeats included: no more than the file's.
    fat_ids = [number for number in difat if number < _DIFSECT]
    if len(fat_ids) > count + 109:
        raise _corrupt()
    fat = _little("I", b"".join(sector(number) for number in fat_ids))

    def chain(first: int, table: Sequence[int], limit: int, unit: int, read: Any) -> bytes:
        """A chain of sectors from ``first``, up to ``limit`` bytes; refused if it loops, leaves
        its table or points outside the file."""
        pieces: list[bytes] = []
        got = 0
        visited: set[int] = set()
        number = first
        while number != _ENDOFCHAIN and got < limit:
            if number in visited or number >= len(table):
                raise _corrupt()
            visited.add(number)
            piece = read(number)
            pieces.append(piece)
            got += len(piece)
            if len(piece) < unit:  # the last sector of the file, cut short
                break
            number = table[number]
        return b"".join(pieces)[:limit] if got > limit else b"".join(pieces)

    directory = chain(directory_start, fat, len(data), size, sector)
    if len(directory) % 128:
        raise _corrupt()
    large = shift == 12
    entries: list[tuple[str, int, int]] = []
    for offset in range(0, len(directory), 128):
        name = directory[offset : offset + 64].decode("utf-16-le", "replace").split("\0", 1)[0]
        start = _U32(directory, offset + 116)[0]
        length = struct.unpack_from("<Q" if large else "<I", directory, offset + 120)[0]
        entries.append((name, start, length))
    if not entries or (large and entries[0][1] == _ENDOFCHAIN):
        raise _corrupt()
    found = next(
        (entry for wanted in _WORKBOOK_NAMES for entry in entries if entry[0] == wanted), None
    )
    if found is None:
        raise ValidationError("import.not_a_table")  # a compound file, but no workbook
    _, start, length = found
    if length >= _MINI_CUTOFF:
        stream = chain(start, fat, length, size, lambda number: sector(number, whole=False))
    else:
        if mini_fat_sectors == 0:
            raise _corrupt()
        root_start, root_length = entries[0][1], entries[0][2]
        ministream = chain(root_start, fat, root_length, size, sector)
        minifat_bytes = chain(mini_fat_start, fat, mini_fat_sectors * size, size, sector)
        minifat = _little("I", minifat_bytes[: len(minifat_bytes) // 4 * 4])

        def mini(number: int) -> bytes:
            piece = ministream[number * 64 : number * 64 + 64]
            if len(piece) < 64:
                raise _corrupt()
            return piece

        stream = chain(start, minifat, length, 64, mini)
    return stream


class _BiffScan:
    """One walk over a Workbook stream's records, as calamine reads them: the globals up to
    their EOF (where the sheets and the shared strings are declared), then each sheet from
    where its BOUNDSHEET says it starts to its own EOF."""

    def __init__(self, stream: bytes, budget: Budget) -> None:
        self.stream = stream
        self.budget = budget
        self.limits = budget.limits
        self.cells = 0
        self.area = 0
        # The shared strings the cells point at (LABELSST), by index.
        self.references: array[int] = _little("I")

    def run(self) -> None:
        sheets, sst = self._globals()
        walked = 0
        for start in sheets:
            walked += self._sheet(start)
            if walked > len(self.stream):  # sheets overlapping, or read more than once
                raise _corrupt()
        if sst is not None:
            self._shared_strings(*sst)

    def _record(self, offset: int) -> tuple[int, int, int]:
        """The record at ``offset``: its type, where its data starts, where it ends."""
        if offset + 4 > len(self.stream):
            raise _corrupt()
        kind, size = _HEADER(self.stream, offset)
        end = offset + 4 + size
        if end > len(self.stream):
            raise _corrupt()
        return kind, offset + 4, end

    def _globals(self) -> tuple[list[int], tuple[int, int] | None]:
        stream = self.stream
        length = len(stream)
        sheets: list[int] = []
        sst: tuple[int, int] | None = None  # where the SST starts, where its CONTINUEs end
        header = _HEADER
        wanted = _GLOBAL_RECORDS
        continues = 0  # CONTINUE records after the last other record
        offset = 0
        while offset + 4 <= length:
            kind, size = header(stream, offset)
            body = offset + 4
            end = body + size
            if kind not in wanted:
                offset, continues = end, 0
                continue
            if end > length or size < _GLOBAL_MINIMUM.get(kind, 0):
                raise _corrupt()
            if kind == _CONTINUE:
                continues += 1
                if continues > _MAX_CONTINUES:
                    raise _corrupt()
                if sst is not None and sst[1] == offset:
                    sst = (sst[0], end)
                offset = end
                continue
            continues = 0
            if kind == _FILEPASS:  # the records that follow are encrypted (or XOR-obfuscated)
                raise ValidationError("import.encrypted")
            if kind == _BOUNDSHEET:
                start = _U32(stream, body)[0]
                if start > length:
                    raise _corrupt()
                sheets.append(start)
                if len(sheets) > MAX_SHEETS:
                    raise _corrupt()
            elif kind == _SST:
                sst = (offset, end)
            offset = end
            if kind == _EOF:
                break
        if offset > length:
            raise _corrupt()  # the last record cut short
        return sheets, sst

    def _sheet(self, offset: int) -> int:
        """Count one sheet's cells and rows; returns how many bytes it spans.

        The loop only collects: each cell's row and column (4 bytes of its record) and the
        shared string it points at are copied into byte arrays, counted and measured at the
        end in C (a sheet of 500,000 cells takes a few tenths of a second)."""
        limits = self.limits
        stream = self.stream
        length = len(stream)
        start = offset
        rows = depth = extra = 0
        seen_bof = False
        positions = bytearray()  # (row, column) of each cell, as in its record
        formulas = bytearray()  # the same for the formulas, whose texts calamine also holds
        formula = -1  # where the last FORMULA's (row, column) is: a STRING record's cell
        references = bytearray()  # the shared string of each LABELSST
        cell_kinds = _CELL_RECORDS
        wanted = _SHEET_RECORDS
        header = _HEADER
        run = _CELL_RUN.match
        # Runs of 14-byte cells (LABELSST and RK, most of a sheet Excel saved) are taken whole.
        runs = 0
        top = left = 0xFFFF
        bottom = right = -1
        low = array("H")
        high = array("H")
        while offset + 4 <= length:
            kind, size = header(stream, offset)
            if kind not in wanted:
                offset += 4 + size
                continue
            if (
                size == 10
                and kind in (_LABELSST, _RK)
                and (found := run(stream, offset)) is not None
            ):
                offset = found.end()
                cells = _little("H", stream[found.start() : offset])
                runs += len(cells) // 7
                found_rows, found_columns = cells[2::7], cells[3::7]
                top, bottom = min(top, min(found_rows)), max(bottom, max(found_rows))
                left, right = min(left, min(found_columns)), max(right, max(found_columns))
                kinds = cells[0::7]
                shared = kinds.count(_LABELSST)
                if shared == len(kinds):
                    low += cells[5::7]
                    high += cells[6::7]
                elif shared:
                    for kind, low_half, high_half in zip(
                        kinds, cells[5::7], cells[6::7], strict=True
                    ):
                        if kind == _LABELSST:
                            low.append(low_half)
                            high.append(high_half)
                continue
            body = offset + 4
            offset = body + size
            if kind in cell_kinds:
                positions += stream[body : body + 4]
                if kind == _LABELSST:
                    references += stream[body + 6 : body + 10]
                elif kind == _FORMULA:
                    formulas += stream[body : body + 4]
                    formula = body
            elif kind == _MULRK:
                width = (size - 6) // 6
                if width < 1 or offset > length:
                    continue  # calamine refuses it
                row, column = header(stream, body)
                positions += stream[body : body + 4]
                if width > 1:
                    positions += struct.pack("<HH", row, column + width - 1)
                    extra += width - 2
            elif kind == _STRING:
                positions += stream[formula : formula + 4] if formula >= 0 else bytes(4)
            elif kind == _ROW:
                rows += 1
                if rows > limits.max_sheet_rows:
                    raise too_many_sheet_rows(limits)
            elif kind == _DIMENSION:
                self._dimensions(stream[body:offset])
            elif kind == _BOF:
                depth += seen_bof
                seen_bof = True
            elif kind == _EOF:
                if depth == 0:
                    break
                depth -= 1
        if offset > length or len(positions) % 4 or len(references) % 4:
            raise _corrupt()  # the last record cut short
        self.budget.check_time()
        cells = len(positions) // 4 + extra + runs
        self.cells += cells
        if self.cells > limits.max_cells:
            raise too_many_cells(limits)
        self.references.frombytes(bytes(references))
        if high and max(high):
            self.references.extend(a + (b << 16) for a, b in zip(low, high, strict=True))
        else:
            self.references.fromlist(low.tolist())
        if runs:
            positions += struct.pack("<HHHH", top, left, bottom, right)
        self.area += _block(positions) + _block(formulas)
        if self.area > limits.max_cells:
            raise too_many_cells(limits)
        return offset - start

    def _dimensions(self, body: bytes) -> None:
        """The room calamine reserves for a sheet's cells: rows x columns as DIMENSIONS
        declares them (its last row and column one past the end), computed as calamine does."""
        limits = self.limits
        if len(body) == 14:
            first_row, end_row, first_column, end_column = _DIMENSIONS(body)
        elif len(body) == 10:
            first_row, end_row, first_column, end_column = _SHORT_DIMENSIONS(body)
        else:
            return  # calamine refuses it
        if end_row > limits.max_sheet_rows:
            raise too_many_sheet_rows(limits)
        if first_column > 0xFF or end_column < first_column:
            first_column = 0
        if end_row < 1 or end_column < 1:
            return  # one cell
        if first_row > end_row:  # a negative count of rows, which calamine takes as 4 billion
            raise _corrupt()
        columns = max(end_column - first_column, 0)
        if (end_row - first_row) * columns > limits.max_cells:
            raise too_many_cells(limits)

    def _shared_strings(self, start: int, end: int) -> None:
        """Count the shared strings (SST) as calamine reads them, with the characters of each,
        refusing a table longer than the cells could use and cells that would copy more
        characters from it than the limit."""
        limits = self.limits
        stream = self.stream
        # The record's data and its CONTINUEs' data, as one buffer and where each piece starts.
        pieces: list[bytes] = []
        offset = start
        while offset < end:
            _, body, record_end = self._record(offset)
            pieces.append(stream[body:record_end])
            offset = record_end
        allowed = min(limits.max_shared_strings, self.cells + 1_000)
        lengths = _sst_lengths(pieces, allowed, limits.max_shared_chars, self.budget)
        references = self.references
        if not references:
            return
        known = len(lengths)
        if max(references) < known:
            copied = sum(map(lengths.__getitem__, references))
        else:  # calamine leaves out a cell pointing past the table
            copied = sum(lengths[index] for index in references if index < known)
        if copied > limits.max_shared_chars:
            raise ValidationError("import.limits.shared_chars", max=limits.max_shared_chars)


def _little(code: str, data: bytes = b"") -> array[int]:
    """An array of little-endian numbers (as the file stores them) of type ``code``."""
    numbers = array(code, data)
    if sys.byteorder == "big":  # pragma: no cover
        numbers.byteswap()
    return numbers


def _block(positions: bytes) -> int:
    """The cells of the block from the first to the last of ``positions`` (rows and columns
    as 16-bit numbers), which calamine holds whole."""
    if not positions:
        return 0
    numbers = _little("H", positions)
    rows, columns = numbers[0::2], numbers[1::2]
    return (max(rows) - min(rows) + 1) * (max(columns) - min(columns) + 1)


def _sst_lengths(pieces: list[bytes], allowed: int, max_chars: int, budget: Budget) -> array[int]:
    """The length in characters of each string of a SST record (its data split over the
    record and its CONTINUEs), read as calamine reads them; refused past ``allowed`` strings
    or ``max_chars`` characters in all."""
    if not pieces or len(pieces[0]) < 8:
        raise _corrupt()
    lengths = array("H")
    chars = 0
    piece = 0
    data = pieces[0]
    offset = 8

    def next_piece() -> bool:
        nonlocal piece, data, offset
        if piece + 1 >= len(pieces):
            return False
        piece += 1
        data, offset = pieces[piece], 0
        return True

    head = _STRING_HEAD
    while True:
        # Most strings are plain (no formatting runs, no phonetic data) and inside one piece.
        size = len(data)
        while offset + 3 <= size:
            count, flags = head(data, offset)
            end = offset + 3 + (count << (flags & 1))
            if flags & 0x0C or end > size:
                break
            lengths.append(count)
            chars += count
            offset = end
        if len(lengths) > allowed:
            raise ValidationError("import.limits.shared_strings", max=allowed)
        if chars > max_chars:
            raise ValidationError("import.limits.shared_chars", max=max_chars)
        budget.check_time()
        if not (offset < len(data) or next_piece()):
            break
        if offset >= len(data):  # calamine reads an empty piece as an empty string
            lengths.append(0)
            continue
        if len(data) - offset < 3:
            raise _corrupt()
        count = _U16(data, offset)[0]
        flags = data[offset + 2]
        offset += 3
        runs = extra = 0
        if flags & 0x8:
            if len(data) - offset < 2:
                raise _corrupt()
            runs = _U16(data, offset)[0]
            offset += 2
        if flags & 0x4:
            if len(data) - offset < 4:
                raise _corrupt()
            extra = _U32(data, offset)[0]
            offset += 4
        left = count
        wide = flags & 0x1
        while True:
            available = (len(data) - offset) // 2 if wide else len(data) - offset
            taken = min(available, left)
            offset += taken * 2 if wide else taken
            left -= taken
            if not left:
                break
            if not next_piece() or not data:
                raise _corrupt()
            wide = data[0] & 0x1
            offset = 1
        skip = runs * 4 + extra
        while skip:
            if offset >= len(data) and not next_piece():
                raise _corrupt()
            taken = min(skip, len(data) - offset)
            offset += taken
            skip -= taken
        lengths.append(count)
        chars += count
        if chars > max_chars:
            raise ValidationError("import.limits.shared_chars", max=max_chars)
    return lengths
