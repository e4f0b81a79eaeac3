"""Finding the header row of an agency's list and the column each of its cells names.

The columns are the person's fields (:class:`registry.models.PersonField`), and the row number,
status and update date a printed roster also has (so that an exported roster reads back).
Header cells are matched to :data:`ALIASES` after folding accents and case: exactly first, then an alias that begins the cell ("Họ và tên người phát ngôn (*)"), the
longest first. The header is the row among the first :data:`HEADER_SEARCH_ROWS` with the most
recognised columns, a name column and at least one other. A header of two rows ("Điện thoại"
merged over "Cơ quan" | "Di động") is read as one, and a row of column numbers under it
("(1) (2) (3)") is not data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from registry.models import PersonField
from registry.validation import fold

HEADER_SEARCH_ROWS = 20

# Written forms seen in agencies' lists, folded (see registry.validation.fold). The import
# also takes a header that begins with one of these ("Họ và tên người phát ngôn"), the longest
# first, so a longer form is listed wherever a shorter one would mean another column
# ("so dien thoai co dinh" against "so dien thoai").
_FIELD_ALIASES: dict[PersonField, tuple[str, ...]] = {
    PersonField.agency: (
        "co quan don vi", "co quan", "don vi", "ten co quan", "ten don vi", "co quan dia phuong",
        "bo nganh dia phuong", "agency", "bo nganh", "tinh thanh pho", "tinh thanh",
        "dia phuong", "organisation", "organization",
    ),
    PersonField.full_name: ("ho va ten", "ho ten", "ho ten day du", "ten", "full name", "name"),
    PersonField.position: ("chuc vu", "chuc danh", "chuc vu chuc danh", "position", "title"),
    PersonField.role: ("vai tro", "nhiem vu", "vai tro trong mang luoi", "role"),
    PersonField.mobile: (
        "dien thoai di dong", "dt di dong", "di dong", "dd", "so di dong", "dien thoai", "sdt",
        "so dien thoai", "dt", "mobile", "phone", "dtdd", "dt dd", "so dt", "mobile phone",
        "cell phone", "dien thoai lien he", "so dien thoai di dong",
    ),
    PersonField.office_phone: (
        "dien thoai co dinh", "dt co dinh", "co dinh", "dien thoai co quan", "dt co quan",
        "dien thoai van phong", "office phone", "so dien thoai co dinh",
        "so dien thoai co quan", "dtcq", "dt cq", "dt van phong", "dien thoai ban", "landline",
    ),
    PersonField.email: (
        "email", "e mail", "thu dien tu", "dia chi email", "dia chi thu dien tu", "mail",
        "hop thu dien tu", "dia chi e mail",
    ),
    PersonField.note: ("ghi chu", "note", "notes"),
}  # fmt: skip

# Column key -> its written forms: the row number, every field of a person in its order, then
# what a printed roster adds (read so that an exported roster imports back, then ignored).
ALIASES: dict[str, tuple[str, ...]] = {
    "stt": ("stt", "so tt", "so thu tu", "tt", "no"),
    **{field.value: _FIELD_ALIASES[field] for field in PersonField},
    "status": ("trang thai", "status"),
    "updated_at": ("cap nhat", "ngay cap nhat", "updated", "updated at", "last updated"),
    "confirmed_at": ("xac nhan lan cuoi", "ngay xac nhan", "last confirmed", "confirmed on"),
}

_NUMBERING = re.compile(r"^\(?\d{1,3}\)?\.?$")
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]|\*")
# Header words that name a phone without saying which one: a second phone column turns such a
# column into the office phone.
_GENERIC_PHONE = frozenset(
    {"dien thoai", "sdt", "so dien thoai", "dt", "so dt", "phone", "dien thoai lien he"}
)
_KEYED_ALIASES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        ((alias, column) for column, aliases in ALIASES.items() for alias in aliases),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
)
_EXACT: dict[str, str] = {alias: column for alias, column in reversed(_KEYED_ALIASES)}
# Columns that make a header row worth taking besides the name: any other field of a person.
_CONTENT_COLUMNS = frozenset(f.value for f in PersonField if f is not PersonField.full_name)


def match_header(text: str) -> str | None:
    """The column a header cell names ("Số điện thoại (*)" -> "mobile"), or None.

    Exact aliases first, then an alias that begins the header ("Họ và tên người phát ngôn"),
    the longest first, each also with parenthesised notes and asterisks removed.
    """
    if not text or len(text) > 200:
        return None
    keys = [fold(text)]
    stripped = fold(_PARENTHESES.sub(" ", text))
    if stripped != keys[0]:
        keys.append(stripped)
    keys = [key for key in keys if key]
    for key in keys:
        if key in _EXACT:
            return _EXACT[key]
    for key in keys:
        for alias, column in _KEYED_ALIASES:
            if key.startswith(alias + " "):
                return column
    return None


def column_for(header: str) -> str | None:
    """The column a header cell names exactly (after folding), or None."""
    key = fold(header)
    return _EXACT.get(key) if key else None


@dataclass(frozen=True)
class Header:
    headers: tuple[str, ...]
    columns: dict[str, int]
    ignored: tuple[str, ...]
    last_row: int  # index into the buffered rows of the header's last row
    first_row: int = -1  # index of its first row (the last row's, unless two rows)

    @property
    def top(self) -> int:
        return self.first_row if self.first_row >= 0 else self.last_row

    @property
    def score(self) -> int:
        return len(self.columns)


def _assign(texts: Sequence[str], keys: Sequence[str | None]) -> tuple[dict[str, int], list[str]]:
    """Column key -> index; the first column of a kind wins, except that a second phone column
    after a generic one ("Điện thoại" then "Di động") makes the generic one the office phone."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, (text, key) in enumerate(zip(texts, keys, strict=True)):
        if key is None:
            continue
        if key not in columns:
            columns[key] = index
            continue
        if key == "mobile" and "office_phone" not in columns:
            first = columns["mobile"]
            if fold(texts[first]) in _GENERIC_PHONE:
                columns["office_phone"], columns["mobile"] = first, index
                continue
            if fold(text) in _GENERIC_PHONE:
                columns["office_phone"] = index
                continue
        ignored.append(text)
    return columns, ignored


