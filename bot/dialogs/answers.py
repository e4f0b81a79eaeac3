"""Reading an answer, the same way for every question and every channel.

A person answers a question by pressing a button (Telegram), typing the option's number (the
numbered lines of Zalo and the terminal, and Telegram too), typing the option's label ("có",
"Người phát ngôn"), sharing a contact, or typing free text. :func:`read_answer` turns any of
these into one :class:`Answer`, so no step reads ``Incoming`` itself and no step repeats the
rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.dialogs.io import Incoming, Option
from registry.validation import fold


@dataclass(frozen=True)
class Asked:
    """The question waiting for an answer, kept with the dialog state so it can be read
    against, and asked again after an answer that does not fit."""

    number: int
    text: str
    options: tuple[Option, ...] = ()
    contact: bool = False

    def stored(self) -> dict[str, object]:
        return {
            "text": self.text,
            "options": [[o.key, o.label] for o in self.options],
            "contact": self.contact,
        }

    @classmethod
    def from_stored(cls, number: int, data: object) -> Asked | None:
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            return None
        options = tuple(
            Option(str(pair[0]), str(pair[1]))
            for pair in data.get("options") or []
            if isinstance(pair, list | tuple) and len(pair) == 2
        )
        return cls(number, data["text"], options, bool(data.get("contact")))


@dataclass(frozen=True)
class Answer:
    """One message read as the answer to the pending question."""

    option: str | None = None  # the key of the option chosen, however it was chosen
    text: str | None = None  # typed text that is not one of the options
    phone: str | None = None  # a shared contact's number
    own_phone: bool = False  # the shared contact is the sender's own (Telegram says)
    stale: bool = False  # a button of an older question
    foreign: bool = False  # a "button" the current question never offered


def _typed_option(text: str, options: tuple[Option, ...]) -> str | None:
    """A typed 1..n, or a typed label, names that option; any other text is just text.

    Only 1..n counts: a phone number typed where "skip" is offered stays a phone number.
    """
    typed = text.strip().rstrip(".)")
    if typed.isascii() and typed.isdigit():
        number = int(typed)
        return options[number - 1].key if 1 <= number <= len(options) else None
    wanted = fold(typed)
    matches = [o.key for o in options if wanted and fold(o.label) == wanted]
    return matches[0] if len(matches) == 1 else None


def read_answer(incoming: Incoming, asked: Asked | None) -> Answer:
    """What ``incoming`` says in answer to ``asked`` (None when nothing is asked)."""
    if incoming.kind == "choice":
        number, _, key = (incoming.choice or "").partition(":")
        if asked is None or number != str(asked.number) or not key:
            return Answer(stale=True)
        # Data the current question never offered (forged, or from a client gone wrong) is
        # flagged; the step checks it like any other key and asks again.
        return Answer(option=key, foreign=key not in {o.key for o in asked.options})
    if incoming.kind == "contact":
        return Answer(phone=incoming.contact_phone or "", own_phone=incoming.contact_is_own)
    if incoming.kind == "text":
        options = asked.options if asked is not None else ()
        key = _typed_option(incoming.text, options) if options else None
        return Answer(option=key) if key is not None else Answer(text=incoming.text)
    return Answer()
