"""Importing a list an agency sent, in batches, with the results of the registry's use cases.

Each data row ends as ``created``, ``updated``, ``unchanged``, ``error`` or ``skipped`` (the
template's example row, a heading without a person), with the problems of an error row as codes,
parameters and the column each concerns; an error never stops the other rows.

How rows become changes:

- A row's agency is its agency cell, written loosely ("UBND tỉnh Lào Cai", "TP. Hồ Chí Minh"),
  or the file's agency when the cell is empty: the one given (``agency=``), else, for a file
  without an agency column, the one the letterhead names ("UBND TỈNH LÀO CAI" above the table,
  see :mod:`registry.roster.intake.letterhead`), else a focal point's own. A file without an agency
  column and without any of these is refused as a whole (``import.agency_needed``): the caller
  asks the person which agency it is for and runs it again with ``agency=``.
- The closing block of a letter under the table ("Nơi nhận:", the date line, the signer) is
  not data: the reader ends the table there (:mod:`registry.roster.intake.closing`).
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
write the ChangeLog with the importer as the actor. When a row goes through them, they run in
the caller's unit of work, each in its own SAVEPOINT (the unit of work's nested level), so a row
that fails is rolled back alone; a row that changes several fields holds them in one more level,
so it is kept whole or not at all.

How a batch is decided (a batch is up to ``Batching.rows`` rows): its rows are checked first
(each cell once), then the people they could name (same agency and folded name, or same mobile)
are fetched in one query. Each row is then matched and decided in memory exactly as the use
cases would decide it (:meth:`_Run._fast`): a new person, someone unchanged, a duplicate of an
earlier row, an update of a position, role, office phone, email or note. What memory decides is
written at the end of the batch in a few statements: the new people in one INSERT (with their
search words and change log entries, the same entries ``register_person`` writes), each update
with its entries (and its version moved on once per field, as ``update_field`` does); search
words and entries go to the driver as they are, a timestamp shared by the batch converted once
(see :func:`_insert_rows`). An update that
moves someone, renames them or changes their mobile is decided in memory too, field by field as
``update_field`` takes it, the batch's people (and the names and mobiles it asked for and found
free) telling whether it collides (:mod:`registry.roster.intake.changes`); it is written with the
other updates, in the rows' order (a mobile one row frees, a later row may take), renamed
people's search words written anew. A row memory cannot decide safely goes through the use
cases below, on a database that has the batch's earlier rows, and the people are fetched again
after it: a mobile held by someone the importer may not see, a new person taking a name or a
mobile a move of the batch left (the INSERT would come before the move), a change colliding
with someone the batch has not written yet, a name or mobile the batch did not ask for (a move
and a rename at once), a move out of an agency the importer does not manage.
tests/integration/test_import_batched.py holds the two ways to the same rows and records, row
by row.

Who owns the transaction decides when it is committed:

- The import owns it when the caller hands over a unit of work that is not open yet (the CLI,
  the upload page, a chat's import job). It then works in short batches (500 rows or a
  second), each its own transaction inside ``Batching.gate`` (the process's turn to write),
  given back between batches (rows checked ahead and not reached are kept for the next): a
  long import never holds SQLite's write lock for long, and the bot answers meanwhile. A real
  run commits each batch.

  A dry run that owns its transaction first reads, batch after batch, each in a plain
  transaction that never takes the write lock (nor the process's turn to write): it keeps in
  memory what the earlier batches created or updated (the people it creates under ids of their
  own), so that a later row naming the same person is still caught. That is exact as long as
  memory decides every row: new people, unchanged ones, duplicates, updates of positions,
  roles, office phones, emails and notes, the common lists. At the first row memory cannot
  decide (a move, a rename, a new mobile, an update of someone the run created, a mobile held
  out of the importer's sight), memory would have to follow what the use cases and unique
  indexes decide across batches: a mobile an earlier batch gave or freed, a name an earlier
  batch left, someone an earlier batch created. It does not try: the list is imported again,
  from its first row, as a real run does, batch after batch, in a sandbox whose writes are all
  thrown away (:mod:`registry.roster.intake.sandbox`: a private copy in a temporary file on
  SQLite, so the real database is never locked for writing; one transaction rolled back on
  PostgreSQL). From its first row rather than from where memory stopped: the sandbox then
  holds exactly what the real run's earlier batches will have written, with nothing carried
  over from memory. Its progress says nothing until it goes past the row the reading had
  shown.
- The import borrows it when the caller has it open already (a chat update's dry run, whose
  dialog state commits with it). Everything then happens inside the caller's transaction, in one
  batch, and the caller commits; a dry run is rolled back to its savepoint. (On SQLite such a
  dry run holds the write lock for its whole duration.)

A real run is journaled (:mod:`registry.roster.intake.journal`): the run is recorded before the
first row, and each batch's row outcomes are written in the batch's own transaction, so after a
crash the journal says exactly which rows were written. A run queued earlier (a chat's job) or
interrupted is continued: the rows it recorded are kept as they were, the others are imported.

Races: two imports of one list at once (two processes, or PostgreSQL's parallel writers) both
see a person missing and both register them; the second one's INSERT fails on the unique index
(a batch's INSERT of new people is in a savepoint: on that failure each of its people goes
through the use cases one by one, and so does each later row of the batch that named one of
them again, after it, so that it points at the record the other import wrote).
That row's savepoint is rolled back, the row is matched again (now it finds the person the other
import wrote) and applied again: it comes out ``unchanged`` or ``updated``, as it would have
without the race, never as a duplicate error. A lost update race (the person's version moved) is
handled the same way. The batch's updates are written in a savepoint too: if one collides with
another writer's record (a mobile or a name it takes), none is written, and each row that
updated someone, with each row decided on what they changed, goes through the use cases in its
place, in order.

No side channel for a focal point. A focal point may import its own agency's people only, and
must learn nothing about other agencies' records. It used to: a row whose mobile belonged to a
person of another agency matched that person and came out "permission denied", a free number
"created". So for a focal point a row is matched within its own agency only; a mobile that turns
out to be held in another agency (the unique index says so when the row is written) is, in a dry
run, reported exactly as a free number would be, and in a real run as "to be checked by the
Press Department" (``import_review.mobile``) whoever holds it, with no name, agency or record id.
Only a real run, which writes and is journaled with the focal point's name for staff to see,
can tell the two apart at all: the registry cannot store one mobile twice.

A dry run does exactly the same work as a real one, so it reports what a real run would do,
duplicates within the file included.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, delete, insert, select, text, union_all, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from registry import changelog
from registry.actors import Actor, deny, manages_agency, may_import
from registry.catalog import today_agency
from registry.errors import Conflict, Duplicate, PermissionDenied, RegistryError, ValidationError
from registry.models import (
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
from registry.people import name_words, parse_field, person_columns, register_person, update_field
from registry.roster.intake.changes import UNKNOWN, decide
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
from registry.roster.intake.journal import (
    Recorded,
    fail,
    new_run,
    open_run,
    record,
    recorded,
    started,
)
from registry.roster.intake.letterhead import letterhead_agency
from registry.roster.intake.reader import Limits, read_list
from registry.roster.intake.sandbox import sandbox
from registry.roster.intake.table import ListRow, ListTable
from registry.roster.intake.wanted import wanted_people
from registry.uow import UnitOfWork
from registry.views import Notice

# A real run that owns its transaction commits after this many rows or this many seconds,
# whichever comes first.
COMMIT_ROWS = 500
COMMIT_SECONDS = 1.0
# Tries of a row that lost a race to another writer (it wrote the same person first).
RACE_TRIES = 3

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
    # What the row's reader is told about the name written: "Tỉnh Yên Bái đã hợp nhất vào ...".
    notices: tuple[Notice, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class ImportResult:
    """The whole import: the table read, each row's result, and how it was run."""

    table: ListTable
    rows: tuple[RowResult, ...]
    dry_run: bool
    actor: str
    agency: AgencyRef | None  # the file's agency, for rows without an agency cell
    run_id: int | None = None  # the journal's run (a real run)
    # Where the file's agency came from: "given", "letterhead", "own" (a focal point's), or None.
    agency_from: str | None = None

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.rows if row.outcome is outcome)

    @property
    def counts(self) -> dict[Outcome, int]:
        return {outcome: self.count(outcome) for outcome in Outcome}

    @property
    def changes(self) -> int:
        """Rows that created or changed someone (or would have, in a dry run)."""
        return self.count(Outcome.created) + self.count(Outcome.updated)


