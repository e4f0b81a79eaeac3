"""Files agencies really send, built in memory for the import tests.

The messy list is modelled on the answers to the Press Department's letters: a title block of
merged cells, the header on row 7, Vietnamese header variants, two phones in one cell, an old
11-digit mobile, wrong emails, a duplicate row, an unknown agency, empty rows.
"""

from __future__ import annotations

import csv
import io
import os
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence

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
    base = xlsx([("Họ và tên", "Email"), ("Nguyễn Văn An", "an@x.gov.vn")])
    source = zipfile.ZipFile(io.BytesIO(base))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == member:
                continue
            if member == _STRINGS and info.filename in _STRINGS_DECLARED:
                content = content.replace(*_STRINGS_DECLARED[info.filename])
            target.writestr(info, content)
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
