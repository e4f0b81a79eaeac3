"""The bot the scenarios talk to, on each channel: a :class:`Stage` gives its people
(``meet``), its database, and a restart (a new process on the same database).

- ``engine``: the dialog engine called directly (``tests/integration/chat.py``), on SQLite and,
  as ``engine-postgres``, on PostgreSQL when ``SPOKES_TEST_POSTGRES_URL`` is set.
- ``telegram``: the real python-telegram-bot application polling the fake Bot API.
- ``zalo``: the Zalo channel polling the fake Zalo Bot API, with the web server for file links.
- ``terminal``: the terminal chat, in this process.

The channels run on SQLite: what differs between databases is below the dialogs, and is shown
on the engine. Telegram and Zalo run in one mode each (long polling): polling and webhook
differ in transport only, which their own tests cover.

Adding a channel: a driver (``..._chat.py``, see ``driver.py``), a :class:`Stage` subclass
that starts the bot in ``start``, makes a driver in ``meet`` and stops and starts the bot in
``restart``, an entry in ``ABILITIES`` and ``CHANNEL`` and in :func:`stage_on`, and the
driver's name in ``DRIVERS`` (``conftest.py``), with its fixtures gathered in ``backstage``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.dialogs.engine import Dialogs
from bot.settings import BotSettings
from registry.uow import Database
from tests.builders import INVITATION_SECRET
from tests.e2e.fake_telegram import FakeTelegram, bot_running
from tests.e2e.fake_zalo import FakeZalo
from tests.e2e.scenarios.driver import Abilities, ChatDriver
from tests.e2e.scenarios.telegram_chat import TELEGRAM, TelegramChat
from tests.e2e.scenarios.terminal_chat import TERMINAL, TerminalChat
from tests.e2e.scenarios.zalo_chat import ZALO, ZaloChat
from tests.e2e.telegram_person import Person
from tests.e2e.zalo_bot import ZaloPerson, zalo_running
from tests.integration.chat import ENGINE, Chat

ABILITIES: dict[str, Abilities] = {
    "engine": ENGINE,
    "engine-postgres": ENGINE,
    "telegram": TELEGRAM,
    "zalo": ZALO,
    "terminal": TERMINAL,
}
CHANNEL = {
    "engine": "console",
    "engine-postgres": "console",
    "telegram": "telegram",
    "zalo": "zalo",
    "terminal": "console",
}


def engine_settings(**changes: Any) -> BotSettings:
    values = {"invitation_secret": INVITATION_SECRET, **changes}
    return BotSettings(_env_file=None, **values)  # type: ignore[call-arg]


class Stage:
    """The bot on one channel, its database, and the people talking to it."""

    def __init__(self, driver: str, db: Database) -> None:
        self.driver = driver
        self.db = db
        self.channel = CHANNEL[driver]
        self.can = ABILITIES[driver]

    def meet(self, number: int, name: str = "An Nguyễn") -> ChatDriver:
        """The person number ``number`` (their id on the channel is made from it), called
        ``name`` by the platform, in a private chat with the bot."""
        raise NotImplementedError

    def meet_in_group(self, number: int, name: str = "An Nguyễn") -> ChatDriver:
        """The person number ``number`` writing in a group chat the bot is in (channels with
        ``groups``)."""
        raise NotImplementedError

    async def restart(self, **settings: Any) -> None:
        """Stop the bot and start it again (a new process) with these settings changed."""
        raise NotImplementedError

    def beside(self, number: int, channel: str) -> Chat:
        """Someone on another channel of the same bot (the same database), through the engine:
        for what spans two channels, such as /link."""
        assert channel != self.channel
        return Chat(Dialogs(self.db, engine_settings()), str(number), channel=channel)

    async def close(self) -> None:
        """Stop what the stage started (the database is the caller's)."""


class EngineStage(Stage):
    def __init__(self, driver: str, db: Database) -> None:
        super().__init__(driver, db)
        self.dialogs = Dialogs(db, engine_settings())
        self.chats: list[Chat] = []
        self.handles: list[Database] = []

    def meet(self, number: int, name: str = "An Nguyễn") -> ChatDriver:
        chat = Chat(self.dialogs, str(number), name=name)
        self.chats.append(chat)
        return chat

    def meet_in_group(self, number: int, name: str = "An Nguyễn") -> ChatDriver:
        chat = Chat(self.dialogs, str(number), name=name, group=True)
        self.chats.append(chat)
        return chat

    async def restart(self, **settings: Any) -> None:
        # A new process: a new engine and a new database handle on the same database.
        handle = Database(self.db.url)
        self.handles.append(handle)
        self.dialogs = Dialogs(handle, engine_settings(**settings))
        for chat in self.chats:
            chat.dialogs = self.dialogs

    async def close(self) -> None:
        for handle in self.handles:
            await handle.dispose()


class TerminalStage(EngineStage):
    def __init__(self, db: Database, folder: Path) -> None:
        super().__init__("terminal", db)
        self.folder = folder
        self.terminals: list[TerminalChat] = []

    def meet(self, number: int, name: str = "An Nguyễn") -> ChatDriver:
        terminal = TerminalChat(self.dialogs, str(number), name, self.folder)
        self.terminals.append(terminal)
        return terminal

    async def restart(self, **settings: Any) -> None:
        await super().restart(**settings)
        for terminal in self.terminals:
            terminal.dialogs = self.dialogs


class TelegramStage(Stage):
    def __init__(self, db: Database, fake: FakeTelegram, person: Callable[..., Person]) -> None:
        super().__init__("telegram", db)
        self.fake = fake
        self.person = person
        self.running = contextlib.AsyncExitStack()

    async def start(self, **settings: Any) -> None:
        await self.running.enter_async_context(
            bot_running(
                "polling",
                self.fake,
                self.db,
                **{"invitation_secret": INVITATION_SECRET, **settings},
            )
        )

    def meet(self, number: int, name: str = "An Nguyễn") -> ChatDriver:
        first, _, last = name.partition(" ")
        person = self.person(number, first)
        person.user.last_name = last or None  # Telegram's full name: first and last name
        return TelegramChat(person, self.fake)

    def meet_in_group(self, number: int, name: str = "An Nguyễn") -> ChatDriver:
        first, _, last = name.partition(" ")
        person = self.person(number, first)
        person.user.last_name = last or None
        person.user.group_id = -1_000_000_000_000 - number
        return TelegramChat(person, self.fake)

    async def restart(self, **settings: Any) -> None:
        await self.running.aclose()
        await self.start(**settings)

    async def close(self) -> None:
        await self.running.aclose()


class ZaloStage(Stage):
    def __init__(self, db: Database, fake: FakeZalo, person: Callable[..., ZaloPerson]) -> None:
        super().__init__("zalo", db)
        self.fake = fake
        self.person = person
        self.running = contextlib.AsyncExitStack()

    async def start(self, **settings: Any) -> None:
        await self.running.enter_async_context(
            zalo_running(
                "polling",
                self.fake,
                self.db,
                **{"invitation_secret": INVITATION_SECRET, **settings},
            )
        )

    def meet(self, number: int, name: str = "An Nguyễn") -> ChatDriver:
        return ZaloChat(self.person(f"u-{number}", name))

    def meet_in_group(self, number: int, name: str = "An Nguyễn") -> ChatDriver:
        person = self.person(f"u-{number}", name)
        person.user.group_id = f"g-{number}"
        return ZaloChat(person)

    async def restart(self, **settings: Any) -> None:
        await self.running.aclose()
        await self.start(**settings)

    async def close(self) -> None:
        await self.running.aclose()


def skip_unless_applicable(node: pytest.Item, driver: str) -> None:
    """Skip a scenario marked ``only_where(ability, why)`` on a channel without it."""
    for marker in node.iter_markers("only_where"):
        ability, why = marker.args
        if not getattr(ABILITIES[driver], ability):
            pytest.skip(f"not on {driver}: {why}")


@contextlib.asynccontextmanager
async def stage_on(driver: str, db: Database, parts: dict[str, Any]) -> AsyncIterator[Stage]:
    """The stage of ``driver``; ``parts`` are the fake servers and their people (fixtures)."""
    stage: Stage
    if driver in ("engine", "engine-postgres"):
        stage = EngineStage(driver, db)
    elif driver == "terminal":
        stage = TerminalStage(db, parts["folder"])
    elif driver == "telegram":
        stage = TelegramStage(db, parts["fake"], parts["meet"])
        await stage.start()
    else:
        stage = ZaloStage(db, parts["zalo"], parts["meet_on_zalo"])
        await stage.start()
    try:
        yield stage
    finally:
        await stage.close()