@dataclass(frozen=True)
class Batching:
    """How an import that owns its transaction cuts its work: a batch ends after ``rows`` rows
    or ``seconds`` seconds, and each batch runs inside ``gate()`` (the process's turn to write,
    given back between batches so that other writers get theirs)."""

    rows: int = COMMIT_ROWS
    seconds: float = COMMIT_SECONDS
    gate: Callable[[], AbstractAsyncContextManager[object]] | None = None


@dataclass(frozen=True)
class Journaled:
    """Journal the real run as this one (queued or interrupted before, now claimed) instead of
    opening a new run; ``file_name`` and ``account_id`` name it in a new run otherwise."""

    run_id: int | None = None
    file_name: str = "file"
    account_id: int | None = None


async def import_roster(
    uow: UnitOfWork,
    actor: Actor,
    data: bytes,
    *,
    dry_run: bool = False,
    agency: str | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
    journal: Journaled | None = None,
    batching: Batching | None = None,
    on_run: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import an .xlsx, .xls, .ods or .csv file given as bytes, in ``uow`` (see the module's
    docstring for who commits).

    ``agency`` is the agency of rows without an agency cell (a focal point's own by default).
    ``limits`` bound what the file may weigh (the caller's settings; the defaults otherwise).
    A file that cannot be taken as a whole (too large, not a table, encrypted, corrupt, a zip
    bomb, too many rows, no header, no agency) raises ``ValidationError`` and nothing is
    written; so does an actor who may not import (``PermissionDenied``).

    A real run is journaled (:mod:`registry.roster.intake.journal`); ``on_run`` hears its id as
    soon as it exists, and the result carries it.
    """
    if not may_import(actor):
        raise deny("people.import")
    batching = batching or Batching()
    journal = journal or Journaled()
    run_id = journal.run_id
    if not dry_run and run_id is None:
        options = {"agency": agency} if agency else None
        entry = new_run(actor.label, journal.account_id, journal.file_name, data, options=options)
        async with _turn(batching):
            run_id = await open_run(uow, entry)
    if run_id is not None and on_run is not None:
        on_run(run_id)
    try:
        return await _import(uow, actor, data, dry_run, agency, limits, progress, run_id, batching)
    except Exception as error:
        # Refused or broken: the run says so. (Cancelled or killed, it stays "running" and is
        # found interrupted once its process is gone, to be run again.)
        if run_id is not None and not uow.is_open:
            code = error.code if isinstance(error, RegistryError) else "import.broken"
            with contextlib.suppress(Exception):
                async with _turn(batching):
                    await fail(uow, run_id, code)
        raise


def _turn(batching: Batching) -> AbstractAsyncContextManager[object]:
    return batching.gate() if batching.gate is not None else contextlib.nullcontext()


async def _import(
    uow: UnitOfWork,
    actor: Actor,
    data: bytes,
    dry_run: bool,
    agency: str | None,
    limits: Limits | None,
    progress: Progress | None,
    run_id: int | None,
    batching: Batching,
) -> ImportResult:
    # Parsing is CPU work of up to seconds: off the event loop, so a bot keeps answering.
    table = await asyncio.to_thread(read_list, data, limits or Limits())
    owned = not uow.is_open
    shown = _Shown(progress) if progress is not None else None
    batches = _Batches(actor, table, dry_run, agency, shown, run_id, batching)
    if not (owned and dry_run):
        return await batches.run(uow, owned=owned)
    try:
        return await batches.run(uow, owned=True, reading=True)
    except _Undecided:
        pass
    # A row memory cannot decide: the list again from its first row, as a real run, in a
    # sandbox whose writes are all thrown away (see :mod:`registry.roster.intake.sandbox`).
    async with sandbox(uow.engine) as box:
        return await batches.run(box, owned=True)


class _Undecided(Exception):
    """A read-only dry run met a row that memory cannot decide."""


class _Shown:
    """Progress as shown: never back. The sandbox's run from the first row again says nothing
    until it goes past the row the read-only run had reached."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if done > self._done:
            self._done = done
            self._progress(done, total)


@dataclass(frozen=True)
class _Batches:
    """One way through the list's rows, batch after batch, in a unit of work: the owner's
    (committed by the batch for a real run), the caller's (borrowed), a dry run's read-only
    batches, or a dry run's sandbox (committed there, and thrown away with it)."""

    actor: Actor
    table: ListTable
    dry_run: bool
    agency: str | None
    progress: Progress | None
    run_id: int | None
    batching: Batching

    async def run(self, uow: UnitOfWork, *, owned: bool, reading: bool = False) -> ImportResult:
        """The rows imported; ``reading``: a dry run that never writes (each batch read-only,
        kept in memory across batches), which raises ``_Undecided`` at a row memory cannot
        decide. A dry run that owns ``uow`` and does not read is a sandbox's: its batches
        commit like a real run's."""
        table, batching, run_id, progress = self.table, self.batching, self.run_id, self.progress
        dry_run = self.dry_run
        run = _Run(uow, self.actor, dry_run, virtual=reading)
        rows = [row for row in table.rows if not is_blank(row, table.columns)]
        total = len(rows)
        results: list[RowResult] = []
        done: dict[int, RowResult] = {}
        position = 0
        first = True
        sandboxed = owned and dry_run and not reading
        while first or position < total:
            # A real run's batch takes the process's turn to write (and SQLite's write lock);
            # a dry run's reads, or writes in a sandbox of its own.
            gate = _turn(batching) if owned and not dry_run else contextlib.nullcontext()
            async with gate, uow.reading() if reading else uow:
                if first:
                    run.default = await run.file_agency(self.agency, table)
                    if "agency" not in table.columns and run.default is None:
                        raise ValidationError("import.agency_needed")
                    if run_id is not None:
                        done = await run.resume(run_id, rows)
                        named = (run.default.code, run.default.name) if run.default else None
                        await started(uow.session, run_id, table, total, named)
                    first = False
                batch: list[RowResult] = []
                began = time.monotonic()
                first_result = len(results)
                ahead = rows[position : position + batching.rows] if owned else rows[position:]
                await run.prepare([row for row in ahead if row.number not in done], table.columns)
                while position < total:
                    row = rows[position]
                    position += 1
                    earlier = done.get(row.number)
                    if earlier is not None:
                        result: RowResult | None = earlier
                    else:
                        result = await run.row(row, table.columns, write=not reading)
                    if result is None:  # it takes writing to decide it
                        raise _Undecided
                    results.append(result)
                    if earlier is None:
                        batch.append(result)
                    if progress is not None:
                        progress(position, total)
                    due = len(batch) >= batching.rows or time.monotonic() - began > batching.seconds
                    if owned and due:
                        break
                await run.flush()
                if run.ids or run.redone:
                    results[first_result:] = [
                        run.with_id(result) for result in results[first_result:]
                    ]
                    batch = [run.with_id(result) for result in batch]
                if run_id is not None:
                    await record(
                        uow.session,
                        run_id,
                        [_recorded(result) for result in batch],
                        finished=position >= total,
                    )
                if not dry_run or sandboxed:
                    await uow.commit()
                # Otherwise a dry run leaves without committing: its work is rolled back, all
                # of it (read-only) or to the savepoint it started from (borrowed).
            run.batch_over()
            if owned and position < total:
                await asyncio.sleep(0)  # the others' turn to write
        return ImportResult(
            table, tuple(results), dry_run, self.actor.label, run.default, run_id, run.agency_from
        )


def _recorded(result: RowResult) -> Recorded:
    return Recorded(
        number=result.row.number,
        outcome=result.outcome.value,
        person_id=result.person_id,
        duplicate_of=result.duplicate_of,
        changed=result.changed,
        problems=result.problems,
        notices=result.notices,
    )


def from_journal(row: ListRow, recorded: Recorded) -> RowResult:
    """A row's result as the journal kept it."""
    return RowResult(
        row,
        Outcome(recorded.outcome),
        recorded.person_id,
        recorded.changed,
        recorded.problems,
        recorded.notices,
        recorded.duplicate_of,
    )


# --- one row ------------------------------------------------------------------------------


class _Run:
    """The caches and bookkeeping of one import, across the batches of its unit of work."""

    def __init__(self, uow: UnitOfWork, actor: Actor, dry_run: bool, *, virtual: bool) -> None:
        self.uow = uow
        self.actor = actor
        self.dry_run = dry_run
        self.default: AgencyRef | None = None
        self.agency_from: str | None = None
        self.today = date.today()
        # A focal point looks for people of its own agency only (see the module's docstring).
        self.scope: int | None = None if actor.is_staff else actor.agency_id
        # Reference as written -> the agency, or the error it gave (code and parameters: an
        # exception object raised again for every row would grow its traceback each time).
        self._agencies: dict[str, AgencyRef | tuple[type[RegistryError], str, dict[str, Any]]] = {}
        self._seen: dict[int, int] = {}  # person id -> the row that created or matched them
        self._created: set[int] = set()
        # A dry run's read-only batches: each is rolled back, so what earlier batches created
        # or changed is kept here (as it would stand), the people created under ids of their
        # own (negative: a row's). Only rows memory decides are kept: a row it cannot decide
        # ends the read-only run (the sandbox takes the list over).
        self.virtual = virtual
        self._by_name: dict[tuple[int, str], Current] = {}
        self._by_mobile: dict[str, Current] = {}
        self._now: dict[int, Current] = {}
        # The batch's rows as checked ahead, and the people they could name, fetched in one
        # query and kept as the batch changes them (``fresh`` while they say what the database
        # would): rows are then matched and decided in memory (see ``_fast``).
        self._checked: dict[int, RowResult | tuple[AgencyRef, Fields]] = {}
        self._by_key: dict[tuple[int, str], Current] = {}
        self._holders: dict[str, Current] = {}
        self._fresh = False
        # What the fetch asked for (a name or mobile asked and not found is free), and what
        # the batch's moves left free (taken again only by a row that writes after them).
        self._asked_keys: set[tuple[int, str]] = set()
        self._asked_mobiles: set[str] = set()
        self._freed_keys: set[tuple[int, str]] = set()
        self._freed_mobiles: set[str] = set()
        self._codes: dict[int, str] | None = None  # agency id -> code, for moves' entries
        # Writes decided in memory, made in bulk at the end of the batch (``flush``): new people
        # under ids of their own (negative: their row's) until they are written, and then
        # ``ids`` maps those to the ids they got.
        self._new: list[_New] = []
        self._updates: list[tuple[int, dict[str, Any], int]] = []  # (id, columns, versions)
        self._entries: list[dict[str, object]] = []  # change log entries of the updates
        self._renamed: list[tuple[int, str]] = []  # (id, folded name): search words to rewrite
        # The rows of the updates, and the rows decided on what they changed, to be redone by
        # the use cases if the updates lose a race at the write (person id -> rows).
        self._updated: dict[int, list[tuple[ListRow, AgencyRef, Fields]]] = {}
        self.ids: dict[int, int] = {}
        # Rows decided in memory and then redone by the use cases (a race lost at the write).
        self.redone: dict[int, RowResult] = {}
        # Rows that named again someone the batch is to create (by their own id), to be redone
        # with them if their INSERT loses a race.
        self._named_again: dict[int, list[tuple[ListRow, AgencyRef, Fields]]] = {}

    @property
    def session(self) -> AsyncSession:
        return self.uow.session

    def _shown_id(self, person_id: int) -> int | None:
        """No id for someone a dry run created: it is rolled back and will not exist."""
        return None if self.dry_run and person_id in self._created else person_id

    def batch_over(self) -> None:
        self.ids.clear()
        self.redone.clear()
        # Rows checked ahead and not reached (a batch cut short by time) stay checked.
        self._fresh = False

    def with_id(self, result: RowResult) -> RowResult:
        """A row's result with the id its person got when the batch was written (or as the
        use cases gave it again, for a row whose write lost a race)."""
        again = self.redone.get(result.row.number)
        if again is not None:
            return again
        if result.person_id is None or result.person_id not in self.ids:
            return result
        return dataclasses.replace(result, person_id=self.ids[result.person_id])

    # -- a batch at once --

    async def prepare(self, rows: Sequence[ListRow], columns: dict[str, int]) -> None:
        """Check the batch's rows and fetch in one query the people they could name."""
        for row in rows:
            if row.number not in self._checked:
                self._checked[row.number] = await self._check(row, columns)
        if self.session.bind.dialect.name == "postgresql":
            # The batch's statements are prepared once and run hundreds of times while the
            # table grows from nothing: a generic plan made on the empty table would scan the
            # whole table for every batch. Each execution gets its own plan instead.
            await self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        if self._codes is None and not self.virtual:
            self._codes = dict((await self.session.execute(select(Agency.id, Agency.code))).all())
        await self._fetch()

    async def _fetch(self) -> None:
        """The people not retired whom the rows checked and not yet done could name: same
        agency and folded name, or same mobile (in any agency: a mobile is held once)."""
        keys: set[tuple[int, str]] = set()
        mobiles: set[str] = set()
        for checked in self._checked.values():
            if isinstance(checked, tuple):
                target, fields = checked
                if fields.name_key is not None:
                    keys.add((target.id, fields.name_key))
                if fields.mobile is not None:
                    mobiles.add(fields.mobile.e164)
        self._by_key, self._holders = {}, {}
        self._asked_keys, self._asked_mobiles = keys, mobiles
        self._freed_keys, self._freed_mobiles = set(), set()
        columns = [getattr(Person, name) for name in Current._fields]
        statement = wanted_people(self.session.bind.dialect.name, columns, keys, mobiles)
        if statement is not None:
            for values in await self.session.execute(statement):
                self._know(Current(*values))
        self._fresh = True

    async def _redo(self, new: list[_New]) -> None:
        """A race lost at the write: another writer registered one of the batch's new people
        first. Each of them goes through the use cases again, in a savepoint of its own, and
        comes out as it would have without the race (matched, or an error)."""
        for item in new:
            self._seen.pop(item.own, None)
            self._created.discard(item.own)
            self._by_key.pop((item.target.id, item.columns["name_key"]), None)
            if item.columns["mobile"]:
                self._holders.pop(item.columns["mobile"], None)
        # The rows that named one of them again (an earlier row's duplicate) were decided on
        # the person the batch was to create: they are redone too, each after its first row.
        again = [(item.row, item.target, item.fields) for item in new]
        for item in new:
            again += self._named_again.pop(item.own, [])
        for row, target, fields in sorted(again, key=lambda redo: redo[0].number):
            self.redone[row.number] = await self._slow(row, target, fields)
        self._fresh = False

    async def _redo_updates(
        self, updated: dict[int, list[tuple[ListRow, AgencyRef, Fields]]]
    ) -> None:
        """A race lost at the write of the batch's updates (another writer took a mobile or a
        name one of them takes): none of them was written; each row that updated someone, and
        each row decided on what they changed, goes through the use cases again, in order."""
        for person_id in updated:
            self._seen.pop(person_id, None)
        again = sorted(
            {
                row.number: (row, target, fields)
                for rows in updated.values()
                for row, target, fields in rows
            }.values(),
            key=lambda redo: redo[0].number,
        )
        for row, target, fields in again:
            self.redone[row.number] = await self._slow(row, target, fields)
        self._fresh = False

    def _key_holder(self, key: tuple[int, str]) -> Any:
        found = self._by_key.get(key)
        if found is not None:
            return found
        return None if key in self._asked_keys or key in self._freed_keys else UNKNOWN

    def _mobile_holder(self, mobile: str) -> Any:
        found = self._holders.get(mobile)
        if found is not None:
            return found
        return None if mobile in self._asked_mobiles or mobile in self._freed_mobiles else UNKNOWN

    def _know(self, person: Current) -> None:
        self._by_key[(person.agency_id, person.name_key)] = person
        if person.mobile:
            self._holders[person.mobile] = person

    async def _check(
        self, row: ListRow, columns: dict[str, int]
    ) -> RowResult | tuple[AgencyRef, Fields]:
        """A row's result when it needs no one (skipped, or wrong in itself), else its agency
        and checked fields."""
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
        if target is not None:
            fields.notices.extend(target.notices)
        if problems or target is None:
            return RowResult(row, Outcome.error, problems=tuple(problems))
        return target, fields

    async def flush(self) -> None:
        """Write what the batch decided in memory: the new people, their search words and
        change log entries, the updates and theirs, a few statements in all."""
        if self._new:
            new, self._new = self._new, []
            try:
                # In a savepoint: another writer may have written one of them meanwhile.
                async with self.uow:
                    # Each new person's id is told by their agency and folded name (unique
                    # among people not retired): RETURNING in the rows' order would make
                    # SQLite's driver insert them one statement each.
                    table = Person.__table__
                    inserted = await self.session.execute(
                        insert(table).returning(table.c.id, table.c.agency_id, table.c.name_key),
                        [item.columns for item in new],
                    )
                    got = {(agency_id, key): person_id for person_id, agency_id, key in inserted}
                    person_ids = [got[(item.target.id, item.columns["name_key"])] for item in new]
                    await self.uow.commit()
            except (IntegrityError, Duplicate, Conflict):
                await self._redo(new)
                person_ids = []
            self._named_again.clear()
            words: list[dict[str, object]] = []
            entries: list[dict[str, object]] = []
            for item, person_id in zip(new if person_ids else [], person_ids, strict=True):
                own, columns, code = item.own, item.columns, item.target.code
                self.ids[own] = person_id
                words += [
                    {"key": key, "person_id": person_id} for key in name_words(columns["name_key"])
                ]
                entries += [
                    changelog.entry(self.actor, person_id, "create", name, None, value)
                    for name, value in changelog.creation_values(columns, code)
                ]
                if own in self._seen:
                    self._seen[person_id] = self._seen.pop(own)
                if own in self._created:
                    self._created.discard(own)
                    self._created.add(person_id)
            for person in list(self._by_key.values()):
                if person.id in self.ids:
                    self._know(person._replace(id=self.ids[person.id]))
            if words:
                await _insert_rows(self.session, NameWord.__table__, words)
            if entries:
                # The updates' entries follow: each person's entries stay in their order.
                await _insert_rows(self.session, ChangeLog.__table__, entries, at=utcnow())
        if self._updates:
            updates, self._updates = self._updates, []
            renamed, self._renamed = self._renamed, []
            updated, self._updated = self._updated, {}
            now = utcnow()
            table = Person.__table__
            try:
                # In a savepoint: a move or a new mobile may collide with another writer's.
                async with self.uow:
                    for person_id, columns, versions in updates:
                        await self.session.execute(
                            update(table)
                            .where(table.c.id == person_id)
                            .values(
                                **columns,
                                version=table.c.version + versions,
                                updated_at=now,
                                confirmed_at=now,  # as update_field: the importer had the record
                            )
                        )
                    await self.uow.commit()
            except IntegrityError:
                self._entries = []
                await self._redo_updates(updated)
                renamed = []
            if renamed:
                # As update_field's _index_name: the renamed people's search words anew.
                await self.session.execute(
                    delete(NameWord).where(NameWord.person_id.in_([pid for pid, _ in renamed]))
                )
                words = [
                    {"key": key, "person_id": person_id}
                    for person_id, name_key in renamed
                    for key in name_words(name_key)
                ]
                await _insert_rows(self.session, NameWord.__table__, words)
        if self._entries:
            entries, self._entries = self._entries, []
            await _insert_rows(self.session, ChangeLog.__table__, entries, at=utcnow())

    async def resume(self, run_id: int, rows: Sequence[ListRow]) -> dict[int, RowResult]:
        """The rows an earlier attempt of the run wrote, as it recorded them; what they created
        or matched is remembered as if this attempt had done it."""
        by_number = {row.number: row for row in rows}
        done: dict[int, RowResult] = {}
        for kept in await recorded(self.session, run_id):
            row = by_number.get(kept.number)
            if row is None:
                continue
            done[kept.number] = from_journal(row, kept)
            if kept.person_id is not None and kept.outcome in _MATCHED:
                self._seen.setdefault(kept.person_id, kept.duplicate_of or kept.number)
                if kept.outcome == Outcome.created.value:
                    self._created.add(kept.person_id)
        return done

    # -- agencies --

    async def file_agency(self, reference: str | None, table: ListTable) -> AgencyRef | None:
        """The agency of the whole file: the one given, else the one its letterhead names (a
        file without an agency column), else a focal point's own."""
        if reference is not None and reference.strip():
            found = await self.agency(reference)
            if not manages_agency(self.actor, found.id):
                raise deny("people.import")
            self.agency_from = "given"
            return found
        # Only a list without an agency column is one agency's: in a list with one (the Press
        # Department's compiled roster under its own letterhead), a row without an agency
        # cell is an error to fix, not the letterhead's.
        named = None
        if "agency" not in table.columns:
            named = await letterhead_agency(self.session, table.letterhead, on=self.today)
        if named is not None:
            if not manages_agency(self.actor, named.id):
                # A focal point sent another agency's list: said once, not on every row.
                own = await self.session.get(Agency, self.actor.agency_id or 0)
                raise PermissionDenied(
                    "import_letterhead.other_agency",
                    agency=named.name,
                    own=own.name if own is not None else "",
                )
            self.agency_from = "letterhead"
            return AgencyRef(named.id, named.code, named.name)
        if self.actor.role is AccountRole.focal and self.actor.agency_id is not None:
            own = await self.session.get(Agency, self.actor.agency_id)
            if own is not None:
                self.agency_from = "own"
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
        # A list written before the 2025 mergers names agencies that no longer exist: each row
        # lands in the agency it merged into, and its report says so.
        found, notices = await today_agency(self.session, reference, on=self.today)
        return AgencyRef(found.id, found.code, found.name, tuple(notices))

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

    async def row(
        self, row: ListRow, columns: dict[str, int], *, write: bool = True
    ) -> RowResult | None:
        """The row's result; None when it takes writing to decide it and ``write`` is off."""
        checked = self._checked.pop(row.number, None) or await self._check(row, columns)
        if isinstance(checked, RowResult):
            return checked
        target, fields = checked
        if self._fresh:
            decided = self._fast(row, target, fields)
            if decided is not None:
                return decided
        if not write:
            self._checked[row.number] = checked
            return None
        # What memory cannot decide goes through the use cases, on a database that has what
        # the batch decided so far; then the rows left are fetched again.
        await self.flush()
        result = await self._slow(row, target, fields)
        await self._fetch()
        return result

    def _fast(self, row: ListRow, target: AgencyRef, fields: Fields) -> RowResult | None:
        """The row decided in memory, with the same result the use cases would give, or None
        when it needs them: a mobile held by someone the importer may not see, a move, a
        rename or a new mobile the batch cannot tell (see :meth:`_fast_move`), a name or mobile
        a move of the batch left, taken by someone new."""
        notices = tuple(fields.notices)
        person = self._cached_match(target, fields)
        if person is None:
            if fields.mobile is not None and (
                fields.mobile.e164 in self._holders or fields.mobile.e164 in self._freed_mobiles
            ):
                return None
            if (target.id, fields.name_key) in self._freed_keys:
                return None  # a name a move left: written after the move, by the use cases
            return self._fast_create(row, target, fields, notices)
        changes = differences(person, target.id, target.code, fields)
        earlier = self._seen.get(person.id)
        if earlier is not None and person.id < 0 and not self.virtual:
            self._named_again.setdefault(person.id, []).append((row, target, fields))
        if earlier is not None and person.id in self._updated:
            self._updated[person.id].append((row, target, fields))
        if earlier is not None:
            if changes:
                error = ValidationError("import.duplicate_row", row=earlier)
                return RowResult(row, Outcome.error, problems=(Problem.of(error),), notices=notices)
            shown = self._shown_id(person.id)
            return RowResult(row, Outcome.unchanged, shown, notices=notices, duplicate_of=earlier)
        if not changes:
            self._seen[person.id] = row.number
            return RowResult(row, Outcome.unchanged, person.id, notices=notices)
        if person.id < 0:
            return None
        if any(name in _MOVES for name, _ in changes):
            # A dry run's memory across batches (``virtual``) does not follow moves: the sandbox.
            if self.virtual or self._codes is None:
                return None
            return self._fast_move(row, target, fields, person, changes, notices)
        result = self._fast_update(row, person, changes, notices)
        if result.outcome is Outcome.updated:
            self._updated.setdefault(person.id, []).append((row, target, fields))
        return result

    def _fast_move(
        self,
        row: ListRow,
        target: AgencyRef,
        fields: Fields,
        person: Current,
        changes: list[tuple[str, str]],
        notices: tuple[Notice, ...],
    ) -> RowResult | None:
        """A row that moves, renames or renumbers someone, as update_field would do it (see
        :mod:`registry.roster.intake.changes`), or None when the batch cannot tell."""
        assert self._codes is not None
        decided = decide(
            self.actor,
            person,
            changes,
            target.id,
            self._codes,
            self._key_holder,
            self._mobile_holder,
        )
        if decided is None:
            return None
        if isinstance(decided, RegistryError):
            held = decided.params.get("person_id")
            if held in self._updated:  # decided on what an update of the batch changed
                self._updated[held].append((row, target, fields))
            if self.scope is not None and decided.code == "person.duplicate_mobile":
                return self._hidden(row, fields, person)
            return RowResult(row, Outcome.error, problems=(Problem.of(decided),), notices=notices)
        values = decided.values
        moved = Current(**values)
        old_key = (person.agency_id, person.name_key)
        if (moved.agency_id, moved.name_key) != old_key:
            if _same(self._by_key.get(old_key), person):
                del self._by_key[old_key]
            self._freed_keys.add(old_key)
        if person.mobile and person.mobile != moved.mobile:
            if _same(self._holders.get(person.mobile), person):
                del self._holders[person.mobile]
            self._freed_mobiles.add(person.mobile)
        self._know(moved)
        if moved.name_key != person.name_key:
            self._renamed.append((person.id, moved.name_key))
        stored = {key: values[key] for key in Current._fields[1:]}
        self._updates.append((person.id, stored, decided.versions))
        self._entries += decided.entries
        self._updated.setdefault(person.id, []).append((row, target, fields))
        self._seen[person.id] = row.number
        changed = tuple(name for name, _ in changes)
        return RowResult(row, Outcome.updated, person.id, changed, notices=notices)

    def _cached_match(self, target: AgencyRef, fields: Fields) -> Current | None:
        """:meth:`_match` on the batch's people."""
        found: list[Current] = []
        if fields.name_key is not None:
            by_name = self._by_key.get((target.id, fields.name_key))
            if by_name is not None:
                found.append(self._as_now(by_name))
        if fields.mobile is not None:
            holder = self._holders.get(fields.mobile.e164)
            if holder is not None and (self.scope is None or holder.agency_id == self.scope):
                found.append(self._as_now(holder))
        if self.virtual:
            found += self._virtual_match(target, fields)
        for person in found:
            if person.agency_id == target.id and person.name_key == fields.name_key:
                return person
        return found[0] if found else None

    def _fast_create(
        self, row: ListRow, target: AgencyRef, fields: Fields, notices: tuple[Notice, ...]
    ) -> RowResult:
        try:
            if fields.full_name is None:
                raise ValidationError("name.empty", field="full_name")
            role, assumed = role_for(fields)
            columns = _new_columns(fields, role)
        except RegistryError as error:
            return RowResult(row, Outcome.error, problems=(Problem.of(error),), notices=notices)
        own = -row.number
        columns |= {
            "agency_id": target.id,
            "status": Status.verified,
            "source": Source.import_,
        }
        current = Current(own, *(columns[name] for name in Current._fields[1:]))
        if self.virtual:
            self._by_name[(current.agency_id, current.name_key)] = current
            if current.mobile:
                self._by_mobile[current.mobile] = current
        else:
            self._new.append(_New(own, columns, target, row, fields))
            self._know(current)
        self._seen[own] = row.number
        self._created.add(own)
        if assumed:
            notices += (Notice("import.role_assumed", {"role": role.value}),)
        return RowResult(row, Outcome.created, self._shown_id(own), notices=notices)

    def _fast_update(
        self,
        row: ListRow,
        person: Current,
        changes: list[tuple[str, str]],
        notices: tuple[Notice, ...],
    ) -> RowResult:
        values = person._asdict()
        entries: list[dict[str, object]] = []
        versions = 0
        try:
            for name, value in changes:
                columns = parse_field(name, value).columns
                if all(values[key] == new for key, new in columns.items()):
                    continue
                old = changelog.logged_value(values, PersonField(name))
                values.update(columns)
                new = changelog.logged_value(values, PersonField(name))
                entries.append(changelog.entry(self.actor, person.id, "update", name, old, new))
                versions += 1
        except RegistryError as error:
            return RowResult(row, Outcome.error, problems=(Problem.of(error),), notices=notices)
        if not any(values[name] for name in _CONTACT_COLUMNS):
            error = ValidationError("person.no_contact", field=changes[0][0])
            return RowResult(row, Outcome.error, problems=(Problem.of(error),), notices=notices)
        changed_now = Current(**values)
        if self.virtual:
            self._now[person.id] = changed_now
        else:
            stored = {key: values[key] for key in Current._fields[4:]}
            self._updates.append((person.id, stored, versions))
            self._entries += entries
            self._know(changed_now)
        self._seen[person.id] = row.number
        changed = tuple(name for name, _ in changes)
        return RowResult(row, Outcome.updated, person.id, changed, notices=notices)

    async def _slow(self, row: ListRow, target: AgencyRef, fields: Fields) -> RowResult:
        """The row through the registry's use cases, each in a savepoint of its own."""
        notices = tuple(fields.notices)
        lost: RegistryError | None = None
        matched: Current | None = None
        for attempt in range(RACE_TRIES):
            person = await self._match(target, fields)
            if attempt and isinstance(lost, Duplicate) and _same(person, matched):
                break  # nothing new to match: the row itself collides, no race was lost
            matched = person
            try:
                return await self._apply(row, target, fields, person)
            except (Duplicate, Conflict) as error:
                # Another writer got there first (or the row collides with someone): its
                # savepoint is rolled back; match again and apply again.
                lost = error
                self._forget()
            except RegistryError as error:
                self._forget()
                return RowResult(row, Outcome.error, problems=(Problem.of(error),), notices=notices)
        assert lost is not None
        if self.scope is not None and lost.code == "person.duplicate_mobile":
            return self._hidden(row, fields, matched)
        return RowResult(row, Outcome.error, problems=(Problem.of(lost),), notices=notices)

    def _forget(self) -> None:
        """After a row's savepoint is rolled back: the session's copy of a person may still say
        what the row wrote in it (a field written before the one that failed, its version
        moved on), and a later row updating them would be refused as stale. Read them again."""
        self.session.expire_all()

    def _hidden(self, row: ListRow, fields: Fields, person: Current | None) -> RowResult:
        """The row's mobile belongs to someone the importer may not see (another agency's).

        A dry run says what it says of a free number; a real run cannot write it and says the
        Press Department will check it, the same words whoever holds the number.
        """
        notices = tuple(fields.notices)
        if self.dry_run:
            if person is None:
                return RowResult(row, Outcome.created, None, notices=notices)
            changed = tuple(name for name, _ in differences(person, person.agency_id, "", fields))
            return RowResult(row, Outcome.updated, person.id, changed, notices=notices)
        return RowResult(
            row,
            Outcome.error,
            problems=(Problem("import_review.mobile", {"field": "mobile"}, "mobile"),),
            notices=notices,
        )

    async def _apply(
        self, row: ListRow, target: AgencyRef, fields: Fields, person: Current | None
    ) -> RowResult:
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
            person_id = created.person.id
            self._seen[person_id] = row.number
            self._created.add(person_id)
            if assumed:
                notices += (Notice("import.role_assumed", {"role": role.value}),)
            return RowResult(row, Outcome.created, self._shown_id(person_id), notices=notices)
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
        """The person a row names: same agency and folded name, else same mobile (among the
        importer's own agency's people, for a focal point).

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
            by_mobile = [active, Person.mobile == fields.mobile.e164]
            if self.scope is not None:
                by_mobile.append(Person.agency_id == self.scope)
            lookups.append(select(*columns).where(*by_mobile))
        if not lookups:
            return None
        statement = union_all(*lookups) if len(lookups) > 1 else lookups[0]
        # (Never a dry run's read-only batches: memory decides their rows, or the sandbox does.)
        found = [Current(*row) for row in await self.session.execute(statement)]
        for person in found:
            if person.agency_id == target.id and person.name_key == fields.name_key:
                return person
        return found[0] if found else None

    def _as_now(self, person: Current) -> Current:
        """A person as the dry run's earlier batches left them (see ``virtual``)."""
        return self._now.get(person.id, person)

    def _virtual_match(self, target: AgencyRef, fields: Fields) -> list[Current]:
        found: list[Current] = []
        if fields.name_key is not None:
            by_name = self._by_name.get((target.id, fields.name_key))
            if by_name is not None:
                found.append(by_name)
        if fields.mobile is not None:
            by_mobile = self._by_mobile.get(fields.mobile.e164)
            if by_mobile is not None and (self.scope is None or by_mobile.agency_id == self.scope):
                found.append(by_mobile)
        return found


_MATCHED = {Outcome.created.value, Outcome.updated.value, Outcome.unchanged.value}
# Changes that may collide with another record (the unique indexes): see _Run._fast_move.
_MOVES = frozenset({"agency", "full_name", "mobile"})
_CONTACT_COLUMNS = tuple(f.value for f in PersonField.contacts())


async def _insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], **same: Any
) -> None:
    """INSERT ``rows`` (dicts of the same columns) and the values ``same`` for all of them, in
    one statement the driver runs for every row.

    A batch writes thousands of search words and change log entries: SQLAlchemy's own
    executemany converts each value of each row in Python (a timestamp formatted for SQLite
    for every entry), most of what writing them cost. Here a value shared by every row is
    converted once, and a column whose type converts nothing is passed as it is.
    """
    connection = await session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    convert = {name: table.c[name].type.bind_processor(dialect) for name in names}
    if any(convert.values()):  # a type that converts: each of its values through it
        rows = [
            {name: (fn(value) if (fn := convert[name]) else value) for name, value in row.items()}
            for row in rows
        ]
    tail = tuple(_bound(table.c[name], value, dialect) for name, value in same.items())
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in (*names, *same))
    if dialect.name == "postgresql":
        # One statement over arrays, one per column: PostgreSQL runs an executemany as one
        # statement per row, each with its own round of planning and execution.
        marks = _placeholders(dialect.paramstyle, len(names) + len(same))
        arrays = [
            f"{mark}::{_array_type(table.c[name])}"
            for mark, name in zip(marks[: len(names)], names, strict=True)
        ]
        shared = [
            f"{mark}::{table.c[name].type.compile(dialect)}"
            for mark, name in zip(marks[len(names) :], same, strict=True)
        ]
        statement = (
            f"INSERT INTO {quote(table.name)} ({columns}) "
            f"SELECT *{''.join(', ' + value for value in shared)} FROM unnest({', '.join(arrays)})"
        )
        values = [[row[name] for row in rows] for name in names]
        await connection.exec_driver_sql(statement, (*values, *tail))
        return
    pick = itemgetter(*names)
    params = (
        [(pick(row), *tail) for row in rows]
        if len(names) == 1
        else [pick(row) + tail for row in rows]
    )
    statement = (
        f"INSERT INTO {quote(table.name)} ({columns}) "
        f"VALUES ({', '.join(_placeholders(dialect.paramstyle, len(names) + len(same)))})"
    )
    await connection.exec_driver_sql(statement, params)


