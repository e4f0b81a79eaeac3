"""/broadcast on every channel: staff choose who, write the text, see the preview with the
number of chats per channel, and confirm; garbage at every question leaves it asked again, and
nothing is stored until the confirmation. A member and a focal point are refused."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot import clock
from bot.state import broadcasts
from bot.state.broadcasts import BODY_MAX
from registry.actors import Actor
from tests.builders import grant
from tests.e2e.scenarios.script import EMOJI, LONG, REFUSAL, member, staff, vi
from tests.e2e.scenarios.stage import Stage

SEGMENTS = [
    "Toàn bộ mạng lưới",
    "Một loại cơ quan",
    "Các cơ quan chưa gửi danh sách",
    "Các cán bộ đầu mối",
    "Một cơ quan",
]
TEXT = "Kính gửi các đồng chí: họp trực tuyến lúc 9:00 thứ Hai, 7/12."
STAFF = Actor.system("test")


def _confirm_options() -> list[str]:
    """At night, staff may also send at once (the default quiet hours, the real clock)."""
    quiet = clock.in_quiet_hours(datetime.now(UTC), time(21), time(7))
    return ["Gửi", *(["Gửi ngay, kể cả ban đêm"] if quiet else []), "Hủy"]


async def _recipients(stage: Stage) -> None:
    await grant(stage.db, "telegram:9001", "focal", agency="Lào Cai")
    await grant(stage.db, "zalo:z-9002", "focal", agency="Hà Nội")


async def test_staff_broadcast_to_a_kind_of_agency_through_garbage_at_every_question(
    stage: Stage,
) -> None:
    await _recipients(stage)
    binh = await staff(stage, 780)
    asked = await binh.say("/broadcast")
    assert asked == vi("bot.broadcast.ask_segment")
    assert asked.options == SEGMENTS
    again = await binh.say("tất cả mọi người ở đâu")  # not one of the options
    assert again.texts[0] == vi("bot.choose_option") and again.options == SEGMENTS
    kinds = await binh.pick("Một loại cơ quan")
    assert kinds == vi("bot.broadcast.ask_kind") and "Tỉnh" in kinds.options
    assert (await binh.say(EMOJI)).texts[0] == vi("bot.choose_option")
    ask_body = vi("bot.broadcast.ask_body", max=BODY_MAX)
    assert await binh.pick("Tỉnh") == ask_body
    too_long = await binh.say(LONG)
    assert "5000" in too_long and str(BODY_MAX) in too_long
    assert await broadcasts.latest(stage.db.uow(), STAFF) == []
    preview = await binh.say(TEXT)
    assert "📣 CỤC BÁO CHÍ:" in preview and TEXT in preview
    assert "Người nhận: 1 cuộc trò chuyện (Telegram 1, Zalo 0)." in preview
    assert preview.options == _confirm_options()
    assert (await binh.say("để mai tính")).texts[0] == vi("bot.choose_option")
    assert await broadcasts.latest(stage.db.uow(), STAFF) == []  # nothing before the yes
    queued = await binh.pick("Gửi")
    [stored] = await broadcasts.latest(stage.db.uow(), STAFF)
    key = "bot.broadcast.queued_no_report" if binh.channel == "console" else "bot.broadcast.queued"
    assert queued == vi(key, id=stored.id, total=1)
    assert stored.recipients == 1 and stored.body == TEXT and not stored.urgent
    assert stored.segment.target == "province" and stored.author == binh.identity
    assert await binh.say("Gửi") == vi("bot.not_understood")  # the dialog is over


async def test_staff_broadcast_to_one_agency_typed_by_name_then_cancelled(stage: Stage) -> None:
    await _recipients(stage)
    binh = await staff(stage, 781)
    await binh.say("/broadcast")
    assert await binh.pick("Một cơ quan") == vi("bot.broadcast.ask_agency")
    unknown = await binh.say("Bộ Không Tồn Tại Ở Đâu Cả")
    assert vi("bot.broadcast.ask_body", max=BODY_MAX) not in unknown
    assert await binh.say("Thành phố Hà Nội") == vi("bot.broadcast.ask_body", max=BODY_MAX)
    preview = await binh.say(TEXT)
    assert "(Telegram 0, Zalo 1)" in preview
    assert await binh.pick("Hủy") == vi("bot.broadcast.cancelled")
    assert await broadcasts.latest(stage.db.uow(), STAFF) == []


async def test_a_segment_nobody_can_be_reached_in_says_so_and_stores_nothing(
    stage: Stage,
) -> None:
    binh = await staff(stage, 782)
    await binh.say("/broadcast")
    await binh.pick("Các cán bộ đầu mối")
    assert await binh.say(TEXT) == vi("bot.broadcast.nobody")
    assert await broadcasts.latest(stage.db.uow(), STAFF) == []


async def test_a_member_and_a_focal_point_cannot_broadcast(stage: Stage) -> None:
    await _recipients(stage)
    an = await member(stage, 783)
    focal = await staff(stage, 784, "focal", agency="Lào Cai")
    for someone in (an, focal):
        assert await someone.say("/broadcast") == REFUSAL
        assert "/broadcast" not in await someone.say("/help")
    assert await broadcasts.latest(stage.db.uow(), STAFF) == []
