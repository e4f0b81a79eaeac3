"""Invitation tokens: what a genuine one says comes back until it expires, it fits Telegram's
deep-link parameter, and any change to it, or another key, is refused as tampered."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.invitations import links_for
from registry.errors import ValidationError
from registry.invitations import (
    InvitationRefused,
    Signed,
    looks_like_token,
    secret_key,
    sign,
    verify,
)
from registry.models import InvitationPurpose
from registry.settings import Settings

KEY = b"k" * 32
NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
# Telegram: the start parameter is 1-64 characters of A-Z, a-z, 0-9, _ and -.
TELEGRAM_START = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

ids = st.integers(min_value=1, max_value=2**32 - 1)
expiries = st.datetimes(
    min_value=datetime(2026, 11, 29, 8, 0, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.just(UTC),
).map(lambda moment: moment.replace(microsecond=0))
invites = st.builds(Signed, ids, ids, st.sampled_from(list(InvitationPurpose)), expiries)


@given(invites)
def test_a_genuine_token_says_what_was_signed_and_fits_a_telegram_start_link(
    signed: Signed,
) -> None:
    token = sign(KEY, signed)
    assert TELEGRAM_START.match(token) and len(token) == 40
    assert looks_like_token(token)
    assert verify(KEY, token, NOW) == signed
    link = links_for(token, "spokes_vn_bot").telegram
    assert link == f"https://t.me/spokes_vn_bot?start={token}"


@given(invites)
def test_a_token_is_refused_as_expired_from_its_expiry_on(signed: Signed) -> None:
    token = sign(KEY, signed)
    with pytest.raises(InvitationRefused) as refused:
        verify(KEY, token, signed.expires_at)
    assert refused.value.code == "invitation.expired"
    assert verify(KEY, token, signed.expires_at - timedelta(seconds=1)) == signed


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@given(invites, st.integers(min_value=0, max_value=39), st.sampled_from(ALPHABET))
def test_any_changed_letter_is_refused_as_tampered(signed: Signed, at: int, letter: str) -> None:
    token = sign(KEY, signed)
    changed = token[:at] + letter + token[at + 1 :]
    if changed == token:
        return
    with pytest.raises(InvitationRefused) as refused:
        verify(KEY, changed, NOW)
    assert refused.value.code == "invitation.tampered"


@given(invites, st.binary(min_size=32, max_size=64))
def test_a_token_signed_with_another_key_is_refused(signed: Signed, other: bytes) -> None:
    if other == KEY:
        return
    with pytest.raises(InvitationRefused) as refused:
        verify(KEY, sign(other, signed), NOW)
    assert refused.value.code == "invitation.tampered"


@given(st.text(max_size=80))
def test_whatever_is_typed_after_start_is_refused(typed: str) -> None:
    with pytest.raises(InvitationRefused) as refused:
        verify(KEY, typed, NOW)
    assert refused.value.code == "invitation.tampered"


def test_cut_short_padded_or_extended_tokens_are_refused() -> None:
    token = sign(KEY, Signed(7, 12, InvitationPurpose.focal, NOW + timedelta(days=30)))
    for altered in (token[:-1], token + "A", token + "=", " " + token[1:], "", token.lower()):
        with pytest.raises(InvitationRefused) as refused:
            verify(KEY, altered, NOW)
        assert refused.value.code == "invitation.tampered", altered


def test_without_a_long_enough_secret_no_invitation_is_made() -> None:
    for secret, code in ((None, "invitation.no_secret"), ("short", "invitation.short_secret")):
        settings = Settings(_env_file=None, invitation_secret=secret)  # type: ignore[call-arg]
        with pytest.raises(ValidationError) as refused:
            secret_key(settings)
        assert refused.value.code == code
    good = Settings(_env_file=None, invitation_secret="s" * 32)  # type: ignore[call-arg]
    assert secret_key(good) == b"s" * 32


def test_without_a_telegram_name_the_code_holds_the_line_to_type() -> None:
    links = links_for("T" * 40, None)
    assert links.telegram is None and links.qr_text == "/start " + "T" * 40
    assert links_for("T" * 40, "@bot_name").telegram == "https://t.me/bot_name?start=" + "T" * 40
