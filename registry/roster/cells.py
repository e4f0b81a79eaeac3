"""Cell values that are safe to hand to a spreadsheet, and small formatting helpers.

A roster is opened in Excel or LibreOffice by people who did not write its contents: a name,
a position or a foreign phone number that starts with ``=``, ``+``, ``-`` or ``@`` would be
read as a formula there ("formula injection", also called CSV injection). Such values are
*risky*; the writers neutralise them:

- in CSV, by a leading apostrophe (the OWASP advice): spreadsheets then take the field as
  text, and the apostrophe stays visible, which tells the reader why it is there;
- in xlsx, by storing the value as an explicit string cell with the ``quotePrefix`` style,
  which is how Excel itself marks "this is text, not a formula": the value is unchanged and
  shown as typed, and editing the cell does not turn it into a formula either.
"""

from __future__ import annotations

import re

from registry.validation import format_phone

# What a spreadsheet may take as the start of a formula or of a DDE command.
RISKY_FIRST = frozenset("=+-@\t\r")
QUOTE = "'"

# Characters XML 1.0 forbids (openpyxl raises on them); validated data never has them, but a
# file must still be written when an old record does.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_ROMAN = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip


def is_risky(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula.

    Leading spaces do not make a value safe ("  =1+1" is still evaluated by some programs),
    so the first character after them counts too.
    """
    if not text:
        return False
    if text[0] in RISKY_FIRST:
        return True
    stripped = text.lstrip(" ")
    return bool(stripped) and stripped[0] in RISKY_FIRST


def neutralised(text: str) -> str:
    """``text`` for a CSV field: a leading apostrophe when it is risky, unchanged otherwise."""
    return QUOTE + text if is_risky(text) else text


def xml_safe(text: str) -> str:
    """``text`` without the control characters an xlsx file cannot hold."""
    return _XML_ILLEGAL.sub("", text) if _XML_ILLEGAL.search(text) else text


def roman(number: int) -> str:
    """1 -> "I", 4 -> "IV", 14 -> "XIV": the numbering of the roster's sections."""
    if number < 1:
        raise ValueError(f"no Roman numeral for {number}")
    parts: list[str] = []
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        parts.append(letters * count)
    return "".join(parts)


class PhoneText:
    """``format_phone`` for a whole roster, without parsing every number again.

    ``phonenumbers`` takes about 15 µs a number, a third of the time of a large export. A
    Vietnamese number's national format depends only on its first three digits and its length
    (the leading-digit patterns of region VN have at most three digits), so the layout found
    for one number ("0" + 3 + space + 3 + space + 3) is reused for every number of the same
    shape. Foreign numbers, extensions and anything unexpected go to ``format_phone``.
    """

    _SHAPE_DIGITS = 3

    def __init__(self) -> None:
        # (first digits, length) -> [(text before, start, end), ...] or None: not reusable.
        self._layouts: dict[tuple[str, int], list[tuple[str, int, int]] | None] = {}

    def __call__(self, e164: str | None, extension: str | None = None) -> str:
        if not e164:
            return ""
        national = e164[3:]
        if extension or not e164.startswith("+84") or not national.isdigit():
            return format_phone(e164, extension)
        key = (national[: self._SHAPE_DIGITS], len(national))
        if key not in self._layouts:
            shown = format_phone(e164)
            self._layouts[key] = _layout(shown, national)
            return shown
        layout = self._layouts[key]
        if layout is None:
            return format_phone(e164)
        return "".join(before + national[start:end] for before, start, end in layout)


def _layout(shown: str, national: str) -> list[tuple[str, int, int]] | None:
    """How ``shown`` is made of ``national``'s digits: runs of digits taken in order, with
    the text before each (the trunk "0", spaces). None when it is not made that way."""
    digits = sum(char.isdigit() for char in shown)
    prefix = digits - len(national)  # the trunk prefix, written before the number
    if prefix < 0 or not shown[:prefix].isdigit():
        return None
    layout: list[tuple[str, int, int]] = []
    before, position, index = shown[:prefix], 0, prefix
    while index < len(shown):
        if not shown[index].isdigit():
            before += shown[index]
            index += 1
            continue
        start = position
        while index < len(shown) and shown[index].isdigit():
            if national[position] != shown[index]:
                return None
            position += 1
            index += 1
        layout.append((before, start, position))
        before = ""
    if before:
        layout.append((before, position, position))
    return layout if position == len(national) else None
