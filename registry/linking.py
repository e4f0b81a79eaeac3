"""/link: one person, several chat identities (Telegram and Zalo, say).

``/link`` in one chat gives a short one-time code; sending it from another chat joins the two
identities: from then on both act with one role, one agency and one record, those of the
*root* account (the one that made the code). Links are one hop deep: an account linked to is
never linked itself, so every read finds the root with one join.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry import changelog
from registry.accounts import root_of
from registry.actors import Actor
from registry.errors import Conflict, NotFound, ValidationError
from registry.models import Account, AccountRole, Agency, Claim, ClaimStatus, LinkCode, utcnow
from registry.uow import UnitOfWork
from registry.views import LinkView, identity_of

# No 0/O, 1/I: a code is read on one screen and typed on another.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
VALID_FOR = timedelta(minutes=10)

# Higher first: linking keeps the higher role of the two identities.
_RANK = {AccountRole.admin: 0, AccountRole.staff: 1, AccountRole.focal: 2, AccountRole.member: 3}

# PostgreSQL: redemptions take turns, so two crossing redemptions (A sends B's code while B
# sends A's) can never link two accounts to each other. SQLite's BEGIN IMMEDIATE already does.
_LOCK_KEY = 0x5370_6B4C_6E6B  # "SpkLnk"


def _bad_code() -> ValidationError:
    return ValidationError("link.bad_code", minutes=int(VALID_FOR.total_seconds() // 60))


def display_code(code: str) -> str:
    """ "ABCDEFGH" -> "ABCD-EFGH"."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalize_code(text: str) -> str:
    """What the person typed, as stored: any case, with or without the dash and spaces.

    Anything that cannot be a code is refused here, without a look in the database, with the
    same error as an unknown or expired code.
    """
    raw = (text or "").strip()
    if len(raw) > 2 * CODE_LENGTH:
        raise _bad_code()
    code = raw.upper().replace("-", "").replace(" ", "")
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        raise _bad_code()
    return code


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


async def _account(session: AsyncSession, channel: str, external_id: str) -> Account:
    account = await session.scalar(
        select(Account).where(Account.channel == channel, Account.external_id == external_id)
    )
    if account is None:
        raise NotFound("account.not_found", identity=f"{channel}:{external_id}")
    return account


async def create_link_code(uow: UnitOfWork, channel: str, external_id: str) -> tuple[str, datetime]:
    """A new one-time code for this identity's person, shown as ``ABCD-EFGH``, and when it
    expires. It replaces any code made before for the same person."""
    async with uow:
        session = uow.session
        account = await _account(session, channel, external_id)
        root = await root_of(session, account)
        now = utcnow()
        # One live code per person; expired codes of anyone are swept on the way.
        await session.execute(
            delete(LinkCode).where((LinkCode.account_id == root.id) | (LinkCode.expires_at <= now))
        )
        code = _new_code()
        while await session.get(LinkCode, code) is not None:  # 32**8 codes: almost never
            code = _new_code()
        expires_at = now + VALID_FOR
        session.add(LinkCode(code=code, account_id=root.id, expires_at=expires_at))
        await uow.commit()
        return display_code(code), expires_at


async def peek_link_code(
    uow: UnitOfWork, channel: str, external_id: str, code: str
) -> tuple[str, str | None]:
    """Whose code this is (identity, display name), without using it up: the person sending
    it is shown which account they are about to become one with, and confirms. A code of
    this very person is refused here already."""
    wanted = normalize_code(code)
    async with uow.reading():
        session = uow.session
        row = await session.get(LinkCode, wanted)
        if row is None or row.expires_at <= utcnow():
            raise _bad_code()
        owner = await session.get(Account, row.account_id)
        if owner is None:
            raise _bad_code()
        sender = await _account(session, channel, external_id)
        if (await root_of(session, sender)).id == (await root_of(session, owner)).id:
            if sender.id == owner.id:
                raise ValidationError("link.same_account")
            raise ValidationError("link.already_linked")
        return identity_of(owner), owner.display_name


