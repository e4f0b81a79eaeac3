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
