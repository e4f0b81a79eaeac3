"""How a dialog declares itself: its commands, its steps, one handler per step, a typed draft.

A dialog module states its flow once (modelled on a finite-state machine's states declared as a
group): the steps are an enum, each step has exactly one handler, and what the person answered
so far lives in a dataclass draft of normalised values (an E.164 phone, a normalised email, an
agency code), kept with the dialog state between messages. The engine builds its command and
step tables from these declarations; nothing is dispatched by comparing strings, and a flow
whose steps and handlers do not match fails at import, not in front of a person.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import TypeAdapter

from registry.actors import Actor, may_search

if TYPE_CHECKING:
    from bot.dialogs.context import Context

DraftT = TypeVar("DraftT")

Handler = Callable[["Context[Any]"], Awaitable[None]]
# A flow's answer to "hủy" or /cancel: True when it stepped back itself (an edit dropped, the
# summary shown again), False to let the whole dialog end.
StepBack = Callable[["Context[Any]"], bool]
Begin = Callable[["Context[Any]", str], Awaitable[None]]


class Audience(enum.StrEnum):
    """Who a command is for: /help lists a command to them only, and anyone else is refused
    before any question. The use cases still decide what each may do with it (a focal point
    keeps to its own agency)."""

    everyone = "everyone"
    focal = "focal"  # an agency's focal point, staff and admins
    staff = "staff"
    admin = "admin"

    def allows(self, actor: Actor) -> bool:
        if self is Audience.everyone:
            return True
        if self is Audience.focal:
            return may_search(actor)
        if self is Audience.staff:
            return actor.is_staff
        return actor.is_admin


@dataclass(frozen=True)
class Command:
    name: str
    begin: Begin
    audience: Audience = Audience.everyone
    aliases: tuple[str, ...] = ()
    # Commands about one's own record need the personal-data notice accepted first.
    needs_consent: bool = False
    # Says when this use of the command is about someone else's record (a focal point or staff
    # at work): the notice is about one's own data, so it is not asked then.
    for_others: Callable[[Context[Any], str], bool] | None = None


@dataclass(frozen=True)
class NoDraft:
    """The draft of a flow that remembers nothing between its steps."""


@dataclass(frozen=True)
class Flow(Generic[DraftT]):
    """A dialog that spans several messages: its steps and the handler of each."""

    name: str
    steps: type[enum.StrEnum]
    handlers: Mapping[enum.StrEnum, Handler]
    draft: type[DraftT]
    # Cancelling inside a sub-step (editing one answer) goes back instead of ending everything.
    step_back: StepBack | None = None

    def __post_init__(self) -> None:
        missing = [step.value for step in self.steps if step not in self.handlers]
        foreign = [str(step) for step in self.handlers if not isinstance(step, self.steps)]
        if missing or foreign:
            raise TypeError(f"flow {self.name}: no handler for {missing}, unknown steps {foreign}")
        if not dataclasses.is_dataclass(self.draft):
            raise TypeError(f"flow {self.name}: the draft must be a dataclass")

    def step(self, value: str | None) -> enum.StrEnum | None:
        """The step stored as ``value``; None for one this version does not know."""
        try:
            return self.steps(value)
        except ValueError:
            return None

    @cached_property
    def _adapter(self) -> TypeAdapter[DraftT]:
        return TypeAdapter(self.draft)

    def new_draft(self, stored: Mapping[str, Any] | None) -> DraftT:
        """The draft as it was stored, checked against its declared types.

        Fields it no longer has are dropped and missing ones take their defaults, so a dialog
        begun before an upgrade goes on with what still fits; a value of the wrong type raises
        ``ValueError`` (the engine then ends that dialog quietly).
        """
        known = {f.name for f in dataclasses.fields(self.draft)}  # type: ignore[arg-type]
        given = stored if isinstance(stored, Mapping) else {}
        values = {k: v for k, v in given.items() if k in known}
        return self._adapter.validate_python(values)


@dataclass(frozen=True)
class Dialog:
    """What one dialog module declares: its commands and the flows they may start."""

    commands: tuple[Command, ...] = ()
    flows: tuple[Flow[Any], ...] = ()


def stored(draft: object) -> dict[str, Any]:
    """A draft as JSON-ready data for the dialog state."""
    return dataclasses.asdict(draft)  # type: ignore[call-overload, no-any-return]
