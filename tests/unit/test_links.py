"""Signed link tokens: genuine ones open until they expire, anything altered is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.links import LinkRefused, sign, verify

KEY = b"k" * 32
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=30)


def test_a_genuine_token_gives_its_id_until_it_expires() -> None:
    token = sign(KEY, "download", "AbCdEfGhIjKlMnOpQrStUv", LATER)
    assert verify(KEY, "download", token, NOW) == "AbCdEfGhIjKlMnOpQrStUv"
    with pytest.raises(LinkRefused) as refused:
        verify(KEY, "download", token, LATER)
    assert refused.value.reason == "expired"


def _altered(token: str) -> list[str]:
    file_id, expiry, mac = token.split(".")
    flipped = "A" if mac[0] != "A" else "B"
    return [
        f"{file_id}.{int(expiry) + 3600}.{mac}",  # a later expiry
        f"{file_id[:-1]}x.{expiry}.{mac}",  # another file
        f"{file_id}.{expiry}.{flipped}{mac[1:]}",  # a forged signature
        f"{file_id}.{expiry}.{mac[:-1]}",  # cut short when copied
        f"{file_id}.{expiry}",
        "",
        "../../etc/passwd",
        token + "%00",
    ]


def test_an_altered_token_is_refused_as_tampered() -> None:
    token = sign(KEY, "download", "AbCdEfGhIjKlMnOpQrStUv", LATER)
    for altered in _altered(token):
        with pytest.raises(LinkRefused) as refused:
            verify(KEY, "download", altered, NOW)
        assert refused.value.reason == "tampered", altered


def test_a_token_is_bound_to_its_purpose_and_key() -> None:
    token = sign(KEY, "download", "AbCdEfGhIjKlMnOpQrStUv", LATER)
    for purpose, key in (("upload", KEY), ("download", b"o" * 32)):
        with pytest.raises(LinkRefused):
            verify(key, purpose, token, NOW)
