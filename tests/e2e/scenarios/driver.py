"""The chat-driver interface: one person in a private chat with the bot, on any channel.

The scenarios of this package are written once against :class:`ChatDriver` and run on every
channel: the dialog engine called directly, Telegram (the real python-telegram-bot application
against the fake Bot API), Zalo (the fake Zalo Bot API) and the terminal chat. A driver hides
how its channel shows things, so a scenario reads the same everywhere:

- ``say(text)`` types a message (``/commands`` included).
- ``pick(label)`` answers the latest question that offered options with the option whose label
  is ``label`` (exactly, else the one label containing it): a button press on Telegram and on
  the engine, the option's number typed on Zalo and in the terminal.
- ``share_contact(phone, own=True)`` is Telegram's "share my phone number" button. Channels
  without it type the number instead; someone else's contact cannot be sent there at all.
- ``send_file(name, content)`` sends a list: a document on Telegram, ``/file PATH`` in the
  terminal. Zalo bots receive no files (``/import`` gives an upload page there).
- ``send_sticker()`` sends something the bot cannot read (a sticker; the terminal has none).

Every call returns the bot's whole :class:`Answer` to that one message and returns exactly when
the bot has finished answering it: no sleeps, no counting of messages. A scenario that needs
what only some channels can do (an old button pressed again, someone else's contact, a file
sent in the chat) is marked with :func:`only_where` and is skipped elsewhere, with the reason.

A new scenario is an ``async def test_...(stage: Stage)`` in one of the ``test_chat_*.py``
files: it meets people with ``stage.meet(number)``, sets the registry up with
``tests/builders.py``, talks through this interface only, and looks into the registry (never
into the dialog state, which is the engine's own business). It then runs on every channel.
A new channel is a driver class satisfying :class:`ChatDriver` with its :class:`Abilities`,
and a ``Stage`` in ``stage.py`` that starts the bot, meets people and restarts it (see there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pytest


class NotOnThisChannel(AssertionError):
    """A driver was asked for something its channel cannot do (mark the scenario instead)."""


@dataclass(frozen=True)
class Abilities:
    """What a person can do on a channel beyond typing text."""

    buttons: bool  # options are buttons that stay on screen (an old one can be pressed again)
    contact_button: bool  # "share my phone number": one's own contact is told apart
    files: bool  # a file can be sent in the chat
    stickers: bool  # something that is not text can be sent (a sticker)
    blank_lines: bool  # a message of spaces reaches the bot (the terminal skips blank lines)
    groups: bool = False  # the bot can be added to a group chat (not the terminal)


@dataclass(frozen=True)
class Received:
    """A file the bot gave: a document, a file saved by the terminal, or a download link
    (Zalo) already opened by the driver."""

    name: str
    content: bytes


class Answer(str):
    """Everything the bot answered to one message; as a string, its texts one per line.

    ``texts`` are the messages (one per reply; a text longer than a channel's limit may come in
    several), without the option lines, links and file notes a channel adds of its own.
    ``options`` are the labels offered by the answer's last question with options ([] when it
    asks nothing to choose from); ``documents`` the files given, ``links`` the download and
    upload links given (Zalo), ``asks_contact`` whether a "share my phone number" button came
    with it. ``question`` is the driver's own handle on the question, for ``pick(on=...)``.
    """

    texts: list[str]
    options: list[str]
    documents: list[Received]
    links: list[str]
    asks_contact: bool
    question: object | None

    def __new__(
        cls,
        texts: list[str],
        *,
        options: list[str] | None = None,
        documents: list[Received] | None = None,
        links: list[str] | None = None,
        asks_contact: bool = False,
        question: object | None = None,
    ) -> Answer:
        answer = super().__new__(cls, "\n".join(texts))
        answer.texts = list(texts)
        answer.options = list(options or [])
        answer.documents = list(documents or [])
        answer.links = list(links or [])
        answer.asks_contact = asks_contact
        answer.question = question
        return answer

    @property
    def asks(self) -> bool:
        """Whether the answer leaves a question with options pending."""
        return bool(self.options)


class ChatDriver(Protocol):
    """One person in a private chat with the bot (see the module docstring)."""

    channel: str  # the channel of the person's account: "console", "telegram" or "zalo"
    can: Abilities

    @property
    def external_id(self) -> str:
        """The person's id on the channel (what an admin types after /grant)."""
        ...

    @property
    def identity(self) -> str:
        """``channel:external_id``, as accounts are named."""
        ...

    async def say(self, text: str) -> Answer: ...

    async def pick(self, label: str, *, on: Answer | None = None) -> Answer:
        """Answer with an option; ``on`` an older answer's question (buttons only)."""
        ...

    async def forge(self, key: str, *, on: Answer | None = None) -> Answer:
        """A button press carrying ``key``, which no button offers (a modified client;
        buttons only)."""
        ...

    async def share_contact(self, phone: str, *, own: bool = True) -> Answer: ...

    async def send_file(self, name: str, content: bytes) -> Answer: ...

    async def send_sticker(self) -> Answer: ...


def pick_label(options: list[str], label: str) -> int:
    """The index of the option ``label`` names: the exact label, else the only one containing
    it (case aside). Shared by every driver, so a scenario's ``pick`` means the same on each."""
    if label in options:
        return options.index(label)
    matching = [n for n, text in enumerate(options) if label.lower() in text.lower()]
    assert len(matching) == 1, f"option {label!r} is not one of {options}"
    return matching[0]


def only_where(ability: str, why: str) -> pytest.MarkDecorator:
    """Run a scenario only on channels with ``ability`` (a field of :class:`Abilities`);
    elsewhere it is skipped, saying ``why``."""
    assert ability in Abilities.__dataclass_fields__, ability
    return pytest.mark.only_where(ability, why)


@dataclass
class Latest:
    """The options last offered in a chat, for drivers whose person types an option's number."""

    options: list[str] = field(default_factory=list)

    def seen(self, answer: Answer) -> Answer:
        if answer.options:
            self.options = answer.options
        return answer

    def number(self, label: str) -> str:
        assert self.options, "no question with options was asked in this chat"
        return str(pick_label(self.options, label) + 1)


def _heads(key: str) -> tuple[str, ...]:
    from bot.texts import t

    return tuple(
        t(language, key, file="\0", run=0, reason="").split("\0")[0] for language in ("vi", "en")
    )


def import_started(text: str) -> bool:
    """The answer to a confirmed import: it runs as a job, whose summary and report (or
    failure) come after. A driver whose channel runs it in the background waits for them, so
    the answer to the confirmation still ends with the report."""
    return text.startswith(_heads("bot.import_job.queued"))


def import_failed(text: str) -> bool:
    """A job's message saying the import failed (no report follows)."""
    return text.startswith(_heads("bot.import_job_failed.failed"))
