"""Small workbooks that cost a reader a great deal: what any staff member or focal point could
send. Each is a real .xlsx (openpyxl writes the frame) of a few hundred KB, under the size and
uncompressed-size guards, whose content is built to make a reader work and hold memory.
"""

from __future__ import annotations

import io
import zipfile

from tests.roster_files import xlsx

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _replace(base: bytes, members: dict[str, bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(base))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            data = members.pop(info.filename, None)
            target.writestr(info.filename, data if data is not None else source.read(info))
        for name, data in members.items():
            target.writestr(name, data)
    return buffer.getvalue()


def many_shared_strings(count: int = 3_000_000) -> bytes:
    """A shared-string table of ``count`` entries (about 50 MB of XML) behind a two-row list."""
    base = xlsx([("Họ và tên", "Email"), ("Nguyễn Văn An", "an@x.gov.vn")])
    entries = b"<si><t>x</t></si>" * count
    table = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="{count}" uniqueCount="{count}">'
    ).encode()
    return _replace(base, {STRINGS: table + entries + b"</sst>"})


def many_columns(columns: int = 16_384, rows: int = 200) -> bytes:
    """Every column Excel has (16,384), filled on ``rows`` rows: 3.3 million cells."""
    base = xlsx([("Họ và tên", "Email"), ("Nguyễn Văn An", "an@x.gov.vn")])
    cells = b'<c t="n"><v>1</v></c>' * columns
    body = b"".join(b'<row r="%d">' % n + cells + b"</row>" for n in range(1, rows + 1))
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'.encode()
        + body
        + b"</sheetData></worksheet>"
    )
    return _replace(base, {SHEET: sheet})
