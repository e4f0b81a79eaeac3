"""Use cases about network members: register, update one field, retire, verify, show, history.

Each use case takes primitives (as typed by a person, in any channel) and a unit of work,
validates, checks the actor's permission, writes the change and its ChangeLog entries in one
transaction, and returns plain views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry import changelog
from registry.actors import Actor, deny, manages_agency, require_person_access
from registry.catalog import today_agency
from registry.errors import Conflict, Duplicate, NotFound, ValidationError
from registry.models import (
    Account,
    AccountRole,
    Agency,
    ChangeLog,
    NameWord,
    Person,
    PersonField,
    Role,
    Source,
    Status,
    utcnow,
)
from registry.uow import UnitOfWork
from registry.validation import (
    fold,
    name_recased,
    normalize_email,
    normalize_name,
    normalize_text,
    parse_mobile,
    parse_office_phone,
    parse_role,
)
from registry.views import ChangeView, Notice, PersonResult, PersonView

# What ``update_field`` changes, by name: every field of a person, in their order.
EDITABLE_FIELDS: tuple[str, ...] = tuple(f.value for f in PersonField)
ROLE_ORDER = tuple(Role)
_CONTACTS: tuple[str, ...] = tuple(f.value for f in PersonField.contacts())


@dataclass(frozen=True)
class ParsedField:
    """The columns one input sets, and what to tell the person about it."""

    columns: dict[str, Any]
    notices: list[Notice]


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def parse_field(field: str, value: str | None) -> ParsedField:
    """Validate one field as a person typed it; errors name the field they concern."""
    try:
        return _parse_field(field, value)
    except ValidationError as error:
        error.params.setdefault("field", field)
        raise


def _parse_field(field: str, value: str | None) -> ParsedField:
    if field == "full_name":
        name = normalize_name(value or "")
        # "NGUYỄN VĂN AN" is kept as "Nguyễn Văn An"; the person is told.
        recased = (
            [Notice("name.recased", {"name": name})] if name_recased(value or "", name) else []
        )
        return ParsedField({"full_name": name, "name_key": fold(name)}, recased)
    if field == "position":
        return ParsedField(
            {"position": normalize_text(value or "", field="position", required=False)}, []
        )
    if field == "note":
        note = normalize_text(value or "", field="note", max_length=1000, required=False)
        return ParsedField({"note": note}, [])
    if field == "role":
        return ParsedField({"role": Role(parse_role(value or ""))}, [])
    if field == "email":
        if _blank(value):
            return ParsedField({"email": None}, [])
        email = normalize_email(value or "")
        # "an@laocai.gov.vn." typed at the end of a sentence: the full stop is dropped, and said.
        dot = (value or "").strip().endswith(".")
        notices = [Notice("email.trailing_dot", {"email": email})] if dot else []
        return ParsedField({"email": email}, notices)
    if field == "mobile":
        if _blank(value):
            return ParsedField({"mobile": None}, [])
        phone = parse_mobile(value or "")
        return ParsedField({"mobile": phone.e164}, _conversion_notices(field, phone))
    if field == "office_phone":
        if _blank(value):
            return ParsedField({"office_phone": None, "office_ext": None}, [])
        phone = parse_office_phone(value or "")
        columns = {"office_phone": phone.e164, "office_ext": phone.extension}
        return ParsedField(columns, _conversion_notices(field, phone))
    raise ValidationError("person.unknown_field", field=field, fields=", ".join(EDITABLE_FIELDS))


def _conversion_notices(field: str, phone: Any) -> list[Notice]:
    joined = phone.joined_from
    notices = (
        [Notice("phone.slash.joined", {"field": field, "old": joined, "new": phone.national()})]
        if joined
        else []
    )
    if phone.converted_from is not None:
        notices.append(
            Notice(
                "phone.converted",
                {"field": field, "old": phone.converted_from, "new": phone.national()},
            )
        )
    return notices


def name_words(name_key: str) -> list[str]:
    """ "nguyen van an" -> ["nguyen van an", "van an", "an"] (see ``NameWord``)."""
    words = name_key.split()
    return sorted({" ".join(words[i:]) for i in range(len(words))})


async def _index_name(session: AsyncSession, person: Person) -> None:
    await session.execute(delete(NameWord).where(NameWord.person_id == person.id))
    session.add_all(NameWord(person_id=person.id, key=key) for key in name_words(person.name_key))


async def _check_duplicates(
    session: AsyncSession,
    *,
    agency_id: int,
    name_key: str | None,
    mobile: str | None,
    skip: int | None,
) -> None:
    active = Person.status != Status.retired
    if name_key is not None:
        same_name = await session.scalar(
            select(Person).where(
                active,
                Person.agency_id == agency_id,
                Person.name_key == name_key,
                Person.id != (skip or 0),
            )
        )
        if same_name is not None:
            raise Duplicate(
                "person.duplicate_name", person_id=same_name.id, name=same_name.full_name
            )
    if mobile is not None:
        holder = await session.scalar(
            select(Person).where(active, Person.mobile == mobile, Person.id != (skip or 0))
        )
        if holder is not None:
            raise Duplicate(
                "person.duplicate_mobile",
                person_id=holder.id,
                name=holder.full_name,
                field="mobile",
            )


def person_columns(
    *,
    full_name: str,
    role: str,
    position: str | None,
    mobile: str | None,
    office_phone: str | None,
    email: str | None,
    note: str | None,
) -> tuple[dict[str, Any], list[Notice]]:
    """A new person's columns as :func:`register_person` stores them, and what to tell; raises
    ``ValidationError`` as it does (a field that fails, no way to reach them)."""
    given = {
        PersonField.full_name: full_name,
        PersonField.position: position,
        PersonField.role: role,
        PersonField.mobile: mobile,
        PersonField.office_phone: office_phone,
        PersonField.email: email,
        PersonField.note: note,
    }
    columns: dict[str, Any] = {}
    notices: list[Notice] = []
    # In the fields' order, so that the first error and the notices come as they are asked.
    for field in PersonField:
        if field is PersonField.agency:
            continue
        item = parse_field(field.value, given[field])
        columns.update(item.columns)
        notices.extend(item.notices)
    if not any(columns[name] for name in _CONTACTS):
        raise ValidationError("person.no_contact", field="mobile")
    return columns, notices


async def register_person(
    uow: UnitOfWork,
    actor: Actor,
    *,
    agency: str,
    full_name: str,
    role: str,
    position: str | None = None,
    mobile: str | None = None,
    office_phone: str | None = None,
    email: str | None = None,
    note: str | None = None,
    source: str = Source.cli.value,
    publish_mobile: bool | None = None,
) -> PersonResult:
    """Add a member. A member registers themselves (pending, linked to their account); a focal
    point registers people of its agency and staff anyone (verified). ``publish_mobile`` is the
    person's own answer to publishing their mobile (None: not asked, which means no)."""
    columns, notices = person_columns(
        full_name=full_name,
        role=role,
        position=position,
        mobile=mobile,
        office_phone=office_phone,
        email=email,
        note=note,
    )
    async with uow:
        session = uow.session
        # A name merged away in 2025 leads to the agency it became part of, said in a notice.
        target, merged = await today_agency(session, agency)
        notices[:0] = merged
        registers_self = not manages_agency(actor, target.id)
        if registers_self:
            if actor.role is not AccountRole.member or actor.account_id is None:
                raise deny("people.register")
            if actor.person_id is not None:
                raise Conflict("account.already_registered", person_id=actor.person_id)
        await _check_duplicates(
            session,
            agency_id=target.id,
            name_key=columns["name_key"],
            mobile=columns["mobile"],
            skip=None,
        )
        person = Person(
            agency_id=target.id,
            status=Status.pending if registers_self else Status.verified,
            source=Source(source),
            **columns,
        )
        session.add(person)
        await uow.flush()
        await _index_name(session, person)
        changelog.person_created(session, actor, person, target)
        if publish_mobile is not None:
            person.publish_mobile = publish_mobile
            person.publish_mobile_at = utcnow()
            changelog.record(
                session,
                actor,
                entity="person",
                entity_id=person.id,
                action="consent",
                field="publish_mobile",
                new=publish_mobile,
            )
        if registers_self:
            await _link_account(session, actor, person)
        await uow.commit()
        return PersonResult(PersonView.of(person, target), notices)


