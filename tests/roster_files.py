"""Files agencies really send, built in memory for the import tests.

The messy list is modelled on the answers to the Press Department's letters: a title block of
merged cells, the header on row 7, Vietnamese header variants, two phones in one cell, an old
11-digit mobile, wrong emails, a duplicate row, an unknown agency, empty rows.
"""

from __future__ import annotations

import csv
import io
import os
import struct
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from xml.sax.saxutils import escape

from openpyxl import Workbook

Row = Sequence[object]

MESSY_HEADER = (
    "STT",
    "Họ tên",
    "Chức danh",
    "Đơn vị",
    "ĐT di động",
    "Điện thoại cố định",
    "E-mail",
)
# Row numbers in the sheet are given in comments: the header is row 7.
MESSY_ROWS: tuple[Row, ...] = (
    ("Ví dụ", "Nguyễn Văn Mẫu", "Chánh Văn phòng", "Bộ Tài chính", "0912 000 000", "", "a@mof.gov.vn"),  # 8
    (1, "Nguyễn Văn An", "Chánh Văn phòng, Người phát ngôn", "UBND tỉnh Lào Cai",
     "ĐT: 0214.3840.888; DĐ: 0169.123.4567", "", "an.nv@laocai.gov.vn"),  # 9
    (),  # 10: empty
    (2, "Đặng Thị Bình", "Phó Chánh Văn phòng", "TP. Hồ Chí Minh", "0912 345 678", "",
     "binh.dt@@tphcm.gov.vn"),  # 11: wrong email
    (3, "Trần Quốc Cường", "Vụ trưởng", "Bộ Tài chính", "", "(024) 2220 2828 máy lẻ 101",
     "cuong@mof"),  # 12: wrong email
    (4, "Lê Thị Dung", "Chuyên viên", "Tỉnh Atlantis", "0987 654 321", "", "dung@x.gov.vn"),  # 13
    (),  # 14: empty
    (5, "Nguyễn Văn An", "Chánh Văn phòng, Người phát ngôn", "Lào Cai",
     "ĐT: 0214.3840.888; DĐ: 0169.123.4567", "", "an.nv@laocai.gov.vn"),  # 15: duplicate of 9
    (6, '=HYPERLINK("http://evil.example","Bấm vào đây")', "Chuyên viên", "Hà Nội",
     "0903 111 222", "", "x@hanoi.gov.vn"),  # 16: a formula as a name
    (7, "Phạm Minh Hải", "Phó Giám đốc Sở", "Thành phố Hà Nội", "0904.222.333", "", "hai.pm@hanoi.gov.vn"),  # 17
)  # fmt: skip


def xlsx(rows: Sequence[Row], *, title: str = "Danh sách") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    return save(workbook)


