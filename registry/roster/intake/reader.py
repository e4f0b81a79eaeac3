"""Reading the lists agencies send: an .xlsx, .xls (Excel 97-2003) or .ods workbook or a .csv
file, as a table of rows (:class:`~registry.roster.intake.table.ListTable`).

What a file is, is decided by its content, never by its name (an agency renames things, and a
chat platform may drop the name): a ZIP archive is an .xlsx or an .ods workbook, an OLE2
compound file is an encrypted workbook or an .xls, anything else must be text to be a CSV file.
Refused with a ``ValidationError`` (code ``import.*``) before anything is parsed: a file over
the size limit, an empty one, one that is not a table, an encrypted or corrupt workbook, and a
ZIP whose members declare more uncompressed bytes than the limit (a zip bomb). What the file
may cost beyond that (shared strings, columns, cells, rows with cells, seconds) is bounded by
:mod:`registry.roster.intake.guards`: an .xlsx's or .ods's XML is counted before it is parsed
(:mod:`~registry.roster.intake.xlsx_scan`, :mod:`~registry.roster.intake.ods_scan`), an .xls's
compound file and records are checked and counted the same way
(:mod:`~registry.roster.intake.xls_scan`), and every reader's rows are counted as they are read. A file with more data rows than the row limit is refused as
soon as the limit is passed.

Workbooks are read by python-calamine (Rust, several times faster than openpyxl). An .xlsx
goes to openpyxl's streaming reader instead when it holds formulas (calamine gives a formula's
last computed value, openpyxl its text, which is what a list is judged on: see below) or when
its cells are spread so far apart that calamine's block of cells would be larger than the cell
limit (a stray cell at row 1,000,000); the rows are the same either way.

CSV encodings, in this order: a byte-order mark decides (UTF-8 with BOM is what Excel writes
for "CSV UTF-8", UTF-16 is what it writes for "Unicode Text"); without one, UTF-8 when the bytes
are valid UTF-8, else Windows-1258, the Vietnamese ANSI code page that Excel's plain "CSV
(Comma delimited)" uses on a Vietnamese Windows. Windows-1252 is not tried separately: it only
differs from 1258 in letters a Vietnamese list does not use the 1252 way, and guessing between
two single-byte code pages from the bytes alone is unreliable. The delimiter (``,`` ``;`` or tab)
is the one under which a header row is found with the most recognised columns.

The header row is found by :mod:`registry.roster.intake.headers` (anywhere in the first 20 rows,
under title rows and merged cells, any column order, with or without STT). A cell merged down over
several rows (the agency of the printed roster) gives its value to every data row it covers;
empty rows are dropped. The rows above the header are kept as the table's letterhead (where a
province's list names its agency), and the letter's closing block under the data ("Nơi nhận:",
the date line, the signer) ends the table (:mod:`registry.roster.intake.closing`).

Formulas are never evaluated: in an .xlsx a cell holding one comes back as its formula text
("=HYPERLINK(..)") and is then judged by the validation of its column like any other text; an
.xls or .ods gives the value the spreadsheet last computed and stored with it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from typing import Any

from registry.errors import RegistryError, ValidationError
from registry.roster.intake.checks import is_example_row
from registry.roster.intake.closing import has_contact, is_closing
from registry.roster.intake.guards import MB, Budget, Limits
from registry.roster.intake.headers import HEADER_SEARCH_ROWS, find_header, is_numbering
from registry.roster.intake.ods_scan import scan_ods
from registry.roster.intake.table import Format, ListRow, ListTable
from registry.roster.intake.xls_scan import scan_xls
from registry.roster.intake.xlsx_scan import scan_workbook

# Cells beyond this column are ignored: a stray formatted cell at column XFD would otherwise
# make every row 16,384 cells wide.
MAX_COLUMNS = 100
# An .xlsx has a dozen members; thousands mean something other than a workbook.
MAX_ZIP_MEMBERS = 10_000

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Office encryption stores the real .xlsx as a stream of this name inside a compound file.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
# An .xls keeps its sheets in a stream of one of these names (Excel 97 and later, Excel 5).
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
# ... and other Office 97-2003 documents in theirs.
_OTHER_STREAMS = tuple(
    name.encode("utf-16-le") for name in ("WordDocument", "PowerPoint Document", "VisioDocument")
)
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ACTIVE_TAB = re.compile(rb"<(?:\w+:)?workbookView\b[^>]*?\bactiveTab=\"(\d+)\"")
# Files that are plainly something else, refused without trying to read them as text.
_OTHER_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"%PDF",
    b"\x1f\x8b",  # gzip
    b"BZh",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
    b"MZ",
)
_DELIMITERS = (",", ";", "\t")
# Share of control characters above which decoded "text" is really binary data.
_MAX_CONTROL_SHARE = 0.005
_MERGE_REF = re.compile(
    rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)\""
)


def read_list(data: bytes, limits: Limits | None = None) -> ListTable:
    """Read an .xlsx, .xls, .ods or .csv file given as bytes; raise ``ValidationError`` if it
    is refused."""
    limits = limits or Limits()
    budget = Budget(limits)
    if not data:
        raise ValidationError("import.empty_file")
    if len(data) > limits.max_bytes:
        raise ValidationError(
            "import.too_large", size=megabytes(len(data)), max=megabytes(limits.max_bytes)
        )
    if data.startswith(_ZIP_MAGIC):
        archive = _open_zip(data, limits)
        if _is_ods(archive):
            return _read_ods(data, archive, budget)
        return _read_xlsx(data, archive, budget)
    if data.startswith(_CFB_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise ValidationError("import.encrypted")
        if not any(name in data for name in _XLS_STREAMS) and any(
            name in data for name in _OTHER_STREAMS
        ):
            raise ValidationError("import.not_a_table")  # a Word document, say
        scan_xls(data, budget)
        return _read_calamine(data, budget, "xls")
    if data.startswith(_OTHER_MAGIC):
        raise ValidationError("import.not_a_table")
    return _read_csv(data, budget)


def megabytes(size: int) -> str:
    """A size as people read it: "10", "10.5", "0.002"."""
    value = size / MB
    text = f"{value:.1f}" if value >= 1 else f"{value:.2g}"
    return text.removesuffix(".0")


# --- rows ----------------------------------------------------------------------------------


def _trim(cells: Sequence[str]) -> list[str]:
    cut = list(cells[:MAX_COLUMNS])
    while cut and not cut[-1].strip():
        cut.pop()
    return cut


# A row as read: its number, its cells, and the values of cells merged down into it from a
# row above (column index -> value), which only data rows take (a header merged over two rows
# must stay a two-row header).
Record = tuple[int, list[str], dict[int, str]]


def _counted(records: Iterable[Record], budget: Budget) -> Iterator[Record]:
    """Every reader's rows, each counted against the budget before anything keeps it, and
    cut to the columns a list can use."""
    for number, cells, merged in records:
        budget.row(cells)
        yield number, _trim(cells), merged


def _build(records: Iterable[Record], budget: Budget, **details: Any) -> ListTable | None:
    """The table of a sheet or CSV text, or None when no header is found in its first rows.

    ``records`` are as the reader gives them (untrimmed): the budget sees every filled cell.
    """
    limits = budget.limits
    records = _counted(records, budget)
    buffered: list[Record] = []
    for record in records:
        buffered.append(record)
        if len(buffered) > HEADER_SEARCH_ROWS:
            break
    header = find_header([[cell.strip() for cell in cells] for _, cells, _ in buffered])
    if header is None:
        return None
    start = header.last_row + 1
    if start < len(buffered) and is_numbering([c.strip() for c in buffered[start][1]]):
        start += 1
    rows: list[ListRow] = []
    # Rows from a closing row on ("Nơi nhận:", the date line, the signer): left out at the end,
    # taken back as data should a row with a phone number or an email follow them.
    closing: list[ListRow] = []
    # The template's example row ("Ví dụ") is no person: it does not count toward the limit.
    examples = 0

    def remaining() -> Iterable[Record]:
        yield from buffered[start:]
        yield from records

    for number, cells, merged in remaining():
        if not any(cell.strip() for cell in cells):
            continue
        raw = tuple(cells)
        for index, value in merged.items():
            cells.extend([""] * (index + 1 - len(cells)))
            if not cells[index].strip():
                cells[index] = value
        values = {
            key: cells[index].strip()
            for key, index in header.columns.items()
            if index < len(cells) and cells[index].strip()
        }
        row = ListRow(number, tuple(cells), values)
        if is_example_row(row, header.columns):
            examples += 1
        elif len(rows) + len(closing) - examples >= limits.max_rows:
            raise ValidationError("import.too_many_rows", max=limits.max_rows)
        if closing and has_contact(values):
            rows.extend(closing)
            closing.clear()
        if closing or (rows and is_closing(raw, values)):
            closing.append(row)
        else:
            rows.append(row)
    if not rows:
        raise ValidationError("import.no_rows")
    return ListTable(
        header_row=buffered[header.last_row][0],
        headers=header.headers,
        columns=header.columns,
        rows=tuple(rows),
        ignored_headers=header.ignored,
        letterhead=tuple(
            tuple(" ".join(cell.split()) for cell in cells)
            for _, cells, _ in buffered[: header.top]
        ),
        ended_at=closing[0].number if closing else None,
        **details,
    )


# --- xlsx ----------------------------------------------------------------------------------


_INFLATE_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, zlib.error)


def _read_xlsx(data: bytes, archive: zipfile.ZipFile, budget: Budget) -> ListTable:
    limits = budget.limits
    # Counted before a reader loads anything: both read every shared string at once.
    try:
        scan = scan_workbook(archive, budget)
    except RegistryError:
        raise
    except _INFLATE_ERRORS as error:
        # A member that does not inflate, is encrypted or uses a method zipfile lacks.
        raise ValidationError("import.corrupt") from error
    if not scan.formulas and scan.fits(limits):
        try:
            found = _ACTIVE_TAB.search(archive.read("xl/workbook.xml"))
        except (KeyError, *_INFLATE_ERRORS):
            found = None
        return _read_calamine(data, budget, "xlsx", active=int(found.group(1)) if found else 0)
    return _read_xlsx_streaming(data, archive, budget)


def _read_xlsx_streaming(data: bytes, archive: zipfile.ZipFile, budget: Budget) -> ListTable:
    limits = budget.limits
    # Imported here: openpyxl takes a noticeable time to import, and a CSV never needs it.
    from openpyxl import load_workbook

    try:
        # read_only: rows are streamed, the workbook is never held in memory as cell objects.
        # data_only=False: a formula comes back as its text and is never evaluated.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except RegistryError:
        raise
    except Exception as error:  # openpyxl raises anything from KeyError to XML errors
        raise ValidationError("import.corrupt") from error
    try:
        sheets = [workbook.active, *workbook.worksheets]
        seen: set[str] = set()
        for sheet in sheets:
            if sheet is None or sheet.title in seen or not hasattr(sheet, "reset_dimensions"):
                continue
            seen.add(sheet.title)
            merges = _merged_columns(archive, getattr(sheet, "_worksheet_path", None), limits)
            # Writers often leave a wrong <dimension>; read-only mode would trust it.
            sheet.reset_dimensions()
            records = _records(sheet.iter_rows(values_only=True), merges)
            table = _build(records, budget, format="xlsx", sheet=sheet.title)
            if table is not None:
                return table
    except RegistryError:
        raise
    except Exception as error:
        raise ValidationError("import.corrupt") from error
    finally:
        workbook.close()
    raise ValidationError("import.no_header", rows=HEADER_SEARCH_ROWS)


def _open_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """The archive, after checking it is a workbook and what it would expand to."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ValidationError("import.corrupt") from error
    if len(members) > MAX_ZIP_MEMBERS:
        raise ValidationError("import.corrupt")
    # The sizes declared in the central directory; zipfile never inflates a member past its
    # declared size (it stops and fails the CRC check), so this bounds what parsing can cost.
    expanded = sum(member.file_size for member in members)
    if expanded > limits.max_uncompressed:
        raise ValidationError(
            "import.zip_bomb",
            size=megabytes(expanded),
            max=megabytes(limits.max_uncompressed),
        )
    names = {member.filename for member in members}
    if "EncryptedPackage" in names or "EncryptionInfo" in names:
        raise ValidationError("import.encrypted")
    if _is_ods(archive):
        try:
            manifest = archive.read("META-INF/manifest.xml")
        except (KeyError, *_INFLATE_ERRORS) as error:
            raise ValidationError("import.corrupt") from error
        if b"encryption-data" in manifest:  # saved with a password
            raise ValidationError("import.encrypted")
        if "content.xml" not in names:
            raise ValidationError("import.corrupt")
        return archive
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        # A .docx, an .odt or any other ZIP archive renamed.
        raise ValidationError("import.not_a_table")
    return archive


