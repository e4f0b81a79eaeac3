"""The published directory: what the public (the press, agency portals, open data) may see.

Everything public goes through this module, so the rule is written once (Nghị định 09/2017,
42/2022 and the decree of 1/7/2026 make an official's name, position, role, agency, office
phone and official email public; a personal mobile needs the person's consent, Luật Bảo vệ dữ
liệu cá nhân 2025):

- only **verified** people appear; pending, retired and erased records never do, and a
  retirement hides a person at the next request (nothing is cached here);
- the personal mobile appears only when the person agreed (``publish_mobile``), which they
  answer in /register and /update, default no, and may withdraw; each answer is in the
  change log with its date;
- the note (for staff), the status, the source and any chat identity never leave the registry.

Reading needs no actor: the published directory is for anyone. Each person carries the date
they last confirmed their details (registering, an update, a re-confirmation), so a reader
knows how fresh a contact is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, and_, func, select

from registry import changelog
from registry.actors import Actor, deny
from registry.catalog import KIND_ORDER, kind_rank
from registry.errors import NotFound, ValidationError
from registry.models import Agency, AgencyKind, NameWord, Person, Role, Status, utcnow
from registry.roster.export.selection import ExportRow
from registry.uow import UnitOfWork
from registry.validation import fold

MAX_RESULTS = 50
MAX_QUERY = 100
# A key sorts below this bound exactly when it starts with the prefix (keys are [a-z0-9 ]).
_AFTER_ANY_KEY_CHAR = "\x7f"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PublicPerson:
    """One person as published: only fields the law makes public, and the mobile by consent."""

    id: int
    agency_code: str
    agency_name: str
    agency_kind: str
    full_name: str
    position: str | None
    role: str
    office_phone: str | None  # E.164
    office_ext: str | None
    email: str | None
    mobile: str | None  # E.164, only when the person agreed to publish it
    updated_at: datetime  # the date of the last change
    # When the person last confirmed their details are still right.
    confirmed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PublicAgency:
    code: str
    name: str
    short_name: str | None
    kind: str
    parent_code: str | None
    people: int  # published people
    updated_at: datetime | None  # the last change of one of its published people


def _published() -> ColumnElement[bool]:
    return and_(Person.status == Status.verified, Person.erased_at.is_(None))


def _role_rank(role: Role) -> int:
    return list(Role).index(role)


def _public(person: Person, agency: Agency) -> PublicPerson:
    return PublicPerson(
        id=person.id,
        agency_code=agency.code,
        agency_name=agency.name,
        agency_kind=agency.kind.value,
        full_name=person.full_name,
        position=person.position,
        role=person.role.value,
        office_phone=person.office_phone,
        office_ext=person.office_ext,
        email=person.email,
        mobile=person.mobile if person.publish_mobile else None,
        updated_at=person.updated_at,
        confirmed_at=person.confirmed_at,
    )


async def agencies(uow: UnitOfWork, *, kind: str | None = None) -> list[PublicAgency]:
    """Current agencies in catalog order, each with its number of published people."""
    today = date.today()
    async with uow.reading():
        session = uow.session
        counts = {
            agency_id: (n, last)
            for agency_id, n, last in (
                await session.execute(
                    select(Person.agency_id, func.count(), func.max(Person.updated_at))
                    .where(_published())
                    .group_by(Person.agency_id)
                )
            ).all()
        }
        rows = list(await session.scalars(select(Agency)))
        return _agency_list(rows, counts, kind, today)


def _agency_list(
    rows: list[Agency],
    counts: dict[int, tuple[int, datetime | str | None]],
    kind: str | None,
    today: date,
) -> list[PublicAgency]:
    by_id = {a.id: a for a in rows}
    found = [
        a
        for a in rows
        if (a.is_current(today) or a.id in counts) and (kind is None or a.kind.value == kind)
    ]
    found.sort(key=lambda a: (kind_rank(a.kind), a.sort_order, a.name))
    result: list[PublicAgency] = []
    for a in found:
        n, last = counts.get(a.id, (0, None))
        parent = by_id.get(a.parent_id) if a.parent_id else None
        result.append(
            PublicAgency(
                code=a.code,
                name=a.name,
                short_name=a.short_name,
                kind=a.kind.value,
                parent_code=parent.code if parent else None,
                people=n,
                updated_at=_aware(last),
            )
        )
    return result


def _aware(value: datetime | str | None) -> datetime | None:
    """``max()`` of a timestamp comes back as text on SQLite, without the type's conversion."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def agency_stamp(uow: UnitOfWork, code: str) -> tuple[object, ...]:
    """What changes whenever the agency's published page may change: the agency's row, and the
    number, latest change and summed versions of its people (every change of a person raises
    its version, whichever process and clock made it). ``agency.not_found`` for no such code."""
    async with uow.reading():
        session = uow.session
        row = (
            await session.execute(
                select(Agency.id, Agency.updated_at, Agency.name).where(Agency.code == code)
            )
        ).first()
        if row is None:
            raise NotFound("agency.not_found", reference=code[:64])
        people = (
            await session.execute(
                select(func.count(), func.max(Person.updated_at), func.sum(Person.version)).where(
                    Person.agency_id == row[0]
                )
            )
        ).one()
        return (*row, *people)


