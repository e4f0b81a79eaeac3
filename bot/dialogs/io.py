"""What a channel gives a dialog (:class:`Incoming`) and what it gets back (:class:`Reply`).

Channels translate: an inline keyboard button becomes a ``choice``; on channels without buttons
(Zalo, the terminal) options are shown as numbered lines and the engine takes a typed number as
the option. A message in a group chat is marked ``group``. A shared contact (Telegram) becomes a ``contact``, a typed number ``text``. A
document goes out as a file or as a download link, a request for a file as an upload link
where the channel cannot carry files. Dialogs never see a platform object, so every channel
reuses them unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

IncomingKind = Literal["text", "command", "choice", "contact", "file", "unsupported"]


@dataclass(frozen=True)
class Incoming:
    kind: IncomingKind
    text: str = ""  # the text, or a command's arguments
    command: str | None = None  # "register", without the slash or the bot's name
    choice: str | None = None  # "<question>:<key>" as sent with the question's options
    contact_phone: str | None = None
    contact_is_own: bool = False  # the shared contact is the sender's own (Telegram tells)
    display_name: str | None = None
    # A received file: its name and content. A channel that refuses to download a file (too
    # large for it) passes the name and size without content.
    file_name: str | None = None
    file_content: bytes | None = None
    file_size: int | None = None
    # Sent in a group chat (the channel says so): personal data is never asked for there.
    group: bool = False

    @classmethod
    def parse_text(cls, text: str, *, display_name: str | None = None) -> Incoming:
        """A typed line: ``/cmd args`` is a command, anything else is text."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            head, _, rest = stripped[1:].partition(" ")
            command = head.split("@", 1)[0].lower()
            return cls("command", text=rest.strip(), command=command, display_name=display_name)
        return cls("text", text=text, display_name=display_name)


@dataclass(frozen=True)
class Option:
    key: str  # short and opaque: an id or a code, never a name (Telegram: 64 bytes in all)
    label: str


@dataclass(frozen=True)
class Document:
    """A file for the person: sent as a document, or as a download link where a channel cannot
    send files."""

    name: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class ChatNotice:
    """A message for another chat than the one talking (staff told of an erasure), delivered
    once the update's unit of work has committed."""

    channel: str
    chat_id: str
    text: str


@dataclass(frozen=True)
class Reply:
    """One message to the person. ``options`` belong to question number ``question``."""

    text: str
    options: list[Option] = field(default_factory=list)
    question: int | None = None
    ask_contact: bool = False  # offer a "share my phone number" button where the channel can
    document: Document | None = None  # sent with ``text`` as its caption
    # The person is asked to send a file: a channel that cannot receive files gives a link to
    # an upload page instead.
    upload: bool = False

    def choice_data(self, option: Option) -> str:
        return f"{self.question}:{option.key}"
