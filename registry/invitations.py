"""Invitations: a signed token mailed to an agency, that starts a registration for it.

The Press Department writes to every agency with a link and a QR code. The token in them fits
Telegram's deep-link parameter (at most 64 characters of ``A-Z a-z 0-9 _ -``): 30 bytes in
URL-safe base64 without padding, 40 characters, which decode one way only. The bytes are a
version, the purpose, the invitation's id, the agency's id, the expiry (Unix seconds) and the
first 16 bytes of an HMAC-SHA256 of all of those under ``SPOKES_INVITATION_SECRET``. A token
that was changed fails the signature before the database is asked anything; one that is past
its expiry fails on its own expiry. The row (:class:`registry.models.Invitation`) holds what a
revocation and the uses need, never the token: a revoked or used-up invitation is refused.

A focal-point invitation is used once: the person who accepts it becomes the agency's focal
point. A spokespeople invitation may be used by up to ``max_uses`` people, each registering
themselves for the agency; a use counts when the registration is written, in its transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry import changelog
from registry.actors import Actor, require_staff
from registry.catalog import agency_views, kind_rank, parse_kind, today_agency
from registry.errors import NotFound, PermissionDenied, RegistryError, ValidationError
from registry.models import (
    Account,
    AccountRole,
    Agency,
    Invitation,
    InvitationPurpose,
    Person,
    Status,
    utcnow,
)
from registry.settings import Settings
from registry.uow import UnitOfWork
from registry.views import AgencyView

VERSION = 1
TOKEN_LENGTH = 40
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{40}$")
_LAYOUT = struct.Struct(">BBIII")  # version, purpose, invitation id, agency id, expiry
_MAC_BYTES = 16
_PURPOSES = {InvitationPurpose.focal: 1, InvitationPurpose.spokespeople: 2}
_BY_NUMBER = {number: purpose for purpose, number in _PURPOSES.items()}
_DOMAIN = b"spokes invitation\n"
MAX_USES = 100
MAX_DAYS = 366
# An invitation number as typed ("12", "#12").
MAX_ID_TEXT = 10


class InvitationRefused(RegistryError):
    """An invitation that does not open: ``invitation.tampered``, ``.expired``, ``.used`` or
    ``.revoked`` (its message says which, and what to do)."""


@dataclass(frozen=True)
class Signed:
    """What a genuine token says."""

    invitation_id: int
    agency_id: int
    purpose: InvitationPurpose
    expires_at: datetime


def secret_key(settings: Settings) -> bytes:
    """The signing key; invitations cannot be made or checked without one."""
    secret = settings.invitation_secret
    value = secret.get_secret_value() if secret is not None else ""
    if not value:
        raise ValidationError("invitation.no_secret")
    if len(value) < 32:
        raise ValidationError("invitation.short_secret")
    return value.encode()


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, _DOMAIN + body, hashlib.sha256).digest()[:_MAC_BYTES]


def sign(key: bytes, signed: Signed) -> str:
    body = _LAYOUT.pack(
        VERSION,
        _PURPOSES[signed.purpose],
        signed.invitation_id,
        signed.agency_id,
        int(signed.expires_at.timestamp()),
    )
    return base64.urlsafe_b64encode(body + _mac(key, body)).decode().rstrip("=")


def verify(key: bytes, token: str, now: datetime | None = None) -> Signed:
    """What a genuine, unexpired token says; :class:`InvitationRefused` otherwise."""
    text = (token or "").strip()
    if not _TOKEN.match(text):
        raise InvitationRefused("invitation.tampered")
    raw = base64.urlsafe_b64decode(text)
    body, mac = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
    if not hmac.compare_digest(mac, _mac(key, body)):
        raise InvitationRefused("invitation.tampered")
    version, purpose, invitation_id, agency_id, expiry = _LAYOUT.unpack(body)
    if version != VERSION or purpose not in _BY_NUMBER:
        raise InvitationRefused("invitation.tampered")
    expires_at = datetime.fromtimestamp(expiry, UTC)
    if (now or utcnow()) >= expires_at:
        raise InvitationRefused("invitation.expired", expires=expires_at.strftime("%d/%m/%Y"))
    return Signed(invitation_id, agency_id, _BY_NUMBER[purpose], expires_at)


def looks_like_token(text: str) -> bool:
    """Whether ``text`` has the shape of an invitation token (nothing is checked)."""
    return bool(_TOKEN.match((text or "").strip()))


def parse_purpose(text: str) -> InvitationPurpose:
    try:
        return InvitationPurpose((text or "").strip().lower())
    except ValueError:
        raise ValidationError(
            "invitation.unknown_purpose",
            purpose=(text or "")[:40],
            purposes=", ".join(p.value for p in InvitationPurpose),
        ) from None


def parse_invitation_id(text: str) -> int:
    raw = (text or "").strip().lstrip("#").strip()
    if not raw or len(raw) > MAX_ID_TEXT or not raw.isdigit() or int(raw) <= 0:
        raise ValidationError("invitation.bad_id", text=(text or "").strip()[:20])
    return int(raw)


@dataclass(frozen=True)
class InvitationView:
    id: int
    agency: AgencyView
    purpose: str
    expires_at: datetime
    max_uses: int
    uses: int
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    def state(self, now: datetime | None = None) -> str:
        """``active``, ``revoked``, ``used`` or ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.uses >= self.max_uses:
            return "used"
        if (now or utcnow()) >= self.expires_at:
            return "expired"
        return "active"