def _is_ods(archive: zipfile.ZipFile) -> bool:
    """An OpenDocument spreadsheet: its first member, ``mimetype``, says so."""
    try:
        return archive.read("mimetype").strip() == _ODS_MIMETYPE
    except (KeyError, *_INFLATE_ERRORS):
        return False


def _read_ods(data: bytes, archive: zipfile.ZipFile, budget: Budget) -> ListTable:
    try:
        with archive.open("content.xml") as stream:
            merges = scan_ods(stream, budget)
    except RegistryError:
        raise
    except _INFLATE_ERRORS as error:
        raise ValidationError("import.corrupt") from error
    return _read_calamine(data, budget, "ods", merges=merges)


def _read_calamine(
    data: bytes,
    budget: Budget,
    format: Format,
    *,
    active: int = 0,
    merges: dict[int, dict[int, list[tuple[int, int]]]] | None = None,
) -> ListTable:
    """Read a workbook with python-calamine: the active sheet first, then the others, the first
    with a header being the list. ``merges`` gives the cells merged down per sheet where
    calamine does not (an .ods)."""
    # Imported here: only a workbook needs it.
    from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as error:
        raise ValidationError("import.encrypted") from error
    except Exception as error:  # calamine's own errors, and anything from a broken file
        raise ValidationError("import.corrupt") from error
    except BaseException as error:
        if not _is_panic(error):
            raise
        raise ValidationError("import.corrupt") from error
    try:
        sheets = [
            (index, meta.name)
            for index, meta in enumerate(workbook.sheets_metadata)
            if meta.typ == SheetTypeEnum.WorkSheet
        ]
        sheets.sort(key=lambda sheet: sheet[0] != active)
        for index, name in sheets:
            sheet = workbook.get_sheet_by_name(name)
            merged = merges.get(index, {}) if merges is not None else _calamine_merges(sheet)
            records = _records(_calamine_rows(sheet), merged)
            table = _build(records, budget, format=format, sheet=name)
            if table is not None:
                return table
    except RegistryError:
        raise
    except PasswordError as error:
        raise ValidationError("import.encrypted") from error
    except Exception as error:
        raise ValidationError("import.corrupt") from error
    except BaseException as error:
        if not _is_panic(error):
            raise
        raise ValidationError("import.corrupt") from error
    finally:
        workbook.close()
    raise ValidationError("import.no_header", rows=HEADER_SEARCH_ROWS)


