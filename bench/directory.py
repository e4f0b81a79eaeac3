"""The published directory through a real ``spokes serve``: latency and throughput.

    python bench/directory.py [--people 20000] [--backends sqlite,postgres]
                              [--postgres-url URL] [--latency 300] [--requests 2000]
                              [--concurrency 32] [--seed 2025]

For each backend (SQLite in a temporary file; PostgreSQL in a scratch database
``spokes_bench_dir_<pid>_<hex>``, dropped at the end) the script creates the schema with the
project's migrations, loads the 2025 agency catalog and bulk-inserts ``--people`` synthetic
people (the generator of ``bench/search.py``: ~90% verified, 3% retired), then starts
``spokes serve`` with ``SPOKES_PUBLIC_DIRECTORY=1`` and no chat channel, and measures two
requests a journalist makes:

- ``search``: ``/directory/results?q=...``, what the search box fetches as one types (a name's
  first letters, without accents);
- ``agency``: ``/directory/<code>``, an agency's whole page (every published person of it).

For each: p50 and p99 of ``--latency`` requests one after another (keep-alive), and requests
a second with ``--concurrency`` clients for ``--requests`` requests. The baseline is a bare
Starlette handler on uvicorn, in its own process, returning the same bytes from memory for the
same URLs (this script with ``--serve-bare``), measured by the same client in the same run: the
ratios (p99 ``serve`` / p99 bare; requests a second bare / ``serve``) are the figures that
mean something on a shared, noisy machine. It reports; it is not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/search.py's generator

import search as generator

from registry.catalog import load_edition
from registry.db import upgrade
from registry.uow import Database
from registry.validation import fold

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SPOKES = str(Path(sys.executable).with_name("spokes"))
WARMUP = 20


# --- the baseline server ------------------------------------------------------------------


def serve_bare(port: int, pages_file: str) -> None:
    """``--serve-bare PORT FILE``: the same bytes for the same URLs, from memory."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    pages: dict[str, list[str]] = json.loads(Path(pages_file).read_text())
    bodies = {url: (body.encode(), media) for url, (body, media) in pages.items()}

    async def page(request: Request) -> Response:
        url = request.url.path + ("?" + request.url.query if request.url.query else "")
        body, media = bodies[url]
        return Response(body, media_type=media)

    async def healthz(request: Request) -> Response:
        return Response(b"ok")

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/directory/results", page),
            Route("/directory/{code}", page),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Figures:
    p50_ms: float
    p99_ms: float
    per_second: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tail(log: Path) -> str:
    return log.read_text()[-2000:]


