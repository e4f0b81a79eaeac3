"""Every dialog, scripted against the real engine and database (both backends).

The channels only translate; what a person is asked, told and refused is decided here, so these
scripts hold for Telegram, Zalo and the terminal alike.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.dialogs.engine import Dialogs
from bot.dialogs.io import Incoming
from bot.settings import BotSettings
from registry import accounts, directory, people
from registry.models import Account, ChangeLog, Person
from registry.uow import Database
from tests.integration.chat import Chat
from tests.integration.conftest import SYSTEM


def _dialogs(db: Database, **settings: object) -> Dialogs:
    return Dialogs(db, BotSettings(_env_file=None, **settings))  # type: ignore[call-arg]


@pytest.fixture
def dialogs(loaded: Database) -> Dialogs:
    return _dialogs(loaded)


async def _listed(db: Database, **fields: str) -> None:
    """Nguyễn Văn An, spokesperson of Tỉnh Lào Cai, already listed (by staff or an import)."""
    values = {
        "agency": "Lào Cai",
        "full_name": "Nguyễn Văn An",
        "role": "spokesperson",
        "mobile": "0912 345 678",
        **fields,
    }
    await people.register_person(db.uow(), SYSTEM, **values)


async def _count(db: Database, model: type) -> int:
    async with db.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model)) or 0


ANSWERS = {
    # The questions of /register in order, and a good answer to each; "#" presses an option.
    "agency": "Lào Cai",
    "full_name": "Nguyễn Văn An",
    "position": "Chánh Văn phòng UBND tỉnh",
    "role": "#Người phát ngôn",
    "mobile": "0912 345 678",
    "office_phone": "#Bỏ qua",
    "email": "an.nv@laocai.gov.vn",
    "summary": "#Xác nhận",
}


async def _answer(chat: Chat, step: str, value: str) -> str:
    if value.startswith("#"):
        return await chat.pick(value[1:])
    if step == "agency":
        await chat.say(value)
        return await chat.pick("Tỉnh Lào Cai")
    if value.startswith("@"):
        return await chat.share_contact(value[1:], own=True)
    return await chat.say(value)


async def _register(chat: Chat, *, until: str | None = None, **answers: str) -> str:
    """/register, answering every question before ``until`` (all of them by default: the
    registration is confirmed); returns the last answer of the bot."""
    reply = await chat.say("/register")
    for step, default in ANSWERS.items():
        if step == until:
            break
        reply = await _answer(chat, step, answers.get(step, default))
    return reply


# --- consent --------------------------------------------------------------------------------


async def test_start_asks_consent_and_declining_keeps_nothing(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    answer = await chat.say("/start")
    assert "Thông báo về xử lý dữ liệu cá nhân" in answer
    assert "[Tôi đồng ý]" in answer and "[Không đồng ý]" in answer
    assert "Bot không lưu thông tin gì" in await chat.pick("Không đồng ý")
    async with dialogs.db.uow() as uow:
        account = await uow.session.scalar(select(Account).where(Account.external_id == "7"))
        assert account is not None
        assert (account.consented_at, account.display_name) == (None, None)
    # Registering without consent brings the notice back first.
    assert "cần đồng ý" in await chat.say("/register")


async def test_accepting_consent_records_it(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7", name="Anh An")
    await chat.say("/start")
    assert "/register" in await chat.pick("Tôi đồng ý")
    async with dialogs.db.uow() as uow:
        account = await uow.session.scalar(select(Account).where(Account.external_id == "7"))
        assert account is not None and account.consented_at is not None
        assert account.display_name == "Anh An"
    assert "đã đồng ý" in await chat.say("/start")


async def test_start_payload_is_kept_or_refused(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.say("/start invite-tinh-lao-cai")
    state = await _state(dialogs, "7")
    assert state.data["start_payload"] == "invite-tinh-lao-cai"
    assert "không hợp lệ" in await Chat(dialogs, "8").say("/start <script>")


async def _state(dialogs: Dialogs, chat_id: str):
    from bot.state.conversations import load_state

    return await load_state(dialogs.db.uow(), "console", chat_id)


# --- registration ---------------------------------------------------------------------------


async def test_member_registers_and_sees_the_record(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await chat.say("/dangky")
    assert "[Tỉnh Lào Cai]" in await chat.say("lao cai")
    assert "Họ và tên" in await chat.pick("Tỉnh Lào Cai")
    await chat.say("Nguyễn Văn An")
    assert "Vai trò" in await chat.say("Chánh Văn phòng UBND tỉnh")
    assert "di động" in await chat.pick("Người phát ngôn")
    converted = await chat.say("0169.123.4567")
    assert "01691234567" in converted and "0391 234 567" in converted
    await chat.pick("Bỏ qua")
    summary = await chat.say("An.NV@LaoCai.gov.vn")
    assert "Di động: 0391 234 567" in summary and "an.nv@laocai.gov.vn" in summary
    assert await _count(dialogs.db, Person) == 0  # nothing before the confirmation
    done = await chat.pick("Xác nhận")
    assert "Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai)" in done
    person = await people.show_person(dialogs.db.uow(), SYSTEM, 1)
    assert (person.status, person.source, person.mobile) == ("pending", "chat", "+84391234567")
    me = await chat.say("/me")
    assert "#1 Nguyễn Văn An" in me and "Chờ xác minh" in me
    assert "đã đăng ký rồi" in await chat.say("/register")


@pytest.mark.parametrize(
    ("step", "bad", "complaint"),
    [
        ("agency", "   ", "Chưa nhập cơ quan"),
        ("agency", "Atlantis", "Không tìm thấy cơ quan"),
        ("agency", "x" * 5000, "dài quá"),
        ("full_name", "Nguyễn Văn 4n", "không được có chữ số"),
        ("full_name", "🙂🙂🙂", "ký tự không hợp lệ"),
        ("full_name", "x" * 5000, "dài quá"),
        ("position", "x" * 5000, "dài quá"),
        ("mobile", "0913.xxx.xxx", "“xxx”"),
        ("mobile", "1900 1234", "1800/1900"),
        ("mobile", "024 3822 1234", "số cố định"),
        ("office_phone", "0913.xxx.xxx", "“xxx”"),
        ("email", "an.nv.laocai.gov.vn", "dấu @"),
        ("email", '=HYPERLINK("http://x")', "email"),
    ],
)
async def test_a_wrong_answer_says_what_to_fix_and_asks_again(
    dialogs: Dialogs, step: str, bad: str, complaint: str
) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await _register(chat, until=step)
    question_before = chat.pending.text if chat.pending else chat.last[-1].text
    reply = await chat.say(bad)
    assert complaint in reply
    assert question_before.split("\n")[0] in reply  # the same question again
    assert await _count(dialogs.db, Person) == 0


async def test_stickers_and_stale_buttons_change_nothing(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await chat.say("/register")
    await chat.say("Lào Cai")
    agency_question = chat.pending
    assert agency_question is not None
    await chat.pick("Tỉnh Lào Cai")
    before = await _state(dialogs, "7")
    assert "chỉ đọc được" in await chat.send_sticker()
    assert "hết hiệu lực" in await chat.press(agency_question, agency_question.options[0].key)
    assert "hết hiệu lực" in await chat.press(agency_question, "forged-999")
    after = await _state(dialogs, "7")
    assert (after.step, after.data) == (before.step, before.data)
    assert "Chức vụ" in await chat.say("Nguyễn Văn An")


async def test_only_the_senders_own_contact_is_accepted(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await _register(chat, until="mobile")
    assert chat.pending is not None and chat.pending.ask_contact
    assert "chính bạn" in await chat.share_contact("+84 988 000 111", own=False)
    assert "cố định" in await chat.share_contact("84912345678", own=True)
    await _register_rest(chat, after="mobile")
    person = await people.show_person(dialogs.db.uow(), SYSTEM, 1)
    assert person.mobile == "+84912345678"


async def _register_rest(chat: Chat, *, after: str) -> str:
    """Answer the questions that follow ``after`` with the good answers."""
    steps = list(ANSWERS)
    reply = ""
    for step in steps[steps.index(after) + 1 :]:
        reply = await _answer(chat, step, ANSWERS[step])
    return reply


async def test_edit_a_field_from_the_summary(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await _register(chat, until="summary", full_name="Nguyen Van An")
    await chat.pick("Sửa một mục")
    assert "Họ và tên" in await chat.pick("Họ và tên")
    summary = await chat.say("Nguyễn Văn An")
    assert "Kiểm tra lại" in summary and "Họ và tên: Nguyễn Văn An" in summary
    await chat.pick("Sửa một mục")
    await chat.pick("Điện thoại cố định")
    summary = await chat.say("(0214) 3840 888 máy lẻ 12")
    assert "Điện thoại cố định: 0214 3840 888 ext. 12" in summary
    await chat.pick("Xác nhận")
    person = await people.show_person(dialogs.db.uow(), SYSTEM, 1)
    assert (person.full_name, person.office_ext) == ("Nguyễn Văn An", "12")


@pytest.mark.parametrize(
    ("until", "how"),
    [
        ("position", "/cancel"),
        ("role", "hủy"),
        ("mobile", "huy"),
        ("email", "cancel"),
        ("summary", "#Hủy"),
    ],
)
async def test_cancel_at_any_step_keeps_nothing(dialogs: Dialogs, until: str, how: str) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await _register(chat, until=until)
    answer = await _answer(chat, "cancel", how)
    assert "Đã hủy" in answer
    assert await _count(dialogs.db, Person) == 0
    assert (await _state(dialogs, "7")).flow is None
    assert "Không có việc gì" in await chat.say("/cancel")


async def test_a_restart_continues_the_dialog(loaded: Database) -> None:
    chat = Chat(_dialogs(loaded), "7")
    await chat.consent()
    await _register(chat, until="position")
    # A new process: a new engine and a new database handle on the same database.
    again = Database(loaded.url)
    try:
        chat.dialogs = _dialogs(again)
        assert "Vai trò" in await chat.say("Chánh VP")
        assert "Đã đăng ký" in await _register_rest(chat, after="position")
    finally:
        await again.dispose()


async def test_an_abandoned_dialog_expires(loaded: Database) -> None:
    chat = Chat(_dialogs(loaded, dialog_idle_hours=0.0001), "7")  # 0.36 s
    await chat.consent()
    await chat.say("/register")
    await asyncio.sleep(0.5)
    answer = await chat.say("Lào Cai")
    assert "quá lâu nên đã được hủy" in answer
    assert "Bot chưa hiểu" in answer  # the text is no longer an answer to anything
    assert "quá lâu" not in await chat.say("Lào Cai")  # said once, not at every message


# --- duplicates -----------------------------------------------------------------------------


async def test_staff_registering_a_duplicate_is_offered_an_update(dialogs: Dialogs) -> None:
    await accounts.grant(dialogs.db.uow(), SYSTEM, "console:2", "staff")
    await people.register_person(
        dialogs.db.uow(),
        SYSTEM,
        agency="Lào Cai",
        full_name="Nguyễn Văn An",
        role="press_contact",
        mobile="0988 000 111",
    )
    staff = Chat(dialogs, "2")
    await staff.consent()
    answer = await _register(staff)
    assert "đã có trong danh sách" in answer and "#1" in answer
    done = await staff.pick("Đồng ý")
    assert "Đã cập nhật bản ghi #1" in done
    person = await people.show_person(dialogs.db.uow(), SYSTEM, 1)
    assert (person.role, person.mobile) == ("spokesperson", "+84912345678")
    assert await _count(dialogs.db, Person) == 1


async def test_member_claims_an_imported_record_with_their_own_contact(dialogs: Dialogs) -> None:
    await _listed(dialogs.db, source="import")
    member = Chat(dialogs, "7")
    await member.consent()
    answer = await _register(
        member, position="Phó Chánh Văn phòng", mobile="@+84912345678", email="an@laocai.gov.vn"
    )
    assert "đúng số điện thoại của bạn" in answer
    assert "Đã cập nhật bản ghi #1" in await member.pick("Đồng ý")
    me = await member.say("/me")
    assert "Phó Chánh Văn phòng" in me and "an@laocai.gov.vn" in me


async def test_member_typing_a_duplicate_is_sent_to_the_focal_point(dialogs: Dialogs) -> None:
    await _listed(dialogs.db)
    member = Chat(dialogs, "7")
    await member.consent()
    answer = await _register(member, mobile="0988 000 222")
    assert "liên hệ đầu mối" in answer
    assert (await people.show_person(dialogs.db.uow(), SYSTEM, 1)).mobile == "+84912345678"
    assert await _count(dialogs.db, Person) == 1


# --- a member's own record --------------------------------------------------------------------


async def test_update_my_mobile_with_confirmation(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await _register(chat)
    await chat.say("/capnhat")
    await chat.pick("Điện thoại di động")
    assert "Đổi" in await chat.say("0127 123 4567")
    done = await chat.pick("Đồng ý")
    assert "Đã cập nhật" in done and "0811234567" in done.replace(" ", "")
    person = await people.show_person(dialogs.db.uow(), SYSTEM, 1)
    assert person.mobile == "+84811234567"


async def test_update_refused_when_the_record_changed_meanwhile(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await _register(chat)
    await chat.say("/update")
    await chat.pick("Chức vụ")
    await chat.say("Giám đốc Sở")
    await people.update_field(dialogs.db.uow(), SYSTEM, 1, "position", "Phó Giám đốc Sở")
    assert "người khác thay đổi" in await chat.pick("Đồng ý")
    assert (await people.show_person(dialogs.db.uow(), SYSTEM, 1)).position == "Phó Giám đốc Sở"


async def test_withdraw_retires_and_keeps_the_trail(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await _register(chat)
    changes = await _count(dialogs.db, ChangeLog)
    await chat.say("/withdraw")
    assert "Bạn đã rút khỏi mạng lưới" in await chat.pick("Rút khỏi mạng lưới")
    assert "Đã thôi" in await chat.say("/me")
    assert await _count(dialogs.db, ChangeLog) == changes + 1
    assert await directory.list_people(dialogs.db.uow(), SYSTEM) == []


# --- staff ----------------------------------------------------------------------------------


async def _staff(dialogs: Dialogs, role: str = "staff", agency: str | None = None) -> Chat:
    await accounts.grant(dialogs.db.uow(), SYSTEM, "console:2", role, agency=agency)
    chat = Chat(dialogs, "2")
    await chat.consent()
    return chat


async def test_find_pages_and_opens_a_person(dialogs: Dialogs) -> None:
    for i, given in enumerate(["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Khánh"]):
        await people.register_person(
            dialogs.db.uow(),
            SYSTEM,
            agency="Hà Nội",
            full_name=f"Trần Văn {given}",
            role="press_contact",
            mobile=f"0988 111 {200 + i}",
        )
    staff = await _staff(dialogs)
    first = await staff.say("/tim tran van")
    assert "(1–5)" in first and "Trần Văn An" in first and "Trần Văn Khánh" not in first
    second = await staff.pick("Trang sau")
    assert "(6–7)" in second and "Trần Văn Khánh" in second
    assert "(1–5)" in await staff.pick("Trang trước")
    card = await staff.pick("Trần Văn Bình")
    assert "Thành phố Hà Nội" in card and "Các thay đổi gần đây" in card
    assert "Không tìm thấy" in await staff.say("/find 0912 000 000")
    assert "“xxx”" in await staff.say("/find 0913.xxx.xxx")


async def test_agency_missing_stats_person_verify_retire(dialogs: Dialogs) -> None:
    member = Chat(dialogs, "7")
    await member.consent()
    await _register(member)
    staff = await _staff(dialogs)
    assert "Tỉnh Lào Cai (1 người)" in await staff.say("/agency UBND tỉnh Lào Cai")
    assert "Tỉnh Quảng Ninh" in await staff.say("/agency Quảng")
    assert "chưa có ai" in await staff.pick("Quảng Ninh")
    assert "55 cơ quan chưa cử người" in await staff.say("/missing")
    stats = await staff.say("/stats")
    assert "Tỉnh: 1/28" in stats and "Người trong mạng lưới: 1" in stats
    assert "Chờ xác minh" in await staff.say("/person 1")
    assert "Đã xác minh #1" in await staff.say("/verify 1")
    assert "thôi tham gia" in await staff.say("/retire 1")
    assert "đã thôi tham gia mạng lưới" in await staff.pick("Đồng ý")
    assert "không phải số bản ghi" in await staff.say("/person abc")
    assert "Không có người nào mang số #999" in await staff.say("/person 999")


@pytest.mark.parametrize(
    "command",
    [
        "/find an",
        "/tim an",
        "/agency Lào Cai",
        "/missing",
        "/stats",
        "/person 1",
        "/verify 1",
        "/retire 1",
        "/update 1",
        "/grant console:9 staff",
        "/revoke console:2",
    ],
)
async def test_members_are_refused_politely(dialogs: Dialogs, command: str) -> None:
    await _listed(dialogs.db)
    member = Chat(dialogs, "7")
    await member.consent()
    answer = await member.say(command)
    assert answer == "Bạn không có quyền thực hiện thao tác này."
    assert (await people.show_person(dialogs.db.uow(), SYSTEM, 1)).status == "verified"


async def test_focal_point_works_within_its_agency(dialogs: Dialogs) -> None:
    await people.register_person(
        dialogs.db.uow(),
        SYSTEM,
        agency="Hà Nội",
        full_name="Lê Thị Hà",
        role="spokesperson",
        mobile="0988 000 333",
    )
    focal = await _staff(dialogs, "focal", agency="Lào Cai")
    assert "Đăng ký người của Tỉnh Lào Cai" in await focal.say("/register")
    await focal.say("Giàng A Páo")
    await focal.say("Chuyên viên")
    await focal.pick("Cán bộ đầu mối")
    await focal.say("0912 345 678")
    await focal.pick("Bỏ qua")
    await focal.say("pao@laocai.gov.vn")
    assert "Đã đăng ký #2" in await focal.pick("Xác nhận")
    assert (await people.show_person(dialogs.db.uow(), SYSTEM, 2)).status == "verified"
    assert "Không tìm thấy" in await focal.say("/find Lê Thị Hà")  # another agency
    assert await focal.say("/person 1") == "Bạn không có quyền thực hiện thao tác này."
    assert await focal.say("/missing") == "Bạn không có quyền thực hiện thao tác này."


async def test_admin_grants_and_revokes(dialogs: Dialogs) -> None:
    admin = await _staff(dialogs, "admin")
    newcomer = Chat(dialogs, "9")
    await newcomer.say("/start")
    assert "Chưa có tài khoản" in await admin.say("/grant console:404 staff")
    assert "quyền cán bộ Cục Báo chí" in await admin.say("/grant 9 staff")
    assert "Không tìm thấy ai với “nguyen”" in await newcomer.say("/find nguyen")
    assert "trở lại thành viên" in await admin.say("/revoke console:9")
    assert await newcomer.say("/stats") == "Bạn không có quyền thực hiện thao tác này."
    assert "Cách dùng" in await admin.say("/grant")
    assert "Đầu mối phải gắn với một cơ quan" in await admin.say("/grant 9 focal")
    assert "tp-hue" in await admin.say("/grant 9 focal Huế")


# --- language, help, garbage ------------------------------------------------------------------


async def test_language_switch_and_help(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    assert "/register" in await chat.say("/help")
    assert "/find" not in chat.text
    await chat.say("/lang")
    assert "Switched to English" in await chat.pick("English")
    assert "I agree" in await chat.say("/start")
    assert "There is no command /xyz" in await chat.say("/xyz")
    assert "Chuyển" not in await chat.say("/lang vi") and "tiếng Việt" in chat.text
    staff = await _staff(dialogs)
    assert "/find" in await staff.say("/help")


async def test_text_outside_a_dialog_gets_a_hint(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    assert "/help" in await chat.say("xin chào")
    assert "/help" in await chat.say("x" * 5000)


REFUSAL = "Bạn không có quyền thực hiện thao tác này."
STAFF_COMMANDS = {
    # command: roles allowed (a focal point answers for Tỉnh Lào Cai, where #1 works)
    "/find nguyen": {"focal", "staff", "admin"},
    "/agency Lào Cai": {"focal", "staff", "admin"},
    "/agency Hà Nội": {"staff", "admin"},
    "/missing": {"staff", "admin"},
    "/stats": {"staff", "admin"},
    "/person 1": {"focal", "staff", "admin"},
    "/verify 1": {"focal", "staff", "admin"},
    "/retire 1": {"focal", "staff", "admin"},
    "/update 1": {"focal", "staff", "admin"},
    "/grant console:9 staff": {"admin"},
    "/revoke console:9": {"admin"},
}


@pytest.mark.parametrize("role", ["member", "focal", "staff", "admin"])
@pytest.mark.parametrize("command", list(STAFF_COMMANDS))
async def test_staff_and_admin_command_matrix(dialogs: Dialogs, command: str, role: str) -> None:
    await _listed(dialogs.db)
    await Chat(dialogs, "9").say("/start")  # someone who has talked to the bot
    if role != "member":
        await accounts.grant(
            dialogs.db.uow(),
            SYSTEM,
            "console:2",
            role,
            agency="Lào Cai" if role == "focal" else None,
        )
    chat = Chat(dialogs, "2")
    await chat.consent()
    answer = await chat.say(command)
    if role in STAFF_COMMANDS[command]:
        assert REFUSAL not in answer, answer
    else:
        assert answer == REFUSAL


# --- files: export, template, import ---------------------------------------------------------

CSV_LIST = (
    "\ufeffSTT,Cơ quan,Họ và tên,Chức vụ,Vai trò,SĐT,Email\n"
    "1,UBND tỉnh Lào Cai,Nguyễn Văn An,Chánh Văn phòng,Người phát ngôn,0169.123.4567,an@laocai.gov.vn\n"
    "2,TP. Hồ Chí Minh,Trần Thị Bình,Phó Chánh Văn phòng,Người phát ngôn,0912 345 678,binh@tphcm.gov.vn\n"
    "3,Atlantis,Lê Văn Cường,Chuyên viên,Người phát ngôn,0988 111 222,cuong@x.gov.vn\n"
).encode()


async def test_staff_exports_the_roster_and_the_template(dialogs: Dialogs) -> None:
    staff = await _staff(dialogs)
    await _listed(dialogs.db)
    assert "[Excel (.xlsx) để in]" in await staff.say("/export")
    caption = await staff.pick("Excel")
    assert "1 người; 55 cơ quan chưa cử người" in caption
    [roster] = staff.documents
    assert roster.name.endswith(".xlsx") and roster.content[:2] == b"PK"
    await staff.say("/export vcf")
    [cards_file] = staff.documents
    assert "FN:Nguyễn Văn An" in cards_file.content.decode()
    await staff.say("/template")
    [blank] = staff.documents
    assert blank.content[:2] == b"PK" and "Mẫu danh sách" in staff.text
    assert "pdf" in await staff.say("/export pdf") and staff.documents == []


async def test_members_cannot_export_or_import(dialogs: Dialogs) -> None:
    member = Chat(dialogs, "7")
    await member.consent()
    assert await member.say("/export xlsx") == REFUSAL
    assert await member.send_file("list.csv", CSV_LIST) == REFUSAL
    assert member.documents == []
    assert await _count(dialogs.db, Person) == 0


async def test_import_a_list_sent_in_the_chat(dialogs: Dialogs) -> None:
    staff = await _staff(dialogs)
    summary = await staff.send_file("danh-sach.csv", CSV_LIST)
    assert "chạy thử" in summary and "Thêm mới 2" in summary and "lỗi 1" in summary
    assert await _count(dialogs.db, Person) == 0  # the dry run wrote nothing
    done = await staff.pick("Ghi vào danh sách")
    assert "Đã ghi vào danh sách" in done
    [report] = staff.documents
    assert report.name == "bao-cao-danh-sach.xlsx"
    found = await directory.find_people(dialogs.db.uow(), SYSTEM, "0391 234 567")
    assert [p.full_name for p in found.items] == ["Nguyễn Văn An"]
    # The same file again changes nothing: no question, just the summary and the report.
    again = await staff.send_file("danh-sach.csv", CSV_LIST)
    assert "Thêm mới 0, cập nhật 0, không đổi 2" in again
    assert "Ghi vào danh sách" not in again
    assert await _count(dialogs.db, Person) == 2


async def test_an_import_can_be_declined_and_garbage_is_refused(dialogs: Dialogs) -> None:
    staff = await _staff(dialogs)
    await staff.send_file("danh-sach.csv", CSV_LIST)
    assert "Đã hủy" in await staff.pick("Không")
    assert await _count(dialogs.db, Person) == 0
    assert "không phải bảng tính" in await staff.send_file(
        "photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"0" * 100
    )
    assert "Tệp rỗng" in await staff.send_file("empty.csv", b"")
    too_big = Incoming("file", file_name="big.xlsx", file_size=50_000_000)
    assert "quá giới hạn" in await staff.send(too_big)
    assert await _count(dialogs.db, Person) == 0


async def test_register_needs_mobile_position_and_email(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await _register(chat, until="position")
    assert "Chức vụ: chưa nhập" in await chat.say("   ")
    await chat.say("Chánh Văn phòng")
    await chat.pick("Người phát ngôn")
    assert "Chưa nhập số điện thoại" in await chat.say("  ")
    await chat.say("0912 345 678")
    await chat.pick("Bỏ qua")
    assert "Chưa nhập địa chỉ email" in await chat.say("  ")
    assert "Kiểm tra lại" in await chat.say("an@laocai.gov.vn")


async def test_update_to_blank_says_the_field_is_removed(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await _register(chat)
    await chat.say("/update")
    await chat.pick("Thư điện tử")
    assert "Xóa Thư điện tử?" in await chat.say("  ")
    await chat.pick("Đồng ý")
    assert (await people.show_person(dialogs.db.uow(), SYSTEM, 1)).email is None


async def test_the_invitation_survives_the_consent(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.say("/start moi-lao-cai")
    await chat.pick("Tôi đồng ý")
    assert (await _state(dialogs, "7")).data["start_payload"] == "moi-lao-cai"


async def test_a_forged_key_for_the_current_question_asks_it_again(dialogs: Dialogs) -> None:
    chat = Chat(dialogs, "7")
    await chat.consent()
    await chat.say("/register")
    await chat.say("Quảng")
    question = chat.pending
    assert question is not None
    answer = await chat.press(question, "999999")
    assert "Hãy chọn một trong các lựa chọn" in answer and "[Tỉnh Quảng Ninh]" in answer
