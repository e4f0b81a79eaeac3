"""An export reuses the layout of a number for every number of the same length and start: the
text is still exactly ``format_phone``'s and ``format_international``'s, number after number,
in one export (one ``PhoneTexts``) that has seen many of them."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.roster.cells import neutralised
from registry.roster.export.phones import PhoneTexts, _prefix_digits
from registry.validation import format_international, format_phone

MOBILE = ["32", "39", "86", "96", "70", "79", "89", "90", "81", "88", "91", "52", "59", "99", "87"]
AREAS = ["24", "28", "203", "204", "210", "222", "236", "251", "269", "277", "290", "299"]


def generated(seed: int, count: int) -> list[str]:
    """Mobiles and landlines of every length the plan tells apart, and odd Vietnamese ones."""
    rng = random.Random(seed)
    numbers: list[str] = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.45:
            numbers.append(f"+84{rng.choice(MOBILE)}{rng.randrange(10**7):07d}")
        elif kind < 0.9:
            area = rng.choice(AREAS)
            numbers.append(f"+84{area}{rng.randrange(10 ** (9 - len(area))):0{9 - len(area)}d}")
        else:
            size = rng.randrange(1, 13)
            numbers.append(f"+84{rng.randrange(1, 10)}{rng.randrange(10**size):0{size}d}")
    return numbers


# One for the whole module, as one for a whole export: layouts found early are reused later.
SHARED = PhoneTexts()
ODD = [
    "+8418001234", "+8419001234", "+84187654321", "+841992345678", "+84699999999",
    "+442079460958", "+12025550123", "+84912x45678", "+840912345678", "+84", "+84١٢٣٤٥٦٧٨٩",
    "0912345678", "",
]  # fmt: skip


def _same(texts: PhoneTexts, number: str) -> None:
    assert texts.national(number) == format_phone(number), number
    assert texts.national_cell(number) == neutralised(format_phone(number)), number
    if number:
        assert texts.international(number) == format_international(number), number


def test_the_vietnamese_formats_let_layouts_be_reused() -> None:
    # Else every number would go to the formatter: right, but slow again.
    assert _prefix_digits(False) is not None
    assert _prefix_digits(True) is not None


def test_thousands_of_numbers_in_one_export_read_as_the_formatter_writes_them() -> None:
    texts = PhoneTexts()
    for number in [*generated(2026, 5000), *ODD, *generated(2027, 5000)]:
        _same(texts, number)
    assert texts.national(None) == ""
    assert texts.national_cell(None) == ""


@settings(max_examples=1000)
@given(st.from_regex(r"\+84[0-9]{0,12}", fullmatch=True))
def test_any_digits_after_84_read_as_the_formatter_writes_them(number: str) -> None:
    _same(SHARED, number)
