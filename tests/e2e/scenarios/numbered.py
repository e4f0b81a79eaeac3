"""Reading a text channel's message back into text and options, as a person reads it.

Zalo and the terminal show a question's options as numbered lines followed by how to answer
("1. Tôi đồng ý / 2. Không đồng ý / Trả lời 1 hoặc 2 ..."); Zalo adds download and upload
links in a paragraph of their own. The drivers of those channels take these apart so that a
scenario sees the same texts and options as on Telegram. Only a block that ends with the exact
hint the bot writes for that many options counts as options, so a text that merely has
numbered lines stays text.
"""

from __future__ import annotations

import re

from bot.channels.numbered import choose_hint

LANGUAGES = ("vi", "en")
_OPTION = re.compile(r"^(\d+)\. (.*)$")
LINK = re.compile(r"https?://\S+/(?:files|upload)/\S+")


def options_of(text: str) -> tuple[str, list[str]]:
    """``text`` without its trailing numbered options, and their labels."""
    lines = text.split("\n")
    if len(lines) < 2:
        return text, []
    last_option = _OPTION.match(lines[-2])
    if last_option is None:
        return text, []
    count = int(last_option.group(1))
    if not 1 <= count <= len(lines) - 1:
        return text, []
    if lines[-1] not in {choose_hint(language, count) for language in LANGUAGES}:
        return text, []
    block = lines[-1 - count : -1]
    labels = []
    for number, line in enumerate(block, 1):
        match = _OPTION.match(line)
        assert match and int(match.group(1)) == number, f"options out of order: {block}"
        labels.append(match.group(2))
    return "\n".join(lines[: -1 - count]), labels


def links_of(text: str) -> tuple[str, list[str]]:
    """``text`` without the paragraphs that give a link, and the links."""
    links = LINK.findall(text)
    if not links:
        return text, []
    kept = [paragraph for paragraph in text.split("\n\n") if not LINK.search(paragraph)]
    return "\n\n".join(kept), links
