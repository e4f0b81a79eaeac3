"""The agency catalog: loading the official lists, finding an agency written loosely, adding one.

The data files in ``registry/data/`` are built from the Press Department's lists of 2024 and
2025 and the 2025 merger map. Codes are stable: an agency that kept its name keeps its code, and
a merged agency keeps its code, gets ``valid_to`` and points at its ``successor``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from registry import changelog
from registry.actors import Actor, require_admin
from registry.errors import Ambiguous, NotFound, ValidationError
from registry.models import Agency, AgencyKind
from registry.uow import UnitOfWork
from registry.validation import fold, normalize_text
from registry.views import AgencyView

EDITIONS = ("2024", "2025")

# Order of the sections of listings and of the printed roster.
KIND_ORDER: tuple[AgencyKind, ...] = (
    AgencyKind.ministry,
    AgencyKind.ministerial_agency,
    AgencyKind.government_agency,
    AgencyKind.city,
    AgencyKind.province,
    AgencyKind.department,
    AgencyKind.commune,
    AgencyKind.other,
)

# Words people put before a province's or a city's name ("UBND tỉnh Lào Cai", "TP. Huế").
_ADMIN_PREFIXES = ("uy ban nhan dan", "ubnd", "thanh pho", "tinh", "tp")
_MAX_CANDIDATES = 10


@dataclass(frozen=True)
class CatalogRow:
    code: str
    kind: AgencyKind
    name: str
    short_name: str | None


@dataclass(frozen=True)
class Merger:
    code: str
    successor_code: str
    effective: date


@dataclass(frozen=True)
class LoadResult:
    edition: str
    created: int
    updated: int
    unchanged: int
    merged: int


def _read_tsv(name: str) -> list[dict[str, str]]:
    text = files("registry").joinpath("data", name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def edition_rows(edition: str) -> list[CatalogRow]:
    if edition not in EDITIONS:
        raise ValidationError(
            "agency.unknown_edition", edition=edition, editions=", ".join(EDITIONS)
        )
    return [
        CatalogRow(
            code=row["code"],
            kind=AgencyKind(row["kind"]),
            name=row["name"],
            short_name=row["short_name"] or None,
        )
        for row in _read_tsv(f"agencies-{edition}.tsv")
    ]


def mergers(edition: str) -> list[Merger]:
    if edition != "2025":
        return []
    return [
        Merger(row["code"], row["successor_code"], date.fromisoformat(row["effective"]))
        for row in _read_tsv("reorg-2025.tsv")
    ]


async def load_edition(uow: UnitOfWork, actor: Actor, edition: str) -> LoadResult:
    """Load an official list; loading the same edition again changes nothing."""
    require_admin(actor, "agencies.load")
    rows = edition_rows(edition)
    merges = mergers(edition)
    # A new agency of 2025 starts when the first of the agencies it absorbs ends.
    starts: dict[str, date] = {}
    for merger in merges:
        current = starts.get(merger.successor_code)
        starts[merger.successor_code] = (
            min(current, merger.effective) if current else merger.effective
        )
    created = updated = unchanged = merged = 0
    async with uow:
        session = uow.session
        existing = {a.code: a for a in (await session.scalars(select(Agency))).all()}
        for order, row in enumerate(rows, start=1):
            agency = existing.get(row.code)
            if agency is None:
                agency = Agency(
                    code=row.code,
                    kind=row.kind,
                    name=row.name,
                    short_name=row.short_name,
                    sort_order=order,
                    valid_from=starts.get(row.code) if existing else None,
                )
                session.add(agency)
                await session.flush()
                existing[row.code] = agency
                changelog.agency_created(session, actor, agency)
                created += 1
                continue
            changes = {
                name: value
                for name, value in (
                    ("name", row.name),
                    ("short_name", row.short_name),
                    ("kind", row.kind),
                    ("sort_order", order),
                )
                if getattr(agency, name) != value
            }
            for name, value in changes.items():
                changelog.record(
                    session,
                    actor,
                    entity="agency",
                    entity_id=agency.id,
                    action="update",
                    field=name,
                    old=getattr(agency, name),
                    new=value,
                )
                setattr(agency, name, value)
            if changes:
                updated += 1
            else:
                unchanged += 1
        for merger in merges:
            agency = existing.get(merger.code)
            successor = existing[merger.successor_code]
            if agency is None or (
                agency.valid_to == merger.effective and agency.successor_id == successor.id
            ):
                continue
            changelog.record(
                session,
                actor,
                entity="agency",
                entity_id=agency.id,
                action="merge",
                field="successor",
                old=agency.valid_to,
                new=f"{successor.code} {merger.effective}",
            )
            agency.valid_to = merger.effective
            agency.successor_id = successor.id
            merged += 1
        await uow.commit()
    return LoadResult(edition, created, updated, unchanged, merged)


def _compact(key: str) -> str:
    return key.replace(" ", "")


def _strip_admin_prefix(key: str) -> str:
    stripped = True
    while stripped:
        stripped = False
        for prefix in _ADMIN_PREFIXES:
            if key.startswith(prefix + " "):
                key = key[len(prefix) + 1 :]
                stripped = True
    return key


def _acronyms(name_key: str) -> set[str]:
    """ "bo thong tin va truyen thong" -> {"botttt", "tttt"}: how officials abbreviate."""
    words = [word for word in name_key.split() if word != "va"]
    if len(words) < 2:
        return set()
    head, rest = words[0], words[1:]
    initials = "".join(word[0] for word in rest)
    result = {"".join(word[0] for word in words)}
    if head == "bo":
        result |= {"bo" + initials, initials}
    if rest[-2:] == ["viet", "nam"]:
        result.add("".join(word[0] for word in words[:-2]))
    return result


def _exact_keys(agency: Agency) -> set[str]:
    name_key = fold(agency.name)
    keys = {_compact(name_key), _compact(_strip_admin_prefix(name_key)), *_acronyms(name_key)}
    if agency.short_name:
        short_key = fold(agency.short_name)
        keys |= {_compact(short_key), _compact(_strip_admin_prefix(short_key))}
    return keys


def _query_keys(text: str) -> set[str]:
    key = fold(text)
    return {_compact(key), _compact(_strip_admin_prefix(key))} - {""}


def _words(agency: Agency) -> set[str]:
    names = [agency.name, agency.short_name or ""]
    return {word for name in names for word in fold(name).split()}


def _matches(
    agencies: list[Agency], reference: str, *, loose: bool = False
) -> tuple[list[Agency], list[Agency]]:
    """Agencies whose name, short name or abbreviation is the reference, then those whose
    name holds every word of it ("Quảng" -> the Quảng provinces).

    ``loose`` (for pickers, where the person chooses) also takes a word's beginning and any
    part of a name; resolving a name without asking never does, so that "Ban" cannot land
    silently on "Cao Bằng".
    """
    wanted = _query_keys(reference)
    if not wanted:
        return [], []
    exact = [a for a in agencies if wanted & _exact_keys(a)]
    query_words = set(_strip_admin_prefix(fold(reference)).split())
    partial = [a for a in agencies if a not in exact and query_words <= _words(a)]
    if loose:
        partial += [
            a
            for a in agencies
            if a not in exact
            and a not in partial
            and any(w in k for w in wanted if len(w) >= 2 for k in _exact_keys(a))
        ]
    return exact, partial


async def _all_agencies(session: AsyncSession) -> list[Agency]:
    statement = select(Agency).order_by(Agency.sort_order, Agency.id)
    return list((await session.scalars(statement)).all())


async def resolve_agency(
    session: AsyncSession, reference: str, *, on: date | None = None
) -> Agency:
    """Find one agency from its code or a loosely written name.

    Current agencies win over merged ones when a name fits both; several current candidates
    raise :class:`Ambiguous` with their names, none raises :class:`NotFound`.
    """
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError("agency.empty")
    on = on or date.today()
    by_code = await session.scalar(select(Agency).where(Agency.code == reference.lower()))
    if by_code is not None:
        return by_code
    agencies = await _all_agencies(session)
    exact, partial = _matches(agencies, reference)
    for candidates in (exact, partial):
        current = [a for a in candidates if a.is_current(on)]
        chosen = current or candidates
        if len(chosen) == 1:
            return chosen[0]
        if chosen:
            raise Ambiguous(
                "agency.ambiguous",
                reference=reference,
                candidates=[f"{a.name} ({a.code})" for a in chosen[:_MAX_CANDIDATES]],
                count=len(chosen),
            )
    raise NotFound("agency.not_found", reference=reference)


async def current_agency(
    session: AsyncSession, reference: str, *, on: date | None = None
) -> Agency:
    """The agency a person or a file names, which must still exist on ``on`` (today).

    Written loosely as :func:`resolve_agency` takes it; an agency merged away is refused with
    ``agency.merged`` (on the field ``agency``), naming its successor, so that the person can
    write that one instead.
    """
    on = on or date.today()
    agency = await resolve_agency(session, reference, on=on)
    if not agency.is_current(on):
        successor = await session.get(Agency, agency.successor_id) if agency.successor_id else None
        raise ValidationError(
            "agency.merged",
            agency=agency.name,
            successor=successor.name if successor else "",
            field="agency",
        )
    return agency


async def search_agencies(
    uow: UnitOfWork, reference: str, *, limit: int = 8, on: date | None = None
) -> list[AgencyView]:
    """Current agencies matching a loosely typed name, best matches first (for pickers)."""
    if not (reference or "").strip():
        raise ValidationError("agency.empty")
    on = on or date.today()
    async with uow.reading():
        agencies = [a for a in await _all_agencies(uow.session) if a.is_current(on)]
        exact, partial = _matches(agencies, reference, loose=True)
        coded = [a for a in agencies if a.code == reference.strip().lower() and a not in exact]
        chosen = (coded + exact + partial)[:limit]
        return await agency_views(uow.session, chosen)


async def get_agency(uow: UnitOfWork, agency_id: int) -> AgencyView:
    async with uow.reading():
        agency = await uow.session.get(Agency, agency_id)
        if agency is None:
            raise NotFound("agency.not_found", reference=str(agency_id))
        return (await agency_views(uow.session, [agency]))[0]


async def agency_views(session: AsyncSession, agencies: list[Agency]) -> list[AgencyView]:
    """Views with the parent's and successor's codes filled in."""
    ids = {a.parent_id for a in agencies} | {a.successor_id for a in agencies}
    ids.discard(None)
    related = {}
    if ids:
        related = {a.id: a for a in await session.scalars(select(Agency).where(Agency.id.in_(ids)))}
    return [
        AgencyView.of(
            a,
            parent=related.get(a.parent_id) if a.parent_id else None,
            successor=related.get(a.successor_id) if a.successor_id else None,
        )
        for a in agencies
    ]


def kind_rank(kind: AgencyKind) -> int:
    return KIND_ORDER.index(kind)


async def list_agencies(
    uow: UnitOfWork,
    *,
    kind: str | None = None,
    include_all: bool = False,
    on: date | None = None,
) -> list[AgencyView]:
    """The catalog in official order; merged agencies only with ``include_all``.

    The catalog is public information (people pick their agency from it), so anyone may list it.
    """
    on = on or date.today()
    wanted_kind = parse_kind(kind) if kind else None
    async with uow.reading():
        agencies = list((await uow.session.scalars(select(Agency))).all())
        chosen = [
            a
            for a in agencies
            if (include_all or a.is_current(on)) and (wanted_kind is None or a.kind is wanted_kind)
        ]
        chosen.sort(key=lambda a: (not a.is_current(on), kind_rank(a.kind), a.sort_order, a.name))
        return await agency_views(uow.session, chosen)


def parse_kind(text: str) -> AgencyKind:
    try:
        return AgencyKind(text.strip().lower())
    except ValueError:
        raise ValidationError(
            "agency.unknown_kind", kind=text, kinds=", ".join(k.value for k in AgencyKind)
        ) from None


async def add_agency(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    kind: str,
    code: str | None = None,
    short_name: str | None = None,
    parent: str | None = None,
) -> AgencyView:
    """Add an agency of one's own (a department under a province, a commune...)."""
    require_admin(actor, "agencies.add")
    clean_name = normalize_text(name, field="agency_name", max_length=255)
    assert clean_name is not None
    clean_short = normalize_text(
        short_name or "", field="short_name", max_length=100, required=False
    )
    agency_kind = parse_kind(kind)
    clean_code = (code or fold(clean_name).replace(" ", "-")).strip().lower()
    if (
        not clean_code
        or len(clean_code) > 64
        or not all(c.isalnum() or c == "-" for c in clean_code)
    ):
        raise ValidationError("agency.bad_code", code=clean_code)
    async with uow:
        session = uow.session
        taken = await session.scalar(select(Agency).where(Agency.code == clean_code))
        if taken is not None:
            raise ValidationError("agency.code_taken", code=clean_code, name=taken.name)
        parent_agency = await resolve_agency(session, parent) if parent else None
        last = await session.scalar(select(Agency.sort_order).order_by(Agency.sort_order.desc()))
        agency = Agency(
            code=clean_code,
            name=clean_name,
            short_name=clean_short,
            kind=agency_kind,
            parent_id=parent_agency.id if parent_agency else None,
            sort_order=(last or 0) + 1,
            valid_from=date.today(),
        )
        session.add(agency)
        await uow.flush()
        changelog.agency_created(session, actor, agency)
        await uow.commit()
        return AgencyView.of(agency, parent=parent_agency)


async def find_agency(uow: UnitOfWork, reference: str) -> AgencyView:
    async with uow.reading():
        agency = await resolve_agency(uow.session, reference)
        return (await agency_views(uow.session, [agency]))[0]
