"""Stored numbers are shown without parsing them again, and exactly as ``phonenumbers`` would
show them: national for Vietnamese numbers (lists and chats), international for contact cards,
the extension after the number in the reader's word."""

from __future__ import annotations

import random

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat

from registry.validation import format_international, format_phone
from registry.validation.phone_format import vietnamese_text

# Mobile prefixes of every network since 2018, and landline area codes: Hà Nội and TP HCM (two
# digits) and the three-digit ones of the provinces.
MOBILE = [
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "38",
    "39",
    "86",
    "96",
    "97",
    "98",
    "70",
    "76",
    "77",
    "78",
    "79",
    "89",
    "90",
    "93",
    "81",
    "82",
    "83",
    "84",
    "85",
    "88",
    "91",
    "94",
    "52",
    "56",
    "58",
    "92",
    "59",
    "99",
    "87",
    "55",
]
AREAS = [
    "24",
    "28",
    "203",
    "204",
    "205",
    "206",
    "207",
    "208",
    "209",
    "210",
    "211",
    "212",
    "213",
    "214",
    "215",
    "216",
    "218",
    "219",
    "220",
    "221",
    "222",
    "225",
    "226",
    "227",
    "228",
    "229",
    "232",
    "233",
    "234",
    "235",
    "236",
    "237",
    "238",
    "239",
    "251",
    "252",
    "254",
    "255",
    "256",
    "257",
    "258",
    "259",
    "260",
    "261",
    "262",
    "263",
    "269",
    "270",
    "271",
    "272",
    "273",
    "274",
    "275",
    "276",
    "277",
    "290",
    "291",
    "292",
    "293",
    "294",
    "296",
    "297",
    "299",
]


def slow_text(e164: str, extension: str | None = None, word: str = "ext.") -> str:
    """What format_phone printed before: parse, then format (national for region VN)."""
    number = phonenumbers.parse(e164)
    style = (
        PhoneNumberFormat.NATIONAL if number.country_code == 84 else PhoneNumberFormat.INTERNATIONAL
    )
    shown = phonenumbers.format_number(number, style)
    return f"{shown} {word} {extension}" if extension else shown


def slow_international(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), PhoneNumberFormat.INTERNATIONAL)


def generated(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    numbers: list[str] = []
    for _ in range(count):
        if rng.random() < 0.5:
            numbers.append(f"+84{rng.choice(MOBILE)}{rng.randrange(10**7):07d}")
        else:
            area = rng.choice(AREAS)
            numbers.append(f"+84{area}{rng.randrange(10 ** (9 - len(area))):0{9 - len(area)}d}")
    return numbers


def test_thousands_of_vietnamese_numbers_read_as_phonenumbers_writes_them() -> None:
    for index, number in enumerate(generated(2025, 5000)):
        extension = str(100 + index % 900) if index % 3 == 0 else None
        assert format_phone(number, extension) == slow_text(number, extension), number
        assert format_phone(number, extension, extension_word="máy lẻ") == slow_text(
            number, extension, "máy lẻ"
        )
        assert format_international(number) == slow_international(number), number


@settings(max_examples=500)
@given(st.from_regex(r"\+84[1-9][0-9]{6,10}", fullmatch=True))
def test_any_digits_after_84_come_out_as_phonenumbers_would_write_them(number: str) -> None:
    assert format_phone(number) == slow_text(number)
    assert format_international(number) == slow_international(number)


def test_toll_free_foreign_and_odd_numbers() -> None:
    for number in ("+8418001234", "+8419001234", "+84187654321", "+841992345678", "+84699999999"):
        assert format_phone(number) == slow_text(number), number
        assert format_international(number) == slow_international(number), number
    # Other countries and anything that is not plain digits go to phonenumbers itself.
    assert vietnamese_text("+442079460958") is None
    assert format_phone("+442079460958") == "+44 20 7946 0958"
    assert format_international("+12025550123") == "+1 202-555-0123"
    assert vietnamese_text("+84912x45678") is None
    assert format_phone(None) == format_phone("") == ""


def test_the_well_known_forms() -> None:
    assert format_phone("+84912345678") == "0912 345 678"
    assert format_phone("+842438221234", "101") == "024 3822 1234 ext. 101"
    assert format_phone("+842363822123") == "0236 3822 123"
    assert format_international("+842438221234") == "+84 24 3822 1234"
