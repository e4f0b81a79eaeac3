"""What the bot says, and the steps every scenario takes, in one place.

The expected texts come from the catalogs (``vi(key)``), or are spelled out where the exact
words are the point (a summary, a card). ``register(chat)`` answers the questions of /register
with good answers, stopping before ``until`` or starting after ``after``; a value starting with
"#" picks an option, "@" shares one's own phone number (typed where a channel cannot share).
"""

from __future__ import annotations

from typing import Any

from bot import clock
from bot.texts import has, t
from tests.builders import grant, registered
from tests.e2e.scenarios.driver import Answer, ChatDriver
from tests.e2e.scenarios.stage import Stage

REFUSAL = "Bạn không có quyền thực hiện thao tác này."
LONG = "x" * 5000
EMOJI = "🙂🎉"


def vi(key: str, **params: Any) -> str:
    return t("vi", key, **params)


def en(key: str, **params: Any) -> str:
    return t("en", key, **params)


def unsupported(chat: ChatDriver, language: str = "vi") -> str:
    """What the bot says to a sticker: each channel says what it can read."""
    key = f"bot.unsupported_{chat.channel}"
    return t(language, key if has(key) else "bot.unsupported")


ASK = {
    "agency": vi("bot.register.ask_agency"),
    "full_name": vi("bot.register.ask_full_name"),
    "position": vi("bot.register.ask_position"),
    "role": vi("bot.register.ask_role"),
    "mobile": vi("bot.register.ask_mobile_own"),
    "office_phone": vi("bot.register.ask_office_phone"),
    "email": vi("bot.register.ask_email"),
}
ROLES = [
    "Người đứng đầu",
    "Người phát ngôn",
    "Người được giao nhiệm vụ phát ngôn",
    "Cán bộ đầu mối cung cấp thông tin",
]
SUMMARY_OPTIONS = ["✅ Xác nhận", "✏️ Sửa một mục", "❌ Hủy"]
CONSENT_OPTIONS = ["Tôi đồng ý", "Không đồng ý"]
CONFIRM = "Xác nhận"


def summary(
    *,
    agency: str = "Tỉnh Lào Cai",
    full_name: str = "Nguyễn Văn An",
    position: str = "Chánh Văn phòng UBND tỉnh",
    role: str = "Người phát ngôn",
    mobile: str = "0912 345 678",
    office_phone: str = "—",
    email: str = "an.nv@laocai.gov.vn",
) -> str:
    return "\n".join(
        [
            "Kiểm tra lại thông tin:",
            f"Cơ quan: {agency}",
            f"Họ và tên: {full_name}",
            f"Chức vụ: {position}",
            f"Vai trò: {role}",
            f"Di động: {mobile}",
            f"Điện thoại cố định: {office_phone}",
            f"Email: {email}",
        ]
    )


def card(
    person_id: int = 1,
    *,
    full_name: str = "Nguyễn Văn An",
    agency: str = "Tỉnh Lào Cai",
    position: str = "Chánh Văn phòng UBND tỉnh",
    role: str = "Người phát ngôn",
    mobile: str = "0912 345 678",
    office_phone: str = "—",
    email: str = "an.nv@laocai.gov.vn",
    status: str = "Chờ xác minh",
    confirmed: str | None = None,
) -> str:
    """A record's card as the chat shows it; ``confirmed`` defaults to today (a record
    registered or changed during the test)."""
    return "\n".join(
        [
            f"#{person_id} {full_name}",
            f"Cơ quan: {agency}",
            f"Chức vụ: {position}",
            f"Vai trò: {role}",
            f"Di động: {mobile}",
            f"Điện thoại cố định: {office_phone}",
            f"Email: {email}",
            f"Trạng thái: {status}",
            f"Xác nhận lần cuối: {confirmed or clock.today().strftime('%d/%m/%Y')}",
        ]
    )


async def consent(chat: ChatDriver) -> None:
    started = await chat.say("/start")
    assert started.texts == [vi("bot.start.welcome"), vi("bot.consent.notice")]
    assert started.options == CONSENT_OPTIONS
    assert await chat.pick("Tôi đồng ý") == vi("bot.consent.accepted")


async def member(stage: Stage, number: int, name: str = "An Nguyễn") -> ChatDriver:
    """Someone who has accepted the personal-data notice."""
    chat = stage.meet(number, name)
    await consent(chat)
    return chat


async def registered_member(stage: Stage, number: int) -> ChatDriver:
    """Someone who registered themselves in the chat earlier: record #1 (or the next one), as
    ``card()`` shows it."""
    chat = stage.meet(number)
    await registered(
        stage.db,
        chat.identity,
        position="Chánh Văn phòng UBND tỉnh",
        email="an.nv@laocai.gov.vn",
    )
    return chat


async def staff(
    stage: Stage, number: int, role: str = "staff", agency: str | None = None
) -> ChatDriver:
    """Someone given ``role`` by an admin, who has accepted the notice."""
    chat = stage.meet(number, "Bình Lê")
    await grant(stage.db, chat.identity, role, agency=agency)
    await consent(chat)
    return chat


ANSWERS = {
    # The questions of /register in order and a good answer to each.
    "agency": "lao cai",
    "full_name": "Nguyễn Văn An",
    "position": "Chánh Văn phòng UBND tỉnh",
    "role": "#Người phát ngôn",
    "mobile": "@+84912345678",
    "office_phone": "#Bỏ qua",
    "email": "an.nv@laocai.gov.vn",
    "summary": f"#{CONFIRM}",
}


async def answer(chat: ChatDriver, step: str, value: str) -> Answer:
    if value.startswith("#"):
        return await chat.pick(value[1:])
    if value.startswith("@"):
        return await chat.share_contact(value[1:], own=True)
    if step == "agency":
        picks = await chat.say(value)
        assert "Tỉnh Lào Cai" in picks.options, picks.texts
        return await chat.pick("Tỉnh Lào Cai")
    return await chat.say(value)


async def register(
    chat: ChatDriver, *, until: str | None = None, after: str | None = None, **answers: str
) -> Answer:
    """Answer the questions of /register after ``after`` (from /register itself by default)
    and before ``until`` (all of them by default: confirmed); the bot's last answer."""
    steps = list(ANSWERS)
    if after is None:
        reply = await chat.say("/register")
        assert reply == ASK["agency"], reply.texts
    else:
        steps = steps[steps.index(after) + 1 :]
    for step in steps:
        if step == until:
            break
        reply = await answer(chat, step, answers.get(step, ANSWERS[step]))
    return reply
