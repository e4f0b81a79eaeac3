"""/link: one person, two chat accounts, on every backend.

The use cases (codes, merge rules, reads through the root), then ``spokes accounts list``. The
dialog, as a person sees it on every channel, is in ``tests/e2e/scenarios/test_chat_link.py``.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from registry import accounts, linking, people
from registry.accounts import Profile
from registry.errors import Conflict, RegistryError, ValidationError
from registry.models import Account, AccountRole, ChangeLog, LinkCode, utcnow
from registry.uow import Database
from tests.integration.conftest import SYSTEM


async def _profile(db: Database, identity: str) -> Profile:
    channel, external_id = identity.split(":")
    return await accounts.open_profile(db.uow(), channel, external_id)


async def _code(db: Database, identity: str) -> str:
    await _profile(db, identity)  # the account exists once its person has written
    channel, external_id = identity.split(":")
    code, _ = await linking.create_link_code(db.uow(), channel, external_id)
    return code


async def _redeem(db: Database, identity: str, code: str):
    await _profile(db, identity)
    channel, external_id = identity.split(":")
    return await linking.redeem_link_code(db.uow(), channel, external_id, code)


async def _register(db: Database, identity: str, name: str, mobile: str) -> int:
    """A member registering themselves (consent first, as the dialog does)."""
    channel, external_id = identity.split(":")
    await _profile(db, identity)
    await accounts.record_consent(db.uow(), channel, external_id, display_name=None)
    actor = (await _profile(db, identity)).actor
    result = await people.register_person(
        db.uow(), actor, agency="Lào Cai", full_name=name, role="spokesperson", mobile=mobile
    )
    return result.person.id


async def _accounts(db: Database) -> dict[str, tuple[object, ...]]:
    """Every stored account as (role, agency_id, person_id, linked_to_id, consented)."""
    async with db.uow() as uow:
        rows = await uow.session.scalars(select(Account))
        return {
            f"{a.channel}:{a.external_id}": (
                a.role,
                a.agency_id,
                a.person_id,
                a.linked_to_id,
                a.consented_at is not None,
            )
            for a in rows
        }


async def _count(db: Database, model: type, *where: object) -> int:
    async with db.uow() as uow:
        statement = select(func.count()).select_from(model)
        for condition in where:
            statement = statement.where(condition)  # type: ignore[arg-type]
        return await uow.session.scalar(statement) or 0


def _same_person(first: Profile, second: Profile) -> None:
    a, b = first.actor, second.actor
    assert (a.role, a.agency_id, a.person_id, a.account_id) == (
        b.role,
        b.agency_id,
        b.person_id,
        b.account_id,
    )
    assert a.label != b.label


# --- codes ----------------------------------------------------------------------------------


async def test_a_code_is_eight_unambiguous_characters_valid_ten_minutes(loaded: Database) -> None:
    await _profile(loaded, "telegram:5")
    before = utcnow()
    code, expires_at = await linking.create_link_code(loaded.uow(), "telegram", "5")
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", code), code
    assert before + timedelta(minutes=10) <= expires_at <= utcnow() + timedelta(minutes=10)
    async with loaded.uow() as uow:
        stored = await uow.session.get(LinkCode, code.replace("-", ""))
        assert stored is not None and stored.expires_at == expires_at
    # Codes are random: a handful never repeat and use more than a few letters.
    codes = {await _code(loaded, f"console:{n}") for n in range(20)}
    assert len(codes) == 20
    assert len(set("".join(codes)) - {"-"}) > 10


async def test_a_new_code_replaces_the_old_one(loaded: Database) -> None:
    first = await _code(loaded, "telegram:5")
    second = await _code(loaded, "telegram:5")
    assert first != second
    assert await _count(loaded, LinkCode) == 1
    with pytest.raises(ValidationError) as refused:
        await _redeem(loaded, "zalo:abc", first)
    assert refused.value.code == "link.bad_code"
    await _redeem(loaded, "zalo:abc", second)


async def test_the_code_is_made_for_the_root(loaded: Database) -> None:
    await _redeem(loaded, "zalo:abc", await _code(loaded, "telegram:5"))
    # Made from the linked identity, the code still joins a third chat to the same person.
    code = await _code(loaded, "zalo:abc")
    async with loaded.uow() as uow:
        root_id = await uow.session.scalar(select(Account.id).where(Account.external_id == "5"))
        owner = await uow.session.scalar(
            select(LinkCode.account_id).where(LinkCode.code == code.replace("-", ""))
        )
    assert owner is not None and owner == root_id
    view = await _redeem(loaded, "console:9", code)
    assert view.linked_to == "telegram:5"


# --- linking ---------------------------------------------------------------------------------


async def test_a_code_redeemed_makes_one_person(loaded: Database) -> None:
    person_id = await _register(loaded, "telegram:5", "Nguyễn Văn An", "0912 345 678")
    await accounts.grant(loaded.uow(), SYSTEM, "telegram:5", "focal", agency="Lào Cai")
    code = await _code(loaded, "telegram:5")
    view = await _redeem(loaded, "zalo:abc", code.lower().replace("-", ""))
    assert (view.identity, view.linked_to, view.role) == ("zalo:abc", "telegram:5", "focal")
    assert (view.agency_code, view.agency_name) == ("tinh-lao-cai", "Tỉnh Lào Cai")
    assert view.person_id == person_id
    telegram, zalo = await _profile(loaded, "telegram:5"), await _profile(loaded, "zalo:abc")
    _same_person(telegram, zalo)
    assert zalo.actor.role is AccountRole.focal and zalo.actor.person_id == person_id
    assert (telegram.actor.label, zalo.actor.label) == ("telegram:5", "zalo:abc")
    # The Zalo chat may now see the record as its own.
    shown = await people.show_person(loaded.uow(), zalo.actor, person_id)
    assert shown.full_name == "Nguyễn Văn An"
    listed = {v.identity: v for v in await accounts.list_accounts(loaded.uow(), SYSTEM)}
    assert (listed["zalo:abc"].role, listed["zalo:abc"].agency_code) == ("focal", "tinh-lao-cai")
    assert (listed["zalo:abc"].linked_to, listed["telegram:5"].linked_to) == ("telegram:5", None)
    assert listed["zalo:abc"].person_id == person_id
    focal = await accounts.list_accounts(loaded.uow(), SYSTEM, role="focal")
    assert sorted(v.identity for v in focal) == ["telegram:5", "zalo:abc"]


async def test_accepted_formats_of_a_code(loaded: Database) -> None:
    for n, written in enumerate(["{}", "{lower}", "  {bare}  ", "{bare_lower}", " {spaced} "]):
        code = await _code(loaded, f"telegram:{n}")
        bare = code.replace("-", "")
        text = written.format(
            code,
            lower=code.lower(),
            bare=bare,
            bare_lower=bare.lower(),
            spaced=f"{bare[:4]} {bare[4:]}",
        )
        view = await _redeem(loaded, f"zalo:{n}", text)
        assert view.linked_to == f"telegram:{n}", written


@pytest.mark.parametrize(
    ("code_side", "sender_side", "expected"),
    [
        (("member", None), ("staff", None), ("staff", None)),
        (("staff", None), ("member", None), ("staff", None)),
        (("focal", "Lào Cai"), ("admin", None), ("admin", None)),
        (("member", None), ("focal", "Hà Nội"), ("focal", "tp-ha-noi")),
        (("focal", "Lào Cai"), ("member", None), ("focal", "tinh-lao-cai")),
        (("staff", None), ("focal", "Hà Nội"), ("staff", None)),
    ],
    ids=["sender-higher", "root-higher", "admin-wins", "focal-agency-moves", "focal-kept", "staff"],
)
async def test_the_higher_role_is_kept(
    loaded: Database,
    code_side: tuple[str, str | None],
    sender_side: tuple[str, str | None],
    expected: tuple[str, str | None],
) -> None:
    for identity, (role, agency) in (("telegram:5", code_side), ("zalo:abc", sender_side)):
        await _profile(loaded, identity)
        await accounts.grant(loaded.uow(), SYSTEM, identity, role, agency=agency)
    view = await _redeem(loaded, "zalo:abc", await _code(loaded, "telegram:5"))
    assert (view.role, view.agency_code) == expected
    listed = {v.identity: v for v in await accounts.list_accounts(loaded.uow(), SYSTEM)}
    for identity in ("telegram:5", "zalo:abc"):
        assert (listed[identity].role, listed[identity].agency_code) == expected, identity
    _same_person(await _profile(loaded, "telegram:5"), await _profile(loaded, "zalo:abc"))


async def test_grant_and_revoke_on_either_identity_change_both(loaded: Database) -> None:
    await _redeem(loaded, "zalo:abc", await _code(loaded, "telegram:5"))
    granted = await accounts.grant(loaded.uow(), SYSTEM, "zalo:abc", "focal", agency="Lào Cai")
    assert (granted.identity, granted.role, granted.linked_to) == (
        "zalo:abc",
        "focal",
        "telegram:5",
    )
    assert granted.agency_code == "tinh-lao-cai"
    for identity in ("telegram:5", "zalo:abc"):
        actor = (await _profile(loaded, identity)).actor
        assert actor.role is AccountRole.focal and actor.agency_id is not None, identity
    await accounts.grant(loaded.uow(), SYSTEM, "telegram:5", "staff")
    assert (await _profile(loaded, "zalo:abc")).actor.role is AccountRole.staff
    revoked = await accounts.revoke(loaded.uow(), SYSTEM, "zalo:abc")
    assert (revoked.role, revoked.linked_to) == ("member", "telegram:5")
    for identity in ("telegram:5", "zalo:abc"):
        actor = (await _profile(loaded, identity)).actor
        assert (actor.role, actor.agency_id) == (AccountRole.member, None), identity
    # Every change was written against the shared (root) account, by the identity named.
    async with loaded.uow() as uow:
        root_id = await uow.session.scalar(select(Account.id).where(Account.external_id == "5"))
        entries = (
            await uow.session.execute(
                select(ChangeLog.entity_id, ChangeLog.action, ChangeLog.new_value, ChangeLog.actor)
                .where(ChangeLog.action.in_(("grant", "revoke")))
                .order_by(ChangeLog.id)
            )
        ).all()
    assert [tuple(e) for e in entries] == [
        (root_id, "grant", "focal tinh-lao-cai", "test"),
        (root_id, "grant", "staff", "test"),
        (root_id, "revoke", "member", "test"),
    ]


async def test_the_link_is_written_in_the_change_log(loaded: Database) -> None:
    await _redeem(loaded, "zalo:abc", await _code(loaded, "telegram:5"))
    async with loaded.uow() as uow:
        zalo_id = await uow.session.scalar(select(Account.id).where(Account.external_id == "abc"))
        entries = (
            await uow.session.execute(
                select(
                    ChangeLog.actor,
                    ChangeLog.entity_id,
                    ChangeLog.action,
                    ChangeLog.field,
                    ChangeLog.old_value,
                    ChangeLog.new_value,
                ).where(ChangeLog.entity == "account")
            )
        ).all()
    assert [tuple(e) for e in entries] == [
        ("zalo:abc", zalo_id, "link", "linked_to", None, "telegram:5")
    ]


async def test_the_record_moves_to_the_root(loaded: Database) -> None:
    person_id = await _register(loaded, "zalo:abc", "Trần Thị Bình", "0988 111 222")
    await _redeem(loaded, "zalo:abc", await _code(loaded, "telegram:5"))
    stored = await _accounts(loaded)
    assert stored["telegram:5"][2] == person_id
    assert stored["zalo:abc"][2] is None
    for identity in ("telegram:5", "zalo:abc"):
        assert (await _profile(loaded, identity)).actor.person_id == person_id, identity
    async with loaded.uow() as uow:
        moved = (
            await uow.session.execute(
                select(ChangeLog.action, ChangeLog.new_value, ChangeLog.actor)
                .where(ChangeLog.entity == "account", ChangeLog.field == "person")
                .order_by(ChangeLog.id)
            )
        ).all()
    # Registration linked the Zalo account; the link moved the record to the Telegram one.
    assert [tuple(e) for e in moved] == [
        ("link", str(person_id), "zalo:abc"),
        ("link", str(person_id), "zalo:abc"),
    ]
    # Registering again from either chat is refused: the person has a record.
    telegram = (await _profile(loaded, "telegram:5")).actor
    with pytest.raises(Conflict) as again:
        await people.register_person(
            loaded.uow(),
            telegram,
            agency="Lào Cai",
            full_name="Trần Thị Bình",
            role="spokesperson",
            mobile="0988 111 333",
        )
    assert again.value.code == "account.already_registered"


async def test_registering_after_the_link_gives_both_the_record(loaded: Database) -> None:
    await _redeem(loaded, "zalo:abc", await _code(loaded, "telegram:5"))
    person_id = await _register(loaded, "zalo:abc", "Lê Văn Cường", "0977 222 333")
    stored = await _accounts(loaded)
    assert (stored["telegram:5"][2], stored["zalo:abc"][2]) == (person_id, None)
    assert (await _profile(loaded, "telegram:5")).actor.person_id == person_id


async def test_identities_already_linked_to_the_sender_move_too(loaded: Database) -> None:
    await _redeem(loaded, "zalo:abc", await _code(loaded, "telegram:5"))
    await accounts.grant(loaded.uow(), SYSTEM, "console:9", "staff")
    # zalo:abc (linked to telegram:5) sends the code of console:9: all three are one person.
    view = await _redeem(loaded, "zalo:abc", await _code(loaded, "console:9"))
    assert (view.linked_to, view.role) == ("console:9", "staff")
    stored = await _accounts(loaded)
    async with loaded.uow() as uow:
        root_id = await uow.session.scalar(select(Account.id).where(Account.external_id == "9"))
    assert stored["console:9"][3] is None
    assert stored["telegram:5"][3] == root_id and stored["zalo:abc"][3] == root_id
    # Links stay one hop deep.
    linked_ids = {values[3] for values in stored.values() if values[3] is not None}
    assert linked_ids == {root_id}
    profiles = [await _profile(loaded, i) for i in ("console:9", "telegram:5", "zalo:abc")]
    for profile in profiles:
        assert (profile.actor.role, profile.actor.account_id) == (AccountRole.staff, root_id)


async def test_consent_follows_only_from_the_code_side(loaded: Database) -> None:
    await _profile(loaded, "telegram:5")
    await accounts.record_consent(loaded.uow(), "telegram", "5", display_name=None)
    await _redeem(loaded, "zalo:abc", await _code(loaded, "telegram:5"))
    assert (await _profile(loaded, "zalo:abc")).consented
    # Neither side accepted the notice: the link does not accept it for them.
    view = await _redeem(loaded, "zalo:def", await _code(loaded, "telegram:6"))
    assert not view.consented
    assert not (await _profile(loaded, "zalo:def")).consented
    assert not (await _profile(loaded, "telegram:6")).consented


# --- refusals -------------------------------------------------------------------------------


async def test_a_code_works_once(loaded: Database) -> None:
    code = await _code(loaded, "telegram:5")
    await _redeem(loaded, "zalo:abc", code)
    assert await _count(loaded, LinkCode) == 0
    before = await _accounts(loaded)
    with pytest.raises(ValidationError) as refused:
        await _redeem(loaded, "zalo:other", code)
    assert refused.value.code == "link.bad_code"
    after = await _accounts(loaded)
    assert after["zalo:other"][3] is None
    assert {k: v for k, v in after.items() if k != "zalo:other"} == before


async def test_an_expired_code_is_refused_like_an_unknown_one(loaded: Database) -> None:
    code = await _code(loaded, "telegram:5")
    async with loaded.uow() as uow:
        await uow.session.execute(
            update(LinkCode).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await uow.commit()
    await _profile(loaded, "zalo:abc")
    before = await _accounts(loaded)
    with pytest.raises(ValidationError) as expired:
        await _redeem(loaded, "zalo:abc", code)
    with pytest.raises(ValidationError) as unknown:
        await _redeem(loaded, "zalo:abc", "ABCD-EFGH")
    assert (expired.value.code, expired.value.params) == (unknown.value.code, unknown.value.params)
    assert expired.value.code == "link.bad_code"
    assert await _accounts(loaded) == before
    # Making a new code sweeps the expired one away.
    await _code(loaded, "console:9")
    assert await _count(loaded, LinkCode) == 1


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "xyz",
        "A" * 500,
        "🙂🙂🙂🙂-🙂🙂🙂🙂",
        "ABCD-EFG",
        "ABCD-EFGHJ",
        "ABCD-EFG0",
        "ABCD_EFGH",
    ],
    ids=["empty", "blank", "short", "long", "emoji", "seven", "nine", "zero", "underscore"],
)
async def test_garbage_is_refused_and_changes_nothing(loaded: Database, garbage: str) -> None:
    code = await _code(loaded, "telegram:5")
    await _profile(loaded, "zalo:abc")
    before = await _accounts(loaded)
    with pytest.raises(ValidationError) as refused:
        await _redeem(loaded, "zalo:abc", garbage)
    assert refused.value.code == "link.bad_code"
    assert await _accounts(loaded) == before
    await _redeem(loaded, "zalo:abc", code)  # the real code still works


async def test_ones_own_code_is_refused(loaded: Database) -> None:
    code = await _code(loaded, "telegram:5")
    with pytest.raises(ValidationError) as own:
        await _redeem(loaded, "telegram:5", code)
    assert own.value.code == "link.same_account"
    await _redeem(loaded, "zalo:abc", code)  # still usable after the refusal
    with pytest.raises(ValidationError) as again:
        await _redeem(loaded, "zalo:abc", await _code(loaded, "telegram:5"))
    assert again.value.code == "link.already_linked"
    with pytest.raises(ValidationError) as back:
        await _redeem(loaded, "telegram:5", await _code(loaded, "zalo:abc"))
    assert back.value.code in ("link.same_account", "link.already_linked")


async def test_two_records_are_refused_and_nothing_changes(loaded: Database) -> None:
    first = await _register(loaded, "telegram:5", "Nguyễn Văn An", "0912 345 678")
    second = await _register(loaded, "zalo:abc", "Trần Thị Bình", "0988 111 222")
    await accounts.grant(loaded.uow(), SYSTEM, "zalo:abc", "staff")
    code = await _code(loaded, "telegram:5")
    before = await _accounts(loaded)
    log_before = await _count(loaded, ChangeLog)
    with pytest.raises(Conflict) as refused:
        await _redeem(loaded, "zalo:abc", code)
    assert refused.value.code == "link.two_records"
    assert refused.value.params == {"first": first, "second": second}
    assert await _accounts(loaded) == before
    assert await _count(loaded, ChangeLog) == log_before
    assert await _count(loaded, LinkCode) == 1  # the code was not used up


async def test_two_redemptions_of_one_code_at_once_one_wins(loaded: Database) -> None:
    code = await _code(loaded, "telegram:5")
    for identity in ("zalo:a", "zalo:b"):
        await _profile(loaded, identity)
    outcomes = await asyncio.gather(
        linking.redeem_link_code(loaded.uow(), "zalo", "a", code),
        linking.redeem_link_code(loaded.uow(), "zalo", "b", code),
        return_exceptions=True,
    )
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(losers) == 1 and isinstance(losers[0], ValidationError), outcomes
    assert losers[0].code == "link.bad_code"
    linked = [k for k, v in (await _accounts(loaded)).items() if v[3] is not None]
    assert len(linked) == 1


async def test_crossing_redemptions_never_make_a_loop(loaded: Database) -> None:
    """A sends B's code while B sends A's: one link, never two accounts linked to each other."""
    code_a, code_b = await _code(loaded, "telegram:5"), await _code(loaded, "zalo:abc")
    outcomes = await asyncio.gather(
        linking.redeem_link_code(loaded.uow(), "telegram", "5", code_b),
        linking.redeem_link_code(loaded.uow(), "zalo", "abc", code_a),
        return_exceptions=True,
    )
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(losers) == 1 and isinstance(losers[0], RegistryError), outcomes
    stored = await _accounts(loaded)
    roots = [k for k in ("telegram:5", "zalo:abc") if stored[k][3] is None]
    assert len(roots) == 1, stored
    _same_person(await _profile(loaded, "telegram:5"), await _profile(loaded, "zalo:abc"))


# --- the command line -----------------------------------------------------------------------


def test_accounts_list_shows_the_link(
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
            await accounts.grant(database.uow(), SYSTEM, "telegram:123", "staff")
            await _redeem(database, "zalo:abc", await _code(database, "telegram:123"))
        finally:
            await database.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("SPOKES_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        table = runner.invoke(app, ["accounts", "list"])
        assert table.exit_code == 0, table.output
        assert "zalo:abc → telegram:123" in table.output
        rows = [line for line in table.output.splitlines() if "zalo:abc" in line]
        assert len(rows) == 1 and "cán bộ Cục Báo chí" in rows[0]
        listed = runner.invoke(app, ["accounts", "list", "--json"])
        assert listed.exit_code == 0, listed.output
        assert '"linked_to": "telegram:123"' in listed.output
    finally:
        get_settings.cache_clear()
