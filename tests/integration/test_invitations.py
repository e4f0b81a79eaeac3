"""Invitations in the registry, on every backend: which agencies a mailing reaches, who may make
and revoke them, the uses counted in the registration's own transaction, the last use taken
once when two people race for it, and the audit trail."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.dialogs.engine import Dialogs
from bot.settings import BotSettings
from bot.texts import t
from registry import accounts, catalog, invitations, people
from registry.errors import PermissionDenied, ValidationError
from registry.invitations import InvitationRefused
from registry.models import ChangeLog, Invitation
from registry.uow import Database
from tests.builders import INVITATION_KEY, invitation, invitation_uses, listed, role_of
from tests.integration.chat import Chat
from tests.integration.conftest import SYSTEM, Cast, actor

KEY = INVITATION_KEY


async def test_one_agency_a_kind_or_every_agency_still_missing(
    loaded: Database, cast: Cast
) -> None:
    [one] = await invitations.create_invitations(
        loaded.uow(), cast.staff, KEY, purpose="focal", agency="ubnd tinh lao cai"
    )
    assert one.invitation.agency.name == "Tỉnh Lào Cai" and one.invitation.max_uses == 1
    ministries = await invitations.create_invitations(
        loaded.uow(), cast.staff, KEY, purpose="spokespeople", kind="ministry", days=30
    )
    assert len(ministries) == 14 and ministries[0].invitation.agency.kind == "ministry"
    assert {i.invitation.max_uses for i in ministries} == {10}
    await listed(loaded)  # Lào Cai answers
    missing = await invitations.create_invitations(
        loaded.uow(), cast.staff, KEY, purpose="spokespeople", missing=True
    )
    assert len(missing) == 55
    assert "tinh-lao-cai" not in {i.invitation.agency.code for i in missing}
    assert len({i.token for i in missing}) == 55
    assert len(await invitations.list_invitations(loaded.uow(), cast.staff)) == 70


async def test_a_name_of_before_the_mergers_invites_and_grants_todays_agency(db: Database) -> None:
    """Both editions are loaded (the merged agencies exist): "Bộ TT&TT" and "Yên Bái" still lead
    to the agencies they merged into, for an invitation and for a focal point's role."""
    loaded = db
    await catalog.load_edition(loaded.uow(), SYSTEM, "2024")
    await catalog.load_edition(loaded.uow(), SYSTEM, "2025")
    [issued] = await invitations.create_invitations(
        loaded.uow(), SYSTEM, KEY, purpose="spokespeople", agency="Bộ TT&TT"
    )
    assert issued.invitation.agency.name == "Bộ Khoa học và Công nghệ"
    await accounts.grant(loaded.uow(), SYSTEM, "zalo:31", "focal", agency="Yên Bái")
    [granted] = [
        a for a in await accounts.list_accounts(loaded.uow(), SYSTEM) if a.identity == "zalo:31"
    ]
    assert granted.agency_code == "tinh-lao-cai"


async def test_only_staff_make_list_and_revoke_and_garbage_is_refused(
    loaded: Database, cast: Cast
) -> None:
    for who in (cast.focal, cast.member):
        with pytest.raises(PermissionDenied):
            await invitations.create_invitations(
                loaded.uow(), who, KEY, purpose="focal", agency="Lào Cai"
            )
        with pytest.raises(PermissionDenied):
            await invitations.list_invitations(loaded.uow(), who)
    bad: list[tuple[dict[str, object], str]] = [
        ({"purpose": "boss", "agency": "Lào Cai"}, "invitation.unknown_purpose"),
        ({"purpose": "focal"}, "invitation_cli.which_agencies"),
        (
            {"purpose": "focal", "agency": "Lào Cai", "kind": "ministry"},
            "invitation_cli.which_agencies",
        ),
        ({"purpose": "focal", "agency": "Lào Cai", "days": 0}, "invitation.bad_days"),
        ({"purpose": "focal", "agency": "Lào Cai", "max_uses": 3}, "invitation.bad_uses"),
        ({"purpose": "spokespeople", "agency": "Lào Cai", "max_uses": 1000}, "invitation.bad_uses"),
        ({"purpose": "focal", "kind": "planet"}, "agency.unknown_kind"),
    ]
    for options, code in bad:
        with pytest.raises(ValidationError) as refused:
            await invitations.create_invitations(loaded.uow(), cast.staff, KEY, **options)  # type: ignore[arg-type]
        assert refused.value.code == code, options
    assert await invitations.list_invitations(loaded.uow(), cast.staff) == []
    for text in ("", "abc", "-1", "0", "#", "1" * 20):
        with pytest.raises(ValidationError):
            invitations.parse_invitation_id(text)