async def _link_account(session: AsyncSession, actor: Actor, person: Person) -> None:
    """From now on the actor's chat account is this person (for /me, /update, /withdraw)."""
    account = await session.get(Account, actor.account_id)
    if account is None:
        raise NotFound("account.not_found", identity=actor.label)
    link_account(session, actor, account, person)


def link_account(session: AsyncSession, actor: Actor, account: Account, person: Person) -> None:
    """From now on ``account`` is this person's (its /me, /update, /withdraw), as ``actor``
    decided: the person themself, or whoever confirmed their claim."""
    account.person_id = person.id
    changelog.record(
        session,
        actor,
        entity="account",
        entity_id=account.id,
        action="link",
        field="person",
        new=person.id,
    )


async def _unlink_accounts(session: AsyncSession, actor: Actor, person: Person) -> None:
    """A retired record is no longer anyone's: its chat accounts may register anew (a new
    record, with its own history); the old one stays retired and is never reused."""
    for account in await session.scalars(select(Account).where(Account.person_id == person.id)):
        changelog.record(
            session,
            actor,
            entity="account",
            entity_id=account.id,
            action="unlink",
            field="person",
            old=person.id,
        )
        account.person_id = None


async def _person_and_agency(session: AsyncSession, person_id: int) -> tuple[Person, Agency] | None:
    statement = (
        select(Person, Agency)
        .join(Agency, Person.agency_id == Agency.id)
        .where(Person.id == person_id)
    )
    row = (await session.execute(statement)).first()
    return (row[0], row[1]) if row is not None else None


