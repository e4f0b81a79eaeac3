"""Phone numbers as they are written in Vietnamese agency lists and chats.

A cell may hold several numbers with labels ("ĐT: 0243.8252.931; DĐ: 0912.345.678") and an
extension ("máy lẻ 101"). The cell is cut into numbers here; each number is then checked with
``phonenumbers`` (region VN), stored in E.164 and shown in the national format.

An import checks tens of thousands of cells, and ``phonenumbers.parse`` is most of what a cell
costs. So two shortcuts, which accept only and never refuse (anything else goes the whole way):
a cell that is one number written as digits with single spaces, dots or dashes between groups
is not cut (there is nothing to cut: no label, separator or extension), and a Vietnamese
mobile or landline is recognised with the very patterns ``phonenumbers`` judges it by (its own
metadata for region VN, applied as it applies them) instead of being parsed again. A cell
already checked is remembered. tests/unit/test_validation_phones.py compares both shortcuts
with ``phonenumbers`` and with the whole way on every prefix and on generated cells.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

from registry.errors import ValidationError
from registry.validation.phone_format import vietnamese_text

Kind = Literal["mobile", "fixed_line", "foreign"]

MAX_INPUT_LENGTH = 100

# Mobile prefixes renumbered in 2018 (11 digits -> 10); the last 7 digits are kept.
OLD_MOBILE_PREFIXES: dict[str, str] = {
    **{f"016{d}": f"03{d}" for d in "23456789"},  # Viettel 0162-0169 -> 032-039
    "0120": "070",  # MobiFone
    "0121": "079",
    "0122": "077",
    "0126": "076",
    "0128": "078",
    "0123": "083",  # VinaPhone
    "0124": "084",
    "0125": "085",
    "0127": "081",
    "0129": "082",
    "0186": "056",  # Vietnamobile
    "0188": "058",
    "0199": "059",  # Gmobile
}


@dataclass(frozen=True)
class Phone:
    """One checked number: E.164 without the extension, which is kept apart."""

    e164: str
    kind: Kind
    extension: str | None = None
    converted_from: str | None = None  # the pre-2018 national form it was converted from
    joined_from: str | None = None  # "0912/333/444": one number written in parts with "/"

    def national(self) -> str:
        """Display form: "0912 345 678", "024 3822 1234"; foreign numbers as "+44 20 ..."."""
        number = phonenumbers.parse(self.e164)
        if self.kind == "foreign":
            return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)

    def display(self, extension_word: str = "ext.") -> str:
        """The national form plus " ext. 101" when there is an extension (the reader's word
        for it, "máy lẻ" in Vietnamese, given by the caller)."""
        if self.extension is None:
            return self.national()
        return f"{self.national()} {extension_word} {self.extension}"


def parse_phones(text: str) -> list[Phone]:
    """Every number in one cell, in order, without repeats; at least one, or an error."""
    return list(_parse_cell(text))


@functools.lru_cache(maxsize=4096)  # an agency's office line is written on many rows
def _parse_cell(text: str) -> tuple[Phone, ...]:
    # Errors are not remembered: each call raises its own (callers add to its parameters).
    if len(text) <= MAX_INPUT_LENGTH and _PLAIN_NUMBER.fullmatch(text):
        return (_parse_number(text, None),)
    return tuple(_parse_phones(text))


# One number written as digits and single separators: what cutting the cell would give back
# whole (no label, separator, extension, slash or spaced dash can be in it).
_PLAIN_NUMBER = re.compile(r"[0-9]+(?:[ .-][0-9]+)*")


def _parse_phones(text: str) -> list[Phone]:
    cell = _clean(text)
    if len(cell) > MAX_INPUT_LENGTH:
        raise ValidationError("phone.too_long", number=cell[:30] + "…")
    cell, joined = _join_slashed(cell)
    phones: list[Phone] = []
    for chunk, extension in _numbers_in(cell):
        phone = _parse_number(chunk, extension)
        digits = "".join(char for char in chunk if char in _DIGITS)
        if digits in joined:
            phone = dataclasses.replace(phone, joined_from=joined[digits])
        if phone not in phones:
            phones.append(phone)
    if not phones:
        raise ValidationError("phone.empty")
    return phones


def parse_phone(text: str) -> Phone:
    """Exactly one number of any kind."""
    phones = parse_phones(text)
    if len(phones) > 1:
        raise ValidationError("phone.several", count=len(phones))
    return phones[0]


def parse_mobile(text: str) -> Phone:
    """Exactly one mobile (or foreign) number, without an extension."""
    phone = parse_phone(text)
    if phone.kind == "fixed_line":
        raise ValidationError("phone.not_mobile", number=phone.national())
    return phone


def parse_office_phone(text: str) -> Phone:
    """Exactly one number of any kind; landlines may carry an extension."""
    return parse_phone(text)


# --- cutting a cell into numbers -----------------------------------------------------------

# Zero-width characters pasted from web pages and Word sit between digits; they count as
# spaces. Other invisible characters are not silently dropped: they make the number invalid.
_ZERO_WIDTH = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\ufeff", " "))
_LINE_BREAK = re.compile(r"[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"\s+")

# Patterns below run on a folded copy of the cell with the same length (see _fold_chars), so
# "ĐT", "Đt", "dt" and "DT" are all "dt", and a match's span is valid in the original.
_NOT_AFTER_LETTER = r"(?<![^\W\d_])"
_NOT_BEFORE_LETTER = r"(?![^\W\d_])"
_LABEL_WORDS = (
    "so dien thoai", "dien thoai", "so dt", "sdt", "dtdd", "dtcq", "dtnr", "dtvp", "dt", "dd",
    "di dong", "didong", "co dinh", "co quan", "cq", "nha rieng", "nr", "van phong", "vp",
    "telephone", "tel", "mobile phone", "mobile", "mob", "cell phone", "cellphone", "cell",
    "phone", "hotline", "office", "so",
)  # fmt: skip
_LABEL_WORD = (
    _NOT_AFTER_LETTER
    + "(?:"
    + "|".join(w.replace(" ", r"\s*") for w in sorted(_LABEL_WORDS, key=len, reverse=True))
    + ")"
    + _NOT_BEFORE_LETTER
)
_LABEL = rf"[(\[]?\s*{_LABEL_WORD}(?:[\s.]*{_LABEL_WORD})*\.?\s*[)\]]?\s*:?"
_SEPARATOR = rf"[;,/|]|{_NOT_AFTER_LETTER}(?:hoac|or|va|and){_NOT_BEFORE_LETTER}"
_SPLIT = re.compile(rf"{_LABEL}|{_SEPARATOR}")
_EXTENSION = re.compile(
    rf"[\s,(\[–—-]*{_NOT_AFTER_LETTER}(?:may\s*le|so\s*le|le|extension|ext|ml|nhanh|x)"
    r"\.?\s*[:.]?\s*([0-9]{1,6})\s*[)\]]?\s*$"
)
# "0912 345 678 - 0987 654 321": a spaced dash between two complete numbers separates them.
_SPACED_DASH = re.compile(r"\s+[–—-]\s+")
_MIN_NUMBER_DIGITS = 9
_BLANK = frozenset(" .-–—_():[]")


# Digit groups joined by "/": "0912/333/444" (one number in parts) or "0912 345 678/0987 654
# 321" (two numbers). Groups too short to be a number are one number; see _join_slashed.
_SLASHED = re.compile(r"(?<![\d/])\d[\d. ]*(?:\s*/\s*\d[\d. ]*)+")
_NATIONAL_DIGITS = (10, 11)


def _join_slashed(cell: str) -> tuple[str, dict[str, str]]:
    """``cell`` with the "/" inside one number made spaces, and {digits: the text as written}
    for each number so joined.

    When every group between the slashes is too short for a number and together they have
    the length of a Vietnamese number, they are one number ("0912/333/444"). When every group
    is a number, the slash separates them. Anything else is unclear and refused with its own
    reason rather than guessed ("0243 888 999/101": an extension, or a second number?).
    """
    joined: dict[str, str] = {}

    def join(found: re.Match[str]) -> str:
        run = found.group()
        groups = [_digit_count(group) for group in run.split("/")]
        if all(count >= _MIN_NUMBER_DIGITS for count in groups):
            return run
        written = run.strip(" .")
        if all(count < _MIN_NUMBER_DIGITS for count in groups) and sum(groups) in _NATIONAL_DIGITS:
            joined["".join(char for char in run if char in _DIGITS)] = written
            return run.replace("/", " ")
        raise ValidationError("phone.slash.unclear", number=written)

    return _SLASHED.sub(join, cell), joined


def _clean(text: str) -> str:
    cell = unicodedata.normalize("NFKC", text.translate(_ZERO_WIDTH))  # full-width, NBSP
    cell = _SPACES.sub(" ", _LINE_BREAK.sub(";", cell)).strip()
    # A leading apostrophe is how spreadsheets mark "0912..." as text to keep the zero.
    return cell[1:].strip() if cell.startswith("'") else cell


def _fold_chars(text: str) -> str:
    return "".join(_fold_char(char) for char in text)


def _fold_char(char: str) -> str:
    if char in "đĐðÐ":
        return "d"
    return unicodedata.normalize("NFD", char)[0].lower()[0]


def _numbers_in(cell: str) -> Iterator[tuple[str, str | None]]:
    """Yield (number text, extension) pairs; an extension alone joins the number before it."""
    folded = _fold_chars(cell)
    pending: tuple[str, str | None] | None = None
    start = 0
    cuts = [(m.start(), m.end()) for m in _SPLIT.finditer(folded)] + [(len(cell), len(cell))]
    for cut_start, cut_end in cuts:
        piece, folded_piece = cell[start:cut_start], folded[start:cut_start]
        start = cut_end
        found = _EXTENSION.search(folded_piece)
        extension = found.group(1) if found else None
        number = piece[: found.start()] if found else piece
        if all(char in _BLANK for char in number):
            if extension is None:
                continue
            # "..., máy lẻ 101": the extension belongs to the number before the comma.
            if pending is None or pending[1] is not None:
                raise ValidationError("phone.invalid", number=piece.strip())
            pending = (pending[0], extension)
            continue
        if pending is not None:
            yield pending
        parts = _SPACED_DASH.split(number)
        if len(parts) > 1 and all(_digit_count(part) >= _MIN_NUMBER_DIGITS for part in parts):
            yield from ((part.strip(), None) for part in parts[:-1])
            number = parts[-1]
        pending = (number.strip(), extension)
    if pending is not None:
        yield pending


def _digit_count(text: str) -> int:
    return sum(1 for char in text if char in _DIGITS)


# --- one number ----------------------------------------------------------------------------

_DIGITS = frozenset("0123456789")
_NUMBER_CHARS = _DIGITS | frozenset(" .-–—()[]+")
_LETTERS = re.compile(r"[^\W\d_]+")
_LEADING_PLUS = re.compile(r"^[\s(\[]*\+")
_TRUNK_ZERO = re.compile(r"\(\s*0\s*\)")  # "+84 (0) 24 ..." and "+44 (0) 20 ..."
_MAX_E164_DIGITS = 15
_KINDS: dict[int, Kind] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    # 0672 VoIP lines and 069 lines of the army and police are office numbers, not mobiles.
    PhoneNumberType.VOIP: "fixed_line",
    PhoneNumberType.UAN: "fixed_line",
}
_NOT_PERSONAL = {
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
}


def _parse_number(chunk: str, extension: str | None) -> Phone:
    # Letters go first: phonenumbers reads them as keypad digits, so "0913.xxx.xxx" would pass.
    letters = _LETTERS.search(chunk)
    if letters is not None:
        raise ValidationError("phone.letters", text=letters.group())
    if any(char not in _NUMBER_CHARS for char in chunk):
        raise ValidationError("phone.invalid", number=chunk)
    plus = chunk.count("+")
    if plus > 1 or (plus == 1 and not _LEADING_PLUS.match(chunk)):
        raise ValidationError("phone.invalid", number=chunk)
    if plus:
        chunk = _TRUNK_ZERO.sub(" ", chunk)
    digits = "".join(char for char in chunk if char in _DIGITS)
    if len(digits) > _MAX_E164_DIGITS:
        raise ValidationError("phone.too_long", number=chunk)
    if plus or digits.startswith("00"):
        international = digits if plus else digits[2:]
        if not international.startswith("84"):
            return _foreign(international, chunk, extension)
        national = international[2:]
    elif digits.startswith("84") and len(digits) >= 11:  # "84912345678": +84 without the +
        national = digits[2:]
    else:
        national = digits
    # Spreadsheets drop the leading zero of numbers stored as numbers: "912345678".
    national = national if national.startswith("0") else "0" + national
    return _vietnamese(national, chunk, extension)


def _vietnamese(national: str, shown: str, extension: str | None) -> Phone:
    if national.startswith(("01800", "01900")):
        raise ValidationError("phone.premium_or_tollfree", number=shown)
    converted_from = None
    if len(national) == 11 and national[:4] in OLD_MOBILE_PREFIXES:
        converted_from = national
        national = OLD_MOBILE_PREFIXES[national[:4]] + national[4:]
    known = _known_kind(national[1:])
    if known is not None:
        if known == "mobile" and extension is not None:
            raise ValidationError("phone.extension_not_allowed", number=shown)
        return Phone("+84" + national[1:], known, extension, converted_from)
    number = _valid("+84" + national[1:])
    if number is None:
        # Landlines have 11 digits since 2017 (area code 02x): "0243 888 999" lacks one.
        if len(national) < 10 or (national.startswith("02") and len(national) < 11):
            raise ValidationError("phone.too_short", number=shown)
        if len(national) > 11:
            raise ValidationError("phone.too_long", number=shown)
        raise ValidationError("phone.invalid", number=shown)
    number_type = phonenumbers.number_type(number)
    if number_type in _NOT_PERSONAL:
        raise ValidationError("phone.premium_or_tollfree", number=shown)
    if number_type == PhoneNumberType.FIXED_LINE_OR_MOBILE:
        kind: Kind = "fixed_line" if national.startswith("02") else "mobile"
    elif number_type in _KINDS:
        kind = _KINDS[number_type]
    else:
        raise ValidationError("phone.invalid", number=shown)
    if kind == "mobile" and extension is not None:
        raise ValidationError("phone.extension_not_allowed", number=shown)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return Phone(e164, kind, extension, converted_from)


# The shortcut's reach: significant numbers of 9 digits starting with 3, 5, 7, 8 or 9 (mobiles)
# and of 10 starting with 2 (landlines). Within it, a number is judged by region VN's patterns
# for each type, in the order and with the lengths ``phonenumbers`` checks them.
_SHORTCUT = re.compile(r"[35789][0-9]{8}|2[0-9]{9}")
_OTHER_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)


@dataclass(frozen=True)
class _Desc:
    pattern: re.Pattern[str]
    lengths: tuple[int, ...]

    @classmethod
    def of(cls, desc: PhoneNumberDesc | None) -> _Desc | None:
        if desc is None or desc.national_number_pattern is None:
            return None
        return cls(re.compile(desc.national_number_pattern), tuple(desc.possible_length or ()))

    def matches(self, number: str) -> bool:
        # As phonenumbers' _is_number_matching_desc: a possible length, then the pattern.
        if self.lengths and len(number) not in self.lengths:
            return False
        return self.pattern.fullmatch(number) is not None


@functools.cache
def _vn_types() -> tuple[_Desc, _Desc, _Desc, tuple[_Desc, ...]]:
    metadata = PhoneMetadata.metadata_for_region("VN")
    assert metadata is not None
    general, fixed, mobile = (
        _Desc.of(getattr(metadata, name)) for name in ("general_desc", "fixed_line", "mobile")
    )
    assert general is not None and fixed is not None and mobile is not None
    others = tuple(
        desc for desc in (_Desc.of(getattr(metadata, name)) for name in _OTHER_TYPES) if desc
    )
    return general, fixed, mobile, others


def _known_kind(number: str) -> Kind | None:
    """The kind of a Vietnamese significant number (after +84) the shortcut can tell: a mobile
    or a landline, valid; None for anything else (to be parsed by ``phonenumbers``)."""
    if _SHORTCUT.fullmatch(number) is None:
        return None
    general, fixed, mobile, others = _vn_types()
    if not general.matches(number) or any(desc.matches(number) for desc in others):
        return None
    is_fixed, is_mobile = fixed.matches(number), mobile.matches(number)
    if is_fixed == is_mobile:  # neither (invalid), or both (said by number_type): parse
        return None
    return "mobile" if is_mobile else "fixed_line"


def _foreign(international: str, shown: str, extension: str | None) -> Phone:
    number = _valid("+" + international)
    if number is None:
        reason = _possible_reason("+" + international)
        if reason == phonenumbers.ValidationResult.TOO_SHORT:
            raise ValidationError("phone.too_short", number=shown)
        if reason == phonenumbers.ValidationResult.TOO_LONG:
            raise ValidationError("phone.too_long", number=shown)
        raise ValidationError("phone.invalid", number=shown)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return Phone(e164, "foreign", extension)


def _valid(e164: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(e164)
    except NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _possible_reason(e164: str) -> int | None:
    try:
        return phonenumbers.is_possible_number_with_reason(phonenumbers.parse(e164))
    except NumberParseException:
        return None


def format_phone(
    e164: str | None, extension: str | None = None, *, extension_word: str = "ext."
) -> str:
    """A stored E.164 number as people read it ("0912 345 678", "024 3822 1234 ext. 101").

    The registry holds no sentence for a person: the word before the extension ("máy lẻ" in
    Vietnamese) comes from the caller's text catalog.
    """
    if not e164:
        return ""
    # A Vietnamese number is laid out from its digits (see phone_format): no parsing again.
    shown = vietnamese_text(e164)
    if shown is None:
        try:
            number = phonenumbers.parse(e164)
        except NumberParseException:
            return e164
        style = (
            PhoneNumberFormat.NATIONAL
            if number.country_code == 84
            else PhoneNumberFormat.INTERNATIONAL
        )
        shown = phonenumbers.format_number(number, style)
    return f"{shown} {extension_word} {extension}" if extension else shown


def format_international(e164: str) -> str:
    """A stored number in the international form ("+84 24 3822 1234"), for contact cards."""
    shown = vietnamese_text(e164, international=True)
    if shown is not None:
        return shown
    try:
        number = phonenumbers.parse(e164)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