@dataclass(frozen=True)
class Issued:
    """An invitation just made, with its token (shown once; never stored)."""

    invitation: InvitationView
    token: str


async def _view(session: AsyncSession, row: Invitation) -> InvitationView:
    agency = await session.get(Agency, row.agency_id)
    assert agency is not None  # a foreign key
    [view] = await agency_views(session, [agency])
    return InvitationView(
        id=row.id,
        agency=view,
        purpose=row.purpose.value,
        expires_at=row.expires_at,
        max_uses=row.max_uses,
        uses=row.uses,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
    )


async def _targets(
    session: AsyncSession, *, agency: str | None, kind: str | None, missing: bool
) -> list[Agency]:
    """The agencies to invite: one named, every current one of a kind, or those with nobody."""
    if sum(bool(x) for x in (agency, kind, missing)) != 1:
        raise ValidationError("invitation_cli.which_agencies")
    if agency:
        # A name of before the 2025 mergers invites the agency it merged into.
        return [(await today_agency(session, agency))[0]]
    wanted = parse_kind(kind) if kind else None
    today = utcnow().date()
    answered = select(Person.agency_id).where(Person.status != Status.retired)
    statement = select(Agency)
    if missing:
        statement = statement.where(Agency.id.not_in(answered))
    chosen = [
        a
        for a in await session.scalars(statement)
        if a.is_current(today) and (wanted is None or a.kind is wanted)
    ]
    chosen.sort(key=lambda a: (kind_rank(a.kind), a.sort_order, a.name))
    return chosen


async def create_invitations(
    uow: UnitOfWork,
    actor: Actor,
    key: bytes,
    *,
    purpose: str,
    agency: str | None = None,
    kind: str | None = None,
    missing: bool = False,
    days: int = 60,
    max_uses: int | None = None,
) -> list[Issued]:
    """One invitation per agency named (``agency``), of a kind (``kind``) or still without
    anybody registered (``missing``), valid ``days`` days. Staff only."""
    require_staff(actor, "invitations.create")
    wanted = parse_purpose(purpose)
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError("invitation.bad_days", days=days, max=MAX_DAYS)
    uses = 1 if wanted is InvitationPurpose.focal else (max_uses or 10)
    if not 1 <= uses <= MAX_USES or (
        wanted is InvitationPurpose.focal and max_uses not in (None, 1)
    ):
        raise ValidationError("invitation.bad_uses", max=MAX_USES)
    now = utcnow().replace(microsecond=0)
    expires_at = now + timedelta(days=days)
    async with uow:
        session = uow.session
        issued: list[Issued] = []
        for target in await _targets(session, agency=agency, kind=kind, missing=missing):
            row = Invitation(
                agency_id=target.id,
                purpose=wanted,
                expires_at=expires_at,
                max_uses=uses,
                uses=0,
                created_at=now,
                created_by=actor.label,
            )
            session.add(row)
            await uow.flush()
            changelog.record(
                session,
                actor,
                entity="invitation",
                entity_id=row.id,
                action="create",
                field="agency",
                new=f"{target.code} {wanted.value}",
            )
            signed = Signed(row.id, target.id, wanted, expires_at)
            issued.append(Issued(await _view(session, row), sign(key, signed)))
        await uow.commit()
        return issued


