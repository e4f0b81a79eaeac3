"""The terminal driver of the scenarios: ``spokes chat`` (``bot.channels.console.converse``) in
this process, fed from a queue of lines, its output captured in a list.

Each message is one short session of the terminal chat: the line, then the end of input, as
``printf 'LINE\\n' | spokes chat --user ID`` would give. ``converse`` returns when it has
handled the line, so the call returns exactly when the answer is complete, and no thread is
left waiting for input. The terminal keeps nothing of its own between lines (the dialog lives
in the database), so a conversation made of such sessions is the conversation a person has.

Options are numbered lines (``pick`` types the number), a phone number is typed, a file is
sent with ``/file PATH``, and files from the bot are saved under the working directory (the
driver reads them back and removes them). A sticker cannot be sent from a terminal.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass, field
from pathlib import Path

from bot.channels.console import converse
from bot.dialogs.engine import Dialogs
from bot.texts import t
from tests.e2e.scenarios.driver import Abilities, Answer, Latest, NotOnThisChannel, Received
from tests.e2e.scenarios.numbered import LANGUAGES, options_of

TERMINAL = Abilities(
    buttons=False, contact_button=False, files=True, stickers=False, blank_lines=False
)


@dataclass
class TerminalChat:
    dialogs: Dialogs
    user_id: str
    name: str | None
    folder: Path  # the terminal's working directory (the bot's files go to spokes-files/ in it)
    channel: str = "console"
    can: Abilities = TERMINAL
    latest: Latest = field(default_factory=Latest)

    @property
    def external_id(self) -> str:
        return self.user_id

    @property
    def identity(self) -> str:
        return f"console:{self.user_id}"

    async def say(self, text: str) -> Answer:
        lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        lines.put(text + "\n")
        lines.put("")  # the end of the input
        written: list[str] = []
        await converse(
            self.dialogs, self.user_id, lines.get, written.append, display_name=self.name
        )
        return self.latest.seen(self._answer([text for text in written if text]))

    def _answer(self, written: list[str]) -> Answer:
        texts: list[str] = []
        options: list[str] = []
        documents: list[Received] = []
        for reply in written:
            lines = reply.split("\n")
            while lines and (_saved(lines[-1]) or lines[-1] in _FILE_HINTS):
                saved = _saved(lines.pop())
                if saved is not None:
                    documents.insert(0, Received(saved.name, saved.read_bytes()))
                    saved.unlink()  # the next file of the same name keeps its name
            text, offered = options_of("\n".join(lines))
            texts.append(text)
            options = offered or options
        return Answer(texts, options=options, documents=documents)

    async def pick(self, label: str, *, on: Answer | None = None) -> Answer:
        if on is not None:
            raise NotOnThisChannel(
                "the terminal has no buttons: a number answers the last question"
            )
        return await self.say(self.latest.number(label))

    async def forge(self, key: str, *, on: Answer | None = None) -> Answer:
        raise NotOnThisChannel("the terminal has no buttons, so no button data to forge")

    async def share_contact(self, phone: str, *, own: bool = True) -> Answer:
        if not own:
            raise NotOnThisChannel("a terminal cannot share a contact: one's number is typed")
        return await self.say(phone)

    async def send_file(self, name: str, content: bytes) -> Answer:
        sent = self.folder / "to-send"
        sent.mkdir(exist_ok=True)
        path = sent / name
        path.write_bytes(content)
        return await self.say(f"/file {path}")

    async def send_sticker(self) -> Answer:
        raise NotOnThisChannel("a terminal sends text only")


_FILE_HINTS = {t(language, "console.file_hint") for language in LANGUAGES}
_SAVED = [t(language, "console.saved", path="\0").split("\0") for language in LANGUAGES]


def _saved(line: str) -> Path | None:
    """The file a "(file saved: PATH)" line names."""
    for head, tail in _SAVED:
        if line.startswith(head) and line.endswith(tail):
            return Path(line[len(head) : len(line) - len(tail)])
    return None