def _single_row_header(cells: Sequence[str], index: int) -> Header | None:
    keys = [match_header(cell) for cell in cells]
    columns, ignored = _assign(cells, keys)
    if "full_name" not in columns or not (_CONTENT_COLUMNS & columns.keys()):
        return None
    return Header(tuple(cells), columns, tuple(ignored), index)


def _two_row_header(top: Sequence[str], sub: Sequence[str], index: int) -> Header | None:
    """``top`` over ``sub`` as one header, when every cell of ``sub`` is a header word.

    A group title merged over several columns is written in its first cell only, so a blank
    top cell over a sub-header takes the group title from its left.
    """
    width = max(len(top), len(sub))
    top = [*top, *[""] * (width - len(top))]
    sub = [*sub, *[""] * (width - len(sub))]
    if not any(sub) or _single_row_header(sub, index + 1) is not None:
        # A complete header on its own: the row above is a title, not a group of columns.
        return None
    texts: list[str] = []
    keys: list[str | None] = []
    group = ""
    for upper, lower in zip(top, sub, strict=True):
        group = upper or group
        if not lower:
            texts.append(upper)
            keys.append(match_header(upper))
            continue
        combined = f"{group} {lower}" if group else lower
        # The pair must be a known header as a whole, or the lower cell one on its own: a data
        # row under the header ("Nguyễn Văn An") is neither.
        key = column_for(combined) or match_header(lower)
        if key is None:
            return None
        texts.append(f"{group} – {lower}" if group and group != lower else lower)
        keys.append(key)
    columns, ignored = _assign(texts, keys)
    if "full_name" not in columns or not (_CONTENT_COLUMNS & columns.keys()):
        return None
    return Header(tuple(texts), columns, tuple(ignored), index + 1, index)


def find_header(rows: Sequence[Sequence[str]]) -> Header | None:
    """The best header among the buffered first rows: the most recognised columns wins."""
    best: Header | None = None
    for index in range(min(len(rows), HEADER_SEARCH_ROWS)):
        single = _single_row_header(rows[index], index)
        double = (
            _two_row_header(rows[index], rows[index + 1], index) if index + 1 < len(rows) else None
        )
        for candidate in (single, double):
            if candidate is not None and (best is None or candidate.score > best.score):
                best = candidate
    return best


def is_numbering(cells: Sequence[str]) -> bool:
    """A row of column numbers under a header: "1 2 3 4" or "(1) (2) (3)"."""
    filled = [cell for cell in cells if cell]
    return len(filled) >= 2 and all(_NUMBERING.match(cell) for cell in filled)
