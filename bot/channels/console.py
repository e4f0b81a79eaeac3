"""The terminal chat: the same dialogs, options as numbered lines, contact sharing as typing.

It reads a person's lines from a terminal or from a script on standard input
(``printf '/start\\n1\\n' | spokes chat --user 7``), so anyone can try the bot without a token.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from bot.channels.numbered import numbered_text
from bot.dialogs.engine import Dialogs
from bot.dialogs.io import Document, Incoming, Reply
from bot.texts import t
from registry.settings import get_settings

CHANNEL = "console"


def save_document(document: Document, folder: Path) -> Path:
    """A document the bot sends is written beside the person, never over an existing file."""
    name = Path(document.name).name or "file"
    target = folder / name
    stem, suffix = target.stem, target.suffix
    number = 1
    while target.exists():
        number += 1
        target = folder / f"{stem}-{number}{suffix}"
    target.write_bytes(document.content)
    return target


def render(reply: Reply, language: str, folder: Path | None = None) -> str:
    """A reply as terminal text; options become numbered lines, documents files on disk."""
    lines = [numbered_text(reply, language)]
    if reply.document is not None:
        saved = save_document(reply.document, folder or Path.cwd())
        lines.append(t(language, "console.saved", path=str(saved)))
    if reply.upload:
        lines.append(t(language, "console.file_hint"))
    return "\n".join(lines)


def to_incoming(line: str, display_name: str | None) -> Incoming | None:
    """A typed line: ``/file PATH`` sends a file (the terminal's way to attach one), anything
    else is text (a number answers the pending question: the engine knows its options)."""
    text = line.strip()
    if text.startswith("/file "):
        return _file(Path(text[len("/file ") :].strip()).expanduser(), display_name)
    return Incoming.parse_text(line, display_name=display_name)


def _file(path: Path, display_name: str | None) -> Incoming | None:
    try:
        size = path.stat().st_size
        # Read no more than one byte past the import limit: the dialog refuses larger files.
        with path.open("rb") as handle:
            content = handle.read(get_settings().import_max_bytes + 1)
    except OSError:
        return None
    return Incoming(
        "file", file_name=path.name, file_content=content, file_size=size, display_name=display_name
    )


async def converse(
    dialogs: Dialogs,
    user_id: str,
    read_line: Callable[[], str],
    write: Callable[[str], None],
    *,
    display_name: str | None = None,
    echo: bool = False,
) -> None:
    """Talk until the input ends (end of file or an empty read)."""
    while True:
        line = await asyncio.to_thread(read_line)
        if not line:
            return
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if echo:
            write(f"> {line}")
        incoming = to_incoming(line, display_name)
        if incoming is None:
            language = await dialogs.language_for(CHANNEL, user_id)
            write(t(language, "console.file_unreadable", line=line.strip()[:200]))
            continue
        async with dialogs.db.uow() as uow:
            outcome = await dialogs.handle(uow, CHANNEL, user_id, user_id, incoming)
            await uow.commit()
        for reply in outcome.replies:
            write(render(reply, outcome.language))
        write("")


def stdin_line() -> str:
    if sys.stdin.isatty():
        try:
            return input("> ") + "\n"
        except EOFError:
            return ""
    return sys.stdin.readline()