async def _load(
    session: AsyncSession, actor: Actor, person_id: int, action: str
) -> tuple[Person, Agency]:
    row = await _person_and_agency(session, person_id)
    if row is None:
        # Someone who may not browse the directory learns nothing about which ids exist.
        if not actor.is_staff and actor.role is not AccountRole.focal:
            raise deny(action)
        raise NotFound("person.not_found", person_id=person_id)
    person, agency = row
    require_person_access(actor, person.id, agency.id, action)
    return person, agency


def _check_version(person: Person, expected_version: int | None) -> None:
    if expected_version is not None and person.version != expected_version:
        raise Conflict(
            "person.changed", person_id=person.id, expected=expected_version, current=person.version
        )


async def update_field(
    uow: UnitOfWork,
    actor: Actor,
    person_id: int,
    field: str,
    value: str | None,
    *,
    expected_version: int | None = None,
) -> PersonResult:
    """Change one field. A stale ``expected_version`` is refused and nothing is written."""
    async with uow:
        session = uow.session
        person, agency = await _load(session, actor, person_id, "people.update")
        if person.status is Status.retired:
            raise ValidationError("person.retired", person_id=person.id)
        _check_version(person, expected_version)
        notices: list[Notice] = []
        if field == "agency":
            new_agency, notices = await today_agency(session, value or "")
            if not manages_agency(actor, new_agency.id) or not manages_agency(actor, agency.id):
                raise deny("people.move")
            columns: dict[str, Any] = {"agency_id": new_agency.id}
        else:
            parsed = parse_field(field, value)
            columns, notices = parsed.columns, parsed.notices
            new_agency = agency
        old = {name: getattr(person, name) for name in columns}
        if old == columns:
            return PersonResult(
                PersonView.of(person, agency), [Notice("person.unchanged", {"field": field})]
            )
        if not any(columns.get(name, getattr(person, name)) for name in _CONTACTS):
            raise ValidationError("person.no_contact", field=field)
        await _check_duplicates(
            session,
            agency_id=columns.get("agency_id", person.agency_id),
            name_key=columns.get("name_key", person.name_key),
            mobile=columns.get("mobile", person.mobile),
            skip=person.id,
        )
        logged = PersonField(field)
        old_display = agency.code if field == "agency" else changelog.logged_value(person, logged)
        for name, value_ in columns.items():
            setattr(person, name, value_)
        person.confirmed_at = utcnow()  # whoever changed it had the record in front of them
        new_display = (
            new_agency.code if field == "agency" else changelog.logged_value(person, logged)
        )
        changelog.record(
            session,
            actor,
            entity="person",
            entity_id=person.id,
            action="update",
            field=field,
            old=old_display,
            new=new_display,
        )
        if "name_key" in columns:
            await _index_name(session, person)
        await uow.commit()
        return PersonResult(PersonView.of(person, new_agency), notices)


