"""A pipeline on the real dialogs and database, with a transport that records what it says.

``Recorder`` is the terminal's channel as the dialogs see it ("console"), reading payloads the
tests write (``{"text": ...}`` or ``{"choice": "<question>:<key>"}``) and keeping every text it
delivers per chat, so a test reads what a person was told and in which order. ``hold()`` makes
its next delivery wait, to catch a pipeline in the middle of an update.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bot.dialogs.engine import Dialogs
from bot.dialogs.io import Incoming, Reply
from bot.pipeline import Inbound, Pipeline, Received, Result
from bot.settings import BotSettings
from registry.uow import Database

CHANNEL = "console"
_deliveries = itertools.count(1)


class Recorder:
    channel = CHANNEL

    def __init__(self) -> None:
        self.chats: dict[str, list[str]] = defaultdict(list)
        self.replies: dict[str, list[Reply]] = defaultdict(list)
        self.holding: asyncio.Event | None = None
        self.held = asyncio.Event()  # set once a delivery waits on hold()

    def hold(self) -> asyncio.Event:
        """Make the next delivery wait until the returned event is set."""
        self.holding = asyncio.Event()
        self.held.clear()
        return self.holding

    async def decode(self, payload: dict[str, Any]) -> Received | None:
        if "choice" in payload:
            return Received(Incoming("choice", choice=str(payload["choice"])))
        if "text" not in payload:
            return None
        return Received(Incoming.parse_text(str(payload["text"])))

    async def deliver(
        self, inbound: Inbound, received: Received, replies: Sequence[Reply], language: str
    ) -> None:
        if self.holding is not None:
            holding, self.holding = self.holding, None
            self.held.set()
            await holding.wait()
        self.replies[inbound.chat_id].extend(replies)
        self.chats[inbound.chat_id].extend(reply.text for reply in replies)

    async def say(self, chat_id: str, text: str) -> None:
        self.chats[chat_id].append(text)


def message(chat_id: str, text: str, *, delivery: str | None = None) -> Inbound:
    """A typed message of the person whose chat and user id are ``chat_id``."""
    key = delivery or f"d{next(_deliveries)}"
    return Inbound(CHANNEL, key, chat_id, chat_id, {"text": text})


def choice(chat_id: str, question: int, key: str) -> Inbound:
    """A press on option ``key`` of question number ``question``."""
    payload = {"choice": f"{question}:{key}"}
    return Inbound(CHANNEL, f"d{next(_deliveries)}", chat_id, chat_id, payload)


class Results:
    """A completion hook that keeps every (inbound, result) it is given."""

    def __init__(self) -> None:
        self.seen: list[tuple[Inbound, Result]] = []

    async def __call__(self, inbound: Inbound, result: Result) -> None:
        self.seen.append((inbound, result))

    def statuses(self, delivery: str) -> list[str]:
        return [str(result.status) for inbound, result in self.seen if inbound.delivery == delivery]


def pipeline(db: Database, recorder: Recorder, results: Results | None = None) -> Pipeline:
    dialogs = Dialogs(db, BotSettings(_env_file=None))  # type: ignore[call-arg]
    made = Pipeline(db, dialogs, on_done=[results] if results else [])
    made.add(recorder)
    return made
