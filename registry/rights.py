"""A person's rights over their data (Law 91/2025, Nghị định 356/2025): see it all, erase it.

:func:`personal_data` gathers everything the registry holds about one person: their records
(the current one and any they withdrew from), the full history of those records, their chat
identities with roles, languages, dates and consents, and what of them is published. The bot
adds what only it keeps (dialog state, inbox, held files), so that the person gets one file.

:func:`erase_person` turns a record into a tombstone: every personal field blanked, the status
retired with ``erased_at`` set so that it never shows again (not in searches, lists, exports or
statistics), the change log kept for who and when but without the personal values, and the chat
identities unlinked from it and stripped of their display name and consent. It reports the
chats whose chat-only data the bot must forget, and whether the agency is left without a
published spokesperson, so that staff can ask it to name a successor.

A member may do both only for themself; staff (and the CLI) for anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry import changelog
from registry.accounts import StaffChat, staff_in
from registry.actors import Actor, deny
from registry.errors import NotFound, ValidationError
from registry.models import (
    Account,
    Agency,
    ChangeLog,
    Claim,
    LinkCode,
    NameWord,
    Person,
    PersonField,
    Role,
    Status,
    utcnow,
)
from registry.roster.export.columns import PRINTED_FIELDS
from registry.uow import UnitOfWork
from registry.views import ChangeView, PersonView, _jsonable, identity_of

# What an erased record shows instead of a name (a name is required by the schema).
TOMBSTONE_NAME = "—"
# Change-log fields whose values are not about the person and stay readable after an erasure.
KEPT_FIELDS = frozenset({PersonField.agency.value, PersonField.role.value, "status"})
SPOKESPERSON_ROLES = (Role.spokesperson, Role.authorized_spokesperson)

Chat = tuple[str, str]  # (channel, external id) of a chat identity; its private chat has that id


@dataclass(frozen=True)
class PersonalData:
    """What the registry holds about one person, ready for a JSON file."""

    sections: dict[str, Any]
    chats: list[Chat]  # the person's chat identities: the bot adds what it keeps of them


@dataclass(frozen=True)
class Erasure:
    """What an erasure did, and what is left to do outside the registry."""

    person_ids: list[int]
    agency_code: str | None
    agency_name: str | None
    chats: list[Chat]  # chats whose chat-only data is to be forgotten
    successor_needed: bool  # the agency has no published spokesperson left
    staff: list[StaffChat] = field(default_factory=list)


def _may_act_for(actor: Actor, person_id: int | None, action: str) -> None:
    if actor.is_staff:
        return
    if person_id is None or actor.person_id != person_id:
        raise deny(action)


async def _identities(session: AsyncSession, roots: list[int]) -> list[Account]:
    """The accounts ``roots`` and every account linked to them, in id order."""
    if not roots:
        return []
    return list(
        await session.scalars(
            select(Account)
            .where(or_(Account.id.in_(roots), Account.linked_to_id.in_(roots)))
            .order_by(Account.id)
        )
    )


async def _former_records(session: AsyncSession, account_ids: list[int]) -> list[int]:
    """Records these accounts were ever linked to (a withdrawal unlinks the account)."""
    if not account_ids:
        return []
    values = await session.scalars(
        select(ChangeLog.new_value).where(
            ChangeLog.entity == "account",
            ChangeLog.entity_id.in_(account_ids),
            ChangeLog.action == "link",
            ChangeLog.field == "person",
        )
    )
    return sorted({int(v) for v in values if v is not None and v.isdigit()})


async def _scope(
    session: AsyncSession, actor: Actor, person_id: int | None, action: str
) -> tuple[list[Account], list[Person]]:
    """The person's chat identities and records, for ``person_id`` or, without one, for the
    actor's own chat identity."""
    if person_id is not None:
        _may_act_for(actor, person_id, action)
        person = await session.get(Person, person_id)
        if person is None:
            if not actor.is_staff:
                raise deny(action)
            raise NotFound("person.not_found", person_id=person_id)
        roots = list(
            await session.scalars(select(Account.id).where(Account.person_id == person_id))
        )
        linked_before = list(
            await session.scalars(
                select(ChangeLog.entity_id).where(
                    ChangeLog.entity == "account",
                    ChangeLog.action == "link",
                    ChangeLog.field == "person",
                    ChangeLog.new_value == str(person_id),
                )
            )
        )
        accounts = await _identities(session, sorted({*roots, *linked_before}))
        return accounts, [person]
    if actor.account_id is None:
        raise deny(action)
    accounts = await _identities(session, [actor.account_id])
    ids = await _former_records(session, [a.id for a in accounts])
    if actor.person_id is not None:
        ids = sorted({*ids, actor.person_id})
    records = list(await session.scalars(select(Person).where(Person.id.in_(ids))))
    return accounts, [p for p in records if p.erased_at is None]


