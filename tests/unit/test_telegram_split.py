"""Long answers cut into messages Telegram accepts (4096 UTF-16 units), between lines."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.channels.split import split_text, text_size
from bot.channels.telegram import MESSAGE_LIMIT, file_url


def _no_space(text: str) -> str:
    return re.sub(r"\s", "", text)


def test_a_short_text_is_one_message_and_an_empty_one_none() -> None:
    assert split_text("Xin chào\nAn", MESSAGE_LIMIT) == ["Xin chào\nAn"]
    assert split_text("", MESSAGE_LIMIT) == []
    assert split_text(" \n ", MESSAGE_LIMIT) == []


def test_a_long_list_is_cut_between_lines() -> None:
    lines = [
        f"{n}. Nguyễn Văn An — Ủy ban nhân dân tỉnh Lào Cai — 0912 345 678" for n in range(200)
    ]
    parts = split_text("\n".join(lines), MESSAGE_LIMIT)
    assert len(parts) == 4
    assert all(text_size(part) <= MESSAGE_LIMIT for part in parts)
    # Every entry is whole, in one message, in the original order.
    assert [line for part in parts for line in part.split("\n")] == lines


def test_a_line_longer_than_a_message_is_cut_at_a_space() -> None:
    words = ["Đặng"] * 2000
    parts = split_text(" ".join(words), MESSAGE_LIMIT)
    assert len(parts) == 3
    assert all(text_size(part) <= MESSAGE_LIMIT for part in parts)
    assert [word for part in parts for word in part.split(" ")] == words


def test_a_word_longer_than_a_message_is_cut_anyway() -> None:
    parts = split_text("x" * 10000, MESSAGE_LIMIT)
    assert [len(part) for part in parts] == [4096, 4096, 1808]


def test_emoji_count_twice_as_telegram_counts_them() -> None:
    parts = split_text("😀" * 3000, MESSAGE_LIMIT)
    assert [len(part) for part in parts] == [2048, 952]
    assert all(text_size(part) <= MESSAGE_LIMIT for part in parts)


@given(
    st.lists(st.text(alphabet=st.sampled_from("aăâđ Ơ😀\n"), max_size=60), max_size=40).map(
        "".join
    ),
    st.integers(min_value=2, max_value=50),
)
def test_every_part_fits_and_nothing_but_blanks_is_lost(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < text_size(part) <= limit and part.strip() for part in parts)
    assert _no_space("".join(parts)) == _no_space(text)


def test_files_are_fetched_from_the_file_url_of_the_same_server() -> None:
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"
