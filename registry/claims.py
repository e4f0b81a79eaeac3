"""Claims: a person finds their agency already listed them, and asks for the record to be theirs.

An imported record belongs to no chat account. A member who registers with the same name (in
the same agency) and the same mobile is not told to start again: their chat account *claims*
the record. A typed mobile proves nothing (anyone can type a colleague's number), so the claim
waits, ``pending``, until the agency's focal point or Press Department staff confirm it (the
chat account is then linked to the record, and ``/me`` shows it) or refuse it (the record is
left alone). Telegram's share of one's own contact is proof enough and still links at once
(:func:`registry.people.claim_person`).

Every check of who may do what is here, so the chat, the terminal and the CLI apply the same
rules: the claimant is a member with no record; a decider manages the record's agency (staff
every agency, a focal point its own). Every change writes its ChangeLog entry in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry import changelog
from registry.actors import Actor, deny, manages_agency
from registry.errors import Conflict, NotFound, ValidationError
from registry.models import (
    Account,
    AccountRole,
    Agency,
    Claim,
    ClaimStatus,
    Person,
    PersonField,
    Status,
    utcnow,
)
from registry.people import link_account
from registry.uow import UnitOfWork
from registry.validation.phones import parse_mobile
from registry.views import PersonView

# A claim number as typed ("12", "#12"); anything longer is not a number we gave.
MAX_ID_TEXT = 12


@dataclass(frozen=True)
class Contact:
    """A chat identity to tell something, in its language."""

    channel: str
    external_id: str
    language: str | None


@dataclass(frozen=True)
class ClaimView:
    """A claim as the deciders see it: the record, and who claims it from which chat."""

    id: int
    status: str
    person: PersonView
    chat: str  # "zalo:123": the identity that asked
    display_name: str | None  # the name the chat platform gives the claimant
    claimant_language: str | None
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None

    @property
    def claimant(self) -> Contact:
        channel, _, external_id = self.chat.partition(":")
        return Contact(channel, external_id, self.claimant_language)


@dataclass(frozen=True)
class Filed:
    """A claim just made (or the one already waiting), and whom to tell of it."""

    claim: ClaimView
    new: bool
    deciders: list[Contact]


def parse_claim_id(text: str) -> int:
    """ "12" or "#12" -> 12; anything else is refused with the same clear message."""
    raw = (text or "").strip().lstrip("#").strip()
    if not raw or len(raw) > MAX_ID_TEXT or not raw.isdigit() or int(raw) <= 0:
        raise ValidationError("claim.bad_id", text=(text or "").strip()[:20])
    return int(raw)


async def _view(session: AsyncSession, claim: Claim) -> ClaimView:
    person = await session.get(Person, claim.person_id)
    account = await session.get(Account, claim.account_id)
    if person is None or account is None:  # foreign keys: cannot happen
        raise NotFound("claim.not_found", claim_id=claim.id)
    agency = await session.get(Agency, person.agency_id)
    assert agency is not None
    chat_account = await session.scalar(
        select(Account).where(
            Account.channel == claim.chat.partition(":")[0],
            Account.external_id == claim.chat.partition(":")[2],
        )
    )
    speaker = chat_account or account
    return ClaimView(
        id=claim.id,
        status=claim.status.value,
        person=PersonView.of(person, agency),
        chat=claim.chat,
        display_name=speaker.display_name,
        claimant_language=speaker.language,
        created_at=claim.created_at,
        decided_by=claim.decided_by,
        decided_at=claim.decided_at,
    )


async def _deciders(session: AsyncSession, agency_id: int) -> list[Contact]:
    """Staff and admins, and the focal points of the agency: those who may decide."""
    rows = await session.scalars(
        select(Account)
        .where(
            Account.linked_to_id.is_(None),
            or_(
                Account.role.in_((AccountRole.staff, AccountRole.admin)),
                (Account.role == AccountRole.focal) & (Account.agency_id == agency_id),
            ),
        )
        .order_by(Account.id)
    )
    return [Contact(a.channel, a.external_id, a.language) for a in rows]


async def file_claim(
    uow: UnitOfWork, actor: Actor, person_id: int, *, full_name: str, mobile: str
) -> Filed:
    """The actor's chat account claims record ``person_id``, giving the name and mobile it
    holds. Refused (``claim.no_match``, nothing said about the record) unless both match a
    live record nobody's account holds yet. A claim already waiting is returned again."""
    from registry.people import parse_field  # people imports nothing of this module

    name_key = parse_field(PersonField.full_name, full_name).columns["name_key"]
    phone = parse_mobile(mobile).e164
    async with uow:
        session = uow.session
        if actor.role is not AccountRole.member or actor.account_id is None:
            raise deny("claims.file")
        if actor.person_id is not None:
            raise Conflict("account.already_registered", person_id=actor.person_id)
        person = await session.get(Person, person_id)
        if (
            person is None
            or person.status is Status.retired
            or person.name_key != name_key
            or person.mobile != phone
        ):
            raise ValidationError("claim.no_match")
        holder = await session.scalar(select(Account.id).where(Account.person_id == person.id))
        if holder is not None:
            raise Conflict("claim.record_taken", person_id=person.id)
        waiting = await session.scalar(
            select(Claim).where(
                Claim.person_id == person.id,
                Claim.account_id == actor.account_id,
                Claim.status == ClaimStatus.pending,
            )
        )
        if waiting is not None:
            return Filed(await _view(session, waiting), False, [])
        claim = Claim(
            person_id=person.id,
            account_id=actor.account_id,
            chat=actor.label,
            status=ClaimStatus.pending,
        )
        session.add(claim)
        await uow.flush()
        changelog.record(
            session,
            actor,
            entity="claim",
            entity_id=claim.id,
            action="create",
            field="person",
            new=person.id,
        )
        view = await _view(session, claim)
        deciders = await _deciders(session, person.agency_id)
        await uow.commit()
        return Filed(view, True, deciders)