def _claims_of(accounts: list[Account], persons: list[Person]) -> ColumnElement[bool]:
    """The claims made by these chat accounts or for these records."""
    return or_(
        Claim.account_id.in_([a.id for a in accounts]),
        Claim.person_id.in_([p.id for p in persons]),
    )


def _account_entry(account: Account, by_id: dict[int, Account]) -> dict[str, Any]:
    root = by_id.get(account.linked_to_id) if account.linked_to_id else None
    return {
        "identity": identity_of(account),
        "channel": account.channel,
        "external_id": account.external_id,
        "role": (root or account).role.value,
        "language": account.language,
        "display_name": account.display_name,
        "record": (root or account).person_id,
        "linked_to": identity_of(root) if root is not None else None,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
        "consented_at": account.consented_at,
    }


def _published(person: Person, view: PersonView) -> dict[str, Any]:
    """What the roster exports (xlsx, csv, vCard) print about the person, if anything."""
    shown = person.status is not Status.retired
    values = view.to_dict()
    printed = {
        name: (view.agency_name if name == PersonField.agency.value else values.get(name))
        for name in PRINTED_FIELDS
    }
    return {
        "in_roster_exports": shown,
        "formats": ["xlsx", "csv", "vcf"] if shown else [],
        "fields": printed if shown else {},
        "not_printed": [PersonField.note.value],
        # The published directory (registry.published): verified people, the mobile by consent.
        "public_directory": {
            "listed": person.status is Status.verified and person.erased_at is None,
            "publish_mobile": person.publish_mobile,
            "publish_mobile_answered_at": person.publish_mobile_at,
        },
    }


async def personal_data(
    uow: UnitOfWork, actor: Actor, person_id: int | None = None
) -> PersonalData:
    """Everything held about one person: ``person_id`` (staff, or the person), or the actor's
    own records and chat identities when ``person_id`` is None."""
    async with uow.reading():
        session = uow.session
        accounts, persons = await _scope(session, actor, person_id, "people.export_data")
        by_id = {a.id: a for a in accounts}
        records: list[dict[str, Any]] = []
        for person in persons:
            agency = await session.get(Agency, person.agency_id)
            if agency is None:  # the foreign key makes this impossible
                raise NotFound("agency.not_found", agency=person.agency_id)
            view = PersonView.of(person, agency)
            entries = await session.scalars(
                select(ChangeLog)
                .where(ChangeLog.entity == "person", ChangeLog.entity_id == person.id)
                .order_by(ChangeLog.id)
            )
            records.append(
                {
                    "record": {**view.to_dict(), "erased_at": person.erased_at},
                    "history": [ChangeView.of(e).to_dict() for e in entries],
                    "published": _published(person, view),
                }
            )
        account_history = (
            await session.scalars(
                select(ChangeLog)
                .where(ChangeLog.entity == "account", ChangeLog.entity_id.in_(list(by_id)))
                .order_by(ChangeLog.id)
            )
            if by_id
            else []
        )
        claims = (
            await session.scalars(
                select(Claim).where(_claims_of(accounts, persons)).order_by(Claim.id)
            )
        ).all()
        sections = {
            "records": records,
            "claims": [
                {
                    "id": c.id,
                    "record": c.person_id,
                    "identity": c.chat,
                    "status": c.status,
                    "made_at": c.created_at,
                    "decided_by": c.decided_by,
                    "decided_at": c.decided_at,
                }
                for c in claims
            ],
            "accounts": [_account_entry(a, by_id) for a in accounts],
            "account_history": [
                {"identity": identity_of(by_id[e.entity_id]), **ChangeView.of(e).to_dict()}
                for e in account_history
            ],
            "consents": [
                {
                    "identity": identity_of(a),
                    "consent": "personal_data_notice",
                    "given_at": a.consented_at,
                }
                for a in accounts
                if a.consented_at is not None
            ],
        }
        return PersonalData(_jsonable(sections), [(a.channel, a.external_id) for a in accounts])


