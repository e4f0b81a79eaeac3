"""Roles as agencies write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.errors import ValidationError
from registry.validation import ROLES, parse_role


def test_roles_order() -> None:
    assert ROLES == ("head", "spokesperson", "authorized_spokesperson", "press_contact")


@pytest.mark.parametrize(
    ("text", "role"),
    [
        *((code, code) for code in ROLES),
        ("HEAD", "head"),
        ("Press_Contact", "press_contact"),
        ("Người đứng đầu", "head"),
        ("nguoi dung dau", "head"),
        ("Thủ trưởng", "head"),
        ("Thủ trưởng cơ quan", "head"),
        ("thu truong", "head"),
        ("Head of agency", "head"),
        ("Người phát ngôn", "spokesperson"),
        ("NGƯỜI PHÁT NGÔN", "spokesperson"),
        ("nguoi phat ngon", "spokesperson"),
        ("NPN", "spokesperson"),
        ("Người phát ngôn (NPN)", "spokesperson"),
        ("Spokesperson", "spokesperson"),
        ("Thứ trưởng, Người phát ngôn", "spokesperson"),
        ("Người được giao nhiệm vụ phát ngôn", "authorized_spokesperson"),
        ("Người được ủy quyền phát ngôn", "authorized_spokesperson"),
        ("Người được uỷ quyền phát ngôn", "authorized_spokesperson"),
        ("Authorized spokesperson", "authorized_spokesperson"),
        ("authorized", "authorized_spokesperson"),
        ("Người cung cấp thông tin", "press_contact"),
        ("Cán bộ đầu mối", "press_contact"),
        ("đầu mối", "press_contact"),
        ("Press contact", "press_contact"),
        ("Cán bộ đầu mối cung cấp thông tin cho báo chí", "press_contact"),
    ],
)
def test_parse_role(text: str, role: str) -> None:
    assert parse_role(text) == role


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "xyz",
        "Chuyên viên",
        "Thứ trưởng",  # a deputy minister: a position, not "Thủ trưởng"
        "Người phát ngôn, cung cấp thông tin cho báo chí",  # two roles at once
        "headquarters",
        "'; DROP TABLE person;--",
    ],
)
def test_parse_role_rejects(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_role(text)
    assert (caught.value.code, caught.value.params) == ("role.unknown", {"text": text.strip()})


@given(st.text())
def test_any_text_is_a_role_or_a_validation_error(text: str) -> None:
    try:
        assert parse_role(text) in ROLES
    except ValidationError as error:
        assert error.code == "role.unknown"
