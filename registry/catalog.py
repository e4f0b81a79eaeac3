"""The agency catalog: loading the official lists, finding an agency written loosely, adding one.

A reference is matched against the loaded agencies and against every name the official lists
give (:mod:`registry.agency_names`): a name of 2024 is known even when only the 2025 list was
loaded, and leads to the agency it merged into; a typo gets the closest names, never a guess.

The data files in ``registry/data/`` are built from the Press Department's lists of 2024 and
2025 and the 2025 merger map. Codes are stable: an agency that kept its name keeps its code, and
a merged agency keeps its code, gets ``valid_to`` and points at its ``successor``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from importlib.resources import files

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry import agency_names, changelog
from registry.actors import Actor, require_admin
from registry.errors import Ambiguous, NotFound, ValidationError
from registry.models import Agency, AgencyKind, ChangeLog
from registry.uow import UnitOfWork
from registry.validation import fold, normalize_text
from registry.views import AgencyView, Notice

EDITIONS = ("2024", "2025")
CURRENT_EDITION = "2025"  # what a new database loads by itself

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

_MAX_CANDIDATES = 10
_MAX_SUGGESTIONS = 5  # "did you mean": the closest names, on one line


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


def _refuse_older(edition: str, existing: dict[str, Agency]) -> None:
    """An older list loaded over a newer one would give today's agencies their old names and
    bring the merged ones back as current: refused, naming the newer list. A newer list is
    loaded when an agency that only it has is in the database."""
    older = {row.code for row in edition_rows(edition)}
    for newer in EDITIONS[EDITIONS.index(edition) + 1 :]:
        only_newer = {row.code for row in edition_rows(newer)} - older
        if only_newer & existing.keys():
            raise ValidationError("agency.older_edition", edition=edition, newer=newer)


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
        _refuse_older(edition, existing)
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


async def catalog_state(uow: UnitOfWork) -> str:
    """``"loaded"``, ``"fresh"`` (no agency ever: a new database, which may load the current
    edition by itself) or ``"emptied"`` (the history shows agencies, none is left: someone
    removed them, and a person must decide what to load)."""
    async with uow.reading():  # only reads: it never waits for another process's write lock
        session = uow.session
        if await session.scalar(select(Agency.id).limit(1)) is not None:
            return "loaded"
        logged = await session.scalar(
            select(func.count()).select_from(ChangeLog).where(ChangeLog.entity == "agency")
        )
        return "emptied" if logged else "fresh"


@dataclass(frozen=True)
class _Entry:
    """One agency a reference can name: a row of the database, or an agency of the 2024 list
    that this database never loaded (known by its name, found as the agency it merged into)."""

    code: str
    name: str
    names: agency_names.Names
    row: Agency | None  # None: known only from the lists
    successor: Agency | None = None  # for an entry without a row: where it went
    effective: date | None = None


@dataclass(frozen=True)
class Resolved:
    """What a reference names: the agency as written, and the agency it is today."""

    agency: Agency  # the row the words name (a merged one when it was loaded)
    current: Agency  # the same agency, or the one it merged into
    former_name: str | None = None  # the merged agency's name, when the words name one
    effective: date | None = None
    former_code: str | None = None

    def notices(self) -> list[Notice]:
        if self.former_name is None:
            return []
        return [
            Notice(
                "agency.merged_into",
                {
                    "former": self.former_name,
                    "former_code": self.former_code or "",
                    "successor": self.current.name,
                    "successor_code": self.current.code,
                    "effective": self.effective.strftime("%d/%m/%Y") if self.effective else "",
                },
            )
        ]


@dataclass(frozen=True)
class Picked:
    """Agencies to offer a person who typed a name (for pickers)."""

    agencies: list[AgencyView]
    notices: list[Notice]  # names of merged agencies that led to their successors
    guessed: bool = False  # nothing matched: these are the closest names ("did you mean")


async def _all_agencies(session: AsyncSession) -> list[Agency]:
    statement = select(Agency).order_by(Agency.sort_order, Agency.id)
    return list((await session.scalars(statement)).all())


def _entries(agencies: list[Agency]) -> list[_Entry]:
    """The database's agencies, then the listed agencies it lacks that merged into one it has."""
    by_code = {a.code: a for a in agencies}
    entries = [
        _Entry(a.code, a.name, agency_names.names_of(a.code, a.name, a.short_name), a)
        for a in agencies
    ]
    merged = agency_names.mergers()
    for code, listed in agency_names.known().items():
        if code in by_code or code not in merged:
            continue
        successor_code, effective = merged[code].successor_code, merged[code].effective
        while successor_code not in by_code and successor_code in merged:
            successor_code = merged[successor_code].successor_code
        if successor_code in by_code:
            names = agency_names.names_of(code, listed.name, listed.short_name)
            entries.append(
                _Entry(code, listed.name, names, None, by_code[successor_code], effective)
            )
    return entries


