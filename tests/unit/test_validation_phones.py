"""Phone numbers as they appear in agency spreadsheets and chats."""

from __future__ import annotations

from typing import Any

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat

from registry.errors import ValidationError
from registry.validation import (
    OLD_MOBILE_PREFIXES,
    Phone,
    format_phone,
    parse_mobile,
    parse_office_phone,
    parse_phone,
    parse_phones,
)

MOBILE = "+84912345678"
HANOI = "+842438221234"

# (input, [(e164, kind, extension, converted_from), ...])
ACCEPTED: list[tuple[str, list[tuple[str, str, str | None, str | None]]]] = [
    # written forms from real lists (DESIGN.md)
    ("099.686.6688", [("+84996866688", "mobile", None, None)]),
    ("0912 345 678", [(MOBILE, "mobile", None, None)]),
    ("(024) 3822 1234", [(HANOI, "fixed_line", None, None)]),
    ("024.3822.1234", [(HANOI, "fixed_line", None, None)]),
    ("+84 (0) 24 3822 1234", [(HANOI, "fixed_line", None, None)]),
    ("(+84) 912 345 678", [(MOBILE, "mobile", None, None)]),
    ("84912345678", [(MOBILE, "mobile", None, None)]),
    (
        "ĐT: 0243.8252.931; DĐ: 0912.345.678",
        [("+842438252931", "fixed_line", None, None), (MOBILE, "mobile", None, None)],
    ),
    # more spellings of the same numbers
    ("0912345678", [(MOBILE, "mobile", None, None)]),
    ("0912-345-678", [(MOBILE, "mobile", None, None)]),
    ("0912.345.678", [(MOBILE, "mobile", None, None)]),
    ("+84912345678", [(MOBILE, "mobile", None, None)]),
    ("+84 912 345 678", [(MOBILE, "mobile", None, None)]),
    ("+84 0912 345 678", [(MOBILE, "mobile", None, None)]),
    ("0084 912 345 678", [(MOBILE, "mobile", None, None)]),
    ("912345678", [(MOBILE, "mobile", None, None)]),  # leading zero lost in Excel
    ("2438221234", [(HANOI, "fixed_line", None, None)]),
    ("02438221234", [(HANOI, "fixed_line", None, None)]),
    ("842438221234", [(HANOI, "fixed_line", None, None)]),
    ("028 3829 5555", [("+842838295555", "fixed_line", None, None)]),  # TP HCM
    ("0236 3822 123", [("+842363822123", "fixed_line", None, None)]),  # Đà Nẵng
    ("0203 3123 456", [("+842033123456", "fixed_line", None, None)]),  # Quảng Ninh
    ("  0912 345 678  ", [(MOBILE, "mobile", None, None)]),
    ("'0912345678", [(MOBILE, "mobile", None, None)]),  # spreadsheet text marker
    ("０９１２３４５６７８", [(MOBILE, "mobile", None, None)]),  # full-width digits
    ("＋８４ ９１２ ３４５ ６７８", [(MOBILE, "mobile", None, None)]),
    ("0912\u00a0345\u00a0678", [(MOBILE, "mobile", None, None)]),  # NBSP
    ("0912\u202f345\u202f678", [(MOBILE, "mobile", None, None)]),  # narrow NBSP
    ("09\u200b12 345 678", [(MOBILE, "mobile", None, None)]),  # zero-width space
    ("\ufeff0912345678", [(MOBILE, "mobile", None, None)]),  # byte-order mark
    ("0912\u200c345\u200d678", [(MOBILE, "mobile", None, None)]),
    ("0912\t345\t678", [(MOBILE, "mobile", None, None)]),
    # current mobile prefixes of every network
    ("0321234567", [("+84321234567", "mobile", None, None)]),
    ("0701234567", [("+84701234567", "mobile", None, None)]),
    ("0831234567", [("+84831234567", "mobile", None, None)]),
    ("0561234567", [("+84561234567", "mobile", None, None)]),
    ("0591234567", [("+84591234567", "mobile", None, None)]),
    ("0886123456", [("+84886123456", "mobile", None, None)]),
    # labels
    ("ĐT: 0912 345 678", [(MOBILE, "mobile", None, None)]),
    ("DĐ: 0912 345 678", [(MOBILE, "mobile", None, None)]),
    ("Tel: (024) 3822 1234", [(HANOI, "fixed_line", None, None)]),
    ("Tel.: 024 3822 1234", [(HANOI, "fixed_line", None, None)]),
    ("Mobile: 0912 345 678", [(MOBILE, "mobile", None, None)]),
    ("Di động: 0912 345 678", [(MOBILE, "mobile", None, None)]),
    ("di dong 0912345678", [(MOBILE, "mobile", None, None)]),
    ("Cố định: 024 3822 1234", [(HANOI, "fixed_line", None, None)]),
    ("CQ: 024 3822 1234", [(HANOI, "fixed_line", None, None)]),
    ("NR: 024 3822 1234", [(HANOI, "fixed_line", None, None)]),
    ("ĐTDĐ: 0912345678", [(MOBILE, "mobile", None, None)]),
    ("Số ĐT: 0912345678", [(MOBILE, "mobile", None, None)]),
    ("Điện thoại: 0912345678", [(MOBILE, "mobile", None, None)]),
    ("0912 345 678 (DĐ)", [(MOBILE, "mobile", None, None)]),
    ("℡ 0912 345 678", [(MOBILE, "mobile", None, None)]),
    # several numbers in one cell
    (
        "ĐT CQ: 024.3822.1234, DĐ: 0912.345.678",
        [(HANOI, "fixed_line", None, None), (MOBILE, "mobile", None, None)],
    ),
    (
        "0912345678 / 0987654321",
        [(MOBILE, "mobile", None, None), ("+84987654321", "mobile", None, None)],
    ),
    (
        "0912345678\n0987654321",
        [(MOBILE, "mobile", None, None), ("+84987654321", "mobile", None, None)],
    ),
    (
        "0912345678 hoặc 0987654321",
        [(MOBILE, "mobile", None, None), ("+84987654321", "mobile", None, None)],
    ),
    (
        "0912 345 678 - 0987 654 321",
        [(MOBILE, "mobile", None, None), ("+84987654321", "mobile", None, None)],
    ),
    (
        "DĐ: 0912345678 ĐT: 024 3822 1234",
        [(MOBILE, "mobile", None, None), (HANOI, "fixed_line", None, None)],
    ),
    ("0912345678; 0912 345 678", [(MOBILE, "mobile", None, None)]),  # repeat dropped
    ("0912345678;", [(MOBILE, "mobile", None, None)]),
    # extensions
    ("024 3822 1234 máy lẻ 101", [(HANOI, "fixed_line", "101", None)]),
    ("024 3822 1234 ext. 101", [(HANOI, "fixed_line", "101", None)]),
    ("024 3822 1234 ext 101", [(HANOI, "fixed_line", "101", None)]),
    ("024 3822 1234 x101", [(HANOI, "fixed_line", "101", None)]),
    ("024 3822 1234 - lẻ 101", [(HANOI, "fixed_line", "101", None)]),
    ("024 3822 1234 (máy lẻ 101)", [(HANOI, "fixed_line", "101", None)]),
    ("024 3822 1234, máy lẻ 101", [(HANOI, "fixed_line", "101", None)]),
    ("024 3822 1234 MÁY LẺ 2305", [(HANOI, "fixed_line", "2305", None)]),
    # pre-2018 eleven-digit mobiles, converted
    ("01691234567", [("+84391234567", "mobile", None, "01691234567")]),
    ("0162 123 4567", [("+84321234567", "mobile", None, "01621234567")]),
    ("+84 169 123 4567", [("+84391234567", "mobile", None, "01691234567")]),
    ("841691234567", [("+84391234567", "mobile", None, "01691234567")]),
    ("1691234567", [("+84391234567", "mobile", None, "01691234567")]),
    ("01201234567", [("+84701234567", "mobile", None, "01201234567")]),
    ("0121 123 4567", [("+84791234567", "mobile", None, "01211234567")]),
    ("01221234567", [("+84771234567", "mobile", None, "01221234567")]),
    ("01261234567", [("+84761234567", "mobile", None, "01261234567")]),
    ("01281234567", [("+84781234567", "mobile", None, "01281234567")]),
    ("01231234567", [("+84831234567", "mobile", None, "01231234567")]),
    ("01241234567", [("+84841234567", "mobile", None, "01241234567")]),
    ("01251234567", [("+84851234567", "mobile", None, "01251234567")]),
    ("01271234567", [("+84811234567", "mobile", None, "01271234567")]),
    ("01291234567", [("+84821234567", "mobile", None, "01291234567")]),
    ("01861234567", [("+84561234567", "mobile", None, "01861234567")]),
    ("01881234567", [("+84581234567", "mobile", None, "01881234567")]),
    ("01991234567", [("+84591234567", "mobile", None, "01991234567")]),
    # foreign numbers (an attaché abroad)
    ("+1 202 555 0143", [("+12025550143", "foreign", None, None)]),
    ("+44 (0) 20 7946 0958", [("+442079460958", "foreign", None, None)]),
    ("001 202 555 0143", [("+12025550143", "foreign", None, None)]),
    ("+33 1 42 68 53 00 ext. 12", [("+33142685300", "foreign", "12", None)]),
]

