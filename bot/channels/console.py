"""The terminal chat: the same dialogs, options as numbered lines, contact sharing as typing.

It reads a person's lines from a terminal or from a script on standard input
(``printf '/start\\n1\\n' | spokes chat --user 7``), so anyone can try the bot without a token.
Coming back to a chat whose question is still open prints that question again; the files the
bot sends go to a folder of their own (``spokes-files/``), not among the person's files.
Each line goes through the pipeline like an update of any other channel (stored, handled in
the chat's turn, one unit of work), under a random delivery id. There is no server to run
jobs: an import confirmed here is written right after the line that confirmed it, and its
report follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.channels.numbered import numbered_text
from bot.dialogs.answers import Asked
from bot.dialogs.engine import Dialogs
from bot.dialogs.io import Document, Incoming, Reply
from bot.pipeline import Inbound, Pipeline, Received
from bot.pipeline.jobs import run_pending
from bot.state import conversations
from bot.state.gate import write_gate
from bot.texts import t
from registry.roster.intake import journal

CHANNEL = "console"
FILE_COMMAND = "/file "
FILES_FOLDER = "spokes-files"  # under the working directory: where the bot's files are saved


def save_document(document: Document, folder: Path) -> Path:
    """A document the bot sends is written in ``folder`` (made when missing), never over an
    existing file."""
    folder.mkdir(parents=True, exist_ok=True)
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
        saved = save_document(reply.document, folder or Path.cwd() / FILES_FOLDER)
        lines.append(t(language, "console.saved", path=str(saved)))
    if reply.upload:
        lines.append(t(language, "console.file_hint"))
    return "\n".join(lines)


def to_incoming(line: str, display_name: str | None, max_bytes: int) -> Incoming | None:
    """A typed line: ``/file PATH`` sends a file (the terminal's way to attach one; ``None``
    when it cannot be read), anything else is text (a number answers the pending question: the
    engine knows its options). At most ``max_bytes`` + 1 of a file are read: the dialog refuses
    larger ones."""
    text = line.strip()
    if text.startswith(FILE_COMMAND):
        return _file(_path(text), display_name, max_bytes)
    return Incoming.parse_text(line, display_name=display_name)


def _path(text: str) -> Path:
    return Path(text[len(FILE_COMMAND) :].strip()).expanduser()


def _file(path: Path, display_name: str | None, max_bytes: int) -> Incoming | None:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            content = handle.read(max_bytes + 1)
    except OSError:
        return None
    return Incoming(
        "file", file_name=path.name, file_content=content, file_size=size, display_name=display_name
    )


def _readable(line: str) -> bool:
    text = line.strip()
    if not text.startswith(FILE_COMMAND):
        return True
    try:
        with _path(text).open("rb"):
            return True
    except OSError:
        return False


class ConsoleTransport:
    """The terminal as a chat: a stored line is read again, replies are written."""

    channel = CHANNEL

    def __init__(
        self, write: Callable[[str], None], max_bytes: int, folder: Path | None = None
    ) -> None:
        self.write = write
        self.max_bytes = max_bytes
        self.folder = folder

    async def decode(self, payload: dict[str, Any]) -> Received | None:
        incoming = to_incoming(str(payload.get("line", "")), payload.get("name"), self.max_bytes)
        return None if incoming is None else Received(incoming)

    async def deliver(
        self, inbound: Inbound, received: Received, replies: Sequence[Reply], language: str
    ) -> None:
        for reply in replies:
            self.write(render(reply, language, self.folder))
        self.write("")

    async def say(self, chat_id: str, text: str) -> None:
        self.write(text)
        self.write("")


async def pending_question(dialogs: Dialogs, user_id: str) -> Reply | None:
    """The question the chat left open, when it is still open (not idle too long)."""
    state = await conversations.load_state(dialogs.db.uow(), CHANNEL, user_id)
    if state.flow is None:
        return None
    if state.updated_at is not None and datetime.now(UTC) - state.updated_at > dialogs.idle:
        return None
    asked = Asked.from_stored(state.question, (state.data or {}).get("asked"))
    if asked is None:
        return None
    return Reply(asked.text, options=list(asked.options), question=asked.number)


async def converse(
    dialogs: Dialogs,
    user_id: str,
    read_line: Callable[[], str],
    write: Callable[[str], None],
    *,
    display_name: str | None = None,
    echo: bool = False,
    pipeline: Pipeline | None = None,
    resume: bool = False,
) -> None:
    """Talk until the input ends (end of file or an empty read).

    ``pipeline``: the one to hand the lines to (a new one on ``dialogs`` by default, closed at
    the end); the terminal's transport is added to it. ``resume``: first print the question
    the chat left open, if any (a person coming back to ``spokes chat``).
    """
    own = pipeline is None
    pipeline = pipeline or Pipeline(dialogs.db, dialogs)
    pipeline.add(ConsoleTransport(write, dialogs.settings.import_max_bytes))
    try:
        await _talk(dialogs, user_id, read_line, write, display_name, echo, pipeline, resume)
    finally:
        if own:
            await pipeline.close()


async def _talk(
    dialogs: Dialogs,
    user_id: str,
    read_line: Callable[[], str],
    write: Callable[[str], None],
    display_name: str | None,
    echo: bool,
    pipeline: Pipeline,
    resume: bool,
) -> None:
    if resume:
        question = await pending_question(dialogs, user_id)
        if question is not None:
            language = await dialogs.language_for(CHANNEL, user_id)
            write(numbered_text(question, language))
            write("")
    while True:
        line = await read_in_background(read_line)
        if not line:
            return
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if echo:
            write(f"> {line}")
        if not _readable(line):
            language = await dialogs.language_for(CHANNEL, user_id)
            write(t(language, "console.file_unreadable", line=line.strip()[:200]))
            continue
        payload = {"line": line, "name": display_name}
        queued = journal.queued_here()
        await pipeline.handle(Inbound(CHANNEL, uuid.uuid4().hex, user_id, user_id, payload))
        if journal.queued_here() != queued:
            # No server runs jobs here: the import just confirmed is written now.
            await run_pending(
                dialogs.db,
                dialogs.settings,
                pipeline.deliver,
                gate=lambda: write_gate(dialogs.db),
                only=lambda origin: (origin.channel, origin.chat_id) == (CHANNEL, user_id),
            )


async def read_in_background(read_line: Callable[[], str]) -> str:
    """The next line, read on a daemon thread of its own.

    Not on the loop's default executor: on Ctrl-C the chat is cancelled at once, but closing
    the loop waits for every executor thread, and one stuck in ``input()`` would hold the
    terminal until the person pressed Enter. A daemon thread is simply left behind.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(line: str | None, error: BaseException | None) -> None:
        if future.done():
            return  # the chat stopped waiting (Ctrl-C)
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line or "")

    def read() -> None:
        try:
            line, error = read_line(), None
        except BaseException as caught:  # handed to the chat, which raises it
            line, error = None, caught
        with contextlib.suppress(RuntimeError):  # the loop is closed: the chat is over
            loop.call_soon_threadsafe(settle, line, error)

    threading.Thread(target=read, name="terminal-input", daemon=True).start()
    return await future


def stdin_line() -> str:
    if sys.stdin.isatty():
        try:
            return input("> ") + "\n"
        except EOFError:
            return ""
    return sys.stdin.readline()