def _resolved(entry: _Entry, by_id: dict[int, Agency], on: date) -> Resolved:
    if entry.row is None:
        assert entry.successor is not None
        return Resolved(entry.successor, entry.successor, entry.name, entry.effective, entry.code)
    agency = current = entry.row
    seen = {agency.id}
    while not current.is_current(on) and current.successor_id in by_id:
        current = by_id[current.successor_id]  # type: ignore[index]
        if current.id in seen:
            break
        seen.add(current.id)
    if current is agency:
        return Resolved(agency, agency)
    return Resolved(agency, current, agency.name, agency.valid_to, agency.code)


def _is_current(entry: _Entry, on: date) -> bool:
    return entry.row is not None and entry.row.is_current(on)


def _matches(entries: list[_Entry], reference: str, *, loose: bool = False) -> list[list[_Entry]]:
    """Entries whose name, short name, abbreviation or English name is the reference, then
    those whose names hold every word of it ("Quảng" -> the Quảng provinces).

    ``loose`` (for pickers, where the person chooses) also takes any part of a name when no
    name is the reference ("MOF" is not "MOFA"); resolving
    a name without asking never does, so that "Ban" cannot land silently on "Cao Bằng".
    """
    wanted = agency_names.query_keys(reference)
    if not wanted:
        return [[], []]
    exact = [e for e in entries if wanted & e.names.exact]
    words = agency_names.query_words(reference)
    # A part of a name finds loaded agencies only: an old name is written whole or not at all.
    loaded = [e for e in entries if e.row is not None and e not in exact]
    partial = [e for e in loaded if words and words <= e.names.words]
    if loose and not exact:
        partial += [
            e
            for e in loaded
            if e not in exact
            and e not in partial
            and any(w in k for w in wanted if len(w) >= 2 for k in e.names.exact)
        ]
    return [exact, partial]


def _which_province(reference: str) -> None:
    if agency_names.is_admin_only(reference):
        raise Ambiguous("agency_name.which_province", reference=reference)


async def locate_agency(
    session: AsyncSession, reference: str, *, on: date | None = None
) -> Resolved:
    """Find one agency from its code or a loosely written name, and what it is today.

    A name of an agency merged away (loaded or only listed in 2024) leads to it and to the
    agency it merged into. Current agencies win over merged ones when a name fits both; several
    candidates raise :class:`Ambiguous` with their names; none raises :class:`NotFound`, naming
    the closest names when some are a letter or two off (``agency_name.did_you_mean``).
    """
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError("agency.empty")
    on = on or date.today()
    agencies = await _all_agencies(session)
    by_id = {a.id: a for a in agencies}
    entries = _entries(agencies)
    coded = [e for e in entries if e.code == reference.lower()]
    if coded:
        return _resolved(coded[0], by_id, on)
    _which_province(reference)
    for candidates in _matches(entries, reference):
        chosen = [e for e in candidates if _is_current(e, on)] or candidates
        if len({e.code for e in chosen}) == 1:
            return _resolved(chosen[0], by_id, on)
        if chosen:
            raise Ambiguous(
                "agency.ambiguous",
                reference=reference,
                candidates=[f"{e.name} ({e.code})" for e in chosen[:_MAX_CANDIDATES]],
                count=len(chosen),
            )
    close = _closest(entries, reference, by_id, on)
    if close:
        raise NotFound(
            "agency_name.did_you_mean",
            reference=reference,
            suggestions=[f"{a.name} ({a.code})" for a in close],
            codes=[a.code for a in close],
        )
    raise NotFound("agency.not_found", reference=reference)