@contextlib.asynccontextmanager
async def process(argv: Sequence[str], env: dict[str, str], log: Path) -> AsyncIterator[str]:
    port = free_port()
    with log.open("ab") as output:
        child = await asyncio.create_subprocess_exec(
            *argv, *(["--port", str(port)] if argv[0] == SPOKES else [str(port)]),
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=output, cwd=log.parent,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            deadline = time.monotonic() + 60
            while True:
                if child.returncode is not None:
                    raise RuntimeError(f"server exited:\n{tail(log)}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{url}/healthz")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start:\n{tail(log)}")
                await asyncio.sleep(0.1)
        yield url
    finally:
        if child.returncode is None:
            child.terminate()
            await asyncio.wait_for(child.wait(), 30)


async def measure(base: str, paths: list[str], latency: int, total: int, clients: int) -> Figures:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        for path in paths[:WARMUP]:
            (await client.get(path)).raise_for_status()
        times: list[float] = []
        for n in range(latency):
            start = time.perf_counter()
            response = await client.get(paths[n % len(paths)])
            times.append(time.perf_counter() - start)
            response.raise_for_status()
        times.sort()
        p50 = statistics.median(times) * 1000
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
        queue = iter(range(total))

        async def worker() -> None:
            for n in queue:
                (await client.get(paths[n % len(paths)])).raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        per_second = total / (time.perf_counter() - start)
    return Figures(p50, p99, per_second)


# --- one backend --------------------------------------------------------------------------


def search_paths(names: list[str], rng: random.Random, count: int) -> list[str]:
    """What the search box asks for as someone types a name without accents."""
    paths = []
    for _ in range(count):
        words = fold(rng.choice(names)).split()
        typed = " ".join([*words[:-1], words[-1][:2]])
        paths.append(str(httpx.URL("/directory/results", params={"q": typed})))
    return paths


async def run_backend(url: str, name: str, args: argparse.Namespace) -> list[list[str]]:
    db = Database(url)
    try:
        await upgrade(db.engine)
        await load_edition(db.uow(), generator.ACTOR, "2025")
        agencies = await generator.current_agencies(db)
        population = generator.Population(agencies, await generator.next_person_id(db), args.seed)
        _words, seconds = await generator.fill(db, population, args.people)
        await generator.analyze(db)
        print(f"{name}: {args.people:,} people inserted in {seconds:.1f} s")
    finally:
        await db.dispose()
    rng = random.Random(args.seed)
    names = [unicodedata.normalize("NFC", m.full_name) for m in population.members if m.active]
    searches = search_paths(names, rng, max(200, WARMUP))
    agency_paths = [f"/directory/{code}" for _, code in agencies]
    rng.shuffle(agency_paths)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOKES_")}
    env.update(
        SPOKES_DATABASE_URL=url,
        SPOKES_PUBLIC_DIRECTORY="1",
        SPOKES_PUBLIC_RATE_PER_MINUTE="1000000000",
    )
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="spokes-bench-dir-") as folder:
        log = Path(folder) / "serve.log"
        pages: dict[str, tuple[str, str]] = {}
        figures: dict[tuple[str, str], Figures] = {}
        async with process([SPOKES, "serve"], env, log) as base:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                for path in [*searches, *agency_paths]:
                    response = await client.get(path)
                    response.raise_for_status()
                    pages[path] = (response.text, response.headers["content-type"])
            found = sum(1 for p in searches if 'class="card"' in pages[p][0])
            print(f"{name}: {found}/{len(searches)} searches found someone")
            for kind, paths in (("search", searches), ("agency", agency_paths)):
                figures[("serve", kind)] = await measure(
                    base, paths, args.latency, args.requests, args.concurrency
                )
        pages_file = Path(folder) / "pages.json"
        pages_file.write_text(json.dumps(pages))
        bare = [sys.executable, __file__, "--serve-bare", str(pages_file)]
        bare_env = {**env, "PYTHONPATH": os.pathsep.join(sys.path)}
        async with process(bare, bare_env, Path(folder) / "bare.log") as base:
            for kind, paths in (("search", searches), ("agency", agency_paths)):
                figures[("bare", kind)] = await measure(
                    base, paths, args.latency, args.requests, args.concurrency
                )
    for kind in ("search", "agency"):
        ours, bare_ = figures[("serve", kind)], figures[("bare", kind)]
        size = statistics.mean(
            len(pages[p][0].encode()) for p in pages if ("results" in p) == (kind == "search")
        )
        rows.append(
            [
                name,
                kind,
                f"{size / 1024:.1f} KB",
                f"{ours.p50_ms:.1f}",
                f"{ours.p99_ms:.1f}",
                f"{bare_.p99_ms:.1f}",
                f"{ours.p99_ms / bare_.p99_ms:.1f}x",
                f"{ours.per_second:.0f}",
                f"{bare_.per_second:.0f}",
                f"{bare_.per_second / ours.per_second:.1f}x",
            ]
        )
    return rows


@contextlib.asynccontextmanager
async def scratch_postgres(server_url: str) -> AsyncIterator[str | None]:
    server = make_url(server_url)
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", connect_args={"timeout": 10})
    name = f"spokes_bench_dir_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        try:
            async with admin.connect() as conn:
                await conn.scalar(select(func.current_setting("server_version")))
                await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except (OSError, TimeoutError, SQLAlchemyError) as error:
            print(f"postgres: skipped ({type(error).__name__})")
            yield None
            return
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()


def table(rows: list[list[str]]) -> str:
    headers = [
        "backend", "request", "body", "p50 ms", "p99 ms", "bare p99", "p99 ratio",
        "req/s", "bare req/s", "rps ratio",
    ]  # fmt: skip
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    rows: list[list[str]] = []
    backends = args.backends.split(",")
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory(prefix="spokes-bench-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
            rows += await run_backend(url, "sqlite", args)
    if "postgres" in backends:
        async with scratch_postgres(args.postgres_url) as url:
            if url is not None:
                rows += await run_backend(url, "postgres", args)
    print()
    print(
        f"{args.people:,} people; latency: {args.latency} requests one after another; "
        f"throughput: {args.requests} requests by {args.concurrency} clients"
    )
    print(table(rows))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--latency", type=int, default=300)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seed", type=int, default=2025)
    return parser.parse_args(argv)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[3]), sys.argv[2])
    else:
        asyncio.run(main(parse_args()))
