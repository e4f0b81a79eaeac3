"""Where an agency's table ends: the closing block of an official letter under the data.

A list sent as an official document ends as a letter does: "Nơi nhận:" and its recipients, the
place and date ("Lào Cai, ngày 05 tháng 8 năm 2025"), the signer's title ("KT. CHỦ TỊCH",
"PHÓ CHỦ TỊCH", "Người lập biểu") and name. None of it is a person of the list, and reported
row by row it read as a column of errors nobody could fix. So the table ends at the first such
row: it and every row after it are left out, and the report says where the table ended.

A row closes the table by its words only when it holds no phone number or email, no row
number and at most three filled cells: a person whose position is written "Chủ tịch" is still a
person. And should a row with a phone number or an email come later after all, the table had
not ended: the rows in between are data again (the reader decides that, see
:mod:`registry.roster.intake.reader`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from registry.validation import fold

# A cell that begins with one of these (folded) closes the table.
_OPENINGS = (
    "noi nhan", "nguoi lap bieu", "nguoi lap bang", "nguoi lap", "nguoi ky", "nguoi duyet",
    "kt chu tich", "kt giam doc", "kt bo truong", "kt chanh van phong", "kt truong",
    "tm uy ban nhan dan", "tm ubnd", "tm ban", "tl chu tich", "tl bo truong", "tuq",
    "thu truong don vi", "thu truong co quan", "xac nhan cua", "recipients", "prepared by",
    "on behalf of",
)  # fmt: skip
# A cell that is exactly one of these (a signer's title on a line of its own) closes it too.
_TITLES = frozenset(
    {
        "chu tich", "pho chu tich", "giam doc", "pho giam doc", "bo truong", "thu truong",
        "chanh van phong", "pho chanh van phong", "truong ban", "pho truong ban",
    }
)  # fmt: skip
# The place and date line of a letter: "Lào Cai, ngày 05 tháng 8 năm 2025" ("ngày ... tháng").
_DATE_LINE = re.compile(r"(?:^|\s)ngay(?:\s\d{1,2})?\sthang(?:\s\d{1,2})?\snam\b")
_CONTACTS = ("mobile", "office_phone", "email")
_MAX_CELLS = 3
# Characters of a cell looked at: the closing's titles, openings and date lines are short, and
# folding a long text (a letter pasted into one cell) on every row would cost seconds.
LOOKED_AT = 200


# A phone number as written ("0912 345 678", "(024) 3825.2931"), or an email address. The
# closing block often sits under the phone columns, so a date there is not a number.
_CONTACT = re.compile(r"@|\d[\d\s.()-]{7,}\d")


def has_contact(values: Mapping[str, str]) -> bool:
    """A row holding a phone number or an email: a person's row, never a closing one."""
    return any(_CONTACT.search(values.get(column, "")) for column in _CONTACTS)


def is_closing(cells: Sequence[str], values: Mapping[str, str]) -> bool:
    """Whether a row under the header is the start of the letter's closing block.

    ``cells`` are the row's cells as written, ``values`` its recognised columns' texts.
    """
    if has_contact(values):
        return False
    if values.get("stt", "").strip().rstrip(".").isdigit():
        return False
    keys = [key for key in (fold(cell.strip()[:LOOKED_AT]) for cell in cells) if key]
    if len(keys) > _MAX_CELLS:
        return False
    for key in keys:
        if key in _TITLES or _DATE_LINE.search(key):
            return True
        if any(key == opening or key.startswith(opening + " ") for opening in _OPENINGS):
            return True
    return False
