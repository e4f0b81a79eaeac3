"""Importing a list an agency sent: every row through the registry's own use cases.

Each data row ends as ``created``, ``updated``, ``unchanged``, ``error`` or ``skipped`` (the
template's example row, a heading without a person), with the problems of an error row as codes,
parameters and the column each concerns; an error never stops the other rows.

How rows become changes:

- A row's agency is its agency cell, written loosely ("UBND tỉnh Lào Cai", "TP. Hồ Chí Minh"),
  or the file's agency (``agency=``, or a focal point's own) when the cell is empty.
- A person already listed is found by (agency, folded name), else by mobile, among people not
  retired. Then only the fields whose cell is filled and differs are changed, one
  :func:`registry.people.update_field` each; an empty cell never clears anything. Otherwise
  the row is registered with :func:`registry.people.register_person`, source ``import``.
- A phone cell may hold several numbers ("ĐT: 0243.8252.931; DĐ: 0912.345.678"): the first
  mobile goes to the mobile, the first landline to the office phone, whichever column they were
  written in; a number left over is reported, not stored.
- A row that names a person an earlier row of the file already created or matched is
  ``unchanged`` when it says the same, an error when it says something else: a file never makes
  two people of one, and importing it again changes nothing.

The use cases check permissions (staff import for any agency, a focal point for its own) and
write the ChangeLog with the importer as the actor. They run in the caller's unit of work, each
in its own SAVEPOINT (the unit of work's nested level), so a row that fails is rolled back alone;
a row that changes several fields holds them in one more level, so it is kept whole or not at all.

Who owns the transaction decides when it is committed:

- The import owns it when the caller hands over a unit of work that is not open yet (the CLI,
  the upload page). A real run then commits every few hundred rows or half second, so a long
  import never holds SQLite's write lock for long; a dry run rolls everything back at the end.
- The import borrows it when the caller has it open already (a chat update, whose dialog state
  must commit with the import or not at all). Everything then happens inside the caller's
  transaction and the caller commits; a dry run is rolled back to its savepoint, so nothing of
  it remains.

A dry run does exactly the same work as a real one, so it reports what a real run would do,
duplicates within the file included. (On SQLite a dry run holds the write lock for its whole
duration: a few seconds for a file of thousands of rows.)
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, union_all

from registry.actors import Actor, deny, manages_agency, may_import
from registry.catalog import current_agency
from registry.errors import PermissionDenied, RegistryError, ValidationError
from registry.models import AccountRole, Agency, Person, Source, Status
from registry.people import register_person, update_field
from registry.roster.intake.checks import (
    Current,
    Fields,
    Problem,
    check_fields,
    differences,
    is_blank,
    role_for,
    skip_reason,
)
from registry.roster.intake.reader import Limits, read_list
from registry.roster.intake.table import ListRow, ListTable
from registry.uow import UnitOfWork
from registry.views import Notice

# A real run that owns its transaction commits after this many rows or this many seconds,
# whichever comes first.
COMMIT_ROWS = 500
COMMIT_SECONDS = 0.5

Progress = Callable[[int, int], None]  # (rows done, rows in all)


class Outcome(enum.StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    error = "error"
    skipped = "skipped"


@dataclass(frozen=True, slots=True)  # one per row: no __dict__
class RowResult:
    """What became of one data row."""

    row: ListRow
    outcome: Outcome
    person_id: int | None = None  # None for someone a dry run would create
    changed: tuple[str, ...] = ()  # the fields an update changed, in update order
    problems: tuple[Problem, ...] = ()
    notices: tuple[Notice, ...] = ()
    duplicate_of: int | None = None  # the earlier row of the file naming the same person


@dataclass(frozen=True)
class AgencyRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class ImportResult:
    """The whole import: the table read, each row's result, and how it was run."""

    table: ListTable
    rows: tuple[RowResult, ...]
    dry_run: bool
    actor: str
    agency: AgencyRef | None  # the file's agency, for rows without an agency cell

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.rows if row.outcome is outcome)

    @property
    def counts(self) -> dict[Outcome, int]:
        return {outcome: self.count(outcome) for outcome in Outcome}

    @property
    def changes(self) -> int:
        """Rows that created or changed someone (or would have, in a dry run)."""
        return self.count(Outcome.created) + self.count(Outcome.updated)


