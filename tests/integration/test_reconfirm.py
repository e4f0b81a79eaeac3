"""Re-confirmation over time: who is asked and when (the age setting, a merged agency at once),
the second prompt a week after the first and no third, the people listed for staff (the CLI's
use case and /unconfirmed), and /campaign for staff in the chat."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from bot import clock
from bot.dialogs.engine import Dialogs
from bot.pipeline.campaign import send_reconfirmations
from bot.settings import BotSettings
from bot.state.models import OutboxMessage
from registry import campaigns, catalog
from registry.models import Agency, Person, Reconfirmation
from registry.uow import Database
from tests.builders import SYSTEM, grant, listed, registered
from tests.integration.chat import Chat

# 12:00 in Vietnam today: the chat's /unconfirmed reads the real clock.
NOON = datetime.now(UTC).replace(hour=5, minute=0, second=0, microsecond=0)


def _settings(**changes: object) -> BotSettings:
    return BotSettings(_env_file=None, **changes)  # type: ignore[arg-type]


async def _confirmed(db: Database, person_id: int, when: datetime) -> None:
    async with db.uow() as uow:
        await uow.session.execute(
            update(Person).where(Person.id == person_id).values(confirmed_at=when)
        )
        await uow.commit()


async def _prompts(db: Database, chat_id: str) -> int:
    async with db.uow().reading() as uow:
        rows = await uow.session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.chat_id == chat_id, OutboxMessage.text_key == "reconfirm.prompt"
            )
        )
        return len(list(rows))


async def test_two_prompts_a_week_apart_then_listed_for_staff(loaded: Database) -> None:
    old = await registered(loaded, "telegram:1", mobile="0912 000 001")
    recent = await registered(
        loaded, "telegram:2", agency="Hà Nội", full_name="Lê Văn Hai", mobile="0912 000 002"
    )
    imported = (
        await listed(loaded, agency="Cao Bằng", full_name="Đỗ Thị Ba", mobile="0912 000 003")
    ).id
    await _confirmed(loaded, old, NOON - timedelta(days=200))
    await _confirmed(loaded, recent, NOON - timedelta(days=100))
    await _confirmed(loaded, imported, NOON - timedelta(days=400))
    settings = _settings()

    assert await send_reconfirmations(loaded, NOON, settings) == 1
    assert await send_reconfirmations(loaded, NOON, settings) == 0  # a second tick: nothing
    assert await send_reconfirmations(loaded, NOON + timedelta(days=6), settings) == 0
    assert (await _prompts(loaded, "1"), await _prompts(loaded, "2")) == (1, 0)
    # The night of the seventh day: nothing; its morning: the second prompt.
    night = NOON + timedelta(days=7, hours=10)  # 22:00 in Vietnam
    assert await send_reconfirmations(loaded, night, settings) == 0
    assert await send_reconfirmations(loaded, NOON + timedelta(days=7), settings) == 1
    assert await send_reconfirmations(loaded, NOON + timedelta(days=30), settings) == 0
    assert await _prompts(loaded, "1") == 2

    listed_now = await campaigns.unconfirmed_people(
        loaded.uow(), SYSTEM, now=NOON + timedelta(days=30), max_age=timedelta(days=180)
    )
    # In catalog order: Cao Bằng before Lào Cai.
    assert [(u.person.id, u.prompts, u.reachable) for u in listed_now] == [
        (imported, 0, False),
        (old, 2, True),
    ]
    staff = Chat(Dialogs(loaded, settings), "90")
    await grant(loaded, staff.identity, "staff")
    await staff.say("/start")
    await staff.say("1")
    shown = await staff.say("/unconfirmed")
    assert "Nguyễn Văn An" in shown and "đã hỏi 2 lần" in shown
    assert "Đỗ Thị Ba" in shown and "không có cuộc trò chuyện" in shown
    assert "Lê Văn Hai" not in shown
    # A member may not see the list.
    member = Chat(Dialogs(loaded, settings), "91")
    await member.say("/start")
    await member.say("1")
    assert "không có quyền" in await member.say("/unconfirmed")

    # A new confirmation starts afresh: the row counts prompts about older details no more.
    await campaigns.record_prompt(
        loaded.uow(), campaigns.Due(old, NOON, 0, None), NOON + timedelta(days=31)
    )
    async with loaded.uow().reading() as uow:
        row = await uow.session.get(Reconfirmation, old)
        assert row is not None and row.prompts == 1


async def test_a_merged_agency_asks_its_people_at_once(db: Database) -> None:
    await catalog.load_edition(db.uow(), SYSTEM, "2024")
    person = await registered(db, "zalo:5", agency="tinh-yen-bai", mobile="0912 000 005")
    await catalog.load_edition(db.uow(), SYSTEM, "2025")
    async with db.uow().reading() as uow:
        agency = await uow.session.scalar(
            select(Agency).join(Person, Person.agency_id == Agency.id).where(Person.id == person)
        )
        assert agency is not None and agency.valid_to == date(2025, 7, 1)
    await _confirmed(db, person, datetime(2025, 6, 1, tzinfo=UTC))
    # Long before the age setting would ask: the merger asks at once.
    settings = _settings(reconfirm_days=2000)
    assert await send_reconfirmations(db, NOON, settings) == 1
    # Once confirmed after the merger, not again.
    await _confirmed(db, person, datetime(2025, 7, 2, tzinfo=UTC))
    assert await send_reconfirmations(db, NOON + timedelta(days=8), settings) == 0


async def test_campaign_from_the_chat(loaded: Database) -> None:
    staff = Chat(Dialogs(loaded, _settings()), "80")
    await grant(loaded, staff.identity, "staff")
    await staff.say("/start")
    await staff.say("1")
    begun = await staff.say("/campaign")
    assert begun.texts[0] == "Chưa có đợt nào đang mở."
    assert begun.options == ["Mở đợt mới", "Giữ nguyên"]
    assert await staff.pick("Mở đợt mới") == "Hạn gửi danh sách là ngày nào? Ghi dạng 31/12/2026."
    # Garbage and a past day: said, and the question stays.
    assert "không phải ngày hợp lệ" in await staff.say("ngày mai")
    assert "đã qua" in await staff.say("01/01/2020")
    deadline = (clock.today() + timedelta(days=14)).strftime("%d/%m/%Y")
    asked = await staff.say(deadline)
    assert f"hạn {deadline}, nhắc 7, 3, 1 ngày trước hạn rồi mỗi 7 ngày" in asked
    assert (await staff.pick("Đồng ý")).startswith("Đã mở đợt #1.")
    await registered(loaded, "telegram:3", mobile="0912 000 004")
    shown = await staff.say("/campaign")
    assert "còn 14 ngày" in shown.texts[0]
    assert "1/56 cơ quan đã gửi, 55 chưa gửi, 0 quá hạn" in shown.texts[0]
    assert shown.options == ["Đóng đợt này", "Giữ nguyên"]
    assert await staff.pick("Đóng đợt này") == "Đã đóng đợt #1; không còn nhắc việc."
    assert await campaigns.current_campaign(loaded.uow()) is None
    # A member is refused before any question.
    member = Chat(Dialogs(loaded, _settings()), "81")
    assert "không có quyền" in await member.say("/campaign")