def _is_panic(error: BaseException) -> bool:
    """A panic in calamine's Rust code: pyo3 raises it as ``PanicException``, which is no
    ``Exception``; it means a file calamine could not read. Anything else that is no
    ``Exception`` (an interrupt, a cancelled task) goes on as it is."""
    return type(error).__name__ == "PanicException"


def _calamine_rows(sheet: Any) -> Iterator[Sequence[Any]]:
    """The sheet's rows from row 1 and column A, as openpyxl gives them: calamine's start at
    the first filled cell."""
    start = sheet.start or (0, 0)
    first_row, first_column = start
    yield from ([] for _ in range(first_row))
    padding = [None] * first_column
    for values in sheet.iter_rows():
        yield [*padding, *values] if first_column else values


def _calamine_merges(sheet: Any) -> dict[int, list[tuple[int, int]]]:
    """Cells merged down one column, as :func:`_merged_columns` gives them."""
    starts: dict[int, list[tuple[int, int]]] = {}
    seen: set[tuple[int, int, int]] = set()  # a list per row would make this quadratic
    for (first_row, first_col), (last_row, last_col) in sheet.merged_cell_ranges or ():
        key = (first_row, first_col, last_row)
        if first_col == last_col and last_row > first_row and key not in seen:
            seen.add(key)
            starts.setdefault(first_row + 1, []).append((first_col, last_row + 1))
    return starts


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + (char - 64)
    return number


