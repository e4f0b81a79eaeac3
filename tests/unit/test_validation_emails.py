"""Email addresses from forms, chats and spreadsheets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.errors import ValidationError
from registry.validation import normalize_email
from registry.validation.emails import cleaned_email_text


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("nguyenvanan@mic.gov.vn", "nguyenvanan@mic.gov.vn"),
        ("NguyenVanAn@MIC.GOV.VN", "nguyenvanan@mic.gov.vn"),
        ("  an.nv@chinhphu.vn  ", "an.nv@chinhphu.vn"),
        ("mailto:an.nv@chinhphu.vn", "an.nv@chinhphu.vn"),
        ("MAILTO:An.NV@ChinhPhu.vn", "an.nv@chinhphu.vn"),
        ("an.nv@chinhphu.vn;", "an.nv@chinhphu.vn"),
        ("an_nv+bao.chi@hanoi.gov.vn", "an_nv+bao.chi@hanoi.gov.vn"),
        ("vanphong@ubnd.tphcm.gov.vn", "vanphong@ubnd.tphcm.gov.vn"),
        ("dangthihong@gmail.com", "dangthihong@gmail.com"),
        ("nguyễn@bộ.vn", "nguyễn@bộ.vn"),  # internationalised addresses are accepted
        ("an@xn--b-8xm.vn", "an@bộ.vn"),  # punycode is shown as Unicode
        ("\u00a0an@mic.gov.vn\u00a0", "an@mic.gov.vn"),
    ],
)
def test_accepted(text: str, email: str) -> None:
    assert normalize_email(text) == email


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "email.empty"),
        ("   ", "email.empty"),
        ("mailto:", "email.empty"),
        ("nguyenvanan", "email.missing_at"),
        ("nguyenvanan(at)mic.gov.vn", "email.missing_at"),
        ("an＠mic.gov.vn", "email.missing_at"),  # full-width at-sign
        ("a@mic.gov.vn; b@mic.gov.vn", "email.several"),
        ("a@mic.gov.vn, b@mic.gov.vn", "email.several"),
        ("a@mic.gov.vn b@mic.gov.vn", "email.several"),
        ("@mic.gov.vn", "email.bad_local_part"),
        (".an@mic.gov.vn", "email.bad_local_part"),
        ("an.@mic.gov.vn", "email.bad_local_part"),
        ("an..nv@mic.gov.vn", "email.bad_local_part"),
        ("nguyen van an@mic.gov.vn", "email.bad_local_part"),
        ('"an nv"@mic.gov.vn', "email.bad_local_part"),
        ("an@", "email.bad_domain"),
        ("an@mic", "email.bad_domain"),
        ("an@localhost", "email.bad_domain"),
        ("an@mic..gov.vn", "email.bad_domain"),
        ("an@-mic.gov.vn", "email.bad_domain"),
        ("an@mic_gov.vn", "email.bad_domain"),
        ("an@mic.test", "email.bad_domain"),
        ("an@[127.0.0.1]", "email.bad_domain"),
        ("a" * 65 + "@mic.gov.vn", "email.too_long"),
        ("an@" + ".".join(["b" * 63] * 4) + ".vn", "email.too_long"),
        ("an@" + "b" * 64 + ".vn", "email.bad_domain"),  # one label longer than 63
        ("a" * 5000, "email.too_long"),
        ("Nguyễn Văn An <an@mic.gov.vn>", "email.invalid"),
        ("an\u200b@mic.gov.vn", "email.invalid"),
        ("'; DROP TABLE person;--", "email.missing_at"),
    ],
)
def test_rejected(text: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_email(text)
    assert caught.value.code == code


def test_several_counts_the_addresses() -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_email("a@b.vn; c@d.vn; e@f.vn")
    assert caught.value.params == {"count": 3}


def test_library_errors_carry_the_english_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_email("an@mic")
    assert caught.value.params == {
        "reason": "The part after the @-sign is not valid. It should have a period."
    }


@given(st.text())
def test_any_text_is_an_email_or_a_validation_error(text: str) -> None:
    try:
        email = normalize_email(text)
    except ValidationError as error:
        assert error.code.startswith("email.")
    else:
        assert email == email.lower()
        assert normalize_email(email) == email


@given(st.from_regex(r"[A-Za-z0-9._+-]{1,20}@[A-Za-z0-9-]{1,10}\.(vn|com|gov\.vn)", fullmatch=True))
def test_address_like_text_is_an_email_or_a_validation_error(text: str) -> None:
    try:
        email = normalize_email(text)
    except ValidationError as error:
        assert error.code in {"email.bad_local_part", "email.bad_domain"}
    else:
        assert email == text.lower()


@pytest.mark.parametrize(
    ("text", "email"),
    [("An@LaoCai.gov.vn.", "an@laocai.gov.vn"), ("an@laocai.gov.vn. ;", "an@laocai.gov.vn")],
)
def test_a_full_stop_ending_the_address_is_dropped(text: str, email: str) -> None:
    assert normalize_email(text) == email
    assert cleaned_email_text(text).lower() == email  # what people.parse_field compares


def test_a_dot_inside_a_text_without_at_sign_is_kept_for_its_reason() -> None:
    assert cleaned_email_text("không có.") == "không có."


# --- the shortcut for plain addresses agrees with the library ---------------------------------


def _library_only(text: str) -> str:
    from unittest import mock

    from registry.validation import emails

    with mock.patch.object(emails, "_plain_address", lambda value: None):
        return normalize_email(text)


def _outcome(text: str, parse: object) -> object:
    try:
        return parse(text)  # type: ignore[operator]
    except ValidationError as error:
        return (error.code, error.params)


_DOMAINS = st.one_of(
    st.from_regex(r"[A-Za-z0-9-]{0,12}(\.[A-Za-z0-9-]{0,12}){0,3}\.?", fullmatch=True),
    st.sampled_from(
        [
            "gov.vn", "laocai.gov.vn", "LAOCAI.GOV.VN", "localhost", "x.local", "a.invalid",
            "test", "x.test", "onion.onion", "a--b.vn", "ab--c.vn", "xn--b-8xm.vn", "xn--abc.vn",
            "-a.vn", "a-.vn", "a.vn.", ".a.vn", "a..vn", "1.2", "a.b1", "bộ.vn", "[127.0.0.1]",
            "a" * 63 + ".vn", "a" * 64 + ".vn", ".".join(["a" * 60] * 5), "xn--" + "a" * 200 + ".vn",
        ]
    ),
)  # fmt: skip
_LOCALS = st.one_of(
    st.from_regex(r"[A-Za-z0-9._+-]{1,70}", fullmatch=True),
    st.sampled_from(["info", "Info", "a" * 64, "a" * 65, "a.b", "a..b", ".a", "a.", 'an"b']),
)


@given(_LOCALS, _DOMAINS)
def test_plain_addresses_give_what_the_library_gives(local: str, domain: str) -> None:
    text = f"{local}@{domain}"
    assert _outcome(text, normalize_email) == _outcome(text, _library_only)
