"""Group chats on every channel that has them (Telegram, Zalo, and the engine as a channel sees
it): the bot only points to a private chat there, never shows the personal-data notice, never
starts a dialog, and never answers a staff command in front of the group."""

from __future__ import annotations

from tests.builders import account, count_people, grant, listed
from tests.e2e.scenarios.driver import only_where
from tests.e2e.scenarios.script import ASK, vi
from tests.e2e.scenarios.stage import Stage

GROUPS = only_where("groups", "the bot cannot be added to a group here")


@GROUPS
async def test_in_a_group_the_bot_only_asks_to_chat_privately(stage: Stage) -> None:
    here = stage.meet_in_group(780)
    note = vi("bot.group.private_only")
    for command in ("/start", "/register", "/dangky lao cai", "/help", "/me", "/mydata"):
        answer = await here.say(command)
        assert answer.texts == [note], command
        assert answer.options == [] and answer.documents == [] and answer.links == []
    # Talk, numbers typed and other bots' commands are not for the bot: no answer at all.
    for text in ("0912 345 678", "lao cai", "hủy", "/weather"):
        assert (await here.say(text)).texts == [], text
    assert await count_people(stage.db) == 0
    stored = await account(stage.db, here.identity)
    assert stored is None or stored.consented_at is None


@GROUPS
async def test_staff_commands_never_answer_in_a_group(stage: Stage) -> None:
    await listed(stage.db)
    worker = stage.meet_in_group(781, "Bình Lê")
    await grant(stage.db, worker.identity, "admin")
    for command in ("/find nguyen", "/person 1", "/stats", "/export xlsx", "/grant 9 staff"):
        answer = await worker.say(command)
        assert answer.texts == [] and answer.documents == [] and answer.links == [], command
    assert (await account(stage.db, f"{stage.channel}:9")) is None


@GROUPS
async def test_after_the_group_the_private_chat_starts_from_the_beginning(stage: Stage) -> None:
    await stage.meet_in_group(782).say("/register")
    alone = stage.meet(782)
    asked = await alone.say("/register")
    assert asked.texts == [vi("bot.consent.required"), vi("bot.consent.notice")]
    assert (await alone.pick("Tôi đồng ý")).texts[-1] == ASK["agency"]
