"""Cutting a long answer into messages a platform accepts (Telegram 4096, Zalo 2000 characters).

Lists of people or agencies can be longer than one message. Cutting on line boundaries keeps
each entry whole; only a single line longer than the limit is cut, at a space if there is one.
"""

from __future__ import annotations


def text_size(text: str) -> int:
    """Length in UTF-16 code units: what Telegram counts, and never less than the characters.

    An emoji outside the Basic Multilingual Plane counts twice, so a message measured this way
    is below the limit however the platform counts.
    """
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> list[str]:
    """``text`` as messages of at most ``limit`` units, cut between lines where possible.

    Blank pieces are dropped (platforms refuse empty messages); an empty text gives ``[]``.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    if text_size(text) <= limit:
        return [text] if text.strip() else []
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if text_size(current) + text_size(line) <= limit:
            current += line
            continue
        pieces.append(current)
        current = ""
        while text_size(line) > limit:
            head, line = _cut_line(line, limit)
            pieces.append(head)
        current = line
    pieces.append(current)
    # The newline that ended a piece belongs to no message; blank pieces are not sent.
    return [piece.rstrip("\n") for piece in pieces if piece.strip()]


def _cut_line(line: str, limit: int) -> tuple[str, str]:
    """The longest head of ``line`` within ``limit``, ended at a space when there is one."""
    end = 0
    size = 0
    for index, char in enumerate(line):
        size += text_size(char)
        if size > limit:
            break
        end = index + 1
    space = line.rfind(" ", 0, end)
    # Only a space in the second half is worth it: otherwise a long word is simply cut.
    if space > end // 2:
        return line[: space + 1].rstrip(" "), line[space + 1 :]
    return line[:end], line[end:]
