"""A person's rights over their data, on every backend: /mydata gives them everything held
about them and nobody else's, /erase leaves nothing personal anywhere in the database, a
withdrawn or erased person registers again as someone new, and exports leave retired people
out unless staff ask (erased people never appear)."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import JSON, LargeBinary, String, Text, select

from bot.dialogs.engine import Dialogs
from bot.roster import roster_labels
from bot.settings import BotSettings
from bot.state import held_files, inbox
from bot.state.models import ChatUpdate
from registry import accounts, directory, people, rights
from registry.actors import Actor
from registry.errors import PermissionDenied, ValidationError
from registry.models import Base, ChangeLog
from registry.roster.export.exporter import export_roster
from registry.uow import Database
from tests.builders import grant, listed, registered
from tests.integration.chat import Chat
from tests.integration.conftest import SYSTEM

AN = {"full_name": "Nguyễn Văn An", "mobile": "0912 345 678", "email": "an.nv@laocai.gov.vn"}
BINH = {
    "full_name": "Trần Thị Bình",
    "mobile": "0988 777 666",
    "email": "binh@hanoi.gov.vn",
    "agency": "Hà Nội",
}
# How An's data may be written anywhere: as typed, normalised, folded for search.
AN_TRACES = ("Nguyễn Văn An", "nguyen van an", "+84912345678", "0912345678", "an.nv@laocai")


@pytest.fixture
def dialogs(loaded: Database) -> Dialogs:
    return Dialogs(loaded, BotSettings(_env_file=None))  # type: ignore[call-arg]


async def _member(db: Database, user: str, **fields: Any) -> int:
    """A member of the console chat ``user`` who registered themselves, with a display name."""
    person_id = await registered(db, f"console:{user}", **fields)
    name = fields.get("full_name")
    await accounts.record_consent(db.uow(), "console", user, display_name=name)
    return person_id


async def _texts_holding(db: Database, needles: tuple[str, ...]) -> list[str]:
    """Every table.column whose stored text (or JSON, or bytes) contains one of ``needles``."""
    found: list[str] = []
    async with db.uow() as uow:
        for table in Base.metadata.sorted_tables:
            columns = [
                c for c in table.columns if isinstance(c.type, String | Text | JSON | LargeBinary)
            ]
            if not columns:
                continue
            for row in await uow.session.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, bytes):
                        text = value.decode("utf-8", "replace")
                    elif isinstance(value, dict | list):
                        text = json.dumps(value, ensure_ascii=False)
                    else:
                        text = str(value)
                    found += [f"{table.name}.{column.name}" for n in needles if n in text]
    return found


async def _mydata(chat: Chat) -> dict[str, Any]:
    answer = await chat.say("/mydata")
    assert len(answer.documents) == 1, answer
    assert answer.documents[0].name.endswith(".json")
    return json.loads(answer.documents[0].content)


async def test_mydata_holds_everything_about_the_person_and_nothing_of_anyone_else(
    dialogs: Dialogs,
) -> None:
    db = dialogs.db
    an = await _member(db, "7", **AN)
    await _member(db, "8", **BINH)
    chat = Chat(dialogs, "7")
    await chat.say("/update")  # a dialog under way: its state is part of the chat data
    data = await _mydata(chat)
    text = json.dumps(data, ensure_ascii=False)
    assert "Trần Thị Bình" not in text and "+84988777666" not in text and "binh@" not in text
    assert "console:8" not in text
    assert set(data["about"]) == {"vi", "en"} and "356/2025" in data["about"]["vi"]
    [record] = data["records"]
    assert record["record"]["id"] == an
    assert record["record"]["full_name"] == "Nguyễn Văn An"
    assert record["published"]["in_roster_exports"] is True
    assert record["published"]["fields"]["mobile"] == "+84912345678"
    assert {e["field"] for e in record["history"]} >= {"full_name", "mobile", "status"}
    [account] = data["accounts"]
    assert account["identity"] == "console:7" and account["display_name"] == "Nguyễn Văn An"
    assert data["consents"][0]["given_at"]
    assert data["chat_data"]["dialog_state"][0]["flow"] == "update"
    assert data["messages_sent_to_you"]["stored"] is False
    # In English, the caption; the file is the same for everyone.
    await chat.say("/lang en")
    assert "everything the system holds" in (await chat.say("/mydata")).texts[0]


async def test_mydata_works_before_any_record_or_consent(dialogs: Dialogs) -> None:
    data = await _mydata(Chat(dialogs, "9"))
    assert data["records"] == [] and data["consents"] == []
    assert [a["identity"] for a in data["accounts"]] == ["console:9"]


async def test_only_the_person_or_staff_get_a_records_data(loaded: Database) -> None:
    an = await _member(loaded, "7", **AN)
    await _member(loaded, "8", **BINH)
    other = (await accounts.open_profile(loaded.uow(), "console", "8")).actor
    with pytest.raises(PermissionDenied):
        await rights.personal_data(loaded.uow(), other, an)
    with pytest.raises(PermissionDenied):
        await rights.erase_person(loaded.uow(), other, an)
    held = await rights.personal_data(loaded.uow(), SYSTEM, an)
    assert held.sections["records"][0]["record"]["id"] == an
    assert held.chats == [("console", "7")]


async def test_erase_asks_first_and_garbage_changes_nothing(dialogs: Dialogs) -> None:
    db = dialogs.db
    an = await _member(db, "7", **AN)
    chat = Chat(dialogs, "7")
    asked = await chat.say("/erase")
    assert "Xóa dữ liệu cá nhân của bạn?" in asked.texts[-1]
    assert asked.options == ["Xóa dữ liệu", "Không"]
    for garbage in ("có lẽ", "9", "🙂" * 50, "x" * 5000):
        again = await chat.say(garbage)
        assert "Hãy chọn một trong các lựa chọn" in again.texts[0], garbage
        assert again.options == ["Xóa dữ liệu", "Không"]
    again = await chat.forge("nonsense")
    assert again.options == ["Xóa dữ liệu", "Không"]
    no = await chat.pick("Không")
    assert "Đã hủy" in no.texts[0]
    assert (await people.show_person(db.uow(), SYSTEM, an)).full_name == "Nguyễn Văn An"


async def test_after_erase_nothing_personal_is_left_anywhere(dialogs: Dialogs) -> None:
    db = dialogs.db
    an = await _member(db, "7", **AN)
    await people.update_field(db.uow(), SYSTEM, an, "position", "Chánh Văn phòng")
    await people.update_field(db.uow(), SYSTEM, an, "note", "gọi Nguyễn Văn An buổi sáng")
    await _member(db, "8", **BINH)
    # Chat-only data: a held list, a kept inbox payload, a dialog under way.
    await held_files.hold(db.uow(), "console", "7", "ds.csv", "Nguyễn Văn An".encode())
    await inbox.store(db.uow(), "console", "u1", "7", "7", {"text": "Nguyễn Văn An"})
    async with db.uow() as uow:
        row = await uow.session.scalar(select(ChatUpdate))
        assert row is not None
        await inbox.mark_handled(uow, row.id)
        row.payload = {"text": "0912345678"}  # as if kept
        await uow.commit()
    assert await _texts_holding(db, AN_TRACES)
    chat = Chat(dialogs, "7")
    await chat.say("/erase")
    done = await chat.pick("Xóa dữ liệu")
    assert "Đã xóa dữ liệu cá nhân" in done.texts[0]
    assert await _texts_holding(db, AN_TRACES) == []
    # Someone else's data is untouched; the trail keeps who and when.
    assert (await directory.find_people(db.uow(), SYSTEM, "Trần Thị Bình")).items
    async with db.uow() as uow:
        entries = (
            await uow.session.execute(
                select(ChangeLog.action, ChangeLog.actor, ChangeLog.at)
                .where(ChangeLog.entity == "person", ChangeLog.entity_id == an)
                .order_by(ChangeLog.id)
            )
        ).all()
    assert tuple(entries[-1][:2]) == ("erase", "console:7")
    assert len(entries) > 5 and all(actor and at for _, actor, at in entries)
    # Gone from find (even among the retired), lists and statistics.
    assert (
        await directory.find_people(db.uow(), SYSTEM, "Nguyễn", include_retired=True)
    ).items == []
    listed_ids = [p.id for p in await directory.list_people(db.uow(), SYSTEM, include_retired=True)]
    assert an not in listed_ids
    stats = await directory.statistics(db.uow(), SYSTEM)
    assert stats.by_status["retired"] == 0
    # Erasing again: nothing left to erase, said plainly.
    with pytest.raises(ValidationError) as error:
        await rights.erase_person(db.uow(), SYSTEM, an)
    assert error.value.code == "rights.erased"


async def test_staff_are_told_when_an_agency_loses_its_only_spokesperson(
    dialogs: Dialogs,
) -> None:
    db = dialogs.db
    await grant(db, "telegram:2", "staff")
    await grant(db, "zalo:3", "admin")
    an = await _member(db, "7", **AN)
    await people.verify_person(db.uow(), SYSTEM, an)
    chat = Chat(dialogs, "7")
    await chat.say("/erase")
    await chat.pick("Xóa dữ liệu")
    assert {(n.channel, n.chat_id) for n in chat.notices} == {("telegram", "2"), ("zalo", "3")}
    assert "Tỉnh Lào Cai" in chat.notices[0].text and "cử người thay thế" in chat.notices[0].text
    # With another verified spokesperson left, nobody is bothered.
    await listed(db, agency="Hà Nội", full_name="Lê Văn Cường", mobile="0977 000 111")
    binh = await _member(db, "8", **BINH)
    await people.verify_person(db.uow(), SYSTEM, binh)
    other = Chat(dialogs, "8")
    await other.say("/erase")
    await other.pick("Xóa dữ liệu")
    assert other.notices == []


async def test_after_withdraw_or_erase_the_person_registers_again_as_new(
    dialogs: Dialogs,
) -> None:
    db = dialogs.db
    an = await _member(db, "7", **AN)
    chat = Chat(dialogs, "7")
    await chat.say("/withdraw")
    done = await chat.pick("Rút khỏi mạng lưới")
    assert any("/register" in text for text in done.texts)
    assert "Gõ /register" in (await chat.say("/update")).texts[0]
    started = await chat.say("/register")
    assert "đã đăng ký" not in str(started)
    assert started.texts[-1].startswith("Bạn thuộc cơ quan nào?")
    await chat.say("/cancel")
    again = await registered(db, "console:7", **AN)
    assert again != an
    assert (await people.show_person(db.uow(), SYSTEM, an)).status == "retired"
    # /mydata shows both: the new record and the one withdrawn from.
    data = await _mydata(chat)
    assert sorted(r["record"]["id"] for r in data["records"]) == [an, again]
    # /erase erases both; then a third registration is new again.
    await chat.say("/erase")
    await chat.pick("Xóa dữ liệu")
    assert await _texts_holding(db, AN_TRACES) == []
    # The consent was for what is gone: it is asked again, then there is no record.
    assert "cần đồng ý" in (await chat.say("/me")).texts[0]
    await chat.pick("Tôi đồng ý")
    assert "Gõ /register" in (await chat.say("/me")).texts[0]
    third = await registered(db, "console:7", **AN)
    assert third not in (an, again)


async def _exported(db: Database, actor: Actor = SYSTEM, **options: Any) -> str:
    target = io.BytesIO()
    await export_roster(
        db.uow(),
        actor,
        target,
        format="csv",
        labels=roster_labels("vi", on=date.today()),
        organisation="Cục Báo chí",
        **options,
    )
    return target.getvalue().decode("utf-8-sig")


async def test_retired_people_leave_exports_unless_staff_ask_and_erased_never_return(
    loaded: Database,
) -> None:
    kept = await listed(loaded, full_name="Lê Văn Cường", mobile="0977 000 111")
    gone = await listed(loaded, full_name="Phạm Thị Dung", mobile="0977 000 222")
    erased = await listed(loaded, full_name="Võ Văn Em", mobile="0977 000 333")
    await people.retire_person(loaded.uow(), SYSTEM, gone.id)
    await rights.erase_person(loaded.uow(), SYSTEM, erased.id)
    default = await _exported(loaded)
    assert kept.full_name in default and gone.full_name not in default
    everyone = await _exported(loaded, include_retired=True)
    assert kept.full_name in everyone and gone.full_name in everyone
    # One line more than by default: the retired person, not the erased one.
    assert everyone.count("\n") == default.count("\n") + 1
    retired_only = await _exported(loaded, status="retired")
    assert gone.full_name in retired_only
    assert retired_only.count("\n") == everyone.count("\n") - 1
    # Retired people are for staff: a focal point asking for them is refused.
    await grant(loaded, "telegram:3", "focal", agency="Lào Cai")
    focal = (await accounts.open_profile(loaded.uow(), "telegram", "3")).actor
    assert kept.full_name in await _exported(loaded, focal)
    with pytest.raises(PermissionDenied):
        await _exported(loaded, focal, include_retired=True)
    with pytest.raises(PermissionDenied):
        await _exported(loaded, focal, status="retired")