def _may_decide(actor: Actor) -> None:
    if not (actor.is_staff or (actor.role is AccountRole.focal and actor.agency_id is not None)):
        raise deny("claims.decide")


async def list_claims(uow: UnitOfWork, actor: Actor) -> list[ClaimView]:
    """The pending claims the actor may decide: staff every agency's, a focal point its own,
    oldest first."""
    _may_decide(actor)
    async with uow.reading():
        session = uow.session
        query = (
            select(Claim)
            .join(Person, Person.id == Claim.person_id)
            .where(Claim.status == ClaimStatus.pending)
            .order_by(Claim.id)
        )
        if not actor.is_staff:
            query = query.where(Person.agency_id == actor.agency_id)
        return [await _view(session, claim) for claim in await session.scalars(query)]


async def _claim_for(session: AsyncSession, actor: Actor, claim_id: int) -> tuple[Claim, Person]:
    claim = await session.get(Claim, claim_id)
    person = await session.get(Person, claim.person_id) if claim is not None else None
    # Someone else's agency's claim is "not found": its existence is none of their business.
    if claim is None or person is None or not manages_agency(actor, person.agency_id):
        raise NotFound("claim.not_found", claim_id=claim_id)
    return claim, person


async def show_claim(uow: UnitOfWork, actor: Actor, claim_id: int) -> ClaimView:
    _may_decide(actor)
    async with uow.reading():
        claim, _ = await _claim_for(uow.session, actor, claim_id)
        return await _view(uow.session, claim)


async def decide_claim(uow: UnitOfWork, actor: Actor, claim_id: int, *, confirm: bool) -> ClaimView:
    """Confirm (the claimant's chat account becomes the record's) or refuse (the record is
    left alone) a pending claim. A claim decided already, a record someone else holds meanwhile
    or a claimant who has a record of their own by now is refused with a reason."""
    _may_decide(actor)
    async with uow:
        session = uow.session
        claim, person = await _claim_for(session, actor, claim_id)
        if claim.status is not ClaimStatus.pending:
            raise Conflict("claim.decided", claim_id=claim.id, status=claim.status.value)
        if confirm:
            account = await session.get(Account, claim.account_id)
            assert account is not None
            if person.status is Status.retired:
                raise Conflict("claim.record_retired", person_id=person.id)
            holder = await session.scalar(select(Account.id).where(Account.person_id == person.id))
            if holder is not None:
                raise Conflict("claim.record_taken", person_id=person.id)
            if account.person_id is not None:
                raise Conflict("claim.has_record", person_id=account.person_id)
            link_account(session, actor, account, person)
        status = ClaimStatus.confirmed if confirm else ClaimStatus.refused
        changelog.record(
            session,
            actor,
            entity="claim",
            entity_id=claim.id,
            action="decide",
            field="status",
            old=claim.status,
            new=status,
        )
        claim.status, claim.decided_by, claim.decided_at = status, actor.label, utcnow()
        await uow.flush()
        view = await _view(session, claim)
        await uow.commit()
        return view


async def pending_of(uow: UnitOfWork, actor: Actor) -> list[ClaimView]:
    """The actor's own claims still waiting (what the claimant's /me can mention)."""
    if actor.account_id is None:
        return []
    async with uow.reading():
        rows = await uow.session.scalars(
            select(Claim)
            .where(Claim.account_id == actor.account_id, Claim.status == ClaimStatus.pending)
            .order_by(Claim.id)
        )
        return [await _view(uow.session, claim) for claim in rows]
