"""Leaving a dialog on every channel: the cancel words and /cancel at any step, another command,
a dialog abandoned long enough to expire, and a restart of the bot in the middle of one."""

from __future__ import annotations

import asyncio

from tests.builders import count_people, person_of, stored
from tests.e2e.scenarios.script import (
    ASK,
    CONFIRM,
    REFUSAL,
    member,
    register,
    summary,
    vi,
)
from tests.e2e.scenarios.stage import Stage

IDLE_HOURS = 0.0001  # 0.36 s


async def test_cancel_words_and_commands_at_any_step_keep_nothing(stage: Stage) -> None:
    an = await member(stage, 730)
    cancelled = vi("bot.cancelled")
    roles = await register(an, until="role")
    assert await an.say("/cancel") == cancelled
    if an.can.buttons:
        # The buttons of the cancelled question are still on screen: pressing one is too late.
        assert await an.pick("Người phát ngôn", on=roles) == vi("bot.question_expired")
    else:
        # Without buttons the option's number is just text now: there is no question.
        assert await an.say("2") == vi("bot.not_understood")
    await register(an, until="summary")
    assert await an.pick("❌ Hủy") == cancelled
    # Every way of saying it, in any dialog (the words are for channels without a menu).
    for word in ("hủy", "Huỷ", "huy", "Cancel", "HỦY", "thoát", "stop", "/huy"):
        await an.say("/register")
        assert await an.say(word) == cancelled, word
    await an.say("/lang")
    assert await an.say("hủy") == cancelled
    assert await an.say("/cancel") == "Không có việc gì đang làm dở để hủy."
    assert await an.say("hủy") == "Không có việc gì đang làm dở để hủy."
    assert await count_people(stage.db) == 0
    assert await an.say("Nguyễn Văn An") == vi("bot.not_understood")  # no question pending
    # /help leaves the dialog going; another command abandons it.
    await register(an, until="full_name")
    assert vi("bot.help.in_dialog") in await an.say("/help")
    assert await an.say("Nguyễn Văn An") == ASK["position"]
    assert await an.say("/stats") == REFUSAL
    assert await an.say("Chánh Văn phòng") == vi("bot.not_understood")


async def test_a_restart_in_the_middle_of_register_loses_nothing(stage: Stage) -> None:
    an = await member(stage, 732)
    roles = await register(an, until="role")
    assert roles == ASK["role"]
    # A new process (a new bot, or a new engine and database handle) on the same database.
    await stage.restart()
    mobile = await an.pick("Người phát ngôn")
    assert mobile == ASK["mobile"] and mobile.asks_contact == an.can.contact_button
    await an.share_contact("+84912345678")
    await stage.restart()
    await an.pick("Bỏ qua")
    assert await an.say("an.nv@laocai.gov.vn") == summary()
    done = await an.pick(CONFIRM)
    assert done.startswith("Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai).")
    record = await stored(stage.db, 1)
    assert (record.full_name, record.mobile, record.status) == (
        "Nguyễn Văn An",
        "+84912345678",
        "pending",
    )
    assert await person_of(stage.db, an.identity) == 1


async def test_an_abandoned_dialog_expires_with_a_friendly_message(stage: Stage) -> None:
    an = await member(stage, 733)
    await an.say("/register")
    await stage.restart(dialog_idle_hours=IDLE_HOURS)
    await asyncio.sleep(0.5)  # the person is away for longer than the bot waits
    expired = await an.say("lao cai")
    assert expired.texts == [vi("bot.expired"), vi("bot.not_understood")]
    assert "quá lâu nên đã được hủy" in expired
    # Said once, not at every message; the text answers nothing any more.
    assert await an.say("lao cai") == vi("bot.not_understood")
    assert await an.say("/cancel") == "Không có việc gì đang làm dở để hủy."


async def test_cancel_inside_an_edit_goes_back_to_the_summary_with_everything_kept(
    stage: Stage,
) -> None:
    an = await member(stage, 734)
    assert await register(an, until="summary") == summary()
    dropped = [vi("bot.register_edit.dropped"), summary()]
    # Cancelled while typing the new value: the old one is kept.
    await an.pick("Sửa một mục")
    assert await an.pick("Di động") == ASK["mobile"]
    assert (await an.say("hủy")).texts == dropped
    # Cancelled at the list of fields, by word or by command.
    await an.pick("Sửa một mục")
    assert (await an.say("/cancel")).texts == dropped
    await an.pick("Sửa một mục")
    assert (await an.say("Thoát")).texts == dropped
    # At the summary itself, "hủy" still cancels the whole registration.
    assert await an.say("hủy") == vi("bot.cancelled")
    assert await count_people(stage.db) == 0
    # And an edit cancelled, then confirmed, registers what was kept.
    await register(an, until="summary")
    await an.pick("Sửa một mục")
    await an.pick("Thư điện tử")
    assert (await an.say("huỷ")).texts == dropped
    done = await an.pick(CONFIRM)
    assert done.startswith("Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai).")
    record = await stored(stage.db, 1)
    assert (record.mobile, record.email) == ("+84912345678", "an.nv@laocai.gov.vn")
