"""Names, free text and search keys.

Everything is stored in NFC (what Vietnamese keyboards and most files produce) and searched
through :func:`fold`, which removes what people leave out when they type quickly: accents,
the stroke of ``đ`` and case.

An import folds and checks every name of a list, and a list is written with a few hundred
distinct characters: what folding or checking a character gives is worked out once per
character and remembered (folding is character by character: case folding and compatibility
decomposition map each character alone, and the marks that decomposition would reorder are all
dropped; tests/unit/test_validation_text.py compares with the whole-string way).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from registry.errors import ValidationError

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# A run of letters and the combining marks among them (a word, or a part of "Nguyễn-Trần").
_LETTER_RUN = re.compile(r"(?:[^\W\d_]|[\u0300-\u036f])+")

# NFKD does not decompose đ (it is a letter of its own, not d + a mark), so fold it by hand.
# U+00D0/U+00F0 (Icelandic eth) look identical and turn up in text converted from the old
# TCVN3/VNI encodings, so they fold to "d" as well.
_D_WITH_STROKE = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})

# Apostrophe and hyphen in their ASCII and typographic forms ("O'Neil", "Nguyễn-Trần").
_NAME_PUNCTUATION = frozenset("'’‘-‐‑.")


def fold(text: str) -> str:
    """Return the search key of ``text``: no accents, ``đ`` as ``d``, lowercase a-z/0-9 words.

    ``fold("Đặng Thị Hồng") == "dang thi hong"``; ``fold("Bộ TT&TT") == "bo tt tt"``.
    The result only contains ``[a-z0-9 ]``, so ``fold`` is idempotent.
    """
    return _NOT_ALNUM.sub(" ", text.translate(_FOLDED)).strip()


def _fold_whole(text: str) -> str:
    """:func:`fold` as the whole string is folded (what the per-character table gives)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_D_WITH_STROKE).casefold())
    # casefold() can create new composed characters and ``đ`` (e.g. from "Ð" in NFKD input),
    # hence the second translate; marks are dropped by category, not by combining class,
    # because spacing marks (Mc) have combining class 0.
    stripped = "".join(char for char in decomposed.translate(_D_WITH_STROKE) if not _is_mark(char))
    return _NOT_ALNUM.sub(" ", stripped).strip()


class _FoldTable(dict[int, str]):
    """Character -> its fold before the non-alphanumeric runs are made spaces, filled as
    characters are met (at most ``_TABLE_MAX`` are kept: a hostile file could hold them all)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        decomposed = unicodedata.normalize("NFKD", char.translate(_D_WITH_STROKE).casefold())
        folded = "".join(c for c in decomposed.translate(_D_WITH_STROKE) if not _is_mark(c))
        if len(self) < _TABLE_MAX:
            self[code] = folded
        return folded


_TABLE_MAX = 20_000
_FOLDED = _FoldTable()


def normalize_name(text: str, *, max_length: int = 100) -> str:
    """Return a person's full name in NFC with single spaces, or raise ``ValidationError``.

    A name typed all in capitals or all in small letters ("NGUYỄN VĂN AN") comes back in the
    usual case, each word capitalised ("Nguyễn Văn An"); a name with both is kept as typed
    ("Lê Thị McLean"). :func:`name_recased` tells whether that happened.

    Codes: ``name.empty``, ``name.invalid_character`` (``char``), ``name.digits``,
    ``name.too_long`` (``max``), ``name.too_short`` (``min``).
    """
    name = _collapse(text)
    if not name:
        raise ValidationError("name.empty")
    if not _NAME_CHARS.issuperset(name):
        _check_name_chars(name)
    if len(name) > max_length:
        raise ValidationError("name.too_long", max=max_length)
    # "A." or "Ư" cannot identify anyone; two letters ("Lê Y" has four) is the least we take.
    if sum(1 for char in name if char.isalpha()) < 2:
        raise ValidationError("name.too_short", min=2)
    return _usual_case(name)


# Characters a name was found to be allowed to hold (neither a digit nor anything but a letter,
# a mark, a space or a name's punctuation), as they are met.
_NAME_CHARS: set[str] = set()


def _check_name_chars(name: str) -> None:
    for char in name:
        if unicodedata.category(char)[0] == "N":
            raise ValidationError("name.digits")
    for char in name:
        if not _is_name_char(char):
            raise ValidationError("name.invalid_character", char=_show_char(char))
    if len(_NAME_CHARS) < _TABLE_MAX:
        _NAME_CHARS.update(name)


def name_recased(text: str, name: str) -> bool:
    """Whether ``name`` (from :func:`normalize_name`) differs from ``text`` in more than spaces
    and Unicode form: the case was changed, and the person should be told."""
    return _collapse(text) != name


def _usual_case(name: str) -> str:
    cased = [char for char in name if char.isupper() or char.islower()]
    if not (all(char.isupper() for char in cased) or all(char.islower() for char in cased)):
        return name
    # Each run of letters gets a capital first: "Nguyễn-Trần", "O'Neil".
    words = _LETTER_RUN.sub(lambda m: m.group()[0].upper() + m.group()[1:].lower(), name)
    return unicodedata.normalize("NFC", words)


@functools.lru_cache(maxsize=4096)  # positions and notes repeat down a list
def normalize_text(
    text: str, *, field: str, max_length: int = 200, required: bool = True
) -> str | None:
    """Return free text (a position, a note) in NFC with single spaces.

    Returns ``None`` for empty text when not ``required``. Codes (all with ``field``):
    ``text.empty``, ``text.invalid_character`` (``char``), ``text.too_long`` (``max``).
    """
    value = _collapse(text)
    if not value:
        if required:
            raise ValidationError("text.empty", field=field)
        return None
    for char in value:
        if _is_invisible(char):
            raise ValidationError("text.invalid_character", field=field, char=_codepoint(char))
    if len(value) > max_length:
        raise ValidationError("text.too_long", field=field, max=max_length)
    return value


def _collapse(text: str) -> str:
    # str.split() splits on every Unicode space (NBSP, U+2003, line separators...), but not on
    # zero-width characters, which are format characters and get rejected afterwards. NFC runs
    # again after joining so that the result is a fixpoint even for odd mark/space sequences.
    return unicodedata.normalize("NFC", " ".join(unicodedata.normalize("NFC", text).split()))


def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"


def _is_invisible(char: str) -> bool:
    # Control (Cc), format such as zero-width space or bidi overrides (Cf), surrogates (Cs).
    # Private use and unassigned code points are let through: a newer emoji than Python's
    # Unicode tables is unassigned here, and free text may carry it.
    return unicodedata.category(char) in {"Cc", "Cf", "Cs"}


def _is_name_char(char: str) -> bool:
    return char == " " or char in _NAME_PUNCTUATION or char.isalpha() or _is_mark(char)


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def _show_char(char: str) -> str:
    # A visible character is shown as itself ("@", "😀"); an invisible one as its code point,
    # since a person cannot see, and so cannot find, a zero-width space in their own text.
    category = unicodedata.category(char)
    return _codepoint(char) if category[0] in {"C", "Z"} else char