# (input, error code)
REJECTED: list[tuple[str, str]] = [
    ("", "phone.empty"),
    ("   ", "phone.empty"),
    ("\u00a0\u00a0", "phone.empty"),
    ("\u200b", "phone.empty"),
    ("-", "phone.empty"),
    ("ĐT:", "phone.empty"),
    (";;", "phone.empty"),
    ("0913.xxx.xxx", "phone.letters"),
    ("0912 345 abc", "phone.letters"),
    ("1-800-FLOWERS", "phone.letters"),
    ("không có", "phone.letters"),
    ("Fax: 024 3822 1234", "phone.letters"),
    ("'; DROP TABLE person;--", "phone.letters"),
    ('=HYPERLINK("x")', "phone.letters"),
    ("0912345678; abc", "phone.letters"),
    ("😀", "phone.invalid"),
    ("📞 0912 345 678", "phone.invalid"),
    ("0912 345 678 ☎", "phone.invalid"),
    ("0912\u2060345678", "phone.invalid"),  # word joiner is not a space
    ("0912*345#678", "phone.invalid"),
    ("+", "phone.invalid"),
    ("0912+345678", "phone.invalid"),
    ("++84912345678", "phone.invalid"),
    ("máy lẻ 101", "phone.invalid"),  # an extension without a number
    ("04 3822 1234", "phone.invalid"),  # Hà Nội's area code before 2017
    ("0112345678", "phone.invalid"),
    ("01611234567", "phone.invalid"),  # 0161 was never a mobile prefix
    ("+999 123 456", "phone.invalid"),
    ("1800 1234", "phone.premium_or_tollfree"),
    ("1800599920", "phone.premium_or_tollfree"),
    ("1900 6789", "phone.premium_or_tollfree"),
    ("1900.54.54.54", "phone.premium_or_tollfree"),
    ("+84 1900 6789", "phone.premium_or_tollfree"),
    ("0", "phone.too_short"),
    ("0912", "phone.too_short"),
    ("091 234 567", "phone.too_short"),
    ("+84", "phone.too_short"),
    ("+1 202", "phone.too_short"),
    ("091234567890", "phone.too_long"),
    ("0912 345 678 9999 9999", "phone.too_long"),
    ("+1 202 555 0143 123456", "phone.too_long"),
    ("1" * 5000, "phone.too_long"),
    ("0912345678 " * 10, "phone.too_long"),
    ("0912 345 678 ext 5", "phone.extension_not_allowed"),
]


