"""What a dialog step works with: who is talking, the answer read, the draft, the replies.

One :class:`Context` lives for one message. It carries the update's unit of work (every use case
a step calls borrows it, so the step's writes and the dialog state commit together), the
person's profile and language, the flow's typed draft, and the replies being built.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from bot.dialogs.answers import Answer, Asked
from bot.dialogs.flow import Flow
from bot.dialogs.io import ChatNotice, Incoming, Option, Reply
from bot.settings import BotSettings
from bot.texts import error_text, t
from registry.accounts import Profile
from registry.actors import Actor
from registry.errors import RegistryError
from registry.uow import UnitOfWork

DraftT = TypeVar("DraftT")


@dataclass
class Context(Generic[DraftT]):
    settings: BotSettings
    unit: UnitOfWork  # the update's unit of work: every use case of the step borrows it
    channel: str
    chat_id: str
    user_id: str
    profile: Profile
    language: str
    incoming: Incoming
    answer: Answer = field(default_factory=Answer)
    # Where the dialog stands; the engine stores these between messages.
    flow: Flow[Any] | None = None
    step: enum.StrEnum | None = None
    draft: DraftT = None  # type: ignore[assignment]
    asked: Asked | None = None
    question: int = 0  # number of the last question asked: older buttons have expired
    # An invitation's payload (/start PAYLOAD), kept whatever dialog comes next.
    start_payload: str | None = None
    replies: list[Reply] = field(default_factory=list)
    notices: list[ChatNotice] = field(default_factory=list)  # for other chats, after commit
    # A command to run once this step is done (the one the consent question interrupted).
    resume: tuple[str, str] | None = None

    @property
    def actor(self) -> Actor:
        return self.profile.actor

    def uow(self) -> UnitOfWork:
        return self.unit

    # --- saying things ------------------------------------------------------------------------

    def say(self, key: str, **params: Any) -> str:
        return t(self.language, key, **params)

    def tell(self, key: str, **params: Any) -> None:
        self.replies.append(Reply(self.say(key, **params)))

    def send(self, text: str) -> None:
        self.replies.append(Reply(text))

    def fail(self, error: RegistryError) -> None:
        self.replies.append(Reply(error_text(self.language, error)))

    # --- asking -------------------------------------------------------------------------------

    def ask(self, text: str, options: list[Option] | None = None, *, contact: bool = False) -> None:
        """Ask a question; buttons of every earlier question expire."""
        self.question += 1
        self.asked = Asked(self.question, text, tuple(options or ()), contact)
        self.replies.append(
            Reply(
                text, options=list(self.asked.options), question=self.question, ask_contact=contact
            )
        )

    def ask_again(self, *, hint: str | None = "bot.choose_option") -> None:
        """Ask the pending question once more (its old buttons may be gone), after a hint."""
        if hint:
            self.tell(hint)
        if self.asked is not None:
            self.ask(self.asked.text, list(self.asked.options), contact=self.asked.contact)

    def ask_yes_no(self, text: str, *, yes: str | None = None) -> None:
        self.ask(
            text,
            [Option("yes", yes or self.say("bot.yes")), Option("no", self.say("bot.no"))],
        )

    def chosen(self) -> str | None:
        """The key of the option the person chose for the current question, if they did."""
        return self.answer.option

    def confirmed(self) -> bool:
        """Whether a yes/no question was answered yes. "No" ends the dialog; anything else
        asks the person to pick one of the options."""
        if self.answer.option == "yes":
            return True
        if self.answer.option == "no":
            self.end()
            self.tell("bot.cancelled")
        else:
            self.ask_again()
        return False

    # --- moving through a flow ----------------------------------------------------------------

    def start(self, flow: Flow[Any], step: enum.StrEnum, draft: object | None = None) -> None:
        """Begin ``flow`` at ``step`` with a fresh draft (or the one given)."""
        self.flow, self.step = flow, step
        self.draft = draft if draft is not None else flow.draft()  # type: ignore[assignment]
        self.asked = None

    def goto(self, step: enum.StrEnum) -> None:
        self.step = step

    def end(self) -> None:
        """The dialog is over: nothing is pending, nothing is remembered."""
        self.flow, self.step, self.draft, self.asked = None, None, None, None  # type: ignore[assignment]

    @property
    def in_dialog(self) -> bool:
        return self.flow is not None