def _array_type(column: Any) -> str:
    """The array type of a column's values for PostgreSQL's unnest (text for any string)."""
    python_type = column.type.python_type
    if python_type is int:
        return "bigint[]"
    if python_type is str:
        return "text[]"
    raise NotImplementedError(f"column {column.name}")


def _placeholders(style: str, count: int) -> list[str]:
    if style == "qmark":
        return ["?"] * count
    if style == "numeric_dollar":
        return [f"${index}" for index in range(1, count + 1)]
    if style in ("format", "pyformat"):
        return ["%s"] * count
    if style == "numeric":
        return [f":{index}" for index in range(1, count + 1)]
    raise NotImplementedError(f"parameter style {style}")


def _bound(column: Any, value: Any, dialect: Dialect) -> Any:
    processor = column.type.bind_processor(dialect)
    return processor(value) if processor is not None else value


def _new_columns(fields: Fields, role: Role) -> dict[str, Any]:
    """The columns ``register_person`` stores for the row's fields.

    The fields were checked by the same parsers and are already in their stored form (a name
    normalised, a number in E.164), so they are taken as they are; only a mobile from abroad
    goes through the use case's parsers again (whether it may be a mobile is theirs to say).
    """
    assert fields.full_name is not None
    if fields.mobile is not None and fields.mobile.kind != "mobile":
        columns, _ = person_columns(
            full_name=fields.full_name,
            role=role.value,
            position=fields.position,
            mobile=fields.mobile.e164,
            office_phone=fields.office_text(),
            email=fields.email,
            note=fields.note,
        )
        return columns
    office = fields.office
    columns = {
        "full_name": fields.full_name,
        "name_key": fields.name_key,
        "position": fields.position,
        "role": role,
        "mobile": fields.mobile.e164 if fields.mobile else None,
        "office_phone": office.e164 if office else None,
        "office_ext": office.extension if office else None,
        "email": fields.email,
        "note": fields.note,
    }
    if not any(columns[name] for name in _CONTACT_COLUMNS):
        raise ValidationError("person.no_contact", field="mobile")
    return columns


@dataclass(frozen=True)
class _New:
    """A person a batch registers in bulk, with what it takes to register them one by one."""

    own: int  # the id they have until they are written (minus their row's number)
    columns: dict[str, Any]
    target: AgencyRef
    row: ListRow
    fields: Fields


def _same(one: Current | None, other: Current | None) -> bool:
    return (one.id if one else None) == (other.id if other else None)


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
    "Batching",
    "ImportResult",
    "Journaled",
    "Outcome",
    "Problem",
    "Progress",
    "RowResult",
    "import_roster",
    "summary_codes",
)
