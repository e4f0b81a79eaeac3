"""What a channel hands the pipeline, what it must be able to do, and what the pipeline reports.

A channel turns what its platform sends into an :class:`Inbound`: the platform's key of the
delivery, the chat, the sender, and the raw payload as JSON (stored as it is). Later, possibly
in another process, its :class:`Transport` turns the stored payload back into what the dialogs
read, delivers the dialogs' replies to the chat, and says one plain text (the apology). That is
all a channel is: ordering, de-duplication, handling and errors belong to the pipeline.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.dialogs.io import Incoming, Reply


@dataclass(frozen=True)
class Inbound:
    """An update as a channel received it."""

    channel: str  # "telegram", "zalo", "console"
    # The platform's key of this delivery: a repeat of it is the same update (Telegram's
    # update_id; Zalo's event and message id; a random id in the terminal). 64 characters.
    delivery: str
    chat_id: str
    user_id: str
    payload: dict[str, Any]  # the update as the platform sent it, JSON


@dataclass(frozen=True)
class Received:
    """A stored payload as its transport read it: the dialogs' input, and whatever the transport
    wants back when it delivers the replies (Telegram: the update, to take the pressed button's
    keyboard away)."""

    incoming: Incoming
    context: Any = None


class Transport(Protocol):
    """A chat platform as the pipeline drives it."""

    @property
    def channel(self) -> str:
        """The channel's name, as in :attr:`Inbound.channel`."""
        ...

    async def decode(self, payload: dict[str, Any]) -> Received | None:
        """What the dialogs see of a stored update; ``None`` for one nobody has to answer.

        May talk to the platform (stop a button's spinner, fetch a document).
        """
        ...

    async def deliver(
        self, inbound: Inbound, received: Received, replies: Sequence[Reply], language: str
    ) -> None:
        """Send the replies to the chat, in order, in the person's ``language`` where the
        transport adds words of its own ("answer 1 or 2")."""
        ...

    async def say(self, chat_id: str, text: str) -> None:
        """Send one plain text to the chat (an apology, a notice from the web server)."""
        ...


class Status(enum.StrEnum):
    answered = "answered"  # handled and committed, the replies delivered
    duplicate = "duplicate"  # a repeat of a delivery already stored: dropped
    ignored = "ignored"  # nothing to answer (a picture in a group): marked handled
    failed = "failed"  # something broke: nothing kept, the person got the apology


@dataclass(frozen=True)
class Result:
    """What became of one update."""

    status: Status
    replies: tuple[Reply, ...] = ()
    error: BaseException | None = None


# Called once for every update the pipeline is done with, whatever became of it; the tests
# learn from it when the bot has answered.
Done = Callable[[Inbound, Result], Awaitable[None]]


class Busy(Exception):
    """This process holds as many updates waiting as it may (or is stopping): nothing was
    stored, and the platform is to deliver the update again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many updates waiting; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    """What bounds one process's pipeline, so that a burst queues instead of failing.

    ``concurrency``: chats handled at once (each holds a database connection while it works);
    ``intake``: updates stored by this process and not yet handled, past which a webhook is
    told :class:`Busy`; ``update_seconds``: the time one update may take before the person
    gets the apology and the chat goes on; ``retries``: how often an update's transaction
    that PostgreSQL aborted (serialisation failure, deadlock) is run again.
    """

    concurrency: int = 8
    intake: int = 1000
    update_seconds: float = 60.0
    retries: int = 3
    retry_after: int = 5  # seconds a platform is asked to wait when this process is busy
    # How long an update waits for a database that went away before it is left for later
    # (it is never apologised for: it is answered once the database is back).
    reconnect_seconds: float = 30.0


class Blocked(Exception):
    """The platform will not deliver to this chat (403: the person blocked the bot)."""


class RateLimited(Exception):
    """The platform asked to wait ``retry_after`` seconds (429)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class Courier(Protocol):
    """What the sender needs of a channel: one text to one chat, its failures classified
    (:class:`Blocked`, :class:`RateLimited`, any other exception for the rest)."""

    @property
    def channel(self) -> str: ...

    async def post(self, chat_id: str, text: str) -> None: ...
