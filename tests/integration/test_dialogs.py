"""What the dialog engine keeps that no person sees: the invitation a /start link carries, and
the command menu the channels publish.

Everything a person sees of the dialogs is in the scenario suite (``tests/e2e/scenarios``),
which runs on the engine directly, on Telegram, on Zalo and in the terminal.
"""

from __future__ import annotations

import pytest

from bot.dialogs.engine import Dialogs
from bot.settings import BotSettings
from bot.state.conversations import DialogState, load_state
from bot.texts import t
from registry.uow import Database
from tests.builders import INVITATION_SECRET, invitation
from tests.integration.chat import Chat


@pytest.fixture
def dialogs(loaded: Database) -> Dialogs:
    settings = BotSettings(_env_file=None, invitation_secret=INVITATION_SECRET)  # type: ignore[call-arg]
    return Dialogs(loaded, settings)


async def _state(dialogs: Dialogs, chat_id: str) -> DialogState:
    return await load_state(dialogs.db.uow(), "console", chat_id)


async def test_the_invitation_of_a_start_link_is_kept_through_the_consent(
    dialogs: Dialogs,
) -> None:
    token = await invitation(dialogs.db)
    chat = Chat(dialogs, "7")
    await chat.say(f"/start {token}")
    assert (await _state(dialogs, "7")).data["start_payload"] == token
    await chat.pick("Tôi đồng ý")
    assert (await _state(dialogs, "7")).data["start_payload"] == token
    # One that is no invitation is said to be invalid, and not kept.
    assert "không hợp lệ" in await Chat(dialogs, "8").say("/start <script>")
    assert "start_payload" not in (await _state(dialogs, "8")).data
    # Nor is a well-formed payload that no invitation signed.
    refused = await Chat(dialogs, "9").say("/start invite-tinh-lao-cai")
    assert t("vi", "error.invitation.tampered") in refused
    assert "start_payload" not in (await _state(dialogs, "9")).data


def test_the_command_menu_lists_what_everyone_may_use(dialogs: Dialogs) -> None:
    menu = dict(dialogs.command_menu("vi"))
    assert menu["link"] == "Liên kết tài khoản Telegram và Zalo của bạn"
    assert {"start", "help", "lang", "cancel", "register", "me", "update", "withdraw"} <= set(menu)
    assert not {"find", "stats", "export", "grant"} & set(menu)  # staff and admin commands
    assert dict(dialogs.command_menu("en"))["help"] != menu["help"]
