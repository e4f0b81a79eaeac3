"""Options as numbered lines, for channels without buttons (Zalo, the terminal).

The person answers with the number; the engine turns a typed number into the option
(:func:`bot.dialogs.answers.read_answer`), so nothing of this lives in the channels' state.
"""

from __future__ import annotations

from bot.dialogs.io import Reply
from bot.texts import t


def choose_hint(language: str, count: int) -> str:
    """ "Trả lời 1, 2 hoặc 3" — the numbers themselves while they are few."""
    if count == 1:
        return t(language, "bot.numbered.one")
    if count <= 5:
        numbers = ", ".join(str(n) for n in range(1, count))
        return t(language, "bot.numbered.few", numbers=numbers, last=count)
    return t(language, "bot.numbered.many", last=count)


def numbered_text(reply: Reply, language: str) -> str:
    """The reply's text, then one line per option, then how to answer."""
    if not reply.options:
        return reply.text
    lines = [reply.text] if reply.text.strip() else []
    lines += [f"{number}. {option.label}" for number, option in enumerate(reply.options, 1)]
    lines.append(choose_hint(language, len(reply.options)))
    return "\n".join(lines)
