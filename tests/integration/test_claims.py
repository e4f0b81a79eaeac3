"""Claims of imported records, on every backend: filing on a name and mobile match, who may
list and decide them, what a confirmation and a refusal change, the audit trail, and the /claims
dialog with its messages to other chats and its answers to garbage. The same path on every
channel is in ``tests/e2e/scenarios/test_chat_claims.py``."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.dialogs.engine import Dialogs
from bot.settings import BotSettings
from bot.texts import t
from registry import claims, linking
from registry.errors import Conflict, NotFound, PermissionDenied, ValidationError
from registry.models import ChangeLog, Claim
from registry.uow import Database
from tests.builders import listed, person_of, with_catalog
from tests.integration.chat import Chat
from tests.integration.conftest import Cast, actor


def vi(key: str, **params: object) -> str:
    return t("vi", key, **params)


@pytest.fixture
def dialogs(loaded: Database) -> Dialogs:
    return Dialogs(loaded, BotSettings(_env_file=None))  # type: ignore[call-arg]


async def _file(db: Database, identity: str, mobile: str = "0912 345 678") -> claims.Filed:
    claimant = await actor(db, identity)
    return await claims.file_claim(db.uow(), claimant, 1, full_name="nguyễn văn an", mobile=mobile)


async def _log(db: Database, entity: str) -> list[tuple[str, str, str | None, str | None]]:
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(ChangeLog).where(ChangeLog.entity == entity).order_by(ChangeLog.id)
        )
        return [(r.actor, r.action, r.old_value, r.new_value) for r in rows]


async def test_a_matching_name_and_mobile_file_a_pending_claim_for_the_deciders(
    loaded: Database, cast: Cast
) -> None:
    db = loaded
    await listed(db, source="import")
    filed = await _file(db, "zalo:50")
    assert filed.new and filed.claim.status == "pending" and filed.claim.chat == "zalo:50"
    assert filed.claim.person.full_name == "Nguyễn Văn An"
    # Staff, admins and Lào Cai's focal point are told; Hà Nội's focal point is not.
    told = {f"{c.channel}:{c.external_id}" for c in filed.deciders}
    assert told == {"telegram:1", "telegram:2", "telegram:3"}
    assert await _log(db, "claim") == [("zalo:50", "create", None, "1")]
    assert await person_of(db, "zalo:50") is None  # nothing linked before a decision
    # Filing again gives the same claim back, and tells nobody again.
    again = await _file(db, "zalo:50")
    assert (again.new, again.claim.id, again.deciders) == (False, filed.claim.id, [])


async def test_a_claim_needs_the_records_mobile_and_a_member_without_a_record(
    loaded: Database, cast: Cast
) -> None:
    db = loaded
    await listed(db, source="import")
    with pytest.raises(ValidationError) as refused:
        await _file(db, "zalo:51", mobile="0988 000 222")
    assert refused.value.code == "claim.no_match"
    assert "Nguyễn Văn An" not in vi(f"error.{refused.value.code}")  # names nobody
    with pytest.raises(ValidationError):
        await _file(db, "zalo:51", mobile="abc")  # garbage is refused before any look-up
    with pytest.raises(PermissionDenied):
        await claims.file_claim(
            db.uow(), cast.staff, 1, full_name="Nguyễn Văn An", mobile="0912345678"
        )


async def test_staff_see_every_claim_and_a_focal_point_only_its_agencys(
    loaded: Database, cast: Cast
) -> None:
    db = loaded
    await listed(db, source="import")
    filed = await _file(db, "zalo:52")
    assert [c.id for c in await claims.list_claims(db.uow(), cast.staff)] == [filed.claim.id]
    assert [c.id for c in await claims.list_claims(db.uow(), cast.focal)] == [filed.claim.id]
    assert await claims.list_claims(db.uow(), cast.other_focal) == []
    with pytest.raises(PermissionDenied):
        await claims.list_claims(db.uow(), cast.member)
    with pytest.raises(NotFound):
        await claims.show_claim(db.uow(), cast.other_focal, filed.claim.id)
    with pytest.raises(NotFound):
        await claims.decide_claim(db.uow(), cast.other_focal, filed.claim.id, confirm=True)
    assert await person_of(db, "zalo:52") is None


async def test_a_confirmed_claim_links_the_account_and_is_decided_once(
    loaded: Database, cast: Cast
) -> None:
    db = loaded
    await listed(db, source="import")
    filed = await _file(db, "zalo:53")
    decided = await claims.decide_claim(db.uow(), cast.focal, filed.claim.id, confirm=True)
    assert (decided.status, decided.decided_by) == ("confirmed", "telegram:3")
    assert decided.claimant.channel == "zalo" and decided.claimant.external_id == "53"
    assert await person_of(db, "zalo:53") == 1
    assert await _log(db, "claim") == [
        ("zalo:53", "create", None, "1"),
        ("telegram:3", "decide", "pending", "confirmed"),
    ]
    with pytest.raises(Conflict) as twice:
        await claims.decide_claim(db.uow(), cast.staff, filed.claim.id, confirm=False)
    assert twice.value.code == "claim.decided"
    assert await claims.list_claims(db.uow(), cast.staff) == []


async def test_a_refused_claim_leaves_the_record_alone(loaded: Database, cast: Cast) -> None:
    db = loaded
    await listed(db, source="import")
    filed = await _file(db, "console:54")
    decided = await claims.decide_claim(db.uow(), cast.staff, filed.claim.id, confirm=False)
    assert decided.status == "refused"
    assert await person_of(db, "console:54") is None
    # A second claimant is confirmed later; a claim on a record held meanwhile is refused.
    first = await _file(db, "console:55")
    second = await _file(db, "console:56")
    await claims.decide_claim(db.uow(), cast.staff, first.claim.id, confirm=True)
    with pytest.raises(Conflict) as taken:
        await claims.decide_claim(db.uow(), cast.staff, second.claim.id, confirm=True)
    assert taken.value.code == "claim.record_taken"


@pytest.mark.parametrize("garbage", ["", "abc", "#", "-3", "0", "1" * 40, "1 2"])
def test_a_claim_number_that_is_not_one_is_refused_clearly(garbage: str) -> None:
    with pytest.raises(ValidationError) as refused:
        claims.parse_claim_id(garbage)
    assert refused.value.code == "claim.bad_id"
    assert claims.parse_claim_id(" #12 ") == 12


async def _register(chat: Chat, mobile: str = "0912 345 678") -> str:
    await chat.consent()
    await chat.say("/register")
    await chat.say("lao cai")
    await chat.pick("Tỉnh Lào Cai")
    await chat.say("Nguyễn Văn An")
    await chat.say("Chánh Văn phòng")
    await chat.pick("Người phát ngôn")
    await chat.say(mobile)
    await chat.pick("Bỏ qua")
    await chat.say("an@laocai.gov.vn")
    return str(await chat.pick("Xác nhận"))


async def test_the_claims_dialog_from_register_to_me(
    loaded: Database, cast: Cast, dialogs: Dialogs
) -> None:
    db = loaded
    await listed(db, source="import")
    an = Chat(dialogs, "60", channel="zalo", name="An Zalo")
    filed = await _register(an)
    assert filed == vi(
        "bot.claims.filed", name="Nguyễn Văn An", person_id=1, claim_id=1, agency="Tỉnh Lào Cai"
    )
    told = {(n.channel, n.chat_id) for n in an.notices}
    assert told == {("telegram", "1"), ("telegram", "2"), ("telegram", "3")}
    assert "zalo:60 (An Zalo)" in an.notices[0].text and "/claims" in an.notices[0].text
    assert "/me" in filed and (await an.say("/me")) != ""  # nothing linked yet
    assert await person_of(db, "zalo:60") is None

    member = Chat(dialogs, "61")
    await member.consent()
    assert await member.say("/claims") == "Bạn không có quyền thực hiện thao tác này."
    other = Chat(dialogs, "4", channel="telegram")
    await other.consent()
    assert await other.say("/claims") == vi("bot.claims.none")

    clerk = Chat(dialogs, "2", channel="telegram")
    await clerk.consent()
    assert await clerk.say("/claims abc") == vi("error.claim.bad_id", text="abc")
    assert await clerk.say("/claims 99") == vi("error.claim.not_found", claim_id=99)
    listing = await clerk.say("/claims")
    assert listing == vi("bot.claims.pick", count=1)
    assert listing.options == ["#1 Nguyễn Văn An (Tỉnh Lào Cai) ← zalo:60"]
    assert (await clerk.say("what?")).texts[0] == vi("bot.choose_option")
    shown = await clerk.pick("#1 Nguyễn Văn An (Tỉnh Lào Cai) ← zalo:60")
    assert "zalo:60 (An Zalo)" in shown.texts[0]
    assert shown.texts[1].startswith("#1 Nguyễn Văn An\nCơ quan: Tỉnh Lào Cai")
    assert shown.options == ["Xác nhận", "Từ chối"]
    assert (await clerk.say("yes please")).texts[0] == vi("bot.choose_option")
    done = await clerk.pick("Xác nhận")
    assert done == vi(
        "bot.claims.confirmed", claim_id=1, chat="zalo:60", person_id=1, name="Nguyễn Văn An"
    )
    assert [(n.channel, n.chat_id) for n in clerk.notices] == [("zalo", "60")]
    assert clerk.notices[0].text == vi(
        "bot.claims.told_confirmed", person_id=1, name="Nguyễn Văn An", agency="Tỉnh Lào Cai"
    )
    assert await person_of(db, "zalo:60") == 1
    assert (await an.say("/me")).texts[0].startswith("#1 Nguyễn Văn An")
    assert await clerk.say("/claims") == vi("bot.claims.none")


async def test_another_mobile_is_told_plainly_and_files_nothing(
    loaded: Database, cast: Cast, dialogs: Dialogs
) -> None:
    await listed(loaded, source="import")
    an = Chat(dialogs, "62", channel="zalo")
    answer = await _register(an, mobile="0988 000 222")
    assert answer == vi("bot.claims.no_match", name="Nguyễn Văn An", person_id=1)
    assert "nút" not in answer  # no button to press on Zalo
    assert an.notices == []
    assert await claims.list_claims(loaded.uow(), cast.staff) == []


def test_the_command_line_lists_confirms_and_refuses_claims(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import app
    from registry.settings import get_settings

    path = tmp_path / "spokes.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"

    async def prepare() -> None:
        database = Database(url)
        try:
            await with_catalog(database)
            await listed(database, source="import")
            await listed(database, full_name="Trần Thị Bình", mobile="0988 777 666")
            await _file(database, "zalo:70")
            claimant = await actor(database, "console:71")
            await claims.file_claim(
                database.uow(), claimant, 2, full_name="Trần Thị Bình", mobile="0988777666"
            )
        finally:
            await database.dispose()

    async def linked(identity: str) -> int | None:
        database = Database(url)
        try:
            return await person_of(database, identity)
        finally:
            await database.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("SPOKES_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        table = runner.invoke(app, ["--lang", "en", "claims", "list"])
        assert table.exit_code == 0, table.output
        lines = table.output.splitlines()
        assert len(lines) == 2
        assert lines[0].startswith("#1 ") and "record #1 Nguyễn Văn An" in lines[0]
        assert "zalo:70" in lines[0] and "console:71" in lines[1]
        confirmed = runner.invoke(app, ["--lang", "en", "claims", "confirm", "1"])
        assert confirmed.exit_code == 0, confirmed.output
        assert "Claim #1 confirmed" in confirmed.output
        assert "zalo:70 will be told of this decision" in confirmed.output
        refused = runner.invoke(app, ["claims", "refuse", "#2", "--json"])
        assert refused.exit_code == 0, refused.output
        assert '"status": "refused"' in refused.output
        assert asyncio.run(linked("zalo:70")) == 1
        assert asyncio.run(linked("console:71")) is None
        empty = runner.invoke(app, ["--lang", "en", "claims", "list"])
        assert empty.output.strip() == t("en", "cli.claims.none")
        for garbage in ("abc", "0", "-1"):
            wrong = runner.invoke(app, ["claims", "confirm", "--", garbage])
            assert isinstance(wrong.exception, ValidationError), wrong.output
            assert wrong.exception.code == "claim.bad_id"
        again = runner.invoke(app, ["claims", "confirm", "1"])
        assert isinstance(again.exception, Conflict) and again.exception.code == "claim.decided"
    finally:
        get_settings.cache_clear()


async def test_a_claim_waiting_follows_its_chat_account_when_linked(
    loaded: Database, cast: Cast
) -> None:
    db = loaded
    await listed(db, source="import")
    filed = await _file(db, "zalo:80")
    await actor(db, "telegram:81")
    code, _ = await linking.create_link_code(db.uow(), "telegram", "81")
    await linking.redeem_link_code(db.uow(), "zalo", "80", code)
    waiting = await claims.list_claims(db.uow(), cast.staff)
    assert [(c.id, c.chat) for c in waiting] == [(filed.claim.id, "zalo:80")]
    decided = await claims.decide_claim(db.uow(), cast.staff, filed.claim.id, confirm=True)
    assert (decided.claimant.channel, decided.claimant.external_id) == ("zalo", "80")
    # Both identities are the one person now, and both show the record.
    assert await person_of(db, "telegram:81") == 1
    assert await person_of(db, "zalo:80") == 1


async def test_a_claimants_data_lists_the_claim_and_erasure_removes_it(
    loaded: Database, dialogs: Dialogs
) -> None:
    db = loaded
    await listed(db, source="import")
    an = Chat(dialogs, "62", channel="zalo", name="An Zalo")
    await _register(an)
    answer = await an.say("/mydata")
    data = json.loads(answer.documents[0].content)
    [claim] = data["claims"]
    assert (claim["record"], claim["identity"], claim["status"]) == (1, "zalo:62", "pending")
    await an.say("/erase")
    await an.pick(t("vi", "bot.erase.yes"))
    async with db.uow().reading() as uow:
        assert (await uow.session.scalars(select(Claim))).all() == []
    # Who filed and decided what stays in the change log, without the chat identity.
    assert all("zalo:62" not in (new or "") for _, _, _, new in await _log(db, "claim"))