# --- erasure ----------------------------------------------------------------------------------


async def _blank_history(session: AsyncSession, person_id: int) -> None:
    """Keep who and when of every entry; drop the personal values."""
    await session.execute(
        update(ChangeLog)
        .where(
            ChangeLog.entity == "person",
            ChangeLog.entity_id == person_id,
            or_(ChangeLog.field.is_(None), ChangeLog.field.not_in(KEPT_FIELDS)),
        )
        .values(old_value=None, new_value=None)
        .execution_options(synchronize_session=False)
    )


def _tombstone(person: Person, now: datetime) -> None:
    person.full_name, person.name_key = TOMBSTONE_NAME, ""
    person.position = person.mobile = person.office_phone = person.office_ext = None
    person.email = person.note = None
    person.publish_mobile = False
    person.status, person.erased_at = Status.retired, now


async def _left_without_spokesperson(session: AsyncSession, person: Person) -> bool:
    """Whether erasing ``person`` leaves the agency with no verified spokesperson (when they
    were one) or nobody published at all (when they were published)."""
    was_published = person.status is not Status.retired
    was_spokesperson = person.status is Status.verified and person.role in SPOKESPERSON_ROLES
    if not was_published:
        return False
    others = select(Person.id).where(
        Person.agency_id == person.agency_id,
        Person.id != person.id,
        Person.status != Status.retired,
    )
    if await session.scalar(others.limit(1)) is None:
        return True
    if was_spokesperson:
        spokesperson = others.where(
            Person.status == Status.verified, Person.role.in_(SPOKESPERSON_ROLES)
        )
        return await session.scalar(spokesperson.limit(1)) is None
    return False


async def erase_person(uow: UnitOfWork, actor: Actor, person_id: int | None = None) -> Erasure:
    """Erase a person's data: ``person_id`` (staff, or the person), or the actor's own records
    (the current one and any withdrawn) when it is None. Nothing personal is left in the
    registry; the change log keeps who did what and when."""
    async with uow:
        session = uow.session
        accounts, persons = await _scope(session, actor, person_id, "people.erase")
        live = [p for p in persons if p.erased_at is None]
        if person_id is not None and not live:
            raise ValidationError("rights.erased", person_id=person_id)
        now = utcnow()
        successor_needed = False
        agency: Agency | None = None
        for person in live:
            if await _left_without_spokesperson(session, person):
                successor_needed = True
                agency = await session.get(Agency, person.agency_id)
            await _blank_history(session, person.id)
            await session.execute(delete(NameWord).where(NameWord.person_id == person.id))
            _tombstone(person, now)
            changelog.record(session, actor, entity="person", entity_id=person.id, action="erase")
        erased = {p.id for p in live}
        for account in accounts:
            if account.person_id in erased:
                changelog.record(
                    session,
                    actor,
                    entity="account",
                    entity_id=account.id,
                    action="unlink",
                    field="person",
                    old=account.person_id,
                )
                account.person_id = None
            # A display name is the person's; the consent was given for what is now gone.
            account.display_name, account.consented_at = None, None
        if accounts:
            await session.execute(
                delete(LinkCode).where(LinkCode.account_id.in_([a.id for a in accounts]))
            )
        # A claim names the chat that asked; the change log keeps who decided what, and when.
        await session.execute(delete(Claim).where(_claims_of(accounts, live)))
        staff = await staff_in(session) if successor_needed else []
        await uow.commit()
        return Erasure(
            person_ids=sorted(erased),
            agency_code=agency.code if agency else None,
            agency_name=agency.name if agency else None,
            chats=[(a.channel, a.external_id) for a in accounts],
            successor_needed=successor_needed,
            staff=staff,
        )
