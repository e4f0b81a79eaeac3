"""Stored numbers laid out for a roster of 100,000 people: the text of ``format_phone`` and
``format_international``, at the cost of slicing a string.

``registry.validation.phone_format`` lays a Vietnamese number out from its digits with
phonenumbers' own formats for region VN: the first format whose leading-digits pattern matches
the start of the number and whose pattern matches the whole of it cuts it into groups. Those
patterns are only groups of digits (``(\\d{3})(\\d{4,5})``), so on a string of digits where the
groups fall depends on its length alone, and the leading patterns read at most a few digits.
The layout of a number is therefore the layout of every number of the same length that starts
with the same few digits: it is found once, with the formatter itself, and reused as slices.
When the metadata has a format this reasoning does not cover (a leading pattern that looks
ahead or reads many digits, a group that is not plain digits), nothing is reused and every
number goes to the formatter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from operator import itemgetter
from typing import Any

from registry.roster.cells import neutralised
from registry.validation import format_international, format_phone
from registry.validation.phone_format import COUNTRY_PREFIX, _formats

if len(COUNTRY_PREFIX) != 3:  # pragma: no cover - the slicing below counts on "+84"
    raise RuntimeError(f"unexpected country prefix {COUNTRY_PREFIX!r}")

# A layout: the text with a %s for each group of digits, and what takes the groups out.
_Plan = tuple[str, Callable[[str], Any]]
_DIGIT_GROUPS = re.compile(r"(?:\(\\d\{\d+(?:,\d+)?\}\))+")
_MAX_LEADING = 8  # digits a leading pattern may read for layouts to be reused


@cache
def _prefix_digits(international: bool) -> int | None:
    """How many leading digits choose a layout (None: layouts cannot be reused safely)."""
    try:
        from re import _parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - a Python without the regex parser's module
        return None
    widest = 0
    for item in _formats(international):
        if _DIGIT_GROUPS.fullmatch(item.pattern.pattern) is None:
            return None
        if item.leading is not None:
            pattern = item.leading.pattern
            if "(?" in pattern.replace("(?:", ""):  # look-arounds, flags, names
                return None
            widest = max(widest, _parser.parse(pattern).getwidth()[1])
    return widest if widest <= _MAX_LEADING else None


def _plan(digits: str, international: bool) -> _Plan | None:
    """The layout vietnamese_text gives ``digits`` (None: no format fits, the plain digits),
    as a ``%`` template and a getter of its groups' slices, so that laying out another number
    of the same layout is two calls in C."""
    for item in _formats(international):
        if item.leading is not None and item.leading.match(digits) is None:
            continue
        matched = item.pattern.fullmatch(digits)
        if matched is None:
            continue
        pairs, after = item.international if international else item.national
        template = "".join(f"{before.replace('%', '%%')}%s" for before, _ in pairs)
        template += after.replace("%", "%%")
        if international:
            template = f"{COUNTRY_PREFIX} {template}"
        slices = [slice(*matched.span(group)) for _, group in pairs]
        return template, itemgetter(*slices)
    return None


class PhoneTexts:
    """Numbers as one export shows them; one per file (it remembers the layouts it found)."""

    def __init__(self) -> None:
        self._plans: tuple[dict[tuple[str, int], _Plan | None], ...] = ({}, {})
        self._widths = (_prefix_digits(False), _prefix_digits(True))

    def _laid_out(self, e164: str, international: bool) -> str | None:
        """What vietnamese_text gives, from a remembered layout; None when it cannot tell."""
        if e164[:3] != COUNTRY_PREFIX:
            return None
        digits = e164[3:]
        if not (digits.isdigit() and digits.isascii()) or digits[0] == "0":
            return None
        width = self._widths[international]
        if width is None:
            return None
        plans = self._plans[international]
        key = (digits[:width], len(digits))
        try:
            plan = plans[key]
        except KeyError:
            plan = plans[key] = _plan(digits, international)
        if plan is None:
            return f"{COUNTRY_PREFIX} {digits}" if international else digits
        template, groups = plan
        return template % groups(digits)

    def national(self, e164: str | None) -> str:
        """``format_phone(e164)``: "0912 345 678", "" for no number."""
        if not e164:
            return ""
        shown = self._laid_out(e164, False)
        return format_phone(e164) if shown is None else shown

    def national_cell(self, e164: str | None) -> str:
        """The national form as a csv field: a foreign number ("+44 …") neutralised."""
        if not e164:
            return ""
        shown = self._laid_out(e164, False)
        return neutralised(format_phone(e164) if shown is None else shown)

    def international(self, e164: str) -> str:
        """``format_international(e164)``: "+84 912 345 678"."""
        shown = self._laid_out(e164, True)
        return format_international(e164) if shown is None else shown