async def redeem_link_code(uow: UnitOfWork, channel: str, external_id: str, code: str) -> LinkView:
    """This identity sends a code made in another chat: both become one person.

    The sender (and any identity already linked to it) is linked to the code's account. The
    record moves to that account if only the sender had one; two different records are
    refused. The higher role of the two is kept, with its agency. The sender is taken to have
    accepted the personal-data notice if the other side has. The code is used up in the same
    transaction; a refusal changes nothing and leaves the code usable.
    """
    wanted = normalize_code(code)
    async with uow:
        session = uow.session
        if (await session.connection()).dialect.name == "postgresql":
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        now = utcnow()
        # Claimed by deleting it: of two redemptions at once, only one finds it.
        owner_id = await session.scalar(
            delete(LinkCode)
            .where(LinkCode.code == wanted, LinkCode.expires_at > now)
            .returning(LinkCode.account_id)
        )
        if owner_id is None:
            # Unknown and expired are told the same: nothing to learn by guessing.
            raise _bad_code()
        owner = await session.get(Account, owner_id)
        if owner is None:  # the foreign key cascades: cannot happen
            raise _bad_code()
        root = await root_of(session, owner)
        sender = await _account(session, channel, external_id)
        sender_root = await root_of(session, sender)
        if sender_root.id == root.id:
            if sender.id == owner.id:
                raise ValidationError("link.same_account")
            raise ValidationError("link.already_linked")
        if (
            root.person_id is not None
            and sender_root.person_id is not None
            and root.person_id != sender_root.person_id
        ):
            raise Conflict("link.two_records", first=root.person_id, second=sender_root.person_id)
        # Same person: the notice accepted on the code's side counts for this chat too.
        takes_consent = sender.consented_at is None and await _consented(session, root)
        await _merge(session, Actor(label=identity_of(sender)), root, sender_root)
        if takes_consent:
            sender.consented_at = now
        agency = await session.get(Agency, root.agency_id) if root.agency_id else None
        await uow.commit()
        return LinkView(
            identity=identity_of(sender),
            linked_to=identity_of(root),
            role=root.role.value,
            agency_code=agency.code if agency else None,
            agency_name=agency.name if agency else None,
            person_id=root.person_id,
            consented=sender.consented_at is not None,
        )


async def _merge(session: AsyncSession, actor: Actor, root: Account, joining: Account) -> None:
    """Move ``joining`` (a root) and the identities linked to it under ``root``."""
    if joining.person_id is not None and root.person_id is None:
        changelog.record(
            session,
            actor,
            entity="account",
            entity_id=root.id,
            action="link",
            field="person",
            old=None,
            new=joining.person_id,
        )
        root.person_id = joining.person_id
    if _RANK[joining.role] < _RANK[root.role]:
        agency = await session.get(Agency, joining.agency_id) if joining.agency_id else None
        changelog.record(
            session,
            actor,
            entity="account",
            entity_id=root.id,
            action="grant",
            field="role",
            old=root.role,
            new=joining.role.value + (f" {agency.code}" if agency else ""),
        )
        root.role, root.agency_id = joining.role, joining.agency_id
    already_linked = list(
        await session.scalars(select(Account).where(Account.linked_to_id == joining.id))
    )
    for account in (joining, *already_linked):
        changelog.record(
            session,
            actor,
            entity="account",
            entity_id=account.id,
            action="link",
            field="linked_to",
            old=identity_of(joining) if account is not joining else None,
            new=identity_of(root),
        )
        account.linked_to_id = root.id
    # What the root now holds is no longer the joining account's own.
    joining.role, joining.agency_id, joining.person_id = AccountRole.member, None, None
    await session.execute(delete(LinkCode).where(LinkCode.account_id == joining.id))
    # A claim still waiting goes with the person: once confirmed, the root holds the record.
    await session.execute(
        update(Claim)
        .where(Claim.account_id == joining.id, Claim.status == ClaimStatus.pending)
        .values(account_id=root.id)
    )
    await session.flush()


async def _consented(session: AsyncSession, root: Account) -> bool:
    """Whether the person accepted the personal-data notice on any of the root's identities."""
    if root.consented_at is not None:
        return True
    found = await session.scalar(
        select(Account.id)
        .where(Account.linked_to_id == root.id, Account.consented_at.is_not(None))
        .limit(1)
    )
    return found is not None