def kinds() -> list[str]:
    return [k.value for k in KIND_ORDER]


async def agency_people(uow: UnitOfWork, code: str) -> tuple[PublicAgency, list[PublicPerson]]:
    """One agency (by its stable code) and its published people by role, then name."""
    async with uow.reading():
        session = uow.session
        agency = await session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            raise NotFound("agency.not_found", reference=code[:64])
        parent = await session.get(Agency, agency.parent_id) if agency.parent_id else None
        people = list(
            await session.scalars(select(Person).where(Person.agency_id == agency.id, _published()))
        )
        people.sort(key=lambda p: (_role_rank(p.role), p.name_key, p.id))
        view = PublicAgency(
            code=agency.code,
            name=agency.name,
            short_name=agency.short_name,
            kind=agency.kind.value,
            parent_code=parent.code if parent else None,
            people=len(people),
            updated_at=max((p.updated_at for p in people), default=None),
        )
        return view, [_public(p, agency) for p in people]


async def everyone(uow: UnitOfWork) -> list[PublicPerson]:
    """Every published person, in catalog order (for the open-data files of the whole list)."""
    async with uow.reading():
        rows = (
            await uow.session.execute(
                select(Person, Agency)
                .join(Agency, Person.agency_id == Agency.id)
                .where(_published())
            )
        ).all()
        rows.sort(
            key=lambda r: (
                kind_rank(r[1].kind),
                r[1].sort_order,
                r[1].name,
                _role_rank(r[0].role),
                r[0].name_key,
                r[0].id,
            )
        )
        return [_public(person, agency) for person, agency in rows]


def query_key(text: str) -> str:
    """The folded search key of what someone typed; ``search.empty`` / ``text.too_long``."""
    if len(text) > MAX_QUERY:
        raise ValidationError("text.too_long", field="q", max=MAX_QUERY)
    return fold(text)


async def search(uow: UnitOfWork, text: str, *, limit: int = 20) -> list[PublicPerson]:
    """Published people whose name has a word starting with the query (accents, case and đ
    ignored: "dang" finds "Đặng"), then those of agencies whose name has it from the start of a
    word ("bo tai chinh", "lao cai" find the agency's people; "an" does not find "Thanh Hóa").
    An empty query finds nobody."""
    key = query_key(text)
    limit = max(1, min(limit, MAX_RESULTS))
    if not key:
        return []
    found: list[PublicPerson] = []
    seen: set[int] = set()
    async with uow.reading():
        session = uow.session
        by_name = (
            select(Person, Agency)
            .join(NameWord, NameWord.person_id == Person.id)
            .join(Agency, Person.agency_id == Agency.id)
            .where(NameWord.key >= key, NameWord.key < key + _AFTER_ANY_KEY_CHAR, _published())
            .order_by(NameWord.key, NameWord.person_id)
        )
        window = 2 * limit
        while True:
            rows = (await session.execute(by_name.limit(window))).all()
            found, seen = [], set()
            for person, agency in rows:
                if person.id not in seen and len(found) < limit:
                    seen.add(person.id)
                    found.append(_public(person, agency))
            if len(found) >= limit or len(rows) < window:
                break
            window *= 2
        if len(found) < limit:
            agency_ids = [
                agency_id
                for agency_id, names in await _agency_keys(uow)
                if any(f" {key}" in f" {name}" for name in names)  # from a word's start
            ]
            if agency_ids:
                more = (
                    await session.execute(
                        select(Person, Agency)
                        .join(Agency, Person.agency_id == Agency.id)
                        .where(Person.agency_id.in_(agency_ids), _published())
                        .order_by(Agency.sort_order, Person.name_key, Person.id)
                        .limit(limit)
                    )
                ).all()
                for person, agency in more:
                    if person.id not in seen and len(found) < limit:
                        seen.add(person.id)
                        found.append(_public(person, agency))
    return found


