"""The roster files at scale: the xlsx, csv and vCard exports of 100,000 people, and the import.

    python bench/roster.py [--people 100000] [--repeat 3] [--seed 2025] [--keep DIR]
                           [--formats xlsx,csv,vcf] [--no-import]

Export half. A SQLite file gets the schema (the project's migrations), the 2025 catalog and
``--people`` synthetic people (bench/search.py's generator: realistic names, unique mobiles,
office lines, emails, 90% verified, 3% retired), bulk-inserted with Core ``insert()``. Then,
each in a fresh Python process so that its peak memory is its own (``ru_maxrss``):

- ``export``: ``bot.roster.export_to`` as ``spokes export`` runs it (query, labels, styles,
  merged agency cells, sections, the missing and summary sheets) into a file;
- ``baseline``: a bare openpyxl write-only loop writing the very same cells (read back from
  the exported file beforehand, untimed) with ``ws.append`` and no styles, into a file;
- csv and vCard likewise: the export against a bare ``csv.writer`` of the exported cells, and
  against one f-string per card of the exported values (goal: at most twice the bare writer).

Each is run ``--repeat`` times, alternating; the best time of each is kept (the machines are
shared and noisy). It prints the times, the ratio export/baseline (goal <= 1.5) and the peak
memory of the export process (goal < 200 MB; the baseline's is shown too, but it holds every
cell in a list before writing, so it is not a reference).

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

GOAL_RATIO = 1.5
# csv and vCard against a bare writer of the same cells (the goals).
GOALS = {"csv": 2.0, "vcf": 2.0}
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
        start = time.perf_counter()
        with output.open("wb") as target:
            result, _ = await export_to(
                database.uow(),
                ACTOR,
                target,
                format=format,
                language="vi",
                organisation=ORGANISATION,
            )
        seconds = time.perf_counter() - start
    finally:
        await database.dispose()
    return {"seconds": seconds, "people": result.people}


def baseline_child(source: Path, output: Path) -> dict[str, Any]:
    from openpyxl import Workbook, load_workbook

    # The same cells as the export's roster sheet, read before the clock starts.
    book = load_workbook(source, read_only=True)
    rows = [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    start = time.perf_counter()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách")
    for row in rows:
        sheet.append(row)
    workbook.save(output)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(rows), "bytes": output.stat().st_size}


def csv_baseline_child(source: Path, output: Path) -> dict[str, Any]:
    """A bare ``csv.writer`` writing the very cells of the exported csv (read beforehand)."""
    import csv

    with source.open(newline="", encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))
    start = time.perf_counter()
    with output.open("w", newline="", encoding="utf-8-sig") as file:
        csv.writer(file).writerows(rows)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(rows), "bytes": output.stat().st_size}


def vcard_baseline_child(source: Path, output: Path) -> dict[str, Any]:
    """A bare writer of the same cards: each card's values (read from the exported file
    beforehand) written back with one f-string, no escaping, no folding, no formatting."""
    cards: list[dict[str, str]] = []
    card: dict[str, str] = {}
    text = source.read_bytes().decode("utf-8").replace("\r\n ", "")
    for line in text.split("\r\n"):
        key, _, value = line.partition(":")
        if key == "BEGIN":
            card = {}
        elif key == "END":
            cards.append(card)
        else:
            card[key] = value
    start = time.perf_counter()
    with output.open("w", encoding="utf-8", newline="") as file:
        for card in cards:
            tel = card.get("TEL;TYPE=CELL", "")
            work = card.get("TEL;TYPE=WORK", "")
            file.write(
                f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:{card.get('N', '')}\r\nFN:{card.get('FN', '')}\r\n"
                f"ORG:{card.get('ORG', '')}\r\nTITLE:{card.get('TITLE', '')}\r\n"
                f"TEL;TYPE=CELL:{tel}\r\nTEL;TYPE=WORK:{work}\r\n"
                f"EMAIL;TYPE=INTERNET:{card.get('EMAIL;TYPE=INTERNET', '')}\r\n"
                f"NOTE:{card.get('NOTE', '')}\r\nUID:{card.get('UID', '')}\r\nEND:VCARD\r\n"
            )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(cards), "bytes": output.stat().st_size}


def child(args: argparse.Namespace) -> None:
    if args.child == "build":
        seconds = asyncio.run(build_database(args.url, args.people, args.seed))
        figures: dict[str, Any] = {"seconds": seconds}
    elif args.child == "export":
        figures = asyncio.run(export_child(args.url, Path(args.output), args.format))
        figures["bytes"] = Path(args.output).stat().st_size
    elif args.child == "baseline-csv":
        figures = csv_baseline_child(Path(args.source), Path(args.output))
    elif args.child == "baseline-vcf":
        figures = vcard_baseline_child(Path(args.source), Path(args.output))
    else:
        figures = baseline_child(Path(args.source), Path(args.output))
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
class ExportFigures:
    export_seconds: list[float]
    baseline_seconds: list[float]
    export_peak_mb: float
    baseline_peak_mb: float
    people: int
    cells_rows: int
    export_bytes: int


def export_half(url: str, folder: Path, repeat: int, format: str = "xlsx") -> ExportFigures:
    exported = folder / f"roster.{format}"
    plain = folder / f"baseline.{format}"
    baseline = "baseline" if format == "xlsx" else f"baseline-{format}"
    export_runs: list[dict[str, Any]] = []
    baseline_runs: list[dict[str, Any]] = []
    for _ in range(repeat):
        export_runs.append(
            run_child(
                "--child", "export", "--url", url, "--output", str(exported), "--format", format
            )
        )
        baseline_runs.append(
            run_child("--child", baseline, "--source", str(exported), "--output", str(plain))
        )
    return ExportFigures(
        export_seconds=[r["seconds"] for r in export_runs],
        baseline_seconds=[r["seconds"] for r in baseline_runs],
        export_peak_mb=max(r["peak_mb"] for r in export_runs),
        baseline_peak_mb=max(r["peak_mb"] for r in baseline_runs),
        people=export_runs[0]["people"],
        cells_rows=baseline_runs[0]["rows"],
        export_bytes=export_runs[0]["bytes"],
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
    best_export = min(figures.export_seconds)
    best_baseline = min(figures.baseline_seconds)
    ratio = best_export / best_baseline
    goal = GOALS.get(format, GOAL_RATIO)
    print(f"\n{format} export")
    print(f"people exported            {figures.people:>10,}")
    print(f"rows in the roster sheet   {figures.cells_rows:>10,}")
    print(f"file size                  {figures.export_bytes / 1e6:>10.1f} MB")
    print(
        f"export (best / median)     {best_export:>10.2f} s  / "
        f"{statistics.median(figures.export_seconds):.2f} s"
    )
    print(
        f"bare writer ({format:4})       {best_baseline:>10.2f} s  / "
        f"{statistics.median(figures.baseline_seconds):.2f} s"
    )
    verdict = "ok" if ratio <= goal else "MISSED"
    print(f"ratio export / bare writer {ratio:>10.2f}    (goal <= {goal}: {verdict})")
    memory = "ok" if figures.export_peak_mb < GOAL_MEMORY_MB else "MISSED"
    print(
        f"export peak memory         {figures.export_peak_mb:>10.0f} MB "
        f"(whole process; goal < {GOAL_MEMORY_MB}: {memory})"
    )
    print(f"bare loop peak memory      {figures.baseline_peak_mb:>10.0f} MB (holds every cell)")


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
        choices=("build", "export", "baseline", "baseline-csv", "baseline-vcf"),
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
            report(export_half(url, folder, args.repeat, format), format)
        if args.import_:
            import_half(url, folder, args.people)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
