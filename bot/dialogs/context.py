"""What a dialog step works with: who is talking, their state, and the replies being built."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.dialogs.io import Incoming, Option, Reply
from bot.state.conversations import DialogState
from bot.texts import error_text, t
from registry.accounts import Profile
from registry.actors import Actor
from registry.errors import RegistryError
from registry.uow import Database, UnitOfWork


@dataclass
class Context:
    db: Database
    unit: UnitOfWork  # the update's unit of work: every use case of the step borrows it
    channel: str
    chat_id: str
    user_id: str
    profile: Profile
    language: str
    state: DialogState
    incoming: Incoming
    replies: list[Reply] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        return self.profile.actor

    def uow(self) -> UnitOfWork:
        return self.unit

    def say(self, key: str, **params: Any) -> str:
        return t(self.language, key, **params)

    def tell(self, key: str, **params: Any) -> None:
        self.replies.append(Reply(self.say(key, **params)))

    def send(self, text: str) -> None:
        self.replies.append(Reply(text))

    def fail(self, error: RegistryError) -> None:
        self.replies.append(Reply(error_text(self.language, error)))

    def ask(self, text: str, options: list[Option] | None = None, *, contact: bool = False) -> None:
        """Ask a question; buttons of every earlier question expire."""
        self.state.question += 1
        options = options or []
        self.replies.append(
            Reply(text, options=options, question=self.state.question, ask_contact=contact)
        )
        # Kept so the question can be asked again after an answer that does not fit it.
        self.state.data["_asked"] = {
            "text": text,
            "options": [[o.key, o.label] for o in options],
            "contact": contact,
        }

    def ask_again(self, *, hint: str | None = "bot.choose_option") -> None:
        """Ask the pending question once more (its old buttons may be gone), after a hint."""
        if hint:
            self.tell(hint)
        asked = self.state.data.get("_asked")
        if asked:
            options = [Option(key, label) for key, label in asked["options"]]
            self.ask(asked["text"], options, contact=asked["contact"])

    def ask_yes_no(self, text: str, *, yes: str | None = None) -> None:
        self.ask(
            text,
            [Option("yes", yes or self.say("bot.yes")), Option("no", self.say("bot.no"))],
        )

    def confirmed(self) -> bool:
        """Whether a yes/no question was answered yes. "No" ends the dialog; anything else
        asks the person to pick one of the options."""
        answer = self.chosen()
        if answer == "yes":
            return True
        if answer == "no":
            self.end()
            self.tell("bot.cancelled")
        else:
            self.ask_again()
        return False

    def go(self, flow: str | None, step: str | None) -> None:
        self.state.flow, self.state.step = flow, step

    def end(self) -> None:
        self.state.reset()

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data

    def chosen(self) -> str | None:
        """The key of the option picked for the current question, if that is what came in."""
        if self.incoming.kind != "choice" or not self.incoming.choice:
            return None
        question, _, key = self.incoming.choice.partition(":")
        return key if question == str(self.state.question) else None
