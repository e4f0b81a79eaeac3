"""What an export contains: who may export what, and the people in printing order, streamed.

A roster of 100,000 people must not be held in memory as ORM objects (that alone would take
several hundred MB), so the people are read with a Core query, already in the order of the
printed roster, in batches that the writers consume as they come: as ExportRows for the
workbook, as the query's own rows for the csv and vCard writers, which then cost little more
than reading the rows (see bench/roster.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, case, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from registry.actors import Actor, deny, manages_agency
from registry.catalog import KIND_ORDER, parse_kind, resolve_agency
from registry.directory import parse_status
from registry.models import AccountRole, Agency, AgencyKind, Person, Role, Status

# The sections of the printed roster, in order, and the agency kinds each one holds. The
# official lists group ministries with ministerial-level agencies, and provinces with
# centrally-run cities; KIND_ORDER keeps the kinds of a section next to each other.
SECTIONS: tuple[tuple[str, tuple[AgencyKind, ...]], ...] = (
    ("central", (AgencyKind.ministry, AgencyKind.ministerial_agency)),
    ("government", (AgencyKind.government_agency,)),
    ("local", (AgencyKind.city, AgencyKind.province)),
    ("department", (AgencyKind.department,)),
    ("commune", (AgencyKind.commune,)),
    ("other", (AgencyKind.other,)),
)
SECTION_OF: dict[AgencyKind, str] = {kind: key for key, kinds in SECTIONS for kind in kinds}
BATCH_ROWS = 2_000


@dataclass(frozen=True)
class ExportScope:
    """The part of the directory one export covers, after the permission check."""

    agency_id: int | None = None
    agency_code: str | None = None
    agency_name: str | None = None
    kind: AgencyKind | None = None
    status: Status | None = None  # None: everyone still in the network (not retired)
    # Staff asked for retired people too. Erased people never appear, whatever is asked.
    include_retired: bool = False


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One person as the roster prints them (plain values, no ORM object)."""

    person_id: int
    agency_id: int
    agency_name: str
    agency_kind: AgencyKind
    successor_name: str | None  # set when the agency has merged into another
    full_name: str
    position: str | None
    role: str
    mobile: str | None  # E.164
    office_phone: str | None  # E.164
    office_ext: str | None
    email: str | None
    status: str
    updated_at: datetime
    confirmed_at: datetime | None = None  # when the person last confirmed their details

    @property
    def section(self) -> str:
        return SECTION_OF[self.agency_kind]


@dataclass(frozen=True)
class MissingAgency:
    id: int
    name: str
    kind: AgencyKind


async def resolve_scope(
    session: AsyncSession,
    actor: Actor,
    *,
    agency: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    include_retired: bool = False,
) -> ExportScope:
    """Check the filters and who asks. Staff (and admins, and the system) export anything; a
    focal point exports its own agency (the default when it names none); anyone else is
    refused, before anything is read. People who left the network are exported only when
    staff ask for them (``include_retired``, or the status ``retired``)."""
    focal = actor.role is AccountRole.focal and actor.agency_id is not None
    if not (actor.is_staff or focal):
        raise deny("roster.export")
    wanted_kind = parse_kind(kind) if kind else None
    wanted_status = parse_status(status) if status else None
    target = await resolve_agency(session, agency) if agency else None
    if (include_retired or wanted_status is Status.retired) and not actor.is_staff:
        raise deny("roster.export_retired")
    if not actor.is_staff:
        if target is None:
            target = await session.get(Agency, actor.agency_id)
        if target is None or not manages_agency(actor, target.id):
            raise deny("roster.export")
    return ExportScope(
        agency_id=target.id if target else None,
        agency_code=target.code if target else None,
        agency_name=target.name if target else None,
        kind=wanted_kind,
        status=wanted_status,
        include_retired=include_retired,
    )


def _current(on: date) -> ColumnElement[bool]:
    """SQL twin of ``Agency.is_current``."""
    return and_(
        or_(Agency.valid_from.is_(None), Agency.valid_from <= on),
        or_(Agency.valid_to.is_(None), Agency.valid_to > on),
    )


def _people_filter(scope: ExportScope) -> list[ColumnElement[bool]]:
    # An erased record is a tombstone: it is in no export, even of retired people.
    conditions: list[ColumnElement[bool]] = [Person.erased_at.is_(None)]
    if scope.status is not None:
        conditions.append(Person.status == scope.status)
    elif not scope.include_retired:
        conditions.append(Person.status != Status.retired)
    if scope.agency_id is not None:
        conditions.append(Person.agency_id == scope.agency_id)
    if scope.kind is not None:
        conditions.append(Agency.kind == scope.kind)
    return conditions


_KIND_RANK = case({kind: rank for rank, kind in enumerate(KIND_ORDER)}, value=Agency.kind)
_ROLE_RANK = case({role: rank for rank, role in enumerate(Role)}, value=Person.role)