async def _set_status(
    uow: UnitOfWork,
    actor: Actor,
    person_id: int,
    status: Status,
    action: str,
    expected_version: int | None,
) -> PersonView:
    async with uow:
        session = uow.session
        person, agency = await _load(session, actor, person_id, f"people.{action}")
        if action == "verify" and not manages_agency(actor, agency.id):
            raise deny("people.verify")
        _check_version(person, expected_version)
        if person.status is status:
            return PersonView.of(person, agency)
        if person.status is Status.retired:
            # Coming back after a withdrawal is a new registration, with a new consent.
            raise ValidationError("person.retired", person_id=person.id)
        changelog.record(
            session,
            actor,
            entity="person",
            entity_id=person.id,
            action=action,
            field="status",
            old=person.status,
            new=status,
        )
        person.status = status
        if status is Status.retired:
            await _unlink_accounts(session, actor, person)
        await uow.commit()
        return PersonView.of(person, agency)


async def retire_person(
    uow: UnitOfWork, actor: Actor, person_id: int, *, expected_version: int | None = None
) -> PersonView:
    """Retire a record (also how a member withdraws); the record and its history are kept, the
    chat accounts are unlinked from it, so the person may register again as someone new."""
    return await _set_status(uow, actor, person_id, Status.retired, "retire", expected_version)


async def verify_person(
    uow: UnitOfWork, actor: Actor, person_id: int, *, expected_version: int | None = None
) -> PersonView:
    return await _set_status(uow, actor, person_id, Status.verified, "verify", expected_version)


async def confirm_person(
    uow: UnitOfWork, actor: Actor, person_id: int, *, expected_version: int | None = None
) -> PersonView:
    """The person (or whoever manages their agency) says the details are still right: the
    re-confirmation date moves to now, and the history says who confirmed."""
    async with uow:
        session = uow.session
        person, agency = await _load(session, actor, person_id, "people.confirm")
        if person.status is Status.retired:
            raise ValidationError("person.retired", person_id=person.id)
        _check_version(person, expected_version)
        now = utcnow()
        changelog.record(
            session,
            actor,
            entity="person",
            entity_id=person.id,
            action="confirm",
            field="confirmed_at",
            old=person.confirmed_at.isoformat() if person.confirmed_at else None,
            new=now.isoformat(),
        )
        person.confirmed_at = now
        await uow.commit()
        return PersonView.of(person, agency)


async def show_person(uow: UnitOfWork, actor: Actor, person_id: int) -> PersonView:
    async with uow.reading():
        person, agency = await _load(uow.session, actor, person_id, "people.show")
        return PersonView.of(person, agency)


async def person_history(uow: UnitOfWork, actor: Actor, person_id: int) -> list[ChangeView]:
    async with uow.reading():
        await _load(uow.session, actor, person_id, "people.history")
        entries = await uow.session.scalars(
            select(ChangeLog)
            .where(ChangeLog.entity == "person", ChangeLog.entity_id == person_id)
            .order_by(ChangeLog.id)
        )
        return [ChangeView.of(entry) for entry in entries]


async def claim_person(
    uow: UnitOfWork, actor: Actor, person_id: int, *, verified_mobile: str
) -> PersonView:
    """Link a member's account to a record already listed for them (by an import, say).

    The proof is the mobile the chat platform itself vouches for (a contact the person shared
    from their own account), which must be the record's mobile.
    """
    phone = parse_mobile(verified_mobile)
    async with uow:
        session = uow.session
        if actor.role is not AccountRole.member or actor.account_id is None:
            raise deny("people.claim")
        if actor.person_id is not None:
            raise Conflict("account.already_registered", person_id=actor.person_id)
        row = await _person_and_agency(session, person_id)
        if row is None or row[0].status is Status.retired or row[0].mobile != phone.e164:
            raise deny("people.claim")
        person, agency = row
        linked = await session.scalar(select(Account).where(Account.person_id == person.id))
        if linked is not None:
            raise deny("people.claim")
        await _link_account(session, actor, person)
        await uow.commit()
        return PersonView.of(person, agency)
