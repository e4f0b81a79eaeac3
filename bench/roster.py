"""The roster files at scale: the xlsx, csv and vCard exports of 100,000 people, and the import.

    python bench/roster.py [--people 100000] [--repeat 3] [--seed 2025] [--keep DIR]
                           [--formats xlsx,csv,vcf] [--no-import]

Export half. A SQLite file gets the schema (the project's migrations), the 2025 catalog and
``--people`` synthetic people (bench/search.py's generator: realistic names, unique mobiles,
office lines, emails, 90% verified, 3% retired), bulk-inserted with Core ``insert()``. Then,
each in a fresh Python process so that its peak memory is its own (``VmHWM``):

- ``export``: ``bot.roster.export_to`` as ``spokes export`` runs it (permission check, counts,
  the query, labels, phone layout, dates in the readers' zone, formula neutralisation; for
  xlsx also styles, merged agency cells, sections, the missing and summary sheets) into a file;
- ``baseline``: a bare writer of the same cells that also reads them from the same database:
  the project's async engine on the same URL, one Core ``select`` of the same people (their
  agency's name joined, the same filter and the same order, streamed ``yield_per`` 2,000 as the
  export does), each row written as it comes with its number: ``csv.writer.writerows``, one
  f-string per vCard (no escaping, no folding, no phone layout), or openpyxl's write-only
  ``ws.append`` without styles (dates as the stored UTC day). No labels, no formatting: what
  any program must pay to get these cells out of this database and into such a file.
- csv only, for reference: ``sqlite3`` (no SQLAlchemy, no type conversion) running the same
  SQL into ``csv.writer.writerows``; shown with its ratio, it has no goal (it cannot read
  PostgreSQL, which the export must).

Both are timed from the engine's first connection to the file's last byte (the Python imports
before the clock; the export's lazy import of openpyxl counts, as it does for ``spokes
export``), in wall-clock and CPU time (the process's, SQLite's reader thread included). Each
is run ``--repeat`` times, alternating; the best time of each is kept (the machines are shared
and noisy). It prints the times, the ratios export/baseline (goals: csv and vCard at most 2,
xlsx at most 1) and the peak memory of each process (goal for the export: < 200 MB).

Import half: ``import_half`` runs ``bench/roster_import.py`` on as many rows. The script
reports; it is not a test: it exits 0 when a figure misses its goal, non-zero only on errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from registry.actors import Actor
from registry.catalog import load_edition
from registry.db import upgrade
from registry.models import Person
from registry.uow import Database

# Each export against a bare writer of the same cells read from the same database.
GOALS = {"xlsx": 1.0, "csv": 2.0, "vcf": 2.0}
GOAL_MEMORY_MB = 200
ACTOR = Actor.system("bench")
ORGANISATION = "CỤC BÁO CHÍ"


# --- the database -------------------------------------------------------------------------


async def build_database(url: str, people: int, seed: int) -> float:
    """Schema, 2025 catalog and ``people`` people; returns the seconds the inserts took."""
    # bench/ is this script's folder, so its sibling is importable: the same synthetic people
    # as the search benchmark.
    from search import Population, current_agencies, next_person_id

    database = Database(url)
    try:
        await upgrade(database.engine)
        await load_edition(database.uow(), ACTOR, "2025")
        population = Population(
            await current_agencies(database), await next_person_id(database), seed
        )
        start = time.perf_counter()
        async with database.engine.begin() as conn:
            # The export reads no search keys: the name_word rows are left out.
            for rows, _words in population.grow(people):
                await conn.execute(insert(Person), rows)
        return time.perf_counter() - start
    finally:
        await database.dispose()


# --- the measured children ----------------------------------------------------------------


def peak_mb() -> float:
    """Peak resident memory of this process, in MB.

    On Linux ``ru_maxrss`` keeps, across ``exec``, the size of the parent process that was
    forked: a child started by a parent holding 150 MB reports at least 150 MB. The high-water
    mark of the process's own memory (``VmHWM``) starts afresh at ``exec``, so it is used when
    the system has it (and the parent is kept small anyway: the database is built in a child).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def export_child(url: str, output: Path, format: str = "xlsx") -> dict[str, Any]:
    from bot.roster import export_to

    database = Database(url)
    try:
        clock = Clock()
        with output.open("wb") as target:
            result, _ = await export_to(
                database.uow(),
                ACTOR,
                target,
                format=format,
                language="vi",
                organisation=ORGANISATION,
            )
        figures = clock.figures()
    finally:
        await database.dispose()
    return {**figures, "people": result.people}


