"""Re-confirmation on every channel: the scheduled job asks a person whose details are old
"are your details still correct?" (the prompt goes through the outbox, its options numbered),
and the reply typed in the chat is read by the ``reconfirm`` flow: yes, update, no longer in
this role, and answers that fit none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot import clock
from bot.pipeline.campaign import send_reconfirmations
from bot.state.models import OutboxMessage
from bot.texts import t
from registry.models import Person
from tests.builders import grant, stored
from tests.e2e.scenarios.script import card, registered_member, vi
from tests.e2e.scenarios.stage import Stage, engine_settings

OLD = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)  # confirmed more than 180 days ago
NOON = datetime.now(UTC).replace(hour=5, minute=0)  # 12:00 in Vietnam: not in the quiet hours
OPTIONS = ["Vẫn đúng", "Cập nhật thông tin", "Tôi không còn đảm nhiệm vai trò này"]


@pytest.fixture(autouse=True)
async def quiet(stage: Stage) -> None:
    """The scenarios run the scheduled job themselves. A running server also runs it on its
    own, every 10 s: in the middle of a scenario it would queue the prompt first. Here it looks
    once an hour."""
    await stage.restart(outbox_check_seconds=3600)


async def _age(stage: Stage, person_id: int) -> None:
    async with stage.db.uow() as uow:
        await uow.session.execute(
            update(Person).where(Person.id == person_id).values(confirmed_at=OLD)
        )
        await uow.commit()


async def _prompts(stage: Stage, chat_id: str) -> list[str]:
    """The prompts for ``chat_id`` the job left in the outbox, as the person reads them; they
    are then marked sent. The scenario plays the sender: a running server's own sender, woken
    by a later message, would otherwise deliver a prompt into the person's next answer."""
    async with stage.db.uow() as uow:
        rows = list(
            await uow.session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.chat_id == chat_id,
                    OutboxMessage.text_key == "reconfirm.prompt",
                    OutboxMessage.status == "pending",
                )
                .order_by(OutboxMessage.id)
            )
        )
        texts = [t(r.language, r.text_key or "", **r.params) for r in rows]
        for row in rows:
            row.status, row.sent_at = "sent", datetime.now(UTC)
        await uow.commit()
        return texts


async def _asked(stage: Stage, chat_id: str) -> str:
    channel = stage.channel
    assert await send_reconfirmations(stage.db, NOON, engine_settings(), channels=(channel,)) == 1
    prompts = await _prompts(stage, chat_id)
    assert len(prompts) == 1
    return prompts[0]


async def test_yes_confirms_the_details(stage: Stage) -> None:
    an = await registered_member(stage, 750)
    await _age(stage, 1)
    prompt = await _asked(stage, an.external_id)
    assert vi("reconfirm.ask") in prompt
    assert "Nguyễn Văn An — Chánh Văn phòng UBND tỉnh, Tỉnh Lào Cai" in prompt
    assert "Xác nhận lần cuối: 05/01/2026" in prompt
    assert "\n".join(f"{n}. {label}" for n, label in enumerate(OPTIONS, 1)) in prompt
    done = await an.say("1")
    assert done == vi("reconfirm.confirmed", date=clock.today().strftime("%d/%m/%Y"))
    assert (await stored(stage.db, 1)).confirmed_at > OLD
    # Confirmed: not asked again.
    assert (
        await send_reconfirmations(stage.db, NOON, engine_settings(), channels=(stage.channel,))
        == 0
    )
    assert card() in await an.say("/me")


async def test_update_opens_the_update_dialog(stage: Stage) -> None:
    an = await registered_member(stage, 751)
    await _age(stage, 1)
    await _asked(stage, an.external_id)
    begun = await an.say("cập nhật thông tin")
    assert begun.texts[-1] == "Bạn muốn cập nhật mục nào?"
    assert await an.pick("Chức vụ") == "Nhập Chức vụ mới:"
    await an.say("Giám đốc Sở")
    done = await an.pick("Đồng ý")
    assert done.texts[0] == "Đã cập nhật Chức vụ."
    record = await stored(stage.db, 1)
    assert record.position == "Giám đốc Sở" and record.confirmed_at > OLD


async def test_no_longer_in_this_role_retires_after_a_confirmation(stage: Stage) -> None:
    an = await registered_member(stage, 752)
    await grant(stage.db, "telegram:9752", "focal", agency="Lào Cai")
    await _age(stage, 1)
    await _asked(stage, an.external_id)
    asked = await an.say("3")
    assert asked.texts[-1] == vi("reconfirm.gone_confirm", name="Nguyễn Văn An")
    assert asked.options == ["Đúng, cho thôi tham gia", "Không"]
    # An answer that fits neither option: said, and asked again; nothing retired.
    again = await an.say("có lẽ")
    assert vi("bot.choose_option") in again.texts
    assert (await stored(stage.db, 1)).status == "pending"
    done = await an.pick("Đúng, cho thôi tham gia")
    assert done.texts[0] == vi("reconfirm.gone_done")
    assert (await stored(stage.db, 1)).status == "retired"
    # The agency's focal point is told, through the outbox.
    async with stage.db.uow().reading() as uow:
        notice = await uow.session.scalar(
            select(OutboxMessage).where(OutboxMessage.text_key == "reconfirm.focal_notice")
        )
        assert notice is not None and (notice.channel, notice.chat_id) == ("telegram", "9752")
    assert await an.say("/me") == vi("bot.me.none")


async def test_answers_that_fit_no_option_ask_again(stage: Stage) -> None:
    an = await registered_member(stage, 753)
    await _age(stage, 1)
    await _asked(stage, an.external_id)
    for garbage in ("xyz", "7", "0", "😀 hmm?", "cập"):
        again = await an.say(garbage)
        assert vi("bot.choose_option") in again.texts, garbage
        assert again.options == OPTIONS
    assert (await stored(stage.db, 1)).confirmed_at == OLD  # nothing written
    assert await an.say("Vẫn đúng") == vi(
        "reconfirm.confirmed", date=clock.today().strftime("%d/%m/%Y")
    )


async def test_a_chat_in_another_dialog_is_asked_later(stage: Stage) -> None:
    an = await registered_member(stage, 754)
    await _age(stage, 1)
    await an.say("/update")  # in the middle of an update
    assert (
        await send_reconfirmations(stage.db, NOON, engine_settings(), channels=(stage.channel,))
        == 0
    )
    await an.say("/cancel")
    prompt = await _asked(stage, an.external_id)
    assert vi("reconfirm.ask") in prompt
    # /confirm asks the same question at any time.
    asked = await an.say("/confirm")
    assert asked.options == OPTIONS
    assert await an.pick("Vẫn đúng") == vi(
        "reconfirm.confirmed", date=clock.today().strftime("%d/%m/%Y")
    )
    assert (await stored(stage.db, 1)).confirmed_at > OLD + timedelta(days=1)