def _closest(
    entries: list[_Entry], reference: str, by_id: dict[int, Agency], on: date
) -> list[Agency]:
    """Today's agencies whose names (or former names) are a letter or two off the reference."""
    codes = agency_names.closest(reference, ((e.code, e.names) for e in entries), limit=8)
    by_code = {e.code: e for e in entries}
    result: list[Agency] = []
    for code in codes:
        current = _resolved(by_code[code], by_id, on).current
        if current not in result:
            result.append(current)
    return result[:_MAX_SUGGESTIONS]


async def resolve_agency(
    session: AsyncSession, reference: str, *, on: date | None = None
) -> Agency:
    """The agency a reference names, as :func:`locate_agency` finds it: a merged agency when it
    was loaded (its people are still attached to it), else the agency it merged into."""
    return (await locate_agency(session, reference, on=on)).agency


async def current_agency(
    session: AsyncSession, reference: str, *, on: date | None = None
) -> Agency:
    """The agency a person or a file names, which must still exist on ``on`` (today).

    Written loosely as :func:`resolve_agency` takes it; an agency merged away is refused with
    ``agency.merged`` (on the field ``agency``), naming its successor, so that the person can
    write that one instead.
    """
    found = await locate_agency(session, reference, on=on)
    if found.former_name is not None:
        raise ValidationError(
            "agency.merged",
            agency=found.former_name,
            successor=found.current.name,
            field="agency",
        )
    return found.current


async def today_agency(
    session: AsyncSession, reference: str, *, on: date | None = None
) -> tuple[Agency, list[Notice]]:
    """The agency a reference names as it is today: an agency merged away leads to the one it
    merged into, with a notice saying so ("Tỉnh Yên Bái đã hợp nhất vào Tỉnh Lào Cai")."""
    found = await locate_agency(session, reference, on=on)
    return found.current, found.notices()


async def pick_agencies(
    uow: UnitOfWork, reference: str, *, limit: int = 8, on: date | None = None
) -> Picked:
    """Today's agencies a typed name may mean, best first, for a person to choose from.

    Names of merged agencies lead to their successors (with a notice each); when nothing
    matches, the names a letter or two off are offered (``guessed``). "UBND" alone raises
    :class:`Ambiguous` (``agency_name.which_province``): the person is asked which one.
    """
    if not (reference or "").strip():
        raise ValidationError("agency.empty")
    on = on or date.today()
    _which_province(reference)
    async with uow.reading():
        agencies = await _all_agencies(uow.session)
        by_id = {a.id: a for a in agencies}
        entries = _entries(agencies)
        exact, partial = _matches(entries, reference, loose=True)
        coded = [e for e in entries if e.code == reference.strip().lower() and e not in exact]
        found = coded + exact + partial
        guessed = False
        chosen: list[Agency] = []
        notices: list[Notice] = []
        for entry in found:
            resolved = _resolved(entry, by_id, on)
            if not resolved.current.is_current(on):
                continue
            if resolved.current not in chosen:
                chosen.append(resolved.current)
            for notice in resolved.notices():
                if notice not in notices:
                    notices.append(notice)
        if not chosen:
            chosen = [a for a in _closest(entries, reference, by_id, on) if a.is_current(on)]
            guessed = bool(chosen)
        return Picked(await agency_views(uow.session, chosen[:limit]), notices[:3], guessed)


async def search_agencies(
    uow: UnitOfWork, reference: str, *, limit: int = 8, on: date | None = None
) -> list[AgencyView]:
    """Current agencies matching a loosely typed name, best matches first (for pickers)."""
    return (await pick_agencies(uow, reference, limit=limit, on=on)).agencies


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
