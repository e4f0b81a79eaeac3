"""Reading an answer, the same way for every question and every channel.

A person answers a question by pressing a button (Telegram), typing the option's number (the
numbered lines of Zalo and the terminal, and Telegram too), typing the option's label ("có",
"Người phát ngôn"), sharing a contact, or typing free text. :func:`read_answer` turns any of
these into one :class:`Answer`, so no step reads ``Incoming`` itself and no step repeats the
rules.

A typed label is read folded (accents, case, ``đ`` and punctuation around it do not matter) and
in either language, since people switch: "skip" in the Vietnamese chat, "đồng ý" in the English
one. Three readings are tried in turn, and the first that names exactly one option wins: the
label as shown; the same text in the other language (found through the catalogs); the short
answers people give instead of the label ("đồng ý" for "Tôi đồng ý", "xác nhận", "bỏ qua",
table ``bot.answer_words``). Text that names no option, or two, stays text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bot.dialogs.io import Incoming, Option
from bot.texts import LANGUAGES, catalog
from registry.validation import fold

# Catalog texts longer than this are sentences, never an option's label; leaving them out keeps
# the index of labels small.
_MAX_LABEL = 80
_WORDS_TABLE = "bot.answer_words."


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
    typed = text.strip().strip(".)(:;!?")
    if typed.isascii() and typed.isdigit():
        number = int(typed)
        return options[number - 1].key if 1 <= number <= len(options) else None
    wanted = fold(typed)
    if not wanted:
        return None
    readings = (
        lambda o: {fold(o.label)},
        lambda o: same_label(o.label),
        lambda o: answer_words(o.key),
    )
    for accepted in readings:
        matches = [o.key for o in options if wanted in accepted(o)]
        if matches:
            return matches[0] if len(matches) == 1 else None
    return None


def same_label(label: str) -> frozenset[str]:
    """The folded forms of ``label`` in every language: the texts of each catalog key whose
    text, in some language, folds as ``label`` does ("Bỏ qua" -> {"bo qua", "skip"})."""
    return _labels().get(fold(label), frozenset({fold(label)}))


def answer_words(key: str) -> frozenset[str]:
    """The folded short answers that name the option ``key`` ("yes", "ok", "skip"), in every
    language; empty for a key without any."""
    return _words().get(key, frozenset())


def is_skip_word(text: str) -> bool:
    """Whether ``text`` says "leave it empty" in either language, even where no "skip" option
    is offered (a field asked again by /update)."""
    return bool(fold(text)) and fold(text) in answer_words("skip")


@cache
def _labels() -> dict[str, frozenset[str]]:
    keys_by_label: dict[str, set[str]] = {}
    for language in LANGUAGES:
        for key, value in catalog(language).items():
            if len(value) <= _MAX_LABEL and "{" not in value and fold(value):
                keys_by_label.setdefault(fold(value), set()).add(key)
    return {
        label: frozenset(
            fold(catalog(language)[key])
            for key in keys
            for language in LANGUAGES
            if key in catalog(language)
        )
        | {label}
        for label, keys in keys_by_label.items()
    }


@cache
def _words() -> dict[str, frozenset[str]]:
    words: dict[str, set[str]] = {}
    for language in LANGUAGES:
        for key, value in catalog(language).items():
            if key.startswith(_WORDS_TABLE):
                found = {fold(word) for word in value.split(";")} - {""}
                words.setdefault(key.removeprefix(_WORDS_TABLE), set()).update(found)
    return {key: frozenset(found) for key, found in words.items()}


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
