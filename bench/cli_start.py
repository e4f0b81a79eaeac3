"""How long a command of ``spokes`` takes as a whole process, against a bare Python start.

    python bench/cli_start.py [--people 10000] [--rounds 9] [--seed 2025]

A SQLite file gets the schema, the 2025 catalog and ``--people`` synthetic people with their
search words (bench/search.py's generator). Then, ``--rounds`` times and interleaved, so that
the machine's load falls on all of them alike, each of these runs as a fresh process:

- ``baseline``: ``python -c "import sqlalchemy, typer, rich"``, what any command needs;
- ``spokes --help``;
- ``spokes people find "nguyen van"`` on that database (the schema check, the query, the table);
- two references, not goals: ``libraries of find``, ``python -c`` importing, beside the
  baseline, the libraries ``people find`` cannot do without, whatever the code around them:
  pydantic's ``TypeAdapter`` (Typer checks every command's parameters with it),
  pydantic-settings (the database URL comes from the settings), SQLAlchemy's asyncio extension
  (which imports the ORM) with aiosqlite, and Rich's table; and ``floor of find``, the same and
  the registry's models. When the libraries' row alone is above the goal, the goal cannot be
  met with these libraries, and the script says so.

The processes may write Python's caches (``PYTHONDONTWRITEBYTECODE`` is dropped from their
environment), as an installed ``spokes`` does: the warm-up run leaves the compiled modules and
the parsed text catalog that the measured runs read, as the libraries of the baseline have theirs.

For each it prints the median wall-clock time and the median CPU time of the process (user and
system, from ``getrusage`` of the children), and the median of the per-round ratios to the
baseline (goal <= 1.5). The machines are shared and noisy: compare ratios from the same run. A
report, not a test: it exits non-zero only on errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry.actors import Actor
from registry.catalog import load_edition
from registry.db import upgrade
from registry.uow import Database

GOAL_RATIO = 1.5
# Not measured against the goal: what any ``people find`` imports, whatever the code around it.
LIBRARIES = "libraries of find"
REFERENCE = "floor of find"
_IMPORTS = (
    "import sqlalchemy, typer, rich, sqlalchemy.ext.asyncio, aiosqlite, pydantic_settings, "
    "rich.table; from pydantic import TypeAdapter"
)
FLOORS = {LIBRARIES: _IMPORTS, REFERENCE: _IMPORTS + "; import registry.models"}


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float


async def build(url: str, people: int, seed: int) -> None:
    # bench/ is this script's folder: the same synthetic people as the search benchmark.
    from search import Population, current_agencies, fill, next_person_id

    database = Database(url)
    try:
        await upgrade(database.engine)
        await load_edition(database.uow(), Actor.system("bench"), "2025")
        population = Population(
            await current_agencies(database), await next_person_id(database), seed
        )
        await fill(database, population, people)
    finally:
        await database.dispose()


def measure(argv: list[str], env: dict[str, str]) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{argv} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    spokes = str(Path(sys.executable).with_name("spokes"))
    with tempfile.TemporaryDirectory(prefix="spokes-bench-cli-") as folder:
        url = f"sqlite+aiosqlite:///{folder}/spokes.db"
        asyncio.run(build(url, args.people, args.seed))
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("SPOKES_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env |= {"SPOKES_DATABASE_URL": url}
        commands = {
            "baseline": [sys.executable, "-c", "import sqlalchemy, typer, rich"],
            "spokes --help": [spokes, "--help"],
            'spokes people find "nguyen van"': [spokes, "people", "find", "nguyen van"],
            **{name: [sys.executable, "-c", code] for name, code in FLOORS.items()},
        }
        for argv in commands.values():  # warm the file cache and the database
            measure(argv, env)
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, argv in commands.items():
                runs[name].append(measure(argv, env))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
          f"{args.people:,} people, {args.rounds} rounds interleaved")  # fmt: skip
    base = runs["baseline"]
    ratios: dict[str, float] = {}
    for name, measured in runs.items():
        wall = statistics.median(run.wall for run in measured)
        cpu = statistics.median(run.cpu for run in measured)
        line = f"{name:34} wall {wall * 1000:7.0f} ms  cpu {cpu * 1000:7.0f} ms"
        if name != "baseline":
            wall_ratio = statistics.median(
                r.wall / b.wall for r, b in zip(measured, base, strict=True)
            )
            cpu_ratio = statistics.median(
                r.cpu / b.cpu for r, b in zip(measured, base, strict=True)
            )
            line += f"  x{wall_ratio:.2f} wall  x{cpu_ratio:.2f} cpu"
            ratios[name] = min(wall_ratio, cpu_ratio)
            if name not in FLOORS:
                verdict = "ok" if max(wall_ratio, cpu_ratio) <= GOAL_RATIO else "MISSED"
                line += f"  (goal <= {GOAL_RATIO}: {verdict})"
        print(line)
    if ratios[LIBRARIES] > GOAL_RATIO:
        print(
            f"the libraries alone cost x{ratios[LIBRARIES]:.2f} a bare start: a goal of "
            f"{GOAL_RATIO} for people find is below them"
        )


if __name__ == "__main__":
    main()