def bare_query() -> Any:
    """The people an export of everything holds, as a bare program would ask for them: their
    values and their agency's name, the same filter and order as the roster (section, agency in
    catalog order, role, name), no labels."""
    from sqlalchemy import case, select

    from registry.catalog import KIND_ORDER
    from registry.models import Agency, Role, Status

    kind_rank = case({kind: rank for rank, kind in enumerate(KIND_ORDER)}, value=Agency.kind)
    role_rank = case({role: rank for rank, role in enumerate(Role)}, value=Person.role)
    return (
        select(
            Person.id,
            Agency.name,
            Person.full_name,
            Person.position,
            Person.role,
            Person.mobile,
            Person.office_phone,
            Person.office_ext,
            Person.email,
            Person.status,
            Person.updated_at,
            Person.confirmed_at,
        )
        .join(Agency, Person.agency_id == Agency.id)
        .where(Person.erased_at.is_(None), Person.status != Status.retired)
        .order_by(
            kind_rank,
            Agency.sort_order,
            Agency.name,
            Agency.id,
            role_rank,
            Person.name_key,
            Person.id,
        )
        .execution_options(yield_per=BATCH)
    )


BATCH = 2_000
# The same query in SQL, for the sqlite3 reference.
BARE_SQL = """
SELECT person.id, agency.name, person.full_name, person.position, person.role, person.mobile,
       person.office_phone, person.office_ext, person.email, person.status, person.updated_at,
       person.confirmed_at
FROM person JOIN agency ON person.agency_id = agency.id
WHERE person.erased_at IS NULL AND person.status != 'retired'
ORDER BY CASE agency.kind WHEN 'ministry' THEN 0 WHEN 'ministerial_agency' THEN 1
    WHEN 'government_agency' THEN 2 WHEN 'city' THEN 3 WHEN 'province' THEN 4
    WHEN 'department' THEN 5 WHEN 'commune' THEN 6 ELSE 7 END,
  agency.sort_order, agency.name, agency.id,
  CASE person.role WHEN 'head' THEN 0 WHEN 'spokesperson' THEN 1
    WHEN 'authorized_spokesperson' THEN 2 ELSE 3 END,
  person.name_key, person.id
"""