def save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def messy_xlsx() -> bytes:
    """The messy list: title rows of merged cells, header on row 7, data from row 8."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "DS NPN"
    sheet["A1"] = "ỦY BAN NHÂN DÂN"
    sheet["E1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    sheet["E2"] = "Độc lập - Tự do - Hạnh phúc"
    sheet["A4"] = "DANH SÁCH NGƯỜI PHÁT NGÔN, CUNG CẤP THÔNG TIN CHO BÁO CHÍ"
    sheet["A5"] = "(Kèm theo Công văn số 123/UBND-VP ngày 01/8/2025)"
    for cells in ("A1:C1", "E1:G1", "E2:G2", "A4:G4", "A5:G5"):
        sheet.merge_cells(cells)
    for column, header in enumerate(MESSY_HEADER, start=1):
        sheet.cell(row=7, column=column, value=header)
    for offset, row in enumerate(MESSY_ROWS):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=8 + offset, column=column, value=value)
    return save(workbook)


def csv_bytes(rows: Sequence[Row], *, encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    for row in rows:
        writer.writerow(["" if cell is None else str(cell) for cell in row])
    text = buffer.getvalue()
    return cp1258(text) if encoding == "cp1258" else text.encode(encoding)


def cp1258(text: str) -> bytes:
    """Text as Windows writes it in the Vietnamese code page: a letter with a tone mark that
    the code page lacks as one character ("Ầ") is its base letter ("Â") plus the mark."""
    out = bytearray()
    for char in text:
        base, *marks = unicodedata.normalize("NFD", char)
        # Compose the base with no mark or with one of them ("ộ" is "ô" + dot below).
        for index in range(-1, len(marks)):
            head = unicodedata.normalize("NFC", base + (marks[index] if index >= 0 else ""))
            rest = "".join(mark for i, mark in enumerate(marks) if i != index)
            try:
                out += head.encode("cp1258") + rest.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            raise UnicodeEncodeError("cp1258", char, 0, 1, "not in Windows-1258")
    return bytes(out)


def png() -> bytes:
    """A PNG (a screenshot of the list, say), as a chat would deliver it as "list.xlsx"."""
    return bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 64


def random_bytes(size: int = 4096) -> bytes:
    return os.urandom(size)


def encrypted_workbook() -> bytes:
    """What Excel writes for a password-protected .xlsx: an OLE2 compound file holding the
    streams EncryptionInfo and EncryptedPackage (names in UTF-16LE in the directory)."""
    header = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504
    directory = "EncryptionInfo".encode("utf-16-le") + b"\0" * 50
    directory += "EncryptedPackage".encode("utf-16-le") + b"\0" * 50
    return header + directory + os.urandom(2048)


def legacy_xls() -> bytes:
    """An Excel 97-2003 workbook: a compound file with a "Workbook" stream."""
    header = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504
    return header + "Workbook".encode("utf-16-le") + b"\0" * 100 + os.urandom(1024)


def corrupt_xlsx() -> bytes:
    """A real workbook cut in half, as an interrupted download leaves it."""
    whole = xlsx([("Họ và tên", "Email"), ("Nguyễn Văn An", "an@x.gov.vn")])
    return whole[: len(whole) // 2]


def zip_bomb(declared_mb: int = 120) -> bytes:
    """A workbook whose sheet XML expands to ``declared_mb`` MB of zeros (about 1000:1)."""
    base = xlsx([("Họ và tên", "Email"), ("Nguyễn Văn An", "an@x.gov.vn")])
    source = zipfile.ZipFile(io.BytesIO(base))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w", force_zip64=True) as member:
                    chunk = b"\0" * (1024 * 1024)
                    for _ in range(declared_mb):
                        member.write(chunk)
            else:
                target.writestr(info, source.read(info.filename))
    return buffer.getvalue()


def not_a_workbook_zip() -> bytes:
    """A .docx-like archive renamed .xlsx: a ZIP, but no workbook inside."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


# --- hostile workbooks: small files that would cost minutes and hundreds of MB to parse ------

_SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END = b"</sheetData></worksheet>"
_HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Email</t></is></c></row>'
).encode()


def _replaced(member: str, body: Iterator[bytes]) -> bytes:
    """A small real workbook with one member's content streamed from ``body``."""
    return _with_members({member: body})


def _with_members(members: dict[str, Iterator[bytes]]) -> bytes:
    """A small real workbook with each of ``members`` streamed from its body."""
    base = xlsx([("Họ và tên", "Email"), ("Nguyễn Văn An", "an@x.gov.vn")])
    source = zipfile.ZipFile(io.BytesIO(base))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename in members:
                continue
            if _STRINGS in members and info.filename in _STRINGS_DECLARED:
                content = content.replace(*_STRINGS_DECLARED[info.filename])
            target.writestr(info, content)
        for member, body in members.items():
            with target.open(member, "w", force_zip64=True) as stream:
                for piece in body:
                    stream.write(piece)
    return buffer.getvalue()