async def import_roster(
    uow: UnitOfWork,
    actor: Actor,
    data: bytes,
    *,
    dry_run: bool = False,
    agency: str | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import an .xlsx or .csv file given as bytes, in ``uow`` (see the module's docstring for
    who commits).

    ``agency`` is the agency of rows without an agency cell (a focal point's own by default).
    ``limits`` bound what the file may weigh (the caller's settings; the defaults otherwise).
    A file that cannot be taken as a whole (too large, not a table, encrypted, corrupt, a zip
    bomb, too many rows, no header, no agency) raises ``ValidationError`` and nothing is
    written; so does an actor who may not import (``PermissionDenied``).
    """
    if not may_import(actor):
        raise deny("people.import")
    # Parsing is CPU work of up to seconds: off the event loop, so a bot keeps answering.
    table = await asyncio.to_thread(read_list, data, limits or Limits())
    async with uow:
        run = _Run(uow, actor, dry_run)
        run.default = await run.file_agency(agency)
        if "agency" not in table.columns and run.default is None:
            raise ValidationError("import.agency_needed")
        results: list[RowResult] = []
        rows = [row for row in table.rows if not is_blank(row, table.columns)]
        total = len(rows)
        for done, row in enumerate(rows, start=1):
            results.append(await run.row(row, table.columns))
            await run.maybe_commit()
            if progress is not None:
                progress(done, total)
        if not dry_run:
            await uow.commit()
        # A dry run leaves without committing: its work is rolled back, all of it (owned) or
        # to the savepoint it started from (borrowed).
    return ImportResult(table, tuple(results), dry_run, actor.label, run.default)


# --- one row ------------------------------------------------------------------------------


class _Run:
    """The caches and bookkeeping of one import, in its open unit of work."""

    def __init__(self, uow: UnitOfWork, actor: Actor, dry_run: bool) -> None:
        self.uow = uow
        self.session = uow.session
        self.actor = actor
        self.dry_run = dry_run
        # Periodic commits only when the import owns the transaction (see the module's docstring).
        self.commits = not dry_run and not uow.borrowed
        self.default: AgencyRef | None = None
        self.today = date.today()
        # Reference as written -> the agency, or the error it gave (code and parameters: an
        # exception object raised again for every row would grow its traceback each time).
        self._agencies: dict[str, AgencyRef | tuple[type[RegistryError], str, dict[str, Any]]] = {}
        self._seen: dict[int, int] = {}  # person id -> the row that created or matched them
        self._created: set[int] = set()
        self._pending = 0
        self._last_commit = time.monotonic()

    def _shown_id(self, person_id: int) -> int | None:
        """No id for someone a dry run created: it is rolled back and will not exist."""
        return None if self.dry_run and person_id in self._created else person_id

    async def maybe_commit(self) -> None:
        self._pending += 1
        due = self._pending >= COMMIT_ROWS or time.monotonic() - self._last_commit > COMMIT_SECONDS
        if self.commits and due:
            await self.uow.commit()
            self._pending = 0
            self._last_commit = time.monotonic()

    # -- agencies --

    async def file_agency(self, reference: str | None) -> AgencyRef | None:
        """The agency of the whole file: the one given, else a focal point's own."""
        if reference is not None and reference.strip():
            found = await self.agency(reference)
            if not manages_agency(self.actor, found.id):
                raise deny("people.import")
            return found
        if self.actor.role is AccountRole.focal and self.actor.agency_id is not None:
            own = await self.session.get(Agency, self.actor.agency_id)
            if own is not None:
                return AgencyRef(own.id, own.code, own.name)
        return None

    async def agency(self, reference: str) -> AgencyRef:
        """A current agency written loosely; cached, since a file names few agencies."""
        key = " ".join(reference.split())
        cached = self._agencies.get(key)
        if cached is None:
            try:
                cached = await self._resolve(key)
            except RegistryError as error:
                cached = (type(error), error.code, dict(error.params))
            self._agencies[key] = cached
        if isinstance(cached, tuple):
            kind, code, params = cached
            raise kind(code, **params)
        return cached

    async def _resolve(self, reference: str) -> AgencyRef:
        found = await current_agency(self.session, reference, on=self.today)
        return AgencyRef(found.id, found.code, found.name)

    async def _row_agency(self, row: ListRow) -> AgencyRef:
        cell = row.get("agency")
        if not cell:
            if self.default is None:
                raise ValidationError("import.agency_missing", field="agency")
            target = self.default
        else:
            try:
                target = await self.agency(cell)
            except RegistryError as error:
                error.params.setdefault("field", "agency")
                raise
        if not manages_agency(self.actor, target.id):
            raise PermissionDenied(
                "import.other_agency",
                agency=target.name,
                own=self.default.name if self.default else "",
                field="agency",
            )
        return target

    # -- rows --

    async def row(self, row: ListRow, columns: dict[str, int]) -> RowResult:
        skipped = skip_reason(row, columns)
        if skipped is not None:
            return RowResult(row, Outcome.skipped, problems=(skipped,))
        problems: list[Problem] = []
        target: AgencyRef | None = None
        try:
            target = await self._row_agency(row)
        except RegistryError as error:
            problems.append(Problem.of(error, "agency"))
        fields, field_problems = check_fields(row)
        problems.extend(field_problems)
        if problems or target is None:
            return RowResult(row, Outcome.error, problems=tuple(problems))
        try:
            return await self._apply(row, target, fields)
        except RegistryError as error:
            return RowResult(
                row, Outcome.error, problems=(Problem.of(error),), notices=tuple(fields.notices)
            )

    async def _apply(self, row: ListRow, target: AgencyRef, fields: Fields) -> RowResult:
        person = await self._match(target, fields)
        notices = tuple(fields.notices)
        if person is None:
            if fields.full_name is None:
                raise ValidationError("name.empty", field="full_name")
            role, assumed = role_for(fields)
            # The use case's own level of the unit of work is the row's savepoint.
            created = await register_person(
                self.uow,
                self.actor,
                agency=target.code,
                full_name=fields.full_name,
                role=role.value,
                position=fields.position,
                mobile=fields.mobile.e164 if fields.mobile else None,
                office_phone=fields.office_text(),
                email=fields.email,
                note=fields.note,
                source=Source.import_.value,
            )
            self._seen[created.person.id] = row.number
            self._created.add(created.person.id)
            if assumed:
                notices += (Notice("import.role_assumed", {"role": role.value}),)
            return RowResult(
                row, Outcome.created, self._shown_id(created.person.id), notices=notices
            )
        person_id = person.id
        changes = differences(person, target.id, target.code, fields)
        earlier = self._seen.get(person_id)
        if earlier is not None:
            if changes:
                raise ValidationError("import.duplicate_row", row=earlier)
            return RowResult(
                row,
                Outcome.unchanged,
                self._shown_id(person_id),
                notices=notices,
                duplicate_of=earlier,
            )
        if not changes:
            self._seen[person_id] = row.number
            return RowResult(row, Outcome.unchanged, person_id, notices=notices)
        # One level around the row's updates: a field that fails undoes the ones before it.
        async with self.uow:
            for field_name, value in changes:
                await update_field(self.uow, self.actor, person_id, field_name, value)
            await self.uow.commit()
        self._seen[person_id] = row.number
        changed = tuple(name for name, _ in changes)
        return RowResult(row, Outcome.updated, person_id, changed, notices=notices)

    async def _match(self, target: AgencyRef, fields: Fields) -> Current | None:
        """The person a row names: same agency and folded name, else same mobile.

        One round trip for both, of plain columns rather than ORM objects (an import is bound
        by its per-row cost), as a UNION ALL of two lookups that each match one unique index:
        an OR of both would be planned as a scan of the whole table by PostgreSQL whenever its
        statistics are stale, as they are in the middle of a large import.
        """
        columns = [getattr(Person, name) for name in Current._fields]
        active = Person.status != Status.retired
        lookups = []
        if fields.name_key is not None:
            lookups.append(
                select(*columns).where(
                    active, Person.agency_id == target.id, Person.name_key == fields.name_key
                )
            )
        if fields.mobile is not None:
            lookups.append(select(*columns).where(active, Person.mobile == fields.mobile.e164))
        if not lookups:
            return None
        statement = union_all(*lookups) if len(lookups) > 1 else lookups[0]
        found = [Current(*row) for row in await self.session.execute(statement)]
        for person in found:
            if person.agency_id == target.id and person.name_key == fields.name_key:
                return person
        return found[0] if found else None


def summary_codes(result: ImportResult) -> dict[str, int]:
    """How many rows each problem code concerns, most frequent first (for summaries)."""
    counts: dict[str, int] = {}
    for row in result.rows:
        if row.outcome is Outcome.error:
            for problem in row.problems:
                counts[problem.code] = counts.get(problem.code, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


__all__: Sequence[str] = (
    "AgencyRef",
    "ImportResult",
    "Outcome",
    "Problem",
    "Progress",
    "RowResult",
    "import_roster",
    "summary_codes",
)
