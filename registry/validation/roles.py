"""The role a person has in the network, as written in agency lists.

The first three are the roles of Nghị định 09/2017/NĐ-CP Điều 3 (head of the agency, the
spokesperson, a person given the task of speaking); the press-contact officer is the fourth.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from registry.errors import ValidationError
from registry.validation.text import fold

ROLES: tuple[str, ...] = ("head", "spokesperson", "authorized_spokesperson", "press_contact")

# Folded phrases that, found as whole words anywhere in the cell, point at a role. Lists write
# the role in many ways ("Người phát ngôn (NPN)", "Cán bộ đầu mối cung cấp thông tin"), so
# phrases are searched for instead of matched exactly; an ambiguous cell is refused.
_PHRASES: dict[str, tuple[str, ...]] = {
    "head": ("head", "dung dau", "thu truong"),
    "spokesperson": ("spokesperson", "spokesman", "spokeswoman", "phat ngon", "npn"),
    "authorized_spokesperson": (
        "authorized",
        "authorised",
        "uy quyen",
        "duoc giao",
        "giao nhiem vu",
    ),
    "press_contact": ("press contact", "contact", "cung cap thong tin", "dau moi", "focal point"),
}

# "Thủ trưởng" (head of an agency) and "Thứ trưởng" (deputy minister, a position, not a role)
# fold to the same key, so the accented "thứ trưởng" is looked for before folding.
_HEAD_WORD = "thu truong"
_DEPUTY_MINISTER = re.compile(r"thứ\s+trưởng")


@functools.lru_cache(maxsize=1024)  # a list writes its roles a few ways, on every row
def parse_role(text: str) -> str:
    """Return one of :data:`ROLES` for a code or a Vietnamese/English description.

    Raises ``ValidationError("role.unknown", text=...)`` when no role, or more than one, fits.
    """
    key = f" {fold(text)} "
    found = {
        role
        for role, phrases in _PHRASES.items()
        if any(f" {phrase} " in key for phrase in phrases)
    }
    if "head" in found and _is_deputy_minister(text, key):
        found.discard("head")
    # "Người được ủy quyền phát ngôn" also contains "phát ngôn": the narrower role wins.
    if "authorized_spokesperson" in found:
        found.discard("spokesperson")
    if len(found) != 1:
        raise ValidationError("role.unknown", text=text.strip()[:100])
    return found.pop()


def _is_deputy_minister(text: str, key: str) -> bool:
    if any(f" {phrase} " in key for phrase in _PHRASES["head"] if phrase != _HEAD_WORD):
        return False
    return bool(_DEPUTY_MINISTER.search(unicodedata.normalize("NFC", text).lower()))
