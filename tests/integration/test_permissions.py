"""Who may do what: every role against every use case, on every backend.

The rules live in the registry, so every channel gets them. A refusal is a PermissionDenied
that names nothing about the record it was about.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from registry import accounts, directory, people
from registry.actors import Actor
from registry.errors import Conflict, PermissionDenied
from registry.uow import Database
from tests.integration.conftest import SYSTEM, Cast

ROLES = ("system", "admin", "staff", "focal", "other_focal", "member", "other_member")


async def _someone_in_lao_cai(db: Database) -> int:
    result = await people.register_person(
        db.uow(),
        SYSTEM,
        agency="Lào Cai",
        full_name="Hà Văn Sơn",
        role="spokesperson",
        mobile="0912 000 001",
    )
    return result.person.id


async def _members_own_record(db: Database, cast: Cast) -> int:
    result = await people.register_person(
        db.uow(),
        cast.member,
        agency="Lào Cai",
        full_name="Lò Thị Mai",
        role="press_contact",
        mobile="0912 000 002",
    )
    return result.person.id


Case = Callable[[Database, Cast, Actor], Awaitable[object]]


async def register_in_lao_cai(db: Database, cast: Cast, actor: Actor) -> object:
    return await people.register_person(
        db.uow(),
        actor,
        agency="Lào Cai",
        full_name="Giàng A Páo",
        role="press_contact",
        mobile="0912 000 003",
    )


async def update_someone(db: Database, cast: Cast, actor: Actor) -> object:
    person_id = await _someone_in_lao_cai(db)
    return await people.update_field(db.uow(), actor, person_id, "position", "Phó Giám đốc")


async def update_members_own(db: Database, cast: Cast, actor: Actor) -> object:
    person_id = await _members_own_record(db, cast)
    return await people.update_field(db.uow(), actor, person_id, "email", "mai@laocai.gov.vn")


async def show_someone(db: Database, cast: Cast, actor: Actor) -> object:
    return await people.show_person(db.uow(), actor, await _someone_in_lao_cai(db))


async def show_members_own(db: Database, cast: Cast, actor: Actor) -> object:
    return await people.show_person(db.uow(), actor, await _members_own_record(db, cast))


async def history_of_someone(db: Database, cast: Cast, actor: Actor) -> object:
    return await people.person_history(db.uow(), actor, await _someone_in_lao_cai(db))


async def retire_someone(db: Database, cast: Cast, actor: Actor) -> object:
    return await people.retire_person(db.uow(), actor, await _someone_in_lao_cai(db))


async def withdraw_members_own(db: Database, cast: Cast, actor: Actor) -> object:
    return await people.retire_person(db.uow(), actor, await _members_own_record(db, cast))


async def verify_someone(db: Database, cast: Cast, actor: Actor) -> object:
    return await people.verify_person(db.uow(), actor, await _members_own_record(db, cast))


async def find(db: Database, cast: Cast, actor: Actor) -> object:
    await _someone_in_lao_cai(db)
    return await directory.find_people(db.uow(), actor, "ha van son")


async def list_everyone(db: Database, cast: Cast, actor: Actor) -> object:
    return await directory.list_people(db.uow(), actor)


async def list_lao_cai(db: Database, cast: Cast, actor: Actor) -> object:
    return await directory.list_people(db.uow(), actor, agency="Lào Cai")


async def missing(db: Database, cast: Cast, actor: Actor) -> object:
    return await directory.missing_agencies(db.uow(), actor)


async def stats(db: Database, cast: Cast, actor: Actor) -> object:
    return await directory.statistics(db.uow(), actor)


async def grant(db: Database, cast: Cast, actor: Actor) -> object:
    return await accounts.grant(db.uow(), actor, "zalo:99", "staff")


async def revoke(db: Database, cast: Cast, actor: Actor) -> object:
    return await accounts.revoke(db.uow(), actor, "telegram:2")


async def list_accounts(db: Database, cast: Cast, actor: Actor) -> object:
    return await accounts.list_accounts(db.uow(), actor)


Y, N = True, False
#                         system admin staff focal other_focal member other_member
MATRIX: dict[Case, tuple[bool, ...]] = {
    register_in_lao_cai: (Y, Y, Y, Y, N, Y, Y),  # members register themselves (pending)
    update_someone: (Y, Y, Y, Y, N, N, N),
    update_members_own: (Y, Y, Y, Y, N, Y, N),
    show_someone: (Y, Y, Y, Y, N, N, N),
    show_members_own: (Y, Y, Y, Y, N, Y, N),
    history_of_someone: (Y, Y, Y, Y, N, N, N),
    retire_someone: (Y, Y, Y, Y, N, N, N),
    withdraw_members_own: (Y, Y, Y, Y, N, Y, N),
    verify_someone: (Y, Y, Y, Y, N, N, N),
    find: (Y, Y, Y, Y, Y, N, N),  # a focal point searches within its own agency
    list_everyone: (Y, Y, Y, N, N, N, N),
    list_lao_cai: (Y, Y, Y, Y, N, N, N),
    missing: (Y, Y, Y, N, N, N, N),
    stats: (Y, Y, Y, N, N, N, N),
    grant: (Y, Y, N, N, N, N, N),
    revoke: (Y, Y, N, N, N, N, N),
    list_accounts: (Y, Y, N, N, N, N, N),
}


@pytest.mark.parametrize(
    ("case", "role", "allowed"),
    [
        pytest.param(case, role, allowed, id=f"{case.__name__}-{role}")
        for case, row in MATRIX.items()
        for role, allowed in zip(ROLES, row, strict=True)
    ],
)
async def test_permission_matrix(
    loaded: Database, cast: Cast, case: Case, role: str, allowed: bool
) -> None:
    actor = getattr(cast, role)
    if case in (update_members_own, show_members_own, withdraw_members_own, verify_someone) and (
        role == "member"
    ):
        # The member's own record is created by the member; refresh the actor's link to it.
        person_id = await _members_own_record(loaded, cast)
        actor = await accounts.ensure_account(loaded.uow(), "telegram", "5")
        assert actor.person_id == person_id
        cast = Cast(**{**vars(cast), "member": actor})
        case = _reuse_record(case, person_id)
    if allowed:
        await case(loaded, cast, actor)
    else:
        with pytest.raises(PermissionDenied) as refused:
            await case(loaded, cast, actor)
        assert refused.value.code == "permission.denied"


def _reuse_record(case: Case, person_id: int) -> Case:
    """The same use case on a record that already exists (the member's own)."""
    actions = {
        update_members_own: lambda db, a: people.update_field(
            db.uow(), a, person_id, "email", "mai@laocai.gov.vn"
        ),
        show_members_own: lambda db, a: people.show_person(db.uow(), a, person_id),
        withdraw_members_own: lambda db, a: people.retire_person(db.uow(), a, person_id),
        verify_someone: lambda db, a: people.verify_person(db.uow(), a, person_id),
    }

    async def run(db: Database, cast: Cast, actor: Actor) -> object:
        return await actions[case](db, actor)

    return run


async def test_focal_search_sees_only_its_agency(loaded: Database, cast: Cast) -> None:
    await _someone_in_lao_cai(loaded)
    await people.register_person(
        loaded.uow(),
        SYSTEM,
        agency="Hà Nội",
        full_name="Hà Thị Thu",
        role="spokesperson",
        mobile="0912 000 009",
    )
    mine = await directory.find_people(loaded.uow(), cast.focal, "ha")
    everyone = await directory.find_people(loaded.uow(), cast.staff, "ha")
    assert [p.full_name for p in mine.items] == ["Hà Văn Sơn"]
    assert sorted(p.full_name for p in everyone.items) == ["Hà Thị Thu", "Hà Văn Sơn"]


async def test_member_registers_once_pending_and_linked(loaded: Database, cast: Cast) -> None:
    person_id = await _members_own_record(loaded, cast)
    shown = await people.show_person(loaded.uow(), cast.system, person_id)
    assert shown.status == "pending" and shown.source == "cli"
    member = await accounts.ensure_account(loaded.uow(), "telegram", "5")
    assert member.person_id == person_id
    with pytest.raises(Conflict) as again:
        await people.register_person(
            loaded.uow(),
            member,
            agency="Hà Nội",
            full_name="Lò Thị Mai",
            role="press_contact",
            mobile="0912 000 010",
        )
    assert again.value.code == "account.already_registered"


async def test_staff_registrations_are_verified(loaded: Database, cast: Cast) -> None:
    for who, mobile in ((cast.staff, "0912 000 011"), (cast.focal, "0912 000 012")):
        result = await people.register_person(
            loaded.uow(),
            who,
            agency="Lào Cai",
            full_name=f"Người {mobile[-2:]}".replace(
                mobile[-2:], "Thứ" if mobile.endswith("1") else "Hai"
            ),
            role="press_contact",
            mobile=mobile,
        )
        assert result.person.status == "verified"


async def test_unknown_ids_reveal_nothing_to_members(loaded: Database, cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        await people.show_person(loaded.uow(), cast.member, 987654)


async def test_grant_and_revoke_are_recorded(loaded: Database, cast: Cast) -> None:
    granted = await accounts.grant(loaded.uow(), cast.admin, "zalo:77", "focal", agency="Huế")
    assert (granted.role, granted.agency_code) == ("focal", "tp-hue")
    revoked = await accounts.revoke(loaded.uow(), cast.admin, "zalo:77")
    assert (revoked.role, revoked.agency_code) == ("member", None)
    listed = {a.identity: a.role for a in await accounts.list_accounts(loaded.uow(), cast.admin)}
    assert listed["zalo:77"] == "member" and listed["telegram:1"] == "admin"
