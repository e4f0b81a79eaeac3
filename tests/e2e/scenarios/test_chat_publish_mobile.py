"""Publishing one's mobile in the public directory, on every channel: asked in /register and
offered in /update only when the directory is published, default no, recorded, withdrawable."""

from __future__ import annotations

from sqlalchemy import select

from registry import people, published
from registry.models import ChangeLog
from tests.builders import SYSTEM, stored
from tests.e2e.scenarios.script import (
    ASK,
    CONFIRM,
    member,
    register,
    registered_member,
    summary,
    vi,
)
from tests.e2e.scenarios.stage import Stage

PUBLISH_OPTIONS = ["Không công bố (mặc định)", "Đồng ý công bố"]


async def _consents(stage: Stage, person_id: int) -> list[str | None]:
    async with stage.db.uow() as uow:
        rows = await uow.session.scalars(
            select(ChangeLog.new_value)
            .where(ChangeLog.entity_id == person_id, ChangeLog.field == "publish_mobile")
            .order_by(ChangeLog.id)
        )
        return list(rows)


async def test_registration_asks_and_records_the_answer(stage: Stage) -> None:
    await stage.restart(public_directory=True)
    an = await member(stage, 780)
    asked = await register(an, until="office_phone")
    assert asked == vi("bot.publish_mobile.ask")
    assert asked.options == PUBLISH_OPTIONS
    # Anything but an option: the same question again, nothing recorded.
    again = await an.say("có lẽ")
    assert again.texts == [vi("bot.choose_option"), vi("bot.publish_mobile.ask")]
    assert again.options == PUBLISH_OPTIONS
    assert await an.pick("Đồng ý công bố") == ASK["office_phone"]
    checked = await register(an, after="mobile", until="summary")
    lines = summary().split("\n")
    lines.insert(6, "Công bố số di động: có")
    assert checked == "\n".join(lines)
    await an.pick(CONFIRM)
    assert await _consents(stage, 1) == ["True"]
    await people.verify_person(stage.db.uow(), SYSTEM, 1)
    assert (await published.person(stage.db.uow(), 1)).mobile == "+84912345678"


async def test_update_withdraws_the_consent(stage: Stage) -> None:
    await stage.restart(public_directory=True)
    an = await registered_member(stage, 781)
    await people.verify_person(stage.db.uow(), SYSTEM, 1)
    await published.set_publish_mobile(stage.db.uow(), SYSTEM, 1, True)
    begun = await an.say("/update")
    assert begun.options[-1] == "Công bố số di động"
    asked = await an.pick("Công bố số di động")
    assert asked == vi("bot.publish_mobile.ask") and asked.options == PUBLISH_OPTIONS
    assert await an.pick("Không công bố (mặc định)") == vi("bot.publish_mobile.done_no")
    assert (await published.person(stage.db.uow(), 1)).mobile is None
    assert await _consents(stage, 1) == ["True", "False"]
    assert (await stored(stage.db, 1)).mobile == "+84912345678"  # kept, only not published


async def test_not_asked_while_the_directory_is_unpublished(stage: Stage) -> None:
    an = await member(stage, 782)
    assert await register(an, until="office_phone") == ASK["office_phone"]
    await register(an, after="mobile")
    assert await _consents(stage, 1) == []
    assert "Công bố số di động" not in (await an.say("/update")).options


async def test_the_answer_shows_in_the_history_of_me(stage: Stage) -> None:
    await stage.restart(public_directory=True)
    an = await registered_member(stage, 783)
    await an.say("/update")
    await an.pick("Công bố số di động")
    await an.pick("Đồng ý công bố")
    history = (await an.say("/me")).texts[1]
    assert f"Ghi nhận Công bố số di động: — → có ({an.identity})" in history