def people_query(scope: ExportScope, *, on: date) -> Select[tuple[object, ...]]:
    """The people of ``scope`` in the order of the printed roster: section and agency in
    catalog order, then role (head first), then name; the columns in ExportRow's order.

    The role and status come as the strings stored (their enum values), and the successor's
    name only for an agency merged away by ``on``: nothing left to convert row by row.
    """
    successor = aliased(Agency)
    merged_away = and_(Agency.valid_to.is_not(None), Agency.valid_to <= on)
    return (
        select(
            Person.id,
            Agency.id,
            Agency.name,
            type_coerce(Agency.kind, String),
            case((merged_away, successor.name), else_=None),
            Person.full_name,
            Person.position,
            type_coerce(Person.role, String),
            Person.mobile,
            Person.office_phone,
            Person.office_ext,
            Person.email,
            type_coerce(Person.status, String),
            Person.updated_at,
            Person.confirmed_at,
        )
        .join(Agency, Person.agency_id == Agency.id)
        .outerjoin(successor, Agency.successor_id == successor.id)
        .where(*_people_filter(scope))
        .order_by(
            _KIND_RANK,
            Agency.sort_order,
            Agency.name,
            Agency.id,
            _ROLE_RANK,
            Person.name_key,
            Person.id,
        )
    )


async def count_people(session: AsyncSession, scope: ExportScope) -> int:
    statement = (
        select(func.count())
        .select_from(Person)
        .join(Agency, Person.agency_id == Agency.id)
        .where(*_people_filter(scope))
    )
    return int(await session.scalar(statement) or 0)


# One person's values in ExportRow's order, the agency's kind as its stored string.
PersonValues = Sequence[Any]


async def stream_values(
    session: AsyncSession, scope: ExportScope, *, on: date, batch: int = BATCH_ROWS
) -> AsyncIterator[Sequence[PersonValues]]:
    """The people of ``scope``, ``batch`` at a time, in printing order, as the query's rows.

    ``yield_per`` makes PostgreSQL use a server-side cursor and SQLAlchemy buffer one batch,
    so memory stays flat whatever the size of the directory. The rows come from the session's
    connection (in its transaction) as plain Core rows: through the session, the ORM would
    load each row again, for no object.
    """
    statement = people_query(scope, on=on).execution_options(yield_per=batch)
    connection = await session.connection()
    result = await connection.stream(statement)
    async for partition in result.partitions(batch):
        yield partition


async def stream_people(
    session: AsyncSession, scope: ExportScope, *, on: date, batch: int = BATCH_ROWS
) -> AsyncIterator[list[ExportRow]]:
    """``stream_values`` as ExportRows (what the workbook reads)."""
    kinds = {kind.value: kind for kind in AgencyKind}
    async for partition in stream_values(session, scope, on=on, batch=batch):
        # Positional, in the query's order: a hundred thousand rows are made here.
        yield [
            ExportRow(
                person_id, agency_id, agency, kinds[kind], successor, full_name, position, role,
                mobile, office_phone, office_ext, email, status, updated_at, confirmed_at,
            )
            for (
                person_id, agency_id, agency, kind, successor, full_name, position, role,
                mobile, office_phone, office_ext, email, status, updated_at, confirmed_at,
            ) in partition
        ]  # fmt: skip


def values_of(row: ExportRow) -> PersonValues:
    """An ExportRow as the query's values (for the writers that read those)."""
    return (
        row.person_id, row.agency_id, row.agency_name, row.agency_kind.value,
        row.successor_name, row.full_name, row.position, row.role, row.mobile,
        row.office_phone, row.office_ext, row.email, row.status, row.updated_at,
        row.confirmed_at,
    )  # fmt: skip


def _agencies_in(scope: ExportScope, on: date) -> Select[tuple[Agency]]:
    statement = select(Agency).where(_current(on))
    if scope.agency_id is not None:
        statement = statement.where(Agency.id == scope.agency_id)
    if scope.kind is not None:
        statement = statement.where(Agency.kind == scope.kind)
    return statement


@dataclass(frozen=True)
class AgencyAnswer:
    """A current agency of the export and when it answered: the time its first person still
    in the network was registered (None: not yet)."""

    id: int
    name: str
    kind: AgencyKind
    answered_at: datetime | None


async def agency_answers(
    session: AsyncSession, scope: ExportScope, *, on: date
) -> list[AgencyAnswer]:
    """Every current agency of the scope, in catalog order, with the time it answered."""
    agencies = list(await session.scalars(_agencies_in(scope, on)))
    first = dict(
        (
            await session.execute(
                select(Person.agency_id, func.min(Person.created_at))
                .where(Person.status != Status.retired)
                .group_by(Person.agency_id)
            )
        ).all()
    )
    agencies.sort(key=lambda a: (KIND_ORDER.index(a.kind), a.sort_order, a.name, a.id))
    answers = []
    for agency in agencies:
        answered_at = first.get(agency.id)
        if isinstance(answered_at, datetime) and answered_at.tzinfo is None:
            answered_at = answered_at.replace(tzinfo=UTC)
        answers.append(AgencyAnswer(agency.id, agency.name, agency.kind, answered_at))
    return answers


async def agencies_in_scope(
    session: AsyncSession, scope: ExportScope, *, on: date
) -> tuple[dict[AgencyKind, int], list[MissingAgency]]:
    """Current agencies of the scope counted by kind, and those nobody active is registered
    for ("Chưa có đầu mối"), in catalog order. The status filter does not apply here: an
    agency has answered when someone still in the network is registered for it."""
    agencies = list(await session.scalars(_agencies_in(scope, on)))
    answered = set(
        await session.scalars(
            select(Person.agency_id).where(Person.status != Status.retired).distinct()
        )
    )
    totals: dict[AgencyKind, int] = {}
    for agency in agencies:
        totals[agency.kind] = totals.get(agency.kind, 0) + 1
    missing = sorted(
        (a for a in agencies if a.id not in answered),
        key=lambda a: (KIND_ORDER.index(a.kind), a.sort_order, a.name, a.id),
    )
    return totals, [MissingAgency(a.id, a.name, a.kind) for a in missing]