# The folded names of the agencies, kept until an agency is added or changed: thousands of
# communes would otherwise be folded again at every search.
_AGENCY_KEYS: dict[
    str, tuple[tuple[int, datetime | str | None], list[tuple[int, tuple[str, ...]]]]
] = {}


async def _agency_keys(uow: UnitOfWork) -> list[tuple[int, tuple[str, ...]]]:
    """(agency id, folded name, short name and code) of every agency, cached per database."""
    session = uow.session
    stamp = (await session.execute(select(func.count(), func.max(Agency.updated_at)))).one()
    version = (int(stamp[0]), stamp[1])
    url = str(session.bind.url) if session.bind is not None else ""
    cached = _AGENCY_KEYS.get(url)
    if cached is not None and cached[0] == version:
        return cached[1]
    rows = (
        await session.execute(select(Agency.id, Agency.name, Agency.short_name, Agency.code))
    ).all()
    keys = [
        (agency_id, (fold(name), fold(short or ""), fold(code)))
        for agency_id, name, short, code in rows
    ]
    _AGENCY_KEYS[url] = (version, keys)
    return keys


async def person(uow: UnitOfWork, person_id: int) -> PublicPerson:
    """One published person; ``person.not_found`` for anyone not published (pending, retired,
    erased, or no such id: the public cannot tell them apart)."""
    async with uow.reading():
        row = (
            await uow.session.execute(
                select(Person, Agency)
                .join(Agency, Person.agency_id == Agency.id)
                .where(Person.id == person_id, _published())
            )
        ).first()
        if row is None:
            raise NotFound("person.not_found", person_id=person_id)
        return _public(row[0], row[1])


async def last_change(uow: UnitOfWork) -> datetime:
    """When anything public may last have changed: any person or agency written (a retirement
    too). Rounded down to the second, as ``Last-Modified`` is."""
    async with uow.reading():
        session = uow.session
        people = await session.scalar(select(func.max(Person.updated_at)))
        agencies_ = await session.scalar(select(func.max(Agency.updated_at)))
    moments = [m for m in (_aware(people), _aware(agencies_)) if m is not None]
    return max(moments, default=_EPOCH).replace(microsecond=0)


async def set_publish_mobile(uow: UnitOfWork, actor: Actor, person_id: int, publish: bool) -> bool:
    """Record the person's answer to "publish my personal mobile?" with its date in the change
    log; returns whether anything changed. Only the person themself (or staff acting on their
    written request, through the CLI) answers it."""
    if not (actor.is_system or actor.person_id == person_id):
        raise deny("people.publish_mobile")
    async with uow:
        session = uow.session
        person = await session.get(Person, person_id)
        if person is None:
            raise NotFound("person.not_found", person_id=person_id)
        if person.status is Status.retired:
            raise ValidationError("person.retired", person_id=person.id)
        if person.publish_mobile is publish and person.publish_mobile_at is not None:
            return False
        changelog.record(
            session,
            actor,
            entity="person",
            entity_id=person.id,
            action="consent",
            field="publish_mobile",
            old=person.publish_mobile_at and person.publish_mobile,
            new=publish,
        )
        person.publish_mobile = publish
        person.publish_mobile_at = utcnow()
        await uow.commit()
        return True


def export_row(person: PublicPerson) -> ExportRow:
    """A published person as the roster writers take it (CSV, vCard): the mobile only as
    published, nothing the public may not see."""
    return ExportRow(
        person_id=person.id,
        agency_id=0,  # not public, and no writer prints it
        agency_name=person.agency_name,
        agency_kind=AgencyKind(person.agency_kind),
        successor_name=None,
        full_name=person.full_name,
        position=person.position,
        role=person.role,
        mobile=person.mobile,
        office_phone=person.office_phone,
        office_ext=person.office_ext,
        email=person.email,
        status=Status.verified.value,
        updated_at=person.updated_at,
    )
