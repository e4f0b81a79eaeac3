"""Chat identities and their roles: grant, revoke, list, and the actor of an incoming message."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry import changelog
from registry.actors import Actor, require_admin
from registry.catalog import resolve_agency
from registry.errors import NotFound, ValidationError
from registry.models import Account, AccountRole, Agency
from registry.uow import UnitOfWork
from registry.views import AccountView

CHANNELS = ("telegram", "zalo", "console")
_IDENTITY = re.compile(r"^(?P<channel>[a-z]+):(?P<external_id>[A-Za-z0-9_-]{1,64})$")


def parse_identity(text: str) -> tuple[str, str]:
    """ "telegram:123456" -> ("telegram", "123456")."""
    match = _IDENTITY.match((text or "").strip())
    if match is None or match["channel"] not in CHANNELS:
        raise ValidationError("account.bad_identity", identity=text, channels=", ".join(CHANNELS))
    return match["channel"], match["external_id"]


def parse_account_role(text: str) -> AccountRole:
    try:
        return AccountRole((text or "").strip().lower())
    except ValueError:
        raise ValidationError(
            "account.unknown_role", role=text, roles=", ".join(r.value for r in AccountRole)
        ) from None


def actor_of(account: Account) -> Actor:
    return Actor(
        label=f"{account.channel}:{account.external_id}",
        role=account.role,
        account_id=account.id,
        agency_id=account.agency_id,
        person_id=account.person_id,
    )


async def _find(session: AsyncSession, channel: str, external_id: str) -> Account | None:
    return await session.scalar(
        select(Account).where(Account.channel == channel, Account.external_id == external_id)
    )


async def ensure_account(
    uow: UnitOfWork, channel: str, external_id: str, *, display_name: str | None = None
) -> Actor:
    """The actor behind a chat identity; someone who writes for the first time is a member."""
    async with uow:
        session = uow.session
        account = await _find(session, channel, external_id)
        if account is None:
            account = Account(
                channel=channel,
                external_id=external_id,
                role=AccountRole.member,
                display_name=(display_name or "")[:100] or None,
            )
            session.add(account)
            await uow.commit()
        return actor_of(account)


async def grant(
    uow: UnitOfWork, actor: Actor, identity: str, role: str, *, agency: str | None = None
) -> AccountView:
    """Give a chat identity a role; a focal point needs the agency it answers for."""
    require_admin(actor, "accounts.grant")
    channel, external_id = parse_identity(identity)
    new_role = parse_account_role(role)
    if new_role is AccountRole.focal and not agency:
        raise ValidationError("account.focal_needs_agency")
    async with uow:
        session = uow.session
        target_agency = await resolve_agency(session, agency) if agency else None
        account = await _find(session, channel, external_id)
        if account is None:
            account = Account(channel=channel, external_id=external_id, role=AccountRole.member)
            session.add(account)
            await uow.flush()
        old = f"{account.role.value}"
        agency_id = target_agency.id if target_agency and new_role is AccountRole.focal else None
        if account.role is not new_role or account.agency_id != agency_id:
            new = new_role.value + (f" {target_agency.code}" if agency_id and target_agency else "")
            changelog.record(
                session,
                actor,
                entity="account",
                entity_id=account.id,
                action="grant",
                field="role",
                old=old,
                new=new,
            )
            account.role = new_role
            account.agency_id = agency_id
        await uow.commit()
        return AccountView.of(account, target_agency if agency_id else None)


async def revoke(uow: UnitOfWork, actor: Actor, identity: str) -> AccountView:
    """Take a role back: the identity stays a member (and keeps its own record)."""
    require_admin(actor, "accounts.revoke")
    channel, external_id = parse_identity(identity)
    async with uow:
        session = uow.session
        account = await _find(session, channel, external_id)
        if account is None:
            raise NotFound("account.not_found", identity=identity)
        if account.role is not AccountRole.member:
            changelog.record(
                session,
                actor,
                entity="account",
                entity_id=account.id,
                action="revoke",
                field="role",
                old=account.role,
                new=AccountRole.member,
            )
            account.role = AccountRole.member
            account.agency_id = None
        await uow.commit()
        return AccountView.of(account, None)


async def list_accounts(
    uow: UnitOfWork, actor: Actor, *, role: str | None = None
) -> list[AccountView]:
    require_admin(actor, "accounts.list")
    wanted = parse_account_role(role) if role else None
    async with uow.reading():
        statement = select(Account, Agency).outerjoin(Agency, Account.agency_id == Agency.id)
        if wanted is not None:
            statement = statement.where(Account.role == wanted)
        statement = statement.order_by(Account.role, Account.channel, Account.external_id)
        rows = (await uow.session.execute(statement)).all()
        return [AccountView.of(account, agency) for account, agency in rows]
