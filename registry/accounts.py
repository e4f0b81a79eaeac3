"""Chat identities and their roles: grant, revoke, list, and the actor of an incoming message."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from registry import changelog
from registry.actors import Actor, require_admin
from registry.catalog import today_agency
from registry.errors import NotFound, ValidationError
from registry.models import Account, AccountRole, Agency, utcnow
from registry.uow import UnitOfWork
from registry.views import AccountView, identity_of

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


def actor_of(account: Account, root: Account | None = None) -> Actor:
    """The actor behind a chat identity.

    A linked identity (``root`` is the account it is linked to) acts with the root's role,
    agency and record, and as the root's account; the label stays the identity that wrote, so
    the ChangeLog says which chat a change came from.
    """
    effective = root or account
    return Actor(
        label=identity_of(account),
        role=effective.role,
        account_id=effective.id,
        agency_id=effective.agency_id,
        person_id=effective.person_id,
    )


# The account a linked identity is linked to (its root).
Root = aliased(Account, name="root")


async def _find(session: AsyncSession, channel: str, external_id: str) -> Account | None:
    return await session.scalar(
        select(Account).where(Account.channel == channel, Account.external_id == external_id)
    )


async def _find_with_root(
    session: AsyncSession, channel: str, external_id: str
) -> tuple[Account, Account | None] | None:
    """A chat identity and the account it is linked to (None for a root), in one query."""
    row = (
        await session.execute(
            select(Account, Root)
            .outerjoin(Root, Account.linked_to_id == Root.id)
            .where(Account.channel == channel, Account.external_id == external_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def root_of(session: AsyncSession, account: Account) -> Account:
    """The account whose role, agency and record ``account`` uses: itself, or the one it is
    linked to (links are one hop: an account linked to is never linked itself)."""
    if account.linked_to_id is None:
        return account
    root = await session.get(Account, account.linked_to_id)
    if root is None:  # the foreign key makes this impossible
        raise NotFound("account.not_found", identity=identity_of(account))
    return root


@dataclass(frozen=True)
class Profile:
    """A chat identity as the bot needs it on every message."""

    actor: Actor
    language: str | None
    consented: bool


async def open_profile(uow: UnitOfWork, channel: str, external_id: str) -> Profile:
    """The profile behind a chat identity; someone who writes for the first time is a member.

    Only the channel and the id are kept until the person accepts the personal-data notice.
    """
    # Every message starts here: read without taking SQLite's write lock, and write only for
    # someone new.
    async with uow.reading():
        found = await _find_with_root(uow.session, channel, external_id)
        if found is not None:
            return _profile(*found)
    async with uow:
        found = await _find_with_root(uow.session, channel, external_id)
        if found is None:
            account = Account(channel=channel, external_id=external_id, role=AccountRole.member)
            uow.session.add(account)
            await uow.commit()
            found = (account, None)
        return _profile(*found)


def _profile(account: Account, root: Account | None) -> Profile:
    # Language and consent belong to each identity; role, agency and record to the root.
    return Profile(actor_of(account, root), account.language, account.consented_at is not None)


async def ensure_account(uow: UnitOfWork, channel: str, external_id: str) -> Actor:
    return (await open_profile(uow, channel, external_id)).actor


async def _update_account(
    uow: UnitOfWork, channel: str, external_id: str, **values: object
) -> None:
    async with uow:
        account = await _find(uow.session, channel, external_id)
        if account is None:
            raise NotFound("account.not_found", identity=f"{channel}:{external_id}")
        for name, value in values.items():
            setattr(account, name, value)
        await uow.commit()


async def set_language(uow: UnitOfWork, channel: str, external_id: str, language: str) -> None:
    await _update_account(uow, channel, external_id, language=language)


async def record_consent(
    uow: UnitOfWork, channel: str, external_id: str, *, display_name: str | None
) -> None:
    """The person accepted the personal-data notice: from now on their details may be kept."""
    name = (display_name or "").strip()[:100] or None
    await _update_account(uow, channel, external_id, consented_at=utcnow(), display_name=name)


async def grant(
    uow: UnitOfWork,
    actor: Actor,
    identity: str,
    role: str,
    *,
    agency: str | None = None,
    must_exist: bool = False,
) -> AccountView:
    """Give a chat identity a role; a focal point needs the agency it answers for.

    From a chat, ``must_exist`` restricts this to people who have talked to the bot. The role
    of a linked identity is that of the account it is linked to, so that one changes.
    """
    require_admin(actor, "accounts.grant")
    channel, external_id = parse_identity(identity)
    new_role = parse_account_role(role)
    if new_role is AccountRole.focal and not agency:
        raise ValidationError("account.focal_needs_agency")
    async with uow:
        session = uow.session
        # A focal point answers for an agency as it is today, not one merged away.
        target_agency = (await today_agency(session, agency))[0] if agency else None
        account = await _find(session, channel, external_id)
        if account is None:
            if must_exist:
                raise NotFound("account.not_found", identity=identity)
            account = Account(channel=channel, external_id=external_id, role=AccountRole.member)
            session.add(account)
            await uow.flush()
        root = await root_of(session, account)
        old = f"{root.role.value}"
        agency_id = target_agency.id if target_agency and new_role is AccountRole.focal else None
        if root.role is not new_role or root.agency_id != agency_id:
            new = new_role.value + (f" {target_agency.code}" if agency_id and target_agency else "")
            changelog.record(
                session,
                actor,
                entity="account",
                entity_id=root.id,
                action="grant",
                field="role",
                old=old,
                new=new,
            )
            root.role = new_role
            root.agency_id = agency_id
        await uow.commit()
        return AccountView.of(
            account, target_agency if agency_id else None, root if root is not account else None
        )


async def revoke(uow: UnitOfWork, actor: Actor, identity: str) -> AccountView:
    """Take a role back: the identity stays a member (and keeps its own record).

    For a linked identity the role taken back is the shared one, on every linked identity.
    """
    require_admin(actor, "accounts.revoke")
    channel, external_id = parse_identity(identity)
    async with uow:
        session = uow.session
        account = await _find(session, channel, external_id)
        if account is None:
            raise NotFound("account.not_found", identity=identity)
        root = await root_of(session, account)
        if root.role is not AccountRole.member:
            changelog.record(
                session,
                actor,
                entity="account",
                entity_id=root.id,
                action="revoke",
                field="role",
                old=root.role,
                new=AccountRole.member,
            )
            root.role = AccountRole.member
            root.agency_id = None
        await uow.commit()
        return AccountView.of(account, None, root if root is not account else None)


async def list_accounts(
    uow: UnitOfWork, actor: Actor, *, role: str | None = None
) -> list[AccountView]:
    """Every chat identity with its effective role (a linked one shows its root's)."""
    require_admin(actor, "accounts.list")
    wanted = parse_account_role(role) if role else None
    # A root has no Root row: its own columns count.
    effective_role = func.coalesce(Root.role, Account.role)
    effective_agency = case((Root.id.is_(None), Account.agency_id), else_=Root.agency_id)
    async with uow.reading():
        statement = (
            select(Account, Root, Agency)
            .outerjoin(Root, Account.linked_to_id == Root.id)
            .outerjoin(Agency, effective_agency == Agency.id)
        )
        if wanted is not None:
            statement = statement.where(effective_role == wanted)
        statement = statement.order_by(effective_role, Account.channel, Account.external_id)
        rows = (await uow.session.execute(statement)).all()
        return [AccountView.of(account, agency, root) for account, root, agency in rows]


@dataclass(frozen=True)
class StaffChat:
    """A staff (or admin) chat identity to tell something, in its own language."""

    channel: str
    external_id: str
    language: str | None


async def staff_chats(uow: UnitOfWork) -> list[StaffChat]:
    """Every staff and admin identity (linked ones answer as their root), to notify."""
    async with uow:
        return await staff_in(uow.session)


async def staff_in(session: AsyncSession) -> list[StaffChat]:
    """:func:`staff_chats` inside a use case's own transaction."""
    rows = await session.scalars(
        select(Account)
        .where(
            Account.role.in_((AccountRole.staff, AccountRole.admin)),
            Account.linked_to_id.is_(None),
        )
        .order_by(Account.id)
    )
    return [StaffChat(a.channel, a.external_id, a.language) for a in rows]