def _as_tuples(phones: list[Phone]) -> list[tuple[str, str, str | None, str | None]]:
    return [(p.e164, p.kind, p.extension, p.converted_from) for p in phones]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted_forms(text: str, expected: list[tuple[str, str, str | None, str | None]]) -> None:
    assert _as_tuples(parse_phones(text)) == expected


@pytest.mark.parametrize(("text", "code"), REJECTED)
def test_rejected_forms(text: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_phones(text)
    assert caught.value.code == code


def test_table_is_large() -> None:
    assert len(ACCEPTED) + len(REJECTED) >= 80


def test_letters_error_names_the_letters() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_phones("0913.xxx.xxx")
    assert caught.value.params == {"text": "xxx"}


def test_errors_name_the_number_as_written() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_phones("ĐT: 024 3822 1234; DĐ: 1900 6789")
    assert caught.value.params == {"number": "1900 6789"}


def test_overlong_input_is_refused_with_a_short_excerpt() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_phones("9" * 5000)
    assert caught.value.params == {"number": "9" * 30 + "…"}


def test_every_old_prefix_converts_to_a_valid_mobile() -> None:
    for old, new in OLD_MOBILE_PREFIXES.items():
        phone = parse_phone(old + "1234567")
        assert (phone.e164, phone.kind) == ("+84" + new[1:] + "1234567", "mobile")


@pytest.mark.parametrize(
    ("text", "national", "display"),
    [
        ("0912345678", "0912 345 678", "0912 345 678"),
        ("024.3822.1234", "024 3822 1234", "024 3822 1234"),
        ("024 3822 1234 máy lẻ 101", "024 3822 1234", "024 3822 1234 ext. 101"),
        ("099.686.6688", "0996 866 688", "0996 866 688"),
        ("+44 20 7946 0958", "+44 20 7946 0958", "+44 20 7946 0958"),
    ],
)
def test_display(text: str, national: str, display: str) -> None:
    phone = parse_phone(text)
    assert (phone.national(), phone.display()) == (national, display)


def test_parse_phone_refuses_two_numbers() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_phone("ĐT: 0243.8252.931; DĐ: 0912.345.678")
    assert (caught.value.code, caught.value.params) == ("phone.several", {"count": 2})


def test_parse_phone_takes_a_repeated_number_once() -> None:
    assert parse_phone("0912345678, 0912.345.678").e164 == MOBILE


@pytest.mark.parametrize(
    ("text", "kind"), [("0912 345 678", "mobile"), ("+1 202 555 0143", "foreign")]
)
def test_parse_mobile_accepts(text: str, kind: str) -> None:
    assert parse_mobile(text).kind == kind


def test_parse_mobile_refuses_a_landline() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_mobile("(024) 3822 1234")
    assert (caught.value.code, caught.value.params) == (
        "phone.not_mobile",
        {"number": "024 3822 1234"},
    )


def test_parse_mobile_refuses_an_extension() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_mobile("0912 345 678 máy lẻ 12")
    assert caught.value.code == "phone.extension_not_allowed"


@pytest.mark.parametrize(
    ("text", "e164", "extension"),
    [
        ("024 3822 1234 máy lẻ 101", HANOI, "101"),
        ("0912 345 678", MOBILE, None),
        ("CQ: (024) 3822 1234", HANOI, None),
    ],
)
def test_parse_office_phone(text: str, e164: str, extension: str | None) -> None:
    phone = parse_office_phone(text)
    assert (phone.e164, phone.extension) == (e164, extension)


def test_parse_office_phone_refuses_two_numbers() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_office_phone("024 3822 1234; 024 3822 1235")
    assert caught.value.code == "phone.several"


# Characters that make up phone cells, to reach the interesting paths more often than
# uniformly random text would.
_PHONE_ALPHABET = st.sampled_from(
    [*"0123456789+()-. ;,/x\n\u00a0\u200b０８", "ĐT:", "DĐ", "máy lẻ", "ext.", "84", "0169"]
)


@given(st.text())
def test_any_text_parses_or_raises_validation_error(text: str) -> None:
    for parse in (parse_phones, parse_phone, parse_mobile, parse_office_phone):
        try:
            result = parse(text)
        except ValidationError as error:
            assert error.code.startswith("phone.")
        else:
            assert result


@given(st.lists(_PHONE_ALPHABET, max_size=30).map("".join))
def test_phone_like_text_parses_or_raises_validation_error(text: str) -> None:
    try:
        phones = parse_phones(text)
    except ValidationError as error:
        assert error.code.startswith("phone.")
    else:
        assert all(
            p.e164.startswith("+") and p.kind in {"mobile", "fixed_line", "foreign"} for p in phones
        )
        # What comes out goes back in: the display form parses to the same number.
        assert [parse_phone(p.national()).e164 for p in phones] == [p.e164 for p in phones]


# --- "/" inside a number ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "numbers", "joined"),
    [
        ("0912/333/444", ["+84912333444"], "0912/333/444"),
        ("024/3822/1234", ["+842438221234"], "024/3822/1234"),
        ("0912 / 333 / 444; 024 3822 1234", ["+84912333444", "+842438221234"], "0912 / 333 / 444"),
    ],
)
def test_digit_groups_joined_by_slashes_are_one_number_said_so(
    text: str, numbers: list[str], joined: str
) -> None:
    phones = parse_phones(text)
    assert [p.e164 for p in phones] == numbers
    assert phones[0].joined_from == joined
    assert all(p.joined_from is None for p in phones[1:])


