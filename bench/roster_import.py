"""How fast an agency's list imports: 10,000 and 50,000 rows, against reading the file.

    python bench/roster_import.py [--rows 10000,50000] [--backends sqlite,postgres]
                                  [--postgres-url URL] [--format xlsx|csv] [--no-reimport]
                                  [--changes 0.2] [--seed 2025]

The script builds one file the way agencies send them (title rows, the header on row 7,
agencies written loosely: "UBND tỉnh Lào Cai", "TP. Hồ Chí Minh", "Bộ Tài chính"; Vietnamese
names, unique mobiles, office lines with extensions in one row out of five, emails, and one row
in a hundred with a wrong email), raises the row and size limits for it, and measures, for each
backend (SQLite in a temporary file; PostgreSQL in a scratch database created on the server of
``--postgres-url`` and dropped at the end, even on error, or skipped if unreachable):

- ``baseline``: reading the same file with no validation and no writes: a bare openpyxl
  read-only loop (or ``csv.reader``) over every row, the cells turned into text; and the same
  with python-calamine (the import's reader) as a second baseline;
- ``reader``: :func:`registry.roster.intake.reader.read_list` alone (header search, merged cells,
  row limit), still no validation and no writes;
- ``dry run``: the import's dry run on a fresh database holding the 2025 catalog;
- ``import``: :func:`registry.roster.intake.importer.import_roster` into it, every row created
  with its ChangeLog;
- ``reimport``: the same file again: every row matched and found unchanged, nothing written;
- ``changes``: the list again with a share of its rows (``--changes``, 20% by default; 0 to
  skip) changing what is stored in the ways that move a record: a new mobile, a corrected name
  (the person is found by their mobile), a move to another agency of the file (found by their
  mobile too), in equal parts; the other rows unchanged. Its dry run first (``changes dry
  run``): memory cannot decide such rows, and the dry run imports the list in a sandbox (on
  SQLite, a copy of the database in memory).

It prints wall-clock and CPU times, rows per second, the ratios to the openpyxl baseline (the
import, the re-import and the dry run; the baseline is measured before and after the imports,
interleaved with the other readers, and its best taken), and the peak memory of the process
(``ru_maxrss``) after the import. The file has the template's example row, and the default
limits are used: a 50,000-row list passes them. The machines are shared and noisy: the ratio to a
baseline measured in the same run is the figure to compare. The script reports; it is not a
test: it exits non-zero only on errors.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import platform
import random
import resource
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from registry import catalog
from registry.actors import Actor
from registry.db import upgrade
from registry.models import Agency, Person
from registry.roster.intake.importer import Outcome, import_roster
from registry.roster.intake.reader import Limits, read_list
from registry.uow import Database

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
HEADER = (
    "STT",
    "Cơ quan, đơn vị",
    "Họ và tên",
    "Chức vụ",
    "Vai trò",
    "Điện thoại di động",
    "Điện thoại cố định",
    "Thư điện tử",
)
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý")  # fmt: skip
MIDDLE = ("Văn", "Thị", "Minh", "Quốc", "Thanh", "Ngọc", "Hữu", "Đức", "Thu", "Hồng", "Xuân",
          "Kim", "Công", "Đình", "Mạnh", "Bảo", "Gia", "Hải", "Phương", "Tuấn")  # fmt: skip
GIVEN = ("An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
         "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Ngân", "Nhung", "Phong",
         "Phúc", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tú", "Tùng",
         "Uyên", "Việt", "Vinh", "Xuân", "Yến", "Đạt", "Khoa")  # fmt: skip
POSITIONS = ("Chánh Văn phòng", "Phó Chánh Văn phòng", "Vụ trưởng Vụ Truyền thông",
             "Giám đốc Sở Thông tin và Truyền thông", "Chuyên viên Văn phòng")  # fmt: skip
ROLES = ("Người phát ngôn", "Người được giao nhiệm vụ phát ngôn",
         "Cán bộ đầu mối cung cấp thông tin", "Người đứng đầu")  # fmt: skip
MOBILE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098", "081", "083", "070")
LAND_AREAS = ("024", "028", "0214", "0236", "0225")


@dataclass(frozen=True)
class Cost:
    """Wall-clock and CPU seconds (the process's CPU: every thread, aiosqlite's included;
    PostgreSQL's own server processes are not counted)."""

    wall: float
    cpu: float


@dataclass(frozen=True)
class Figures:
    """Counts only: a whole ImportResult holds every row of the file."""

    backend: str
    rows: int
    dry_run: Cost
    imported: dict[Outcome, int]
    import_cost: Cost
    peak_mb: float  # of the process, after the import
    reimported: dict[Outcome, int] | None
    reimport_cost: Cost | None
    changed: dict[Outcome, int] | None = None
    changes_cost: Cost | None = None
    changes_dry_cost: Cost | None = None  # the changes' dry run (memory cannot decide moves)


def loose_names(agencies: Sequence[tuple[str, str, str | None]]) -> list[str]:
    """How agencies write their own names: "UBND tỉnh X", "TP. X", the official name."""
    written: list[str] = []
    for name, kind, short in agencies:
        if kind == "province":
            written.append(f"UBND {name[0].lower()}{name[1:]}")
        elif kind == "city":
            written.append("TP. " + name.removeprefix("Thành phố "))
        else:
            written.append(short or name)
    return written


def person_rows(count: int, agencies: Sequence[str], rng: random.Random) -> list[tuple[str, ...]]:
    names = len(FAMILY) * len(MIDDLE) * len(GIVEN) * len(GIVEN)
    # Distinct (name, agency) pairs: a name index per row, never the same one twice.
    picks = rng.sample(range(names * len(agencies)), count)
    mobiles = rng.sample(range(10_000_000), count)
    rows: list[tuple[str, ...]] = []
    for number, (pick, mobile) in enumerate(zip(picks, mobiles, strict=True), start=1):
        name_index, agency_index = divmod(pick, len(agencies))
        index, given2 = divmod(name_index, len(GIVEN))
        index, given = divmod(index, len(GIVEN))
        family, middle = divmod(index, len(MIDDLE))
        name = f"{FAMILY[family]} {MIDDLE[middle]} {GIVEN[given]} {GIVEN[given2]}"
        prefix = MOBILE_PREFIXES[mobile % len(MOBILE_PREFIXES)]
        digits = f"{mobile:07d}"
        mobile_text = f"{prefix}.{digits[:3]}.{digits[3:]}"
        office = ""
        if number % 5 == 0:
            area = LAND_AREAS[number % len(LAND_AREAS)]
            width = 10 - len(area)  # 11 digits in all with the area code, the first being 3
            local = f"3{rng.randrange(10**width):0{width}d}"
            office = f"({area}) {local} máy lẻ {number % 900 + 100}"
        email = f"nv{number}@gov.vn" if number % 100 else f"nv{number}@@gov"
        rows.append(
            (
                str(number),
                agencies[agency_index],
                name,
                POSITIONS[number % len(POSITIONS)],
                ROLES[number % len(ROLES)],
                mobile_text,
                office,
                email,
            )
        )
    return rows


def changed_rows(
    rows: Sequence[tuple[str, ...]], agencies: Sequence[str], share: float, rng: random.Random
) -> list[tuple[str, ...]]:
    """The list with ``share`` of its rows changed, a third each: a new mobile (one nobody
    holds), a corrected name (another given name: the person is found by their mobile), a move
    to another agency of the file (found by their mobile too)."""
    picked = rng.sample(range(len(rows)), round(len(rows) * share))
    # Mobiles of the list are in 0..9,999,999 under their prefix: new ones from another prefix.
    fresh = rng.sample(range(10_000_000), len(picked))
    changed = list(rows)
    for turn, (index, mobile) in enumerate(zip(picked, fresh, strict=True)):
        number, agency, name, position, role, mobile_text, office, email = rows[index]
        kind = turn % 3
        if kind == 0:
            digits = f"{mobile:07d}"
            mobile_text = f"088.{digits[:3]}.{digits[3:]}"
        elif kind == 1:
            words = name.split()
            words[-1] = GIVEN[(GIVEN.index(words[-1]) + 1) % len(GIVEN)]
            name = " ".join(words)
        else:
            agency = agencies[(agencies.index(agency) + 1 + rng.randrange(len(agencies) - 1))
                              % len(agencies)]  # fmt: skip
        changed[index] = (number, agency, name, position, role, mobile_text, office, email)
    return changed


def build_xlsx(rows: Sequence[Sequence[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách")
    sheet.append(["BỘ VĂN HÓA, THỂ THAO VÀ DU LỊCH"])
    sheet.append(["CỤC BÁO CHÍ"])
    sheet.append([])
    sheet.append(["DANH SÁCH NGƯỜI PHÁT NGÔN, CUNG CẤP THÔNG TIN CHO BÁO CHÍ"])
    sheet.append(["(Tổng hợp từ các bộ, ngành, địa phương)"])
    sheet.append([])
    sheet.append(list(HEADER))
    # The template's example row: it does not count toward the row limit.
    sheet.append(["Ví dụ", "Bộ Tài chính", "Nguyễn Văn Mẫu", "Chánh Văn phòng", "", "0912 000 000"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_csv(rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def baseline_read(data: bytes, kind: str) -> int:
    """Every cell of the file as text, nothing else: what reading alone costs."""
    cells = 0
    if kind == "csv":
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")):
            cells += len([str(value) for value in row])
        return cells
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows(values_only=True):
                cells += len(["" if value is None else str(value) for value in row])
    finally:
        workbook.close()
    return cells


def calamine_read(data: bytes) -> int:
    """The same with python-calamine (the import's reader): the second baseline."""
    from python_calamine import CalamineWorkbook

    cells = 0
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    try:
        for name in workbook.sheet_names:
            for row in workbook.get_sheet_by_name(name).iter_rows():
                cells += len(["" if value is None else str(value) for value in row])
    finally:
        workbook.close()
    return cells


def timed(work: Callable[[], object]) -> tuple[Cost, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return Cost(time.perf_counter() - wall, time.process_time() - cpu), result


async def atimed(work: Callable[[], Any]) -> tuple[Cost, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = await work()
    return Cost(time.perf_counter() - wall, time.process_time() - cpu), result


def best(costs: Sequence[Cost]) -> Cost:
    return Cost(min(c.wall for c in costs), min(c.cpu for c in costs))


def progress_printer(label: str) -> Callable[[int, int], None]:
    step = {"next": 0.1, "start": time.perf_counter()}

    def report(done: int, total: int) -> None:
        if done / total >= step["next"]:
            elapsed = time.perf_counter() - step["start"]
            print(f"  {label}: {done:,}/{total:,} rows, {elapsed:.0f} s", file=sys.stderr)
            step["next"] += 0.1

    return report


async def prepared(url: str) -> Database:
    database = Database(url)
    await upgrade(database.engine)
    await catalog.load_edition(database.uow(), Actor.system("bench"), "2025")
    return database


async def current_agencies(url: str) -> list[tuple[str, str, str | None]]:
    database = await prepared(url)
    try:
        async with database.uow().reading() as uow:
            agencies = (await uow.session.scalars(select(Agency).order_by(Agency.sort_order))).all()
            return [(a.name, a.kind.value, a.short_name) for a in agencies if a.valid_to is None]
    finally:
        await database.dispose()


async def run_backend(
    backend: str,
    url: str,
    data: bytes,
    rows: int,
    limits: Limits,
    reimport: bool,
    changed: bytes | None = None,
) -> Figures:
    database = await prepared(url)
    actor = Actor.system("bench")
    try:

        def run(label: str, *, dry_run: bool = False, file: bytes = data) -> Callable[[], Any]:
            return lambda: import_roster(
                database.uow(),
                actor,
                file,
                dry_run=dry_run,
                limits=limits,
                progress=progress_printer(f"{backend} {label}"),
            )

        dry_cost, dry = await atimed(run("dry run", dry_run=True))
        assert dry.count(Outcome.created) > 0
        del dry
        import_cost, imported = await atimed(run("import"))
        counts = imported.counts
        del imported
        peak = peak_mb()
        async with database.uow().reading() as uow:
            people = await uow.session.scalar(select(func.count()).select_from(Person))
        assert people == counts[Outcome.created], (people, counts)
        again, again_cost = None, None
        if reimport:
            again_cost, result = await atimed(run("reimport"))
            again = result.counts
            del result
        # After the re-import, which must find the list as the import left it.
        changes, changes_cost, changes_dry_cost = None, None, None
        if changed is not None:
            changes_dry_cost, result = await atimed(
                run("changes dry run", dry_run=True, file=changed)
            )
            del result
            changes_cost, result = await atimed(run("changes", file=changed))
            changes = result.counts
            del result
        return Figures(
            backend, rows, dry_cost, counts, import_cost, peak, again, again_cost,
            changes, changes_cost, changes_dry_cost,
        )  # fmt: skip
    finally:
        await database.dispose()


async def with_postgres(server_url: str, work: Callable[[str], object]) -> object | None:
    server = make_url(server_url)
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", connect_args={"timeout": 10})
    try:
        try:
            async with admin.connect() as conn:
                await conn.scalar(select(func.current_setting("server_version")))
        except (OSError, TimeoutError, SQLAlchemyError) as error:
            print(f"postgres: skipped, server not reachable ({type(error).__name__})")
            return None
        name = f"spokes_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            scratch = server.set(database=name).render_as_string(hide_password=False)
            return await work(scratch)  # type: ignore[misc]
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()


def peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def main(args: argparse.Namespace) -> None:
    print(f"python {platform.python_version()}, {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    for count in [int(part) for part in str(args.rows).split(",")]:
        await one_size(args, count)


async def one_size(args: argparse.Namespace, count: int) -> None:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="spokes-bench-import-") as directory:
        agencies = loose_names(await current_agencies(f"sqlite+aiosqlite:///{directory}/a.db"))
        rows = person_rows(count, agencies, rng)
        build = build_xlsx if args.format == "xlsx" else build_csv
        data = build(rows)
        changed = build(changed_rows(rows, agencies, args.changes, rng)) if args.changes else None
        del rows
        print(f"\nfile: {args.format}, {count:,} rows, {len(data) / 1024 / 1024:.1f} MB")
        # The default limits (a 50,000-row list passes them), but the size for larger files.
        limits = Limits(max_bytes=max(len(data) + 1, Limits().max_bytes))
        if count > limits.max_rows:
            limits = Limits(max_bytes=limits.max_bytes, max_rows=count, max_cells=count * 20)
        baselines: list[Cost] = []
        calamines: list[Cost] = []
        readers: list[Cost] = []
        for _ in range(2):  # interleaved: the machine's load changes under all three alike
            baselines.append(timed(lambda: baseline_read(data, args.format))[0])
            if args.format == "xlsx":
                calamines.append(timed(lambda: calamine_read(data))[0])
            readers.append(timed(lambda: read_list(data, limits))[0])
        results: list[Figures] = []
        if "sqlite" in args.backends:
            url = f"sqlite+aiosqlite:///{directory}/bench.db"
            results.append(
                await run_backend("sqlite", url, data, count, limits, args.reimport, changed)
            )
            baselines.append(timed(lambda: baseline_read(data, args.format))[0])
        if "postgres" in args.backends:

            async def on_postgres(url: str) -> Figures:
                return await run_backend(
                    "postgres", url, data, count, limits, args.reimport, changed
                )

            figures = await with_postgres(args.postgres_url, on_postgres)
            if isinstance(figures, Figures):
                results.append(figures)
            baselines.append(timed(lambda: baseline_read(data, args.format))[0])
    report(count, best(baselines), best(calamines) if calamines else None, best(readers), results)


def _line(label: str, rows: int, cost: Cost, base: Cost, extra: str = "") -> str:
    return (
        f"{label:34} wall {cost.wall:7.2f} s  cpu {cost.cpu:7.2f} s  "
        f"{rows / cost.wall:9,.0f} rows/s  x{cost.wall / base.wall:5.2f} wall  "
        f"x{cost.cpu / base.cpu:5.2f} cpu{extra}"
    )


def report(
    rows: int, baseline: Cost, calamine: Cost | None, reader: Cost, results: Sequence[Figures]
) -> None:
    print("ratios are to the bare openpyxl read (goals: import <= 4, reimport <= 2, dry run <= 3)")
    print(_line("baseline: bare openpyxl read", rows, baseline, baseline))
    if calamine is not None:
        print(_line("baseline 2: bare calamine read", rows, calamine, baseline))
    print(_line("reader (read_list)", rows, reader, baseline))
    for figures in results:
        name = figures.backend
        print(_line(f"{name} dry run", rows, figures.dry_run, baseline))
        counts = ", ".join(f"{o.value} {n:,}" for o, n in figures.imported.items() if n)
        print(_line(f"{name} import", rows, figures.import_cost, baseline, f"  ({counts})"))
        if figures.reimported is not None and figures.reimport_cost is not None:
            unchanged = figures.reimported[Outcome.unchanged]
            extra = f"  (unchanged {unchanged:,})"
            print(_line(f"{name} reimport", rows, figures.reimport_cost, baseline, extra))
        if figures.changed is not None and figures.changes_cost is not None:
            counts = ", ".join(f"{o.value} {n:,}" for o, n in figures.changed.items() if n)
            print(_line(f"{name} changes", rows, figures.changes_cost, baseline, f"  ({counts})"))
        if figures.changes_dry_cost is not None:
            print(_line(f"{name} changes dry run", rows, figures.changes_dry_cost, baseline))
        print(f"{name} peak memory after the import: {figures.peak_mb:.0f} MB (goal < 300 MB)")
    print(f"peak memory of the process: {peak_mb():.0f} MB")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", default="10000,50000", help="row counts, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite and/or postgres")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--no-reimport", dest="reimport", action="store_false")
    parser.add_argument(
        "--changes",
        type=float,
        default=0.2,
        help="share of rows the changes run changes (0: no run)",
    )
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    args.backends = {name.strip() for name in args.backends.split(",") if name.strip()}
    unknown = args.backends - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"--backends: sqlite and/or postgres, not {', '.join(sorted(unknown))}")
    return args


async def cancellable(args: argparse.Namespace) -> None:
    """SIGTERM and SIGINT cancel the run, so the scratch database is still dropped (a process
    started in the background by a script ignores SIGINT, and SIGTERM would skip every finally)."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    await main(args)


if __name__ == "__main__":
    try:
        asyncio.run(cancellable(parse_args()))
    except asyncio.CancelledError:
        sys.exit("cancelled")
