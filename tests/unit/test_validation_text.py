"""Names, free text and the folded search key."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.errors import ValidationError
from registry.validation import fold, name_recased, normalize_name, normalize_text


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Đặng Thị Hồng", "dang thi hong"),
        ("Bộ TT&TT", "bo tt tt"),
        ("Nguyễn Văn An", "nguyen van an"),
        (nfd("Nguyễn Văn An"), "nguyen van an"),
        ("  NGUYỄN   VĂN  AN ", "nguyen van an"),
        ("ĐỖ ĐỨC ĐẠT", "do duc dat"),
        ("ÐẶNG", "dang"),  # U+00D0 from old TCVN3 text
        ("Bộ Văn hóa, Thể thao và Du lịch", "bo van hoa the thao va du lich"),
        ("UBND tỉnh Đắk Lắk", "ubnd tinh dak lak"),
        ("Ủy ban Dân tộc", "uy ban dan toc"),
        ("Phó Chánh Văn phòng Bộ, Người phát ngôn", "pho chanh van phong bo nguoi phat ngon"),
        ("０９１２ ３４５", "0912 345"),
        ("Nghị định 09/2017/NĐ-CP", "nghi dinh 09 2017 nd cp"),
        ("Straße", "strasse"),
        ("O’Brien", "o brien"),
        ("", ""),
        ("—", ""),
    ],
)
def test_fold(text: str, key: str) -> None:
    assert fold(text) == key


def test_fold_lets_a_typed_query_find_the_stored_name() -> None:
    assert fold("nguyen van an") in fold("Ông Nguyễn Văn An")
    assert fold("dang") in fold("Đặng Thị Hồng")


@given(st.text())
def test_fold_is_idempotent_and_plain(text: str) -> None:
    key = fold(text)
    assert fold(key) == key
    assert re.fullmatch(r"(?:[a-z0-9]+(?: [a-z0-9]+)*)?", key)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (nfd("Nguyễn Văn An"), "Nguyễn Văn An"),
        (nfd("Đặng Thị Hồng"), "Đặng Thị Hồng"),
        (nfd("Trần Thị Thu Hương"), "Trần Thị Thu Hương"),
        (nfd("Lê Hoài Trung"), "Lê Hoài Trung"),
        (nfd("Phạm Minh Chính"), "Phạm Minh Chính"),
        (nfd("Tôn Nữ Thị Ninh"), "Tôn Nữ Thị Ninh"),
        (nfd("Hoàng Phủ Ngọc Tường"), "Hoàng Phủ Ngọc Tường"),
        (nfd("Nguyễn Thị Ánh Nguyệt"), "Nguyễn Thị Ánh Nguyệt"),
        ("  Đặng\u00a0 Thị   Hồng ", "Đặng Thị Hồng"),
        ("Nguyễn\tVăn\nAn", "Nguyễn Văn An"),
        ("Nguyễn\u2003Văn An", "Nguyễn Văn An"),
        ("NGUYỄN VĂN AN", "Nguyễn Văn An"),  # capitals: the usual case, accents kept
        ("nguyễn văn an", "Nguyễn Văn An"),
        ("ĐẶNG THỊ HỒNG", "Đặng Thị Hồng"),
        (nfd("ĐỖ ĐỨC ĐẠT"), "Đỗ Đức Đạt"),
        ("NGUYỄN-TRẦN MINH", "Nguyễn-Trần Minh"),
        ("O'BRIEN", "O'Brien"),
        ("Lê Thị McLean", "Lê Thị McLean"),  # both cases: kept as typed
        ("Lê Y", "Lê Y"),
        ("Bế Văn Đàn", "Bế Văn Đàn"),
        ("O'Brien", "O'Brien"),
        ("Nguyễn-Trần Minh", "Nguyễn-Trần Minh"),
        ("Kim Jong-un", "Kim Jong-un"),
        ("Vũ T. Hà", "Vũ T. Hà"),
    ],
)
def test_normalize_name_accepts(text: str, name: str) -> None:
    result = normalize_name(text)
    assert result == name
    assert unicodedata.is_normalized("NFC", result)


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        ("", "name.empty", {}),
        ("   \u00a0 ", "name.empty", {}),
        ("Nguyễn Văn 2", "name.digits", {}),
        ("Nguyễn Văn ２", "name.digits", {}),
        ("Nguyễn\u200bVăn An", "name.invalid_character", {"char": "U+200B"}),
        ("Nguyễn\u200dVăn An", "name.invalid_character", {"char": "U+200D"}),
        ("Nguyễn\x00Văn An", "name.invalid_character", {"char": "U+0000"}),
        ("Nguyễn Văn An 😀", "name.invalid_character", {"char": "😀"}),
        ("an@mic.gov.vn", "name.invalid_character", {"char": "@"}),
        ("Nguyễn Văn An (NPN)", "name.invalid_character", {"char": "("}),
        ("'; DROP TABLE person;--", "name.invalid_character", {"char": ";"}),
        ('=HYPERLINK("x")', "name.invalid_character", {"char": "="}),
        ("A", "name.too_short", {"min": 2}),
        ("Đ.", "name.too_short", {"min": 2}),
        ("a" * 101, "name.too_long", {"max": 100}),
    ],
)
def test_normalize_name_rejects(text: str, code: str, params: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_name(text)
    assert (caught.value.code, caught.value.params) == (code, params)


def test_normalize_name_max_length_counts_the_normalised_name() -> None:
    assert normalize_name("  " + "a" * 10 + "  ", max_length=10) == "A" + "a" * 9
    with pytest.raises(ValidationError) as caught:
        normalize_name("a" * 11, max_length=10)
    assert caught.value.params == {"max": 10}


@given(st.text())
def test_normalize_name_returns_an_nfc_fixpoint_or_a_validation_error(text: str) -> None:
    try:
        name = normalize_name(text)
    except ValidationError as error:
        assert error.code.startswith("name.")
    else:
        assert unicodedata.is_normalized("NFC", name)
        assert normalize_name(name) == name
        assert fold(name) == fold(text)  # only the case may change: searches still find it


@pytest.mark.parametrize(
    ("text", "recased"),
    [("NGUYỄN VĂN AN", True), ("  Nguyễn  Văn An ", False), (nfd("Nguyễn Văn An"), False)],
)
def test_name_recased_says_when_the_case_was_changed(text: str, recased: bool) -> None:
    assert name_recased(text, normalize_name(text)) is recased


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (
            nfd("Phó Chánh Văn phòng Bộ, Người phát ngôn"),
            "Phó Chánh Văn phòng Bộ, Người phát ngôn",
        ),
        ("  Vụ trưởng\u00a0Vụ Pháp chế ", "Vụ trưởng Vụ Pháp chế"),
        ("Phòng 305, nhà A2", "Phòng 305, nhà A2"),
        ("line one\nline two", "line one line two"),
    ],
)
def test_normalize_text_accepts(text: str, value: str) -> None:
    assert normalize_text(text, field="position") == value


def test_normalize_text_optional_empty_is_none() -> None:
    assert normalize_text("  \u00a0", field="note", required=False) is None


@pytest.mark.parametrize(
    ("text", "kwargs", "code", "params"),
    [
        ("", {}, "text.empty", {"field": "position"}),
        ("Vụ\u200btrưởng", {}, "text.invalid_character", {"field": "position", "char": "U+200B"}),
        ("Vụ\u202etrưởng", {}, "text.invalid_character", {"field": "position", "char": "U+202E"}),
        ("Vụ\x07trưởng", {}, "text.invalid_character", {"field": "position", "char": "U+0007"}),
        ("x" * 201, {}, "text.too_long", {"field": "position", "max": 200}),
        ("x" * 11, {"max_length": 10}, "text.too_long", {"field": "position", "max": 10}),
    ],
)
def test_normalize_text_rejects(
    text: str, kwargs: dict[str, int], code: str, params: dict[str, object]
) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_text(text, field="position", **kwargs)
    assert (caught.value.code, caught.value.params) == (code, params)


@given(st.text())
def test_normalize_text_returns_an_nfc_fixpoint_or_a_validation_error(text: str) -> None:
    try:
        value = normalize_text(text, field="note", max_length=10_000, required=False)
    except ValidationError as error:
        assert error.code == "text.invalid_character"
    else:
        if value is not None:
            assert unicodedata.is_normalized("NFC", value)
            assert normalize_text(value, field="note", max_length=10_000) == value


# --- folding character by character is folding the whole string --------------------------------

_VIETNAMESE = st.text(
    alphabet=st.sampled_from(list("ĐđÐðẮặỄễƯưƠơ ÀàẢảÃãÁáẠạăâêôAaZz09-'’.,&/\u0300\u0301\u0303\u0309\u0323ßİıΣσςﬁ①")),
    max_size=40,
)  # fmt: skip


@given(st.one_of(st.text(), _VIETNAMESE))
def test_fold_by_character_is_the_whole_strings_fold(text: str) -> None:
    from registry.validation.text import _fold_whole

    assert fold(text) == _fold_whole(text)


@given(st.one_of(st.text(max_size=30), _VIETNAMESE))
def test_a_name_checked_again_gives_the_same(text: str) -> None:
    """Characters remembered as allowed in names never change what a name gives."""

    def outcome() -> object:
        try:
            return normalize_name(text)
        except ValidationError as error:
            return (error.code, error.params)

    first = outcome()
    assert outcome() == first