async def _open(session: AsyncSession, key: bytes, token: str) -> tuple[Signed, Invitation]:
    signed = verify(key, token)
    row = await session.get(Invitation, signed.invitation_id)
    if (
        row is None
        or row.agency_id != signed.agency_id
        or row.purpose is not signed.purpose
        or int(row.expires_at.timestamp()) != int(signed.expires_at.timestamp())
    ):
        raise InvitationRefused("invitation.tampered")
    if row.revoked_at is not None:
        raise InvitationRefused("invitation.revoked")
    if row.uses >= row.max_uses:
        raise InvitationRefused("invitation.used")
    return signed, row


async def check(uow: UnitOfWork, key: bytes, token: str) -> InvitationView:
    """The invitation a token opens, changing nothing; :class:`InvitationRefused` if none."""
    async with uow.reading():
        _, row = await _open(uow.session, key, token)
        return await _view(uow.session, row)


async def _use(session: AsyncSession, actor: Actor, row: Invitation) -> None:
    """Count one use, unless a concurrent one took the last (then refused)."""
    now = utcnow()
    done = await session.execute(
        update(Invitation)
        .where(
            Invitation.id == row.id,
            Invitation.uses < Invitation.max_uses,
            Invitation.revoked_at.is_(None),
        )
        .values(uses=Invitation.uses + 1, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise InvitationRefused("invitation.used")
    await session.refresh(row)
    changelog.record(
        session,
        actor,
        entity="invitation",
        entity_id=row.id,
        action="use",
        field="uses",
        old=row.uses - 1,
        new=row.uses,
    )


async def use_for_registration(
    uow: UnitOfWork, actor: Actor, key: bytes, token: str, agency_id: int
) -> InvitationView:
    """A spokespeople invitation used by a registration for ``agency_id``: counted in the
    caller's transaction, so the use and the registration are kept together or not at all."""
    async with uow:
        signed, row = await _open(uow.session, key, token)
        if signed.purpose is not InvitationPurpose.spokespeople or row.agency_id != agency_id:
            raise InvitationRefused("invitation.tampered")
        await _use(uow.session, actor, row)
        view = await _view(uow.session, row)
        await uow.commit()
        return view


async def accept_focal(uow: UnitOfWork, actor: Actor, key: bytes, token: str) -> InvitationView:
    """The person accepts a focal-point invitation: their account becomes the focal point of
    the invited agency, and the invitation is used."""
    if actor.account_id is None:
        raise PermissionDenied("permission.denied", action="invitations.accept")
    if actor.is_staff:
        raise ValidationError("invitation.staff_already")
    async with uow:
        session = uow.session
        signed, row = await _open(session, key, token)
        if signed.purpose is not InvitationPurpose.focal:
            raise InvitationRefused("invitation.tampered")
        account = await session.get(Account, actor.account_id)
        if account is None:
            raise NotFound("account.not_found", identity=actor.label)
        agency = await session.get(Agency, row.agency_id)
        assert agency is not None
        await _use(session, actor, row)
        old = account.role.value + (f" {account.agency_id}" if account.agency_id else "")
        changelog.record(
            session,
            actor,
            entity="account",
            entity_id=account.id,
            action="grant",
            field="role",
            old=old,
            new=f"focal {agency.code} (invitation {row.id})",
        )
        account.role = AccountRole.focal
        account.agency_id = agency.id
        view = await _view(session, row)
        await uow.commit()
        return view


async def revoke(uow: UnitOfWork, actor: Actor, invitation_id: int) -> InvitationView:
    """Revoke an invitation: its token is refused from now on. Staff only."""
    require_staff(actor, "invitations.revoke")
    async with uow:
        session = uow.session
        row = await session.get(Invitation, invitation_id)
        if row is None:
            raise NotFound("invitation.not_found", invitation_id=invitation_id)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            row.revoked_by = actor.label
            changelog.record(
                session,
                actor,
                entity="invitation",
                entity_id=row.id,
                action="revoke",
                field="revoked_at",
                new=row.revoked_at,
            )
        view = await _view(session, row)
        await uow.commit()
        return view


async def list_invitations(
    uow: UnitOfWork, actor: Actor, *, active_only: bool = False
) -> list[InvitationView]:
    """Every invitation, newest first (only those still usable with ``active_only``)."""
    require_staff(actor, "invitations.list")
    async with uow.reading():
        rows = await uow.session.scalars(select(Invitation).order_by(Invitation.id.desc()))
        views = [await _view(uow.session, row) for row in rows]
    now = utcnow()
    return [v for v in views if not active_only or v.state(now) == "active"]