class Clock:
    """Wall and CPU seconds since it was made."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def figures(self) -> dict[str, Any]:
        return {
            "seconds": time.perf_counter() - self.wall,
            "cpu": time.process_time() - self.cpu,
        }


def bare_card(
    id: int,
    agency: str,
    name: str,
    position: str | None,
    role: str,
    mobile: str | None,
    office: str | None,
    ext: str | None,
    email: str | None,
    *_: object,
) -> str:
    """One vCard, one f-string: the values as stored, no escaping, folding or layout."""
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:{name};;;;\r\nFN:{name}\r\nORG:{agency}\r\n"
        f"TITLE:{position}\r\nTEL;TYPE=CELL:{mobile}\r\nTEL;TYPE=WORK:{office},{ext}\r\n"
        f"EMAIL;TYPE=INTERNET:{email}\r\nNOTE:{role}\r\nUID:urn:spokes:person:{id}\r\n"
        "END:VCARD\r\n"
    )  # fmt: skip


async def baseline_child(url: str, output: Path, format: str) -> dict[str, Any]:
    """A bare writer of the same cells, read from the same database (see the docstring)."""
    import csv

    if format == "xlsx":
        from openpyxl import Workbook

    database = Database(url)
    statement = bare_query()
    rows = 0
    try:
        clock = Clock()
        async with database.engine.connect() as conn:
            result = await conn.stream(statement)
            if format == "csv":
                with output.open("w", newline="", encoding="utf-8-sig") as file:
                    writer = csv.writer(file)
                    async for part in result.partitions(BATCH):
                        writer.writerows([(rows + n, *row[1:]) for n, row in enumerate(part, 1)])
                        rows += len(part)
            elif format == "vcf":
                with output.open("w", encoding="utf-8", newline="") as file:
                    async for part in result.partitions(BATCH):
                        rows += len(part)
                        file.write("".join(bare_card(*row) for row in part))
            else:
                workbook = Workbook(write_only=True)
                sheet = workbook.create_sheet("Danh sách")
                async for part in result.partitions(BATCH):
                    for row in part:
                        rows += 1
                        # openpyxl refuses zoned times: the stored UTC day, as it comes.
                        updated, confirmed = row[-2], row[-1]
                        sheet.append(
                            (
                                rows,
                                *row[1:-2],
                                updated.date(),
                                confirmed.date() if confirmed else None,
                            )
                        )
                workbook.save(output)
        figures = clock.figures()
    finally:
        await database.dispose()
    return {**figures, "rows": rows}


def sqlite_child(database: Path, output: Path) -> dict[str, Any]:
    """The csv reference: the same SQL through ``sqlite3`` into ``csv.writer``, no SQLAlchemy,
    no type conversion (the stored text of the times as it is)."""
    import csv

    clock = Clock()
    with (
        contextlib.closing(sqlite3.connect(database)) as connection,
        output.open("w", newline="", encoding="utf-8-sig") as file,
    ):
        cursor = connection.execute(BARE_SQL)
        rows = 0
        writer = csv.writer(file)
        while part := cursor.fetchmany(BATCH):
            writer.writerows([(rows + n, *row[1:]) for n, row in enumerate(part, 1)])
            rows += len(part)
    return {**clock.figures(), "rows": rows, "bytes": output.stat().st_size}


def child(args: argparse.Namespace) -> None:
    if args.child == "build":
        seconds = asyncio.run(build_database(args.url, args.people, args.seed))
        figures: dict[str, Any] = {"seconds": seconds}
    elif args.child == "export":
        figures = asyncio.run(export_child(args.url, Path(args.output), args.format))
        figures["bytes"] = Path(args.output).stat().st_size
    elif args.child == "baseline":
        figures = asyncio.run(baseline_child(args.url, Path(args.output), args.format))
        figures["bytes"] = Path(args.output).stat().st_size
    else:
        figures = sqlite_child(Path(args.source), Path(args.output))
    figures["peak_mb"] = peak_mb()
    print(json.dumps(figures))


def run_child(*argv: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *argv], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{argv[1]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the halves ---------------------------------------------------------------------------


@dataclass
class Runs:
    """The runs of one child: best and median wall and CPU seconds, peak memory."""

    runs: list[dict[str, Any]]

    def best(self, key: str = "seconds") -> float:
        return min(r[key] for r in self.runs)

    def median(self, key: str = "seconds") -> float:
        return statistics.median(r[key] for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(r["peak_mb"] for r in self.runs)


@dataclass
class ExportFigures:
    export: Runs
    baseline: Runs
    sqlite: Runs | None  # the csv reference

    @property
    def people(self) -> int:
        return int(self.export.runs[0]["people"])


def export_half(
    url: str, database: Path, folder: Path, repeat: int, format: str = "xlsx"
) -> ExportFigures:
    exported = folder / f"roster.{format}"
    plain = folder / f"baseline.{format}"
    export_runs: list[dict[str, Any]] = []
    baseline_runs: list[dict[str, Any]] = []
    sqlite_runs: list[dict[str, Any]] = []
    for _ in range(repeat):
        export_runs.append(
            run_child(
                "--child", "export", "--url", url, "--output", str(exported), "--format", format
            )
        )
        baseline_runs.append(
            run_child(
                "--child", "baseline", "--url", url, "--output", str(plain), "--format", format
            )
        )
        if format == "csv":
            sqlite_runs.append(
                run_child("--child", "sqlite", "--source", str(database), "--output", str(plain))
            )
    if export_runs[0]["people"] != baseline_runs[0]["rows"]:
        raise RuntimeError(
            f"the export wrote {export_runs[0]['people']} people, the bare writer "
            f"{baseline_runs[0]['rows']}: they do not write the same cells"
        )
    return ExportFigures(
        Runs(export_runs), Runs(baseline_runs), Runs(sqlite_runs) if sqlite_runs else None
    )


def import_half(url: str, folder: Path, people: int) -> None:
    """The import half: ``bench/roster_import.py`` on a file of ``people`` rows (its own fresh
    SQLite database, the row limit raised), printing rows per second and the ratio to reading
    the same file with no validation and no writes."""
    script = Path(__file__).with_name("roster_import.py")
    print(f"\nimport of {people:,} rows (bench/roster_import.py):", flush=True)
    subprocess.run(
        [sys.executable, str(script), "--rows", str(people), "--backends", "sqlite"], check=True
    )


def report(figures: ExportFigures, format: str = "xlsx") -> None:
    export, baseline = figures.export, figures.baseline
    goal = GOALS[format]
    print(f"\n{format} export of {figures.people:,} people "
          f"({export.runs[0]['bytes'] / 1e6:.1f} MB)")  # fmt: skip
    print("                                  wall best / median       CPU best      peak RSS")

    def line(name: str, runs: Runs) -> None:
        print(
            f"{name:33} {runs.best():7.2f} s / {runs.median():6.2f} s "
            f"{runs.best('cpu'):9.2f} s {runs.peak_mb:9.0f} MB"
        )

    line("export", export)
    line(f"bare writer ({format}, same query)", baseline)
    if figures.sqlite is not None:
        line("sqlite3 + csv.writer (reference)", figures.sqlite)
    for clock, key in (("wall", "seconds"), ("CPU", "cpu")):
        ratio = export.best(key) / baseline.best(key)
        verdict = "ok" if ratio <= goal else "MISSED"
        print(
            f"ratio export / bare writer, {clock:4}    {ratio:6.2f}   (goal <= {goal}: {verdict})"
        )
    if figures.sqlite is not None:
        ratio = export.best() / figures.sqlite.best()
        print(f"ratio export / sqlite3 reference, wall {ratio:6.2f}   (no goal)")
    memory = "ok" if export.peak_mb < GOAL_MEMORY_MB else "MISSED"
    print(f"export peak memory {export.peak_mb:.0f} MB (goal < {GOAL_MEMORY_MB}: {memory})")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--keep", help="Build the database and files in this folder and keep it.")
    parser.add_argument("--formats", default="xlsx,csv,vcf", help="exports to measure")
    parser.add_argument("--no-import", dest="import_", action="store_false")
    parser.add_argument("--format", default="xlsx", help=argparse.SUPPRESS)
    parser.add_argument(
        "--child",
        choices=("build", "export", "baseline", "sqlite"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory(prefix="spokes-bench-roster-") as scratch:
        folder = Path(args.keep) if args.keep else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "roster.db"
        for stale in folder.glob("roster.db*"):
            stale.unlink()
        url = f"sqlite+aiosqlite:///{database}"
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, SQLite file in {folder}")
        built = run_child(
            "--child", "build", "--url", url, "--people", str(args.people), "--seed", str(args.seed)
        )
        seconds = built["seconds"]
        # Fold the write-ahead log into the file, as in a database at rest: a fresh WAL of
        # 100,000 rows, read through its index, costs the first reader some 40 MB more.
        with contextlib.closing(sqlite3.connect(database)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"inserted {args.people:,} people in {seconds:.1f} s")
        for format in args.formats.split(","):
            report(export_half(url, database, folder, args.repeat, format), format)
        if args.import_:
            import_half(url, folder, args.people)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