def _merged_columns(
    archive: zipfile.ZipFile, path: str | None, limits: Limits
) -> dict[int, list[tuple[int, int]]]:
    """Cells merged down one column: first row -> [(column index, last row)].

    openpyxl's read-only mode does not report merged cells, so they are read from the sheet's
    XML (they follow the cell data), in chunks, never holding the whole sheet in memory.
    """
    if not path:
        return {}
    name = path.lstrip("/")
    starts: dict[int, list[tuple[int, int]]] = {}
    seen: set[tuple[int, int, int]] = set()
    try:
        with archive.open(name) as stream:
            tail = b""
            while chunk := stream.read(1 * MB):
                buffer = tail + chunk
                for found in _MERGE_REF.finditer(buffer):
                    first_col, first_row, last_col, last_row = found.groups()
                    if first_col == last_col and int(last_row) > int(first_row):
                        entry = (_column_number(first_col) - 1, int(last_row))
                        if (int(first_row), *entry) not in seen:
                            seen.add((int(first_row), *entry))
                            starts.setdefault(int(first_row), []).append(entry)
                # A tag cut by the chunk boundary is found whole in the next buffer.
                tail = buffer[-300:]
    except KeyError:
        return {}
    return starts


def _records(
    rows: Iterable[Sequence[Any]], merges: dict[int, list[tuple[int, int]]]
) -> Iterator[Record]:
    """A sheet's rows (values from row 1, column A) as records, merged cells filled down."""
    filling: dict[int, tuple[str, int]] = {}  # column -> (value, last row of the merge)
    for number, values in enumerate(rows, start=1):
        cells = [_cell_text(value) for value in values]
        merged: dict[int, str] = {}
        for column, (value, last_row) in list(filling.items()):
            if number > last_row:
                del filling[column]
            else:
                merged[column] = value
        for column, last_row in merges.get(number, ()):
            if column < len(cells) and cells[column].strip():
                filling[column] = (cells[column], last_row)
        yield number, cells, merged


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        # A phone typed as a number comes back as 912345678.0.
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() != time() else _day(value)
    if isinstance(value, date):
        return _day(value)
    text = getattr(value, "text", None)  # array formulas
    return str(text if isinstance(text, str) else value)


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