def test_whole_numbers_between_slashes_are_several_numbers() -> None:
    phones = parse_phones("0912 345 678/0987 654 321")
    assert [p.e164 for p in phones] == ["+84912345678", "+84987654321"]
    assert all(p.joined_from is None for p in phones)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0243 888 999/101", "0243 888 999/101"),
        ("0912/333", "0912/333"),
        ("09/12/2025", "09/12/2025"),
    ],
)
def test_unclear_slashes_are_refused_with_their_own_reason(text: str, number: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_phones(text)
    assert (caught.value.code, caught.value.params) == ("phone.slash.unclear", {"number": number})


def test_a_landline_missing_a_digit_is_too_short() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_phones("0912/333/444; 0243 888 999")
    assert (caught.value.code, caught.value.params) == (
        "phone.too_short",
        {"number": "0243 888 999"},
    )


def test_an_extension_reads_in_the_callers_word() -> None:
    assert format_phone("+842438221234", "12") == "024 3822 1234 ext. 12"
    assert format_phone("+842438221234", "12", extension_word="máy lẻ") == "024 3822 1234 máy lẻ 12"
    assert parse_phone("024 3822 1234 máy lẻ 12").display("máy lẻ") == "024 3822 1234 máy lẻ 12"


# --- the shortcuts: they agree with phonenumbers and with the whole way ------------------------


def _digits(count: int, seed: int) -> str:
    return "".join(str((seed * 7 + i * 3) % 10) for i in range(count))


def test_the_shortcut_agrees_with_phonenumbers_on_every_prefix() -> None:
    """Every four-digit start of the numbers the shortcut may judge, with several endings: what
    it accepts, phonenumbers takes as a valid number of that type, with the same E.164."""
    from registry.validation import phones

    kinds = {"mobile": phonenumbers.PhoneNumberType.MOBILE}
    kinds["fixed_line"] = phonenumbers.PhoneNumberType.FIXED_LINE
    told = {"mobile": 0, "fixed_line": 0, None: 0}
    for first, length in [*((d, 9) for d in "35789"), ("2", 10)]:
        for start in range(1000):
            prefix = f"{first}{start:03d}"
            for ending in ("0" * 9, "9" * 9, _digits(9, start)):
                number = (prefix + ending)[:length]
                kind = phones._known_kind(number)
                told[kind] += 1
                parsed = phonenumbers.parse("+84" + number)
                if kind is None:
                    continue
                assert phonenumbers.is_valid_number(parsed), number
                assert phonenumbers.number_type(parsed) == kinds[kind], number
                e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
                assert e164 == "+84" + number
    assert told["mobile"] > 1000 and told["fixed_line"] > 500 and told[None] > 1000


def _whole_way(text: str) -> list[Phone]:
    """parse_phones without its shortcuts: the cell cut, each number parsed by phonenumbers."""
    from unittest import mock

    from registry.validation import phones

    with mock.patch.object(phones, "_known_kind", lambda number: None):
        return phones._parse_phones(text)


def _outcome(parse: Any, text: str) -> object:
    try:
        return parse(text)
    except ValidationError as error:
        return (error.code, error.params)


_NUMBER_LIKE = st.one_of(
    st.from_regex(r"(\+84|84|0084|0)?[0-9]{7,12}", fullmatch=True),
    st.from_regex(r"[0-9]{2,4}([ .-][0-9]{2,4}){1,4}", fullmatch=True),
    st.from_regex(r"'?0[1-9][0-9]{1,3}([ .-]{1,2}[0-9]{3,4}){1,3}", fullmatch=True),
    st.lists(_PHONE_ALPHABET, max_size=20).map("".join),
)


@given(_NUMBER_LIKE)
def test_the_shortcuts_give_what_the_whole_way_gives(text: str) -> None:
    from registry.validation import phones

    uncached = phones._parse_cell.__wrapped__  # type: ignore[attr-defined]
    assert _outcome(lambda t: list(uncached(t)), text) == _outcome(_whole_way, text)


@pytest.mark.parametrize(
    "text",
    ["0912 345 678", "0912.345.678", "0912-345-678", "84912345678", "0162 345 6789",
     "024 3822 1234", "02438221234", "0243 888 999", "1900 1234", "0672 123 456",
     "0699 123 456", "0912 345 6789", "0412 345 678", "0012 345 678"],
)  # fmt: skip
def test_plain_cells_give_what_the_whole_way_gives(text: str) -> None:
    assert _outcome(parse_phones, text) == _outcome(_whole_way, text)


def test_a_cell_checked_again_is_the_same_and_its_errors_are_its_own() -> None:
    assert parse_phones("(024) 3822 1234 máy lẻ 101") == parse_phones("(024) 3822 1234 máy lẻ 101")
    first = parse_phones("0912 345 678")
    first.append(first[0])  # a caller's list is its own
    assert parse_phones("0912 345 678") == [first[0]]
    errors = []
    for _ in range(2):
        with pytest.raises(ValidationError) as caught:
            parse_phones("0913.xxx.xxx")
        caught.value.params["field"] = "mobile"
        errors.append(caught.value)
    assert errors[0] is not errors[1]