# openpyxl writes no shared strings; a workbook that has them declares them in two places.
_STRINGS = "xl/sharedStrings.xml"
_STRINGS_DECLARED = {
    "[Content_Types].xml": (
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    ),
    "xl/_rels/workbook.xml.rels": (
        b"</Relationships>",
        b'<Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    ),
}


def _sheet(rows: Iterator[bytes]) -> bytes:
    def body() -> Iterator[bytes]:
        yield _SHEET_START + _HEADER_ROW
        yield from rows
        yield _SHEET_END

    return _replaced("xl/worksheets/sheet1.xml", body())


def _rows(count: int, width: int, *, first: int = 2) -> Iterator[bytes]:
    cells = b"<c><v>1</v></c>" * width
    batch: list[bytes] = []
    for number in range(first, first + count):
        batch.append(b'<row r="%d">%s</row>' % (number, cells))
        if len(batch) == 1000:
            yield b"".join(batch)
            batch.clear()
    yield b"".join(batch)


def many_shared_strings(count: int = 3_000_000) -> bytes:
    """A workbook of a few hundred KB whose shared-string table holds ``count`` empty texts."""

    def body() -> Iterator[bytes]:
        yield (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://'
            b'schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
            % (count, count)
        )
        for _ in range(count // 10_000):
            yield b"<si><t></t></si>" * 10_000
        yield b"<si><t></t></si>" * (count % 10_000) + b"</sst>"

    return _replaced("xl/sharedStrings.xml", body())


def long_shared_strings(texts: int = 800, length: int = 50_000, letter: str = "x") -> bytes:
    """A workbook whose few shared strings are very long (``texts`` × ``length`` letters)."""

    def body() -> Iterator[bytes]:
        yield b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="x">'
        text = letter.encode() * length
        for _ in range(texts):
            yield b"<si><t>" + text + b"</t></si>"
        yield b"</sst>"

    return _replaced("xl/sharedStrings.xml", body())


def copied_shared_string(copies: int = 600_000, length: int = 8_000, width: int = 20) -> bytes:
    """One shared text of ``length`` letters that ``copies`` cells point at (``width`` a row,
    each with its reference, so the block is small enough for calamine): calamine gives every
    cell its own copy of the text."""

    def strings() -> Iterator[bytes]:
        yield b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="x">'
        yield b"<si><t>" + b"x" * length + b"</t></si></sst>"

    def rows() -> Iterator[bytes]:
        letters = [chr(ord("A") + index).encode() for index in range(width)]
        batch: list[bytes] = []
        for index in range(0, copies, width):
            number = 2 + index // width
            cells = b"".join(
                b'<c r="%s%d" t="s"><v>0</v></c>' % (letter, number)
                for letter in letters[: min(width, copies - index)]
            )
            batch.append(b'<row r="%d">%s</row>' % (number, cells))
            if len(batch) == 1000:
                yield b"".join(batch)
                batch.clear()
        yield b"".join(batch)

    def sheet() -> Iterator[bytes]:
        yield _SHEET_START + _HEADER_ROW
        yield from rows()
        yield _SHEET_END

    return _with_members({_STRINGS: strings(), "xl/worksheets/sheet1.xml": sheet()})


def shared_strings_xlsx(
    rows: Sequence[Sequence[str]], *, cell: bytes = b'<c r="%s" t="s">'
) -> bytes:
    """A list whose texts are in a shared-string table, each once, as Excel saves it; ``cell``
    is how each cell's tag is written (its reference put in)."""
    texts: dict[str, int] = {}
    body: list[bytes] = []
    for number, row in enumerate(rows, start=1):
        cells = b""
        for column, text in enumerate(row):
            index = texts.setdefault(text, len(texts))
            reference = b"%s%d" % (chr(ord("A") + column).encode(), number)
            cells += cell % reference + b"<v>%d</v></c>" % index
        body.append(b'<row r="%d">%s</row>' % (number, cells))
    table = b"".join(b"<si><t>%s</t></si>" % escape(text).encode() for text in texts)
    strings = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
        b'openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>'
        % (sum(map(len, rows)), len(texts), table)
    )
    sheet = _SHEET_START + b"".join(body) + _SHEET_END
    return _with_members({_STRINGS: iter([strings]), "xl/worksheets/sheet1.xml": iter([sheet])})


def wide_sheet(columns: int = 16_384, rows: int = 200) -> bytes:
    """A sheet ``columns`` cells wide (16,384 is Excel's last column, XFD)."""
    return _sheet(_rows(rows, columns))


def many_cells(rows: int = 110_000, columns: int = 20) -> bytes:
    """A sheet of ordinary width with more cells in all than a list has."""
    return _sheet(_rows(rows, columns))


def deep_sheet(rows: int = 300_000) -> bytes:
    """A sheet with one cell on each of ``rows`` rows (formatted rows far below a list)."""
    return _sheet(_rows(rows, 1))


def large_list_sheet(rows: int = 50_000, columns: int = 15) -> bytes:
    """A real list's size: ``rows`` people with ``columns`` filled cells each."""
    return _sheet(_rows(rows, columns))


# A province's own list, as sent with its letter: the agency only in the letterhead (no agency
# column), the header on row 6, people on rows 7-10 (row 9's email is wrong), and the letter's
# closing block under the table from row 12 (date line, "Nơi nhận:", the signer).
PROVINCE_HEADER = ("STT", "Họ và tên", "Chức vụ", "Điện thoại di động", "Email")
PROVINCE_ROWS: tuple[Row, ...] = (
    (1, "Hoàng Văn Sơn", "Chánh Văn phòng UBND tỉnh", "0912 111 222", "son.hv@laocai.gov.vn"),  # 7
    (2, "Lò Thị Mai", "Phó Chánh Văn phòng", "0913 222 333", "mai.lt@laocai.gov.vn"),  # 8
    (3, "Giàng A Páo", "Chuyên viên", "0914 333 444", "pao@@laocai.gov.vn"),  # 9: wrong email
    (4, "Vàng Thị Dua", "Chuyên viên", "0915 444 555", "dua.vt@laocai.gov.vn"),  # 10
)  # fmt: skip
PROVINCE_CLOSING: tuple[tuple[int, str, str], ...] = (
    (12, "D", "Lào Cai, ngày 05 tháng 8 năm 2025"),
    (13, "A", "Nơi nhận:"),
    (13, "D", "KT. CHỦ TỊCH"),
    (14, "A", "- Như trên;"),
    (14, "D", "PHÓ CHỦ TỊCH"),
    (15, "A", "- Lưu: VT, VP."),
    (18, "D", "Nguyễn Trọng Ký"),
    (20, "A", "Người lập biểu"),
    (22, "A", "Trần Văn Lập"),
)


def province_xlsx(
    letterhead: Sequence[str] = ("UBND TỈNH LÀO CAI", "VĂN PHÒNG"),
    *,
    rows: Sequence[Row] = PROVINCE_ROWS,
    closing: bool = True,
) -> bytes:
    """A province's list with its letterhead (one line per row, column A) and, by default,
    the signature block under the table."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Danh sách"
    for number, line in enumerate(letterhead, start=1):
        sheet.cell(row=number, column=1, value=line)
    sheet["D1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    sheet["D2"] = "Độc lập - Tự do - Hạnh phúc"
    sheet["A4"] = "DANH SÁCH NGƯỜI PHÁT NGÔN, NGƯỜI ĐƯỢC GIAO CUNG CẤP THÔNG TIN CHO BÁO CHÍ"
    sheet.merge_cells("A4:E4")
    for column, header in enumerate(PROVINCE_HEADER, start=1):
        sheet.cell(row=6, column=column, value=header)
    for number, values in enumerate(rows, start=7):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=number, column=column, value=value)
    if closing:
        for number, column, text in PROVINCE_CLOSING:
            sheet[f"{column}{number}"] = text
    return save(workbook)


def province_csv(letterhead: str = "UBND TỈNH LÀO CAI") -> bytes:
    """The province's list saved as CSV: letterhead, header, people, closing lines."""
    rows: list[Row] = [(letterhead,), (), PROVINCE_HEADER, *PROVINCE_ROWS, ()]
    rows += [("Nơi nhận:", "", "", "KT. CHỦ TỊCH"), ("- Như trên;", "", "", "PHÓ CHỦ TỊCH")]
    rows += [("", "", "", "Nguyễn Trọng Ký")]
    return csv_bytes(rows)


# --- .xls and .ods: files LibreOffice saved from the workbooks above -------------------------
# tests/fixtures/{messy,province,merged}.{xls,ods}: ``libreoffice --headless --convert-to xls``
# (and ``ods``) of messy_xlsx(), province_xlsx() and an agency cell merged over two people
# (tests/unit/test_roster_formats.py builds that one); the .ods without its thumbnail.

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def fixture(name: str) -> bytes:
    with open(os.path.join(FIXTURES, name), "rb") as file:
        return file.read()


def ods_with(content: bytes, *, manifest_extra: bytes = b"") -> bytes:
    """The province's .ods with another ``content.xml`` (and more in its manifest)."""
    source = zipfile.ZipFile(io.BytesIO(fixture("province.ods")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "content.xml":
                body = content
            elif info.filename == "META-INF/manifest.xml" and manifest_extra:
                body = body.replace(
                    b"</manifest:manifest>", manifest_extra + b"</manifest:manifest>"
                )
            target.writestr(info, body)
    return buffer.getvalue()


def ods_rows(rows: bytes) -> bytes:
    """An .ods whose one sheet has a header row and then ``rows`` (ODF table rows)."""
    header = b"".join(
        b'<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>'
        % text.encode()
        for text in ("Họ và tên", "Email")
    )
    return ods_with(
        b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        b'<office:body><office:spreadsheet><table:table table:name="Danh s\xc3\xa1ch">'
        b"<table:table-row>" + header + b"</table:table-row>" + rows + b"</table:table>"
        b"</office:spreadsheet></office:body></office:document-content>"
    )


def ods_person(
    name: str = "Nguyễn Văn An", email: str = "an@x.gov.vn", *, repeat: int = 1
) -> bytes:
    cells = b"".join(
        b'<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>'
        % text.encode()
        for text in (name, email)
    )
    return b'<table:table-row table:number-rows-repeated="%d">%s</table:table-row>' % (
        repeat,
        cells,
    )


# --- .xls written here: a minimal BIFF8 workbook in a compound file ---------------------------
# Enough of Excel 97-2003's format for the reader (and python-calamine) to read a list, and for
# the tests to build the hostile files a real writer never makes: cells spread over the whole
# grid, dimensions declared past it, a shared-string table of millions of entries, sheets
# overlapping, sector chains that loop.

_FREESECT, _ENDOFCHAIN, _FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_SECTOR = 512


def biff_record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _xl_string(text: str, *, short: bool = False) -> bytes:
    """An XLUnicodeString (a cell's text) or, ``short``, a sheet name's ShortXLUnicodeString."""
    encoded = text.encode("utf-16-le")
    length = struct.pack("<B" if short else "<H", len(text))
    return length + b"\x01" + encoded


def biff_label(row: int, column: int, text: str) -> bytes:
    return biff_record(0x0204, struct.pack("<HHH", row, column, 0) + _xl_string(text))


def biff_number(row: int, column: int, value: float) -> bytes:
    return biff_record(0x0203, struct.pack("<HHHd", row, column, 0, value))


def biff_label_sst(row: int, column: int, index: int) -> bytes:
    return biff_record(0x00FD, struct.pack("<HHHI", row, column, 0, index))


def biff_dimensions(first_row: int, last_row: int, first_column: int, last_column: int) -> bytes:
    """DIMENSIONS: the rows and columns used, each "last" one past the end (as Excel writes)."""
    body = struct.pack("<IIHHH", first_row, last_row, first_column, last_column, 0)
    return biff_record(0x0200, body)


def biff_cells(rows: Sequence[Row]) -> Iterator[bytes]:
    """The cell records of ``rows`` (from row 0, column A): numbers as NUMBER, the rest LABEL."""
    for number, row in enumerate(rows):
        for column, value in enumerate(row):
            if isinstance(value, bool) or value is None or value == "":
                continue
            if isinstance(value, int | float):
                yield biff_number(number, column, float(value))
            else:
                yield biff_label(number, column, str(value))


def biff_sst(texts: Sequence[str], *, declared: int | None = None) -> bytes:
    """SST with its CONTINUE records, cut between two strings (records hold 8,224 bytes)."""
    count = len(texts) if declared is None else declared
    records: list[bytes] = []
    body = bytearray(struct.pack("<II", count, count))
    kind = 0x00FC
    for text in texts:
        entry = _xl_string(text)
        if len(body) + len(entry) > 8224:
            records.append(biff_record(kind, bytes(body)))
            body, kind = bytearray(), 0x003C
        body += entry
    records.append(biff_record(kind, bytes(body)))
    return b"".join(records)


def biff_workbook(
    sheets: Sequence[tuple[str, bytes]],
    *,
    globals_extra: bytes = b"",
    positions: Sequence[int | str | None] | None = None,
) -> bytes:
    """A BIFF8 Workbook stream: the globals (BOF, CODEPAGE, ``globals_extra`` such as a SST or
    FILEPASS, one BOUNDSHEET a sheet, EOF), then each sheet's substream (BOF, its ``records``,
    EOF). ``positions`` overrides where a BOUNDSHEET says its sheet starts (an offset in the
    stream, "first" for the first sheet's, or None to keep the real one)."""
    bof_globals = biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6))
    codepage = biff_record(0x0042, struct.pack("<H", 1200))
    names = [
        biff_record(0x0085, struct.pack("<IBB", 0, 0, 0) + _xl_string(name, short=True))
        for name, _ in sheets
    ]
    head = bof_globals + codepage + globals_extra
    size = len(head) + sum(len(name) for name in names) + 4
    bodies = [
        biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 6))
        + records
        + biff_record(0x000A)
        for _, records in sheets
    ]
    starts: list[int] = []
    for body in bodies:
        starts.append(size)
        size += len(body)
    first = starts[0] if starts else size
    for index, override in enumerate(positions or ()):
        if override is not None:
            starts[index] = first if override == "first" else int(override)
    bound = b"".join(
        name[:4] + struct.pack("<I", start) + name[8:]
        for name, start in zip(names, starts, strict=True)
    )
    return head + bound + biff_record(0x000A) + b"".join(bodies)


