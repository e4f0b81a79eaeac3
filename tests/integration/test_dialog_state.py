"""The dialog state as stored: a restart continues a dialog, and a state written by an older
version (a flow or step since renamed, a draft of another shape) never breaks a chat."""

from __future__ import annotations

import pytest

from bot.dialogs.engine import Dialogs
from bot.settings import BotSettings
from bot.state import conversations
from bot.state.conversations import DialogState
from registry.uow import Database
from tests.integration.chat import Chat


@pytest.fixture
def dialogs(loaded: Database) -> Dialogs:
    return Dialogs(loaded, BotSettings(_env_file=None))  # type: ignore[call-arg]


async def _store(db: Database, chat_id: str, state: DialogState) -> None:
    async with db.uow() as uow:
        await conversations.save_state(uow, "console", chat_id, state)
        await uow.commit()


async def _state(db: Database, chat_id: str) -> DialogState:
    return await conversations.load_state(db.uow(), "console", chat_id)


async def test_a_second_engine_continues_the_dialog_where_it_was(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await chat.say("/register")
    await chat.say("Lào Cai")
    # Another process (a new engine on the same database) takes the next message.
    other = Chat(Dialogs(dialogs.db, dialogs.settings), "7")
    assert "Họ và tên" in await other.say("1")
    stored = await _state(dialogs.db, "7")
    assert (stored.flow, stored.step) == ("register", "full_name")
    assert stored.data["draft"]["agency_name"] == "Tỉnh Lào Cai"
    assert stored.data["asked"]["text"].startswith("Họ và tên")


@pytest.mark.parametrize(
    "state",
    [
        DialogState("gone", "step", {}, 3),
        DialogState("register", "no-such-step", {"draft": {}}, 3),
        DialogState("register", "full_name", {"draft": "not a draft", "asked": 5}, 3),
        DialogState("register", "full_name", {"draft": {"answered": "x", "unknown": 1}}, 3),
    ],
)
async def test_a_state_from_an_older_version_never_breaks_the_chat(
    dialogs: Dialogs, state: DialogState
) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await _store(dialogs.db, "7", state)
    answer = await chat.say("Nguyễn Văn An")
    assert answer  # an answer, not an error
    assert "Đã xảy ra lỗi" not in answer
    # And the chat goes on normally.
    assert "Bạn thuộc cơ quan nào" in await chat.say("/register")