async def test_a_revoked_invitation_is_refused_and_the_trail_says_who(
    loaded: Database, cast: Cast
) -> None:
    token = await invitation(loaded)
    view = await invitations.check(loaded.uow(), KEY, token)
    revoked = await invitations.revoke(loaded.uow(), cast.staff, view.id)
    assert revoked.state() == "revoked"
    with pytest.raises(InvitationRefused) as refused:
        await invitations.check(loaded.uow(), KEY, token)
    assert refused.value.code == "invitation.revoked"
    async with loaded.uow() as uow:
        trail = [
            (e.action, e.actor)
            for e in await uow.session.scalars(
                select(ChangeLog).where(ChangeLog.entity == "invitation").order_by(ChangeLog.id)
            )
        ]
    assert trail == [("create", "test"), ("revoke", "telegram:2")]
    # A token is not stored anywhere: only what the revocation and the uses need.
    async with loaded.uow() as uow:
        row = await uow.session.get(Invitation, view.id)
        assert row is not None
        assert token not in {str(v) for v in vars(row).values()}


async def test_a_use_is_kept_only_with_its_registration(loaded: Database, cast: Cast) -> None:
    token = await invitation(loaded)
    view = await invitations.check(loaded.uow(), KEY, token)
    member = await actor(loaded, "zalo:77")
    uow = loaded.uow()
    async with uow:
        with pytest.raises(ValidationError):
            async with uow:
                await invitations.use_for_registration(uow, member, KEY, token, view.agency.id)
                await people.register_person(
                    uow, member, agency="Lào Cai", full_name="Nguyễn 4n", role="spokesperson"
                )
        await uow.commit()
    assert await invitation_uses(loaded, token) == 0
    # A spokespeople token does not make a focal point, nor register for another agency.
    with pytest.raises(InvitationRefused):
        await invitations.accept_focal(loaded.uow(), member, KEY, token)
    with pytest.raises(InvitationRefused):
        await invitations.use_for_registration(loaded.uow(), member, KEY, token, view.agency.id + 1)
    assert await role_of(loaded, "zalo:77") == "member"


async def test_two_people_racing_for_the_last_use_one_gets_it(loaded: Database, cast: Cast) -> None:
    token = await invitation(loaded, purpose="focal")
    first = await actor(loaded, "telegram:81")
    second = await actor(loaded, "zalo:82")
    results = await asyncio.gather(
        invitations.accept_focal(loaded.uow(), first, KEY, token),
        invitations.accept_focal(loaded.uow(), second, KEY, token),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], InvitationRefused) and lost[0].code == "invitation.used"
    roles = sorted([await role_of(loaded, "telegram:81"), await role_of(loaded, "zalo:82")])
    assert roles == ["focal", "member"]
    assert await invitation_uses(loaded, token) == 1


async def test_staff_do_not_take_a_focal_invitation(loaded: Database, cast: Cast) -> None:
    token = await invitation(loaded, purpose="focal")
    with pytest.raises(ValidationError) as refused:
        await invitations.accept_focal(loaded.uow(), cast.staff, KEY, token)
    assert refused.value.code == "invitation.staff_already"
    assert await role_of(loaded, "telegram:2") == "staff"
    assert await invitation_uses(loaded, token) == 0


async def test_a_bot_without_the_signing_key_says_so_and_keeps_nothing(
    loaded: Database, cast: Cast
) -> None:
    token = await invitation(loaded)
    dialogs = Dialogs(loaded, BotSettings(_env_file=None, invitation_secret=None))  # type: ignore[call-arg]
    clerk = Chat(dialogs, "2", channel="telegram")
    assert await clerk.say("/invite") == t("vi", "error.invitation.no_secret")
    assert clerk.pending is None
    newcomer = Chat(dialogs, "50")
    opened = await newcomer.say(f"/start {token}")
    assert opened.texts[0] == t("vi", "error.invitation.no_secret")
    assert (await newcomer.pick("Tôi đồng ý")).texts == [t("vi", "bot.consent.accepted")]
    assert await invitation_uses(loaded, token) == 0