def compound_file(streams: dict[str, bytes], *, mini: bool = False, sector: int = _SECTOR) -> bytes:
    """A version-3 compound file (512-byte sectors) holding ``streams``, as Excel writes one,
    or a version-4 one (``sector=4096``, as some newer writers do).

    Streams go into regular sectors, padded to 4,096 bytes (shorter ones are looked up in the
    mini stream), unless ``mini``: then streams under 4,096 bytes go into the mini stream."""
    per = sector // 4  # FAT entries in a sector
    regular: dict[str, bytes] = {}
    small: dict[str, bytes] = {}
    for name, body in streams.items():
        if mini and len(body) < 4096:
            small[name] = body
        else:
            regular[name] = body + b"\0" * max(0, 4096 - len(body))
    ministream = bytearray()
    mini_starts: dict[str, int] = {}
    minifat: list[int] = []
    for name, body in small.items():
        mini_starts[name] = len(ministream) // 64
        count = max(1, -(-len(body) // 64))
        first = len(minifat)
        minifat += [first + i + 1 for i in range(count - 1)] + [_ENDOFCHAIN]
        ministream += body + b"\0" * (count * 64 - len(body))
    # Sectors: directory, streams, mini stream, mini FAT; the FAT sectors come first.
    entries = [("Root Entry", 5, b"")] + [(name, 2, body) for name, body in small.items()]
    entries += [(name, 2, body) for name, body in regular.items()]
    directory_sectors = -(-len(entries) * 128 // sector)
    blobs: list[tuple[str, bytes]] = [(name, body) for name, body in regular.items()]
    if small:
        blobs.append(("<ministream>", bytes(ministream)))
        minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat)
        blobs.append(("<minifat>", minifat_bytes))
    data_sectors = directory_sectors + sum(-(-len(body) // sector) for _, body in blobs)
    # The FAT's sectors come first, then the DIFAT's (the FAT sectors past the header's 109).
    fat_sectors, difat_sectors = 1, 0
    while fat_sectors * per < fat_sectors + difat_sectors + data_sectors:
        fat_sectors += 1
        difat_sectors = -(-max(0, fat_sectors - 109) // (per - 1))
    fat = [_FATSECT] * fat_sectors + [0xFFFFFFFC] * difat_sectors
    starts: dict[str, int] = {}

    def chain(count: int) -> int:
        first = len(fat)
        fat.extend([first + i + 1 for i in range(count - 1)] + [_ENDOFCHAIN])
        return first

    directory_start = chain(directory_sectors)
    for name, body in blobs:
        starts[name] = chain(-(-len(body) // sector))
    fat += [_FREESECT] * (fat_sectors * per - len(fat))
    directory = bytearray()
    for index, (name, kind, body) in enumerate(entries):
        encoded = name.encode("utf-16-le")
        if name == "Root Entry":
            start = starts.get("<ministream>", _ENDOFCHAIN)
            size = len(ministream)
        else:
            start = mini_starts[name] if name in small else starts[name]
            size = len(body)
        child = 1 if index == 0 and len(entries) > 1 else _FREESECT
        right = index + 1 if 0 < index < len(entries) - 1 else _FREESECT
        directory += (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded) + 2, kind, 1)
            + struct.pack("<III", _FREESECT, right, child)
            + b"\0" * 36
            + struct.pack("<II", start, size)
            + b"\0" * 4
        )
    directory += b"\0" * (directory_sectors * sector - len(directory))
    header = bytearray(_CFB_SIGNATURE + b"\0" * 16)
    version, shift = (3, 9) if sector == 512 else (4, 12)
    header += struct.pack("<HHHHH", 0x003E, version, 0xFFFE, shift, 6) + b"\0" * 6
    header += struct.pack(
        "<IIII", 0 if version == 3 else directory_sectors, fat_sectors, directory_start, 0
    )
    minifat_sectors = -(-len(minifat) * 4 // sector)
    header += struct.pack(
        "<IIIII",
        4096,
        starts.get("<minifat>", _ENDOFCHAIN),
        minifat_sectors,
        fat_sectors if difat_sectors else _ENDOFCHAIN,
        difat_sectors,
    )
    fat_ids = list(range(fat_sectors))
    header += struct.pack("<109I", *(fat_ids[:109] + [_FREESECT] * (109 - len(fat_ids[:109]))))
    difat = bytearray()
    rest = fat_ids[109:]
    for index in range(difat_sectors):
        ids = rest[index * (per - 1) : (index + 1) * (per - 1)]
        following = fat_sectors + index + 1 if index + 1 < difat_sectors else _ENDOFCHAIN
        difat += struct.pack(f"<{per}I", *ids, *[_FREESECT] * (per - 1 - len(ids)), following)
    body = b"".join(
        body + b"\0" * (-len(body) % sector) for body in [bytes(directory)] + [b for _, b in blobs]
    )
    header += b"\0" * (sector - len(header))
    return bytes(header) + struct.pack(f"<{len(fat)}I", *fat) + bytes(difat) + body


_CFB_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")


def xls(rows: Sequence[Row], *, title: str = "Danh sách", mini: bool = False) -> bytes:
    """An .xls of one sheet holding ``rows`` from A1, as Excel 97-2003 saves it."""
    records = b"".join(biff_cells(rows))
    width = max((len(row) for row in rows), default=0)
    sheet = biff_dimensions(0, len(rows), 0, width) + records
    return compound_file({"Workbook": biff_workbook([(title, sheet)])}, mini=mini)


# --- hostile .xls: small files that would make python-calamine take gigabytes or never end ----

XLS_HEADER: tuple[Row, ...] = (("Họ và tên", "Email"), ("Nguyễn Văn An", "an@x.gov.vn"))


def xls_records(
    records: bytes = b"",
    *,
    globals_extra: bytes = b"",
    sheets: int = 1,
    positions: Sequence[int | str | None] | None = None,
) -> bytes:
    """An .xls whose sheets hold the list's header and one person, then ``records``."""
    body = biff_dimensions(0, 2, 0, 2) + b"".join(biff_cells(XLS_HEADER)) + records
    book = biff_workbook(
        [(f"Trang {n + 1}", body) for n in range(sheets)],
        globals_extra=globals_extra,
        positions=positions,
    )
    return compound_file({"Workbook": book})


def xls_stray_cell(row: int = 65_535, column: int = 255) -> bytes:
    """A list with one number far away: calamine would hold every cell of the block between."""
    return xls_records(biff_number(row, column, 1))


def xls_declared(first_row: int, end_row: int, first_column: int, end_column: int) -> bytes:
    """A list whose DIMENSIONS declares other rows and columns (calamine reserves room for
    them all; a first row after the last one makes that four billion rows)."""
    body = biff_dimensions(first_row, end_row, first_column, end_column)
    book = biff_workbook([("Trang 1", body + b"".join(biff_cells(XLS_HEADER)))])
    return compound_file({"Workbook": book})


def xls_many_rows(rows: int = 65_536, columns: int = 2) -> bytes:
    """A sheet of ``rows`` rows of ``columns`` numbers (MULRK records) under the header."""
    records = []
    cells = struct.pack("<HI", 0, 0x3FF00002) * columns  # RK: 1 as a float
    for number in range(len(XLS_HEADER), rows):
        body = struct.pack("<HH", number, 0) + cells + struct.pack("<H", columns - 1)
        records.append(biff_record(0x00BD, body))
    return xls_records(b"".join(records))


def xls_shared_strings(count: int = 3_000_000) -> bytes:
    """A workbook of a few MB whose shared-string table holds ``count`` empty texts."""
    return xls_records(globals_extra=biff_sst([""] * count))


def xls_copied_string(copies: int = 600_000, length: int = 8_000) -> bytes:
    """One shared text of ``length`` letters that ``copies`` cells point at (1,000 a row):
    calamine gives every cell its own copy."""
    records = (
        biff_label_sst(len(XLS_HEADER) + index // 1000, index % 1000, 0) for index in range(copies)
    )
    return xls_records(b"".join(records), globals_extra=biff_sst(["x" * length]))


def xls_sheets(count: int = 2_000) -> bytes:
    """``count`` sheets, every one declared to start where the first does."""
    return xls_records(sheets=count, positions=["first"] * count)


def cfb_patched(
    data: bytes, *, fat: dict[int, int] | None = None, at: dict[int, int] | None = None
) -> bytes:
    """A compound file with entries of its (first) FAT sector, or 32-bit values at offsets of
    the file, replaced: a chain that loops, a count that lies."""
    patched = bytearray(data)
    for index, value in (fat or {}).items():
        struct.pack_into("<I", patched, _SECTOR + 4 * index, value)
    for offset, value in (at or {}).items():
        struct.pack_into("<I", patched, offset, value)
    return bytes(patched)


def xls_chain_loop(which: str = "workbook") -> bytes:
    """An .xls whose chain of sectors comes back on itself: the Workbook stream's (which
    then declares 4 GB, so that calamine follows the loop until it has read as much), the
    directory's or the DIFAT's."""
    data = xls_records()
    directory = struct.unpack_from("<I", data, 48)[0]
    if which == "directory":
        return cfb_patched(data, fat={directory: directory})
    if which == "difat":
        # The DIFAT goes on in sector 0 (the FAT), whose last entry says: sector 0 again.
        return cfb_patched(data, at={68: 0, 72: 1, _SECTOR + _SECTOR - 4: 0})
    entry = _SECTOR * (directory + 1) + 128
    start = struct.unpack_from("<I", data, entry + 116)[0]
    return cfb_patched(data, fat={start + 2: start}, at={entry + 120: 0xFFFFFFF0})


def xls_large_list(rows: int = 50_000, columns: int = 10) -> bytes:
    """A real list's size as Excel 97-2003 saves it: a header and ``rows - 1`` people with
    ``columns`` texts each, every text in the shared-string table (LABELSST), a name per row
    and a few values repeated down the other columns."""
    header = ["Họ và tên", "Email", *(f"Cột {n}" for n in range(3, columns + 1))]
    texts = header + [f"Người {n}" for n in range(1, rows)] + [f"giá trị {n}" for n in range(50)]
    names = len(header)
    values = names + rows - 1
    records = [biff_label_sst(0, column, column) for column in range(columns)]
    for row in range(1, rows):
        records.append(biff_label_sst(row, 0, names + row - 1))
        records.extend(
            biff_label_sst(row, column, values + (row + column) % 50)
            for column in range(1, columns)
        )
    sheet = biff_dimensions(0, rows, 0, columns) + b"".join(records)
    book = biff_workbook([("Danh sách", sheet)], globals_extra=biff_sst(texts))
    return compound_file({"Workbook": book})