# --- csv -----------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV file, in NFC, and the encoding it was read with (see the module's
    docstring). Windows-1258 writes most toned letters as a letter plus a combining mark, and
    a Mac writes NFD: NFC makes them the letters every other source has."""
    text, encoding = _decode(data)
    return unicodedata.normalize("NFC", text), encoding


def _decode(data: bytes) -> tuple[str, str]:
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16"), "utf-16"
    except UnicodeDecodeError as error:
        raise ValidationError("import.not_a_table") from error
    sample = data[:4096]
    if b"\x00" in sample:
        # UTF-16 without a byte-order mark: every other byte of ASCII text is zero.
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        encoding = "utf-16-le" if odd > 0.3 * len(sample) / 2 and even == 0 else None
        if encoding is None and even > 0.3 * len(sample) / 2 and odd == 0:
            encoding = "utf-16-be"
        if encoding is None:
            raise ValidationError("import.not_a_table")
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as error:
            raise ValidationError("import.not_a_table") from error
    for encoding in ("utf-8", "cp1258"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ValidationError("import.not_a_table")


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    controls = sum(1 for char in sample if ord(char) < 32 and char not in "\t\r\n")
    return "\x00" in sample or controls > max(2, _MAX_CONTROL_SHARE * len(sample))


def _read_csv(data: bytes, budget: Budget) -> ListTable:
    text, encoding = decode_text(data)
    if not text.strip():
        raise ValidationError("import.empty_file")
    stripped = text.lstrip()
    # An HTML table or an XML spreadsheet saved with an .xls or .csv name.
    if _looks_binary(text) or stripped.startswith("<"):
        raise ValidationError("import.not_a_table")
    delimiter = _sniff_delimiter(text)
    if delimiter is None:
        raise ValidationError("import.no_header", rows=HEADER_SEARCH_ROWS)
    try:
        table = _build(
            _csv_records(text, delimiter),
            budget,
            format="csv",
            encoding=encoding,
            delimiter=delimiter,
        )
    except csv.Error as error:
        raise ValidationError("import.corrupt") from error
    if table is None:  # pragma: no cover - the delimiter was chosen for having a header
        raise ValidationError("import.no_header", rows=HEADER_SEARCH_ROWS)
    return table


def _csv_records(text: str, delimiter: str) -> Iterator[Record]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, cells in enumerate(reader, start=1):
        yield number, cells, {}


def _sniff_delimiter(text: str) -> str | None:
    """The delimiter under which the first rows hold the best header."""
    best: tuple[int, str] | None = None
    for delimiter in _DELIMITERS:
        rows: list[list[str]] = []
        try:
            for _, cells, _ in _csv_records(text, delimiter):
                rows.append([cell.strip() for cell in _trim(cells)])
                if len(rows) > HEADER_SEARCH_ROWS:
                    break
        except csv.Error:
            continue
        header = find_header(rows)
        if header is not None and (best is None or header.score > best[0]):
            best = (header.score, delimiter)
    return best[1] if best else None
