"""The columns of the roster, shared by the export, the template and the import.

Each column has a stable key; the header a person reads comes from the text catalog
(``roster.column.<key>``), and the import recognises the usual ways agencies write it
(``ALIASES``, compared after folding accents and case).
"""

from __future__ import annotations

from registry.validation import fold

# In the order of the printed roster.
COLUMNS: tuple[str, ...] = (
    "stt",
    "agency",
    "full_name",
    "position",
    "role",
    "mobile",
    "office_phone",
    "email",
    "status",
    "updated_at",
)

# Written forms seen in agencies' lists, folded (see registry.validation.fold). The import
# also takes a header that begins with one of these ("Họ và tên người phát ngôn"), the longest
# first, so a longer form is listed wherever a shorter one would mean another column
# ("so dien thoai co dinh" against "so dien thoai").
ALIASES: dict[str, tuple[str, ...]] = {
    "stt": ("stt", "so tt", "so thu tu", "tt", "no"),
    "agency": (
        "co quan don vi", "co quan", "don vi", "ten co quan", "ten don vi", "co quan dia phuong",
        "bo nganh dia phuong", "agency", "bo nganh", "tinh thanh pho", "tinh thanh",
        "dia phuong", "organisation", "organization",
    ),
    "full_name": ("ho va ten", "ho ten", "ho ten day du", "ten", "full name", "name"),
    "position": ("chuc vu", "chuc danh", "chuc vu chuc danh", "position", "title"),
    "role": ("vai tro", "nhiem vu", "vai tro trong mang luoi", "role"),
    "mobile": (
        "dien thoai di dong", "dt di dong", "di dong", "dd", "so di dong", "dien thoai", "sdt",
        "so dien thoai", "dt", "mobile", "phone", "dtdd", "dt dd", "so dt", "mobile phone",
        "cell phone", "dien thoai lien he", "so dien thoai di dong",
    ),
    "office_phone": (
        "dien thoai co dinh", "dt co dinh", "co dinh", "dien thoai co quan", "dt co quan",
        "dien thoai van phong", "office phone", "so dien thoai co dinh",
        "so dien thoai co quan", "dtcq", "dt cq", "dt van phong", "dien thoai ban", "landline",
    ),
    "email": (
        "email", "e mail", "thu dien tu", "dia chi email", "dia chi thu dien tu", "mail",
        "hop thu dien tu", "dia chi e mail",
    ),
    "status": ("trang thai", "status"),
    "updated_at": ("cap nhat", "ngay cap nhat", "updated", "updated at", "last updated"),
    # Read on import, not printed on the roster (not in COLUMNS).
    "note": ("ghi chu", "note", "notes"),
}  # fmt: skip


def column_for(header: str) -> str | None:
    """The column a header cell names, or None."""
    key = fold(header)
    if not key:
        return None
    for column, aliases in ALIASES.items():
        if key in aliases:
            return column
    return None
