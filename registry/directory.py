"""Reading the directory: find, list, missing agencies, statistics."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from sqlalchemy import ColumnElement, Select, func, or_, select, true

from registry.actors import Actor, deny, manages_agency, may_search, require_staff
from registry.catalog import KIND_ORDER, agency_views, kind_rank, parse_kind, resolve_agency
from registry.errors import ValidationError
from registry.models import Agency, NameWord, Person, Role, Status
from registry.uow import UnitOfWork
from registry.validation import fold, normalize_email, parse_phones
from registry.views import AgencyView, PersonView

MAX_PAGE = 50
# A key sorts below this bound exactly when it starts with the prefix (keys are [a-z0-9 ]).
_AFTER_ANY_KEY_CHAR = "\x7f"


@dataclass(frozen=True)
class FindResult:
    query_kind: Literal["name", "phone", "email"]
    items: list[PersonView]
    offset: int
    has_more: bool


def _visible(actor: Actor) -> ColumnElement[bool]:
    """Staff search everywhere; a focal point within its agency."""
    if actor.is_staff:
        return true()
    return Person.agency_id == actor.agency_id


async def find_people(
    uow: UnitOfWork,
    actor: Actor,
    query: str,
    *,
    limit: int = 10,
    offset: int = 0,
    include_retired: bool = False,
) -> FindResult:
    """Find by name (accents and case ignored, from the start of any word), phone in any written
    form, or email. Results come one page at a time, in index order, so a search costs the same
    on 10,000 people as on 100,000."""
    if not may_search(actor):
        raise deny("people.find")
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, offset)
    text = (query or "").strip()
    if not text:
        raise ValidationError("search.empty")
    # An erased record is a tombstone: never found, even among retired people.
    status_ok = Person.erased_at.is_(None) if include_retired else Person.status != Status.retired
    if "@" in text:
        kind: Literal["name", "phone", "email"] = "email"
        statement = select(Person, Agency).where(Person.email == normalize_email(text))
    elif re.search(r"\d", text):
        kind = "phone"
        numbers = [phone.e164 for phone in parse_phones(text)]
        statement = select(Person, Agency).where(
            or_(Person.mobile.in_(numbers), Person.office_phone.in_(numbers))
        )
    else:
        kind = "name"
        key = fold(text)
        if not key:
            raise ValidationError("search.empty")
        statement = (
            select(Person, Agency)
            .join(NameWord, NameWord.person_id == Person.id)
            .where(NameWord.key >= key, NameWord.key < key + _AFTER_ANY_KEY_CHAR)
            .order_by(NameWord.key, NameWord.person_id)
        )
    statement = statement.join(Agency, Person.agency_id == Agency.id).where(
        status_ok, _visible(actor)
    )
    if kind != "name":
        statement = statement.order_by(Person.name_key, Person.id)
    async with uow.reading():
        people = await _distinct_people(uow, statement, offset + limit + 1)
        if not people and kind == "name" and len(key) >= 3:
            # A fragment from the middle of a word ("uyen" in "Nguyễn"): a scan, used only
            # when the indexed search found nothing.
            fallback = (
                select(Person, Agency)
                .join(Agency, Person.agency_id == Agency.id)
                .where(Person.name_key.contains(key, autoescape=True), status_ok, _visible(actor))
                .order_by(Person.name_key, Person.id)
                .offset(offset)
                .limit(limit + 1)
            )
            page = [PersonView.of(p, a) for p, a in (await uow.session.execute(fallback)).all()]
            return FindResult(kind, page[:limit], offset, len(page) > limit)
        page = people[offset : offset + limit + 1]
        return FindResult(kind, page[:limit], offset, len(page) > limit)


async def _distinct_people(
    uow: UnitOfWork, statement: Select[tuple[Person, Agency]], wanted: int
) -> list[PersonView]:
    """The first ``wanted`` different people of an ordered result.

    A name can match more than once ("an" in "Nguyễn Thị An Anh"), so rows are read in growing
    windows until enough different people are found or the result is exhausted.
    """
    window = 2 * wanted
    while True:
        rows = (await uow.session.execute(statement.limit(window))).all()
        people: list[PersonView] = []
        seen: set[int] = set()
        for person, agency in rows:
            if person.id not in seen:
                seen.add(person.id)
                people.append(PersonView.of(person, agency))
        if len(people) >= wanted or len(rows) < window:
            return people
        window *= 2


def _role_rank(role: str) -> int:
    return list(Role).index(Role(role))


async def list_people(
    uow: UnitOfWork,
    actor: Actor,
    *,
    agency: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    stale: bool = False,
    include_retired: bool = False,
) -> list[PersonView]:
    """People in catalog order (agency kind, agency, role, name).

    ``stale`` lists the active people still attached to an agency that has merged into another.
    """
    wanted_status = parse_status(status) if status else None
    wanted_kind = parse_kind(kind) if kind else None
    async with uow.reading():
        session = uow.session
        statement = select(Person, Agency).join(Agency, Person.agency_id == Agency.id)
        if agency:
            target = await resolve_agency(session, agency)
            if not manages_agency(actor, target.id):
                raise deny("people.list")
            statement = statement.where(Person.agency_id == target.id)
        else:
            require_staff(actor, "people.list")
        statement = statement.where(Person.erased_at.is_(None))  # erased: never listed
        if wanted_status is not None:
            statement = statement.where(Person.status == wanted_status)
        elif not include_retired:
            statement = statement.where(Person.status != Status.retired)
        if wanted_kind is not None:
            statement = statement.where(Agency.kind == wanted_kind)
        rows = (await session.execute(statement)).all()
        today = date.today()
        if stale:
            rows = [row for row in rows if not row[1].is_current(today)]
        rows.sort(
            key=lambda row: (
                kind_rank(row[1].kind),
                row[1].sort_order,
                row[1].name,
                _role_rank(row[0].role.value),
                row[0].name_key,
                row[0].id,
            )
        )
        return [PersonView.of(person, agency_) for person, agency_ in rows]


def parse_status(text: str) -> Status:
    try:
        return Status(text.strip().lower())
    except ValueError:
        raise ValidationError(
            "person.unknown_status", status=text, statuses=", ".join(s.value for s in Status)
        ) from None


async def missing_agencies(
    uow: UnitOfWork, actor: Actor, *, kind: str | None = None, on: date | None = None
) -> list[AgencyView]:
    """Current agencies with no active person, in catalog order."""
    require_staff(actor, "reports.missing")
    on = on or date.today()
    wanted_kind = parse_kind(kind) if kind else None
    async with uow.reading():
        session = uow.session
        answered = select(Person.agency_id).where(Person.status != Status.retired)
        agencies = [
            a
            for a in await session.scalars(select(Agency).where(Agency.id.not_in(answered)))
            if a.is_current(on) and (wanted_kind is None or a.kind is wanted_kind)
        ]
        agencies.sort(key=lambda a: (kind_rank(a.kind), a.sort_order, a.name))
        return await agency_views(session, agencies)


@dataclass(frozen=True)
class KindCount:
    kind: str
    answered: int
    total: int


@dataclass(frozen=True)
class Statistics:
    agencies: list[KindCount]
    by_role: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def people(self) -> int:
        """People in the network: retired people have left it."""
        return sum(n for status, n in self.by_status.items() if status != Status.retired.value)

    def to_dict(self) -> dict[str, object]:
        return {
            "agencies": [vars(k) for k in self.agencies],
            "by_role": self.by_role,
            "by_status": self.by_status,
            "people": self.people,
        }


async def statistics(uow: UnitOfWork, actor: Actor, *, on: date | None = None) -> Statistics:
    """Agencies answered / total by kind (current agencies), people by role and by status."""
    require_staff(actor, "reports.stats")
    on = on or date.today()
    async with uow.reading():
        session = uow.session
        answered_ids = set(
            await session.scalars(
                select(Person.agency_id).where(Person.status != Status.retired).distinct()
            )
        )
        current = [a for a in await session.scalars(select(Agency)) if a.is_current(on)]
        counts: list[KindCount] = []
        for kind in KIND_ORDER:
            of_kind = [a for a in current if a.kind is kind]
            if of_kind:
                answered = sum(1 for a in of_kind if a.id in answered_ids)
                counts.append(KindCount(kind.value, answered, len(of_kind)))
        role_rows = await session.execute(
            select(Person.role, func.count())
            .where(Person.status != Status.retired)
            .group_by(Person.role)
        )
        by_role = {role.value: 0 for role in Role}
        by_role.update({role.value: n for role, n in role_rows.all()})
        status_rows = await session.execute(
            select(Person.status, func.count())
            .where(Person.erased_at.is_(None))  # an erased record is nobody any more
            .group_by(Person.status)
        )
        by_status = {status.value: 0 for status in Status}
        by_status.update({status.value: n for status, n in status_rows.all()})
        return Statistics(counts, by_role, by_status)
