"""How the directory search scales: ``find_people`` on 10,000 and on 100,000 people.

    python bench/search.py [--sizes 10000,100000] [--backends sqlite,postgres]
                           [--postgres-url URL] [--queries 200] [--seed 2025]

For each backend (SQLite in a temporary file; PostgreSQL in a scratch database created on the
server of ``--postgres-url`` and dropped at the end, even on error) the script creates the
schema with the project's migrations, loads the 2025 agency catalog, then grows a synthetic
directory size by size (the 100,000 run reuses the first 10,000 people) with bulk inserts,
runs ANALYZE and times ``registry.directory.find_people`` for three kinds of query drawn from
the data:

- ``name prefix``: a name as a person starts typing it, with accents ("Nguyễn Văn A");
- ``unaccented``: a full name typed without accents, in any case ("dang thi hong");
- ``phone``: the mobile of a member, written another way ("0912.345.678", "(+84) 912 345 678").

It prints p50 and p99 per backend, size and kind, the ratio p99(largest) / p99(smallest) for
each backend and kind (the goal is < 2: a search costs about the same on a larger directory),
and the plan of the name search at the largest size. The machines are shared and noisy, hence a
ratio within the same run rather than absolute figures. The script reports; it is not a test:
it exits 0 when a ratio misses the goal and non-zero only on errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import platform
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from registry.actors import Actor
from registry.catalog import load_edition
from registry.db import upgrade
from registry.directory import find_people
from registry.models import Agency, NameWord, Person, Role, Source, Status
from registry.people import name_words
from registry.uow import Database
from registry.validation import fold, parse_phones

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
GOAL_RATIO = 2.0
BATCH_ROWS = 5_000
WARMUP_CALLS = 5
ACTOR = Actor.system("bench")


# --- synthetic people ---------------------------------------------------------------------


def _nfc(words: str) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFC", word) for word in words.split())


def _weighted(pairs: Sequence[tuple[str, float]]) -> tuple[tuple[str, ...], list[float]]:
    """(words, cumulative weights) for ``random.choices``."""
    words = tuple(unicodedata.normalize("NFC", word) for word, _ in pairs)
    cumulative, total = [], 0.0
    for _, weight in pairs:
        total += weight
        cumulative.append(total)
    return words, cumulative


# Family names with their approximate share of the population (Nguyễn about 38%).
FAMILY = _weighted(
    [
        ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Hoàng", 3.5),
        ("Huỳnh", 1.6), ("Phan", 4.5), ("Vũ", 2.0), ("Võ", 1.9), ("Đặng", 2.1), ("Bùi", 2.0),
        ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5), ("Đinh", 0.8),
        ("Trịnh", 0.6), ("Đào", 0.6), ("Mai", 0.5), ("Lương", 0.4), ("Cao", 0.4), ("Hà", 0.4),
        ("Lâm", 0.3), ("Tô", 0.3), ("Tạ", 0.2), ("Chu", 0.2), ("Kiều", 0.1), ("Triệu", 0.1),
    ]
)  # fmt: skip
MIDDLE_MALE = _weighted(
    [
        ("Văn", 35), ("Hữu", 8), ("Đức", 9), ("Minh", 9), ("Quốc", 7), ("Thanh", 5), ("Ngọc", 3),
        ("Công", 5), ("Đình", 6), ("Xuân", 4), ("Mạnh", 3), ("Trọng", 3), ("Quang", 5),
        ("Anh", 2), ("Việt", 2), ("Hoàng", 3), ("Tiến", 2), ("Duy", 3),
    ]
)  # fmt: skip
MIDDLE_FEMALE = _weighted(
    [
        ("Thị", 45), ("Thu", 7), ("Thanh", 6), ("Ngọc", 6), ("Minh", 4), ("Hồng", 5), ("Kim", 4),
        ("Phương", 4), ("Thùy", 4), ("Mai", 3), ("Bích", 2), ("Diệu", 2), ("Hoài", 2), ("Lan", 2),
        ("Quỳnh", 2), ("Khánh", 2),
    ]
)  # fmt: skip
# A second middle name, as in "Nguyễn Thị Thu Hà" or "Trần Văn Minh Tuấn".
SECOND_MIDDLE = _nfc(
    "Thu Minh Thanh Ngọc Kim Hồng Xuân Mai Phương Bảo Hoài Quang Tuấn Hải Anh Việt Thúy Diệu"
)
GIVEN_MALE = _nfc(
    "An Bình Cường Dũng Đức Giang Hải Hiếu Hùng Khánh Long Minh Nam Phong Quân Sơn Tâm Thắng "
    "Tuấn Hưng Huy Kiên Lâm Nghĩa Phúc Quang Thành Thịnh Toàn Trung Tú Việt Vinh Hoàng Đạt "
    "Hiển Khoa Trí Anh Hòa Lợi Tùng Thái Hậu Chiến Định Hà Hải Duy Bảo Tiến Lộc"
)
GIVEN_FEMALE = _nfc(
    "Anh Hà Hạnh Hoa Hương Lan Linh Mai Nga Phương Tâm Thảo Trang Vân Yến Giang Huyền Hằng "
    "Hồng Loan Ngọc Nhung Oanh Quỳnh Thủy Thư Trâm Uyên Vy Chi Dung Hiền Hòa Liên Ly My Nhi "
    "Nhàn Tuyết Xuân Hải Khánh Minh Thanh Thúy Ánh Diệp Hậu Lệ"
)
# National significant numbers of mobiles start with these two digits (all 7-digit endings
# are valid there): Viettel 32-39, 86, 96-98; MobiFone 70, 76-79, 90, 93; VinaPhone 81-85,
# 88, 91, 94; Vietnamobile 56, 58, 92; Gmobile 59.
MOBILE_PREFIXES = (
    "32", "33", "34", "35", "36", "37", "38", "39", "86", "96", "97", "98",
    "70", "76", "77", "78", "79", "90", "93",
    "81", "82", "83", "84", "85", "88", "91", "94",
    "56", "58", "92", "59",
)  # fmt: skip
# Office lines: Hà Nội (24) and TP HCM (28), 8 digits after the area code.
OFFICE_AREAS = ("243", "243", "243", "283")
POSITIONS = {
    Role.head: ("Bộ trưởng", "Chủ tịch UBND", "Thứ trưởng", "Phó Chủ tịch UBND"),
    Role.spokesperson: ("Chánh Văn phòng", "Phó Chủ tịch UBND", "Thứ trưởng"),
    Role.authorized_spokesperson: (
        "Vụ trưởng Vụ Truyền thông",
        "Giám đốc Sở Văn hóa, Thể thao và Du lịch",
        "Phó Chánh Văn phòng",
        "Cục trưởng",
    ),
    Role.press_contact: ("Chuyên viên", "Chuyên viên chính", "Trưởng phòng", "Phó Trưởng phòng"),
}
ROLES = ((Role.head, 5), (Role.spokesperson, 15), (Role.authorized_spokesperson, 20))
ROLES += ((Role.press_contact, 60),)
STATUSES = ((Status.verified, 90), (Status.pending, 7), (Status.retired, 3))
SOURCES = ((Source.import_, 70), (Source.chat, 20), (Source.cli, 10))


def _pick(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _ in pairs], weights=[w for _, w in pairs])[0]


@dataclass(frozen=True)
class Member:
    """What the query builders need to know about a person who was inserted."""

    full_name: str
    mobile: str | None
    active: bool


@dataclass
class Population:
    """A deterministic stream of synthetic people, grown in steps."""

    agencies: list[tuple[int, str]]  # (id, code) of the current agencies
    next_id: int
    seed: int
    members: list[Member] = field(default_factory=list)
    rng: random.Random = field(init=False)
    _names: set[tuple[int, str]] = field(default_factory=set)  # active (agency, name key)
    _mobiles: set[str] = field(default_factory=set)
    _now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def _name(self) -> str:
        rng = self.rng
        family = rng.choices(FAMILY[0], cum_weights=FAMILY[1])[0]
        female = rng.random() < 0.45
        middles, given = (MIDDLE_FEMALE, GIVEN_FEMALE) if female else (MIDDLE_MALE, GIVEN_MALE)
        words = [family, rng.choices(middles[0], cum_weights=middles[1])[0]]
        if rng.random() < 0.3:
            second = rng.choice(SECOND_MIDDLE)
            if second != words[-1]:
                words.append(second)
        words.append(rng.choice(given))
        return " ".join(words)

    def _mobile(self) -> str:
        while True:
            number = f"+84{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**7):07d}"
            if number not in self._mobiles:
                self._mobiles.add(number)
                return number

    def _person(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng = self.rng
        status = _pick(rng, STATUSES)
        active = status is not Status.retired
        agency_id, agency_code = rng.choice(self.agencies)
        for _ in range(1000):
            full_name = self._name()
            name_key = fold(full_name)
            # One active person per (agency, name): the same unique index as the registry's.
            if not active or (agency_id, name_key) not in self._names:
                break
        else:
            raise RuntimeError(f"no free name left in agency {agency_code}")
        if active:
            self._names.add((agency_id, name_key))
        role = _pick(rng, ROLES)
        person_id = self.next_id
        self.next_id += 1
        mobile = self._mobile() if rng.random() < 0.95 else None
        office = None
        if rng.random() < 0.5:
            office = f"+84{rng.choice(OFFICE_AREAS)}{rng.randrange(10**7):07d}"
        words = name_key.split()
        email = None
        if rng.random() < 0.85 or (mobile is None and office is None):
            local = words[-1] + "".join(word[0] for word in words[:-1])
            email = f"{local}{person_id}@{agency_code.replace('-', '')}.gov.vn"
        self.members.append(Member(full_name, mobile, active))
        row = {
            "id": person_id,
            "agency_id": agency_id,
            "full_name": full_name,
            "name_key": name_key,
            "position": rng.choice(POSITIONS[role]),
            "role": role,
            "mobile": mobile,
            "office_phone": office,
            "office_ext": str(rng.randrange(100, 999)) if office and rng.random() < 0.3 else None,
            "email": email,
            "note": None,
            "status": status,
            "source": _pick(rng, SOURCES),
            "version": 1,
            "created_at": self._now,
            "updated_at": self._now,
        }
        return row, [{"person_id": person_id, "key": key} for key in name_words(name_key)]

    def grow(
        self, count: int, batch: int = BATCH_ROWS
    ) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
        """Batches of (person rows, name_word rows), ``count`` people in all."""
        while count > 0:
            people: list[dict[str, Any]] = []
            words: list[dict[str, Any]] = []
            for _ in range(min(batch, count)):
                person, keys = self._person()
                people.append(person)
                words.extend(keys)
            count -= len(people)
            yield people, words


# --- queries ------------------------------------------------------------------------------


def name_prefix_query(member: Member, rng: random.Random) -> str:
    """ "Nguyễn Văn A": what someone has typed before finishing the given name."""
    *head, given = member.full_name.split()
    return " ".join([*head, given[0]])


def unaccented_query(member: Member, rng: random.Random) -> str:
    """ "nguyen van an", "DANG THI HONG", "Tran Thu Ha": a whole name without accents."""
    key = fold(member.full_name)
    return rng.choice((key, key.upper(), key.title()))


def phone_query(member: Member, rng: random.Random) -> str:
    """The member's mobile written as people write it in lists and chats."""
    assert member.mobile is not None
    n = "0" + member.mobile[3:]  # national form, "0912345678"
    forms = (
        f"{n[:4]}.{n[4:7]}.{n[7:]}",
        f"{n[:4]} {n[4:7]} {n[7:]}",
        f"{n[:3]}-{n[3:6]}-{n[6:]}",
        f"(+84) {n[1:4]} {n[4:7]} {n[7:]}",
        f"+84 {n[1:4]} {n[4:7]} {n[7:]}",
        f"84{n[1:]}",
        f"DĐ: {n[:4]}.{n[4:7]}.{n[7:]}",
    )
    query = rng.choice(forms)
    parsed = [phone.e164 for phone in parse_phones(query)]
    if parsed != [member.mobile]:
        raise AssertionError(f"{query!r} parses as {parsed}, not {member.mobile}")
    return query


KINDS: tuple[tuple[str, Callable[[Member, random.Random], str]], ...] = (
    ("name prefix", name_prefix_query),
    ("unaccented", unaccented_query),
    ("phone", phone_query),
)


def draw_queries(
    members: Sequence[Member],
    build: Callable[[Member, random.Random], str],
    count: int,
    rng: random.Random,
    *,
    needs_mobile: bool,
) -> list[str]:
    """``count`` different queries built from randomly drawn active members."""
    queries: dict[str, None] = {}
    for _ in range(count * 50):
        member = members[rng.randrange(len(members))]
        if not member.active or (needs_mobile and member.mobile is None):
            continue
        queries.setdefault(build(member, rng))
        if len(queries) == count:
            break
    return list(queries)


# --- measuring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    backend: str
    size: int
    kind: str
    queries: list[str]
    seconds: list[float]
    found: int  # queries with at least one result

    def percentile(self, p: int) -> float:
        if len(self.seconds) == 1:
            return self.seconds[0]
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[p - 1]

    @property
    def p50_ms(self) -> float:
        return self.percentile(50) * 1000

    @property
    def p99_ms(self) -> float:
        return self.percentile(99) * 1000

    def milliseconds(self, query: str) -> float:
        return self.seconds[self.queries.index(query)] * 1000


async def measure(db: Database, backend: str, size: int, kind: str, queries: list[str]) -> Measure:
    for query in queries[:WARMUP_CALLS]:
        await find_people(db.uow(), ACTOR, query)
    seconds: list[float] = []
    found = 0
    for query in queries:
        start = time.perf_counter()
        result = await find_people(db.uow(), ACTOR, query)
        seconds.append(time.perf_counter() - start)
        found += bool(result.items)
    return Measure(backend, size, kind, queries, seconds, found)


# --- filling ------------------------------------------------------------------------------


async def current_agencies(db: Database) -> list[tuple[int, str]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(Agency.id, Agency.code).where(Agency.valid_to.is_(None)).order_by(Agency.id)
        )
        return [(agency_id, code) for agency_id, code in rows]


async def next_person_id(db: Database) -> int:
    async with db.engine.connect() as conn:
        return (await conn.scalar(select(func.max(Person.id))) or 0) + 1


async def fill(db: Database, population: Population, count: int) -> tuple[int, float]:
    """Insert ``count`` more people with their name words; returns (name words, seconds)."""
    start = time.perf_counter()
    words_total = 0
    async with db.engine.begin() as conn:
        for people, words in population.grow(count):
            await conn.execute(insert(Person), people)
            await conn.execute(insert(NameWord), words)
            words_total += len(words)
        if conn.dialect.name == "postgresql":
            # Ids were given explicitly: move the sequence past them for later inserts.
            await conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('person', 'id'), (SELECT max(id) FROM person))"
            )
    return words_total, time.perf_counter() - start


async def analyze(db: Database) -> float:
    start = time.perf_counter()
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - start


# --- query plans --------------------------------------------------------------------------


async def captured_name_search(db: Database, query: str) -> tuple[str, Any]:
    """The SQL and parameters ``find_people`` sends for a name query, exactly as sent."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "name_word" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        await find_people(db.uow(), ACTOR, query)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    if not seen:
        raise RuntimeError(f"find_people({query!r}) sent no name search")
    return seen[0]


def _sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


async def explain_sqlite(conn: AsyncConnection, sql: str, params: Any) -> list[str]:
    rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple(params))).all()
    depth: dict[int, int] = {0: 0}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        lines.append("  " * (depth[node] - 1) + detail)
    return lines


async def explain_postgres(conn: AsyncConnection, sql: str, params: Any) -> list[str]:
    lines = ["-- custom plan (the values are known when planning):"]
    rows = (await conn.exec_driver_sql("EXPLAIN " + sql, tuple(params))).all()
    lines += [row[0] for row in rows]
    # asyncpg runs the search as a named prepared statement; after five runs PostgreSQL may
    # switch to a generic plan, planned without the values. Show that one too.
    name = f"bench_name_search_{uuid.uuid4().hex[:8]}"
    await conn.exec_driver_sql(f"PREPARE {name} AS {sql}")
    try:
        await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        arguments = ", ".join(_sql_literal(value) for value in params)
        rows = (await conn.exec_driver_sql(f"EXPLAIN EXECUTE {name}({arguments})")).all()
        lines += ["-- generic plan (what a reused prepared statement may switch to):"]
        lines += [row[0] for row in rows]
    finally:
        await conn.exec_driver_sql("RESET plan_cache_mode")
        await conn.exec_driver_sql(f"DEALLOCATE {name}")
    return lines


async def matching_words(db: Database, queries: Sequence[str]) -> dict[str, int]:
    """How many name words each name query's key range covers (what a plan has to read)."""
    counts: dict[str, int] = {}
    async with db.engine.connect() as conn:
        for query in queries:
            key = fold(query)
            counts[query] = (
                await conn.scalar(
                    select(func.count())
                    .select_from(NameWord)
                    .where(NameWord.key >= key, NameWord.key < key + "\x7f")
                )
                or 0
            )
        await conn.rollback()
    return counts


async def explain_name_search(db: Database, backend: str, names: Measure) -> list[str]:
    """The plan of the name search ``find_people`` runs for the name-prefix query of ``names``
    that covers the most name words (the worst case for a plan that reads every match)."""
    counts = await matching_words(db, names.queries)
    query = max(names.queries, key=lambda q: (counts[q], q))
    sql, params = await captured_name_search(db, query)
    async with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            lines = await explain_sqlite(conn, sql, params)
        else:
            lines = await explain_postgres(conn, sql, params)
        await conn.rollback()
    return [
        f"Plan of the name search on {backend} at {names.size:,} people, for {query!r}:",
        f"the name-prefix query covering the most name words ({counts[query]:,} match "
        f"{fold(query)!r}; timed at {names.milliseconds(query):.2f} ms, p50 of the kind "
        f"{names.p50_ms:.2f} ms)",
        "  " + " ".join(sql.split()),
        f"  parameters: {tuple(params)!r}",
        # The upper bound of the key range ends with DEL (U+007F): make it visible.
        *("    " + line.replace("\x7f", "\\x7f") for line in lines),
    ]


# --- one backend --------------------------------------------------------------------------


@dataclass
class Outcome:
    measures: list[Measure] = field(default_factory=list)
    plans: list[list[str]] = field(default_factory=list)


async def run_backend(
    backend: str, url: str, sizes: list[int], args: argparse.Namespace, outcome: Outcome
) -> None:
    db = Database(url)
    try:
        await upgrade(db.engine)
        await load_edition(db.uow(), ACTOR, "2025")
        agencies = await current_agencies(db)
        population = Population(agencies, await next_person_id(db), args.seed)
        print(f"{backend}: schema and 2025 catalog loaded ({len(agencies)} current agencies)")
        for size in sizes:
            count = size - len(population.members)
            words, seconds = await fill(db, population, count)
            analyze_seconds = await analyze(db)
            print(
                f"{backend}: +{count:,} people, +{words:,} name words in {seconds:.1f} s "
                f"({count / seconds:,.0f} people/s), ANALYZE {analyze_seconds:.1f} s"
                f" -> {size:,} people"
            )
            # Keep the collector off the people kept in memory while timing.
            gc.collect()
            gc.freeze()
            for index, (kind, build) in enumerate(KINDS):
                rng = random.Random(args.seed * 1_000_003 + size * 7 + index)
                queries = draw_queries(
                    population.members, build, args.queries, rng, needs_mobile=kind == "phone"
                )
                outcome.measures.append(await measure(db, backend, size, kind, queries))
        names = [
            m
            for m in outcome.measures
            if m.backend == backend and m.size == sizes[-1] and m.kind == KINDS[0][0]
        ]
        outcome.plans.append(await explain_name_search(db, backend, names[0]))
    finally:
        await db.dispose()


async def run_sqlite(sizes: list[int], args: argparse.Namespace, outcome: Outcome) -> None:
    with tempfile.TemporaryDirectory(prefix="spokes-bench-") as directory:
        path = Path(directory) / "bench.sqlite3"
        await run_backend("sqlite", f"sqlite+aiosqlite:///{path}", sizes, args, outcome)
    print()


async def run_postgres(sizes: list[int], args: argparse.Namespace, outcome: Outcome) -> None:
    server = make_url(args.postgres_url)
    shown = server.render_as_string(hide_password=True)
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", connect_args={"timeout": 10})
    try:
        try:
            async with admin.connect() as conn:
                version = await conn.scalar(select(func.current_setting("server_version")))
        except (OSError, TimeoutError, SQLAlchemyError) as error:
            reason = " ".join(str(error).split())[:200]
            print(f"postgres: skipped, {shown} is not reachable ({type(error).__name__}: {reason})")
            print()
            return
        name = f"spokes_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        print(f"postgres: server {version}, scratch database {name}")
        try:
            scratch = server.set(database=name).render_as_string(hide_password=False)
            await run_backend("postgres", scratch, sizes, args, outcome)
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"postgres: scratch database {name} dropped")
            print()
    finally:
        await admin.dispose()


# --- report -------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def report(results: list[Measure], sizes: list[int]) -> None:
    if not results:
        print("No backend was measured.")
        return
    print("find_people latency (wall time per call, after warm-up)")
    rows = [
        [
            m.backend,
            f"{m.size:,}",
            m.kind,
            str(len(m.queries)),
            f"{m.found}/{len(m.queries)}",
            f"{m.p50_ms:.2f}",
            f"{m.p99_ms:.2f}",
            f"{max(m.seconds) * 1000:.2f}",
        ]
        for m in results
    ]
    headers = ("backend", "people", "query", "queries", "found", "p50 ms", "p99 ms", "max ms")
    print(table(headers, rows, right={1, 3, 4, 5, 6, 7}))
    if len(sizes) < 2:
        return
    small, large = sizes[0], sizes[-1]
    by_key = {(m.backend, m.size, m.kind): m for m in results}
    ratio_rows = []
    for backend in dict.fromkeys(m.backend for m in results):
        for kind, _ in KINDS:
            before, after = by_key[(backend, small, kind)], by_key[(backend, large, kind)]
            ratio = after.p99_ms / before.p99_ms
            ratio_rows.append(
                [
                    backend,
                    kind,
                    f"{before.p99_ms:.2f}",
                    f"{after.p99_ms:.2f}",
                    f"{ratio:.2f}",
                    f"< {GOAL_RATIO:g}",
                    "PASS" if ratio < GOAL_RATIO else "FAIL",
                ]
            )
    print()
    print(f"Scaling: p99 at {large:,} people / p99 at {small:,} people")
    headers = ("backend", "query", f"p99 {small:,}", f"p99 {large:,}", "ratio", "goal", "result")
    print(table(headers, ratio_rows, right={2, 3, 4}))


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="directory sizes, ascending")
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite and/or postgres")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="a server's URL")
    parser.add_argument("--queries", type=int, default=200, help="queries per kind and size")
    parser.add_argument("--seed", type=int, default=2025, help="seed of the synthetic data")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size]
    except ValueError:
        parser.error(f"--sizes: not a list of numbers: {args.sizes}")
    if not args.sizes or any(size < 1 for size in args.sizes) or args.sizes != sorted(args.sizes):
        parser.error("--sizes: positive numbers in ascending order")
    if len(set(args.sizes)) != len(args.sizes):
        parser.error("--sizes: each size once")
    args.backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = set(args.backends) - {"sqlite", "postgres"}
    if unknown or not args.backends:
        parser.error(f"--backends: sqlite and/or postgres, not {', '.join(sorted(unknown))}")
    if args.queries < 1:
        parser.error("--queries: at least 1")
    return args


async def main(args: argparse.Namespace) -> None:
    print(
        f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs; sizes "
        f"{', '.join(f'{size:,}' for size in args.sizes)}; {args.queries} queries per kind; "
        f"seed {args.seed}"
    )
    print()
    outcome = Outcome()
    for backend in args.backends:
        if backend == "sqlite":
            await run_sqlite(args.sizes, args, outcome)
        else:
            await run_postgres(args.sizes, args, outcome)
    report(outcome.measures, args.sizes)
    for plan in outcome.plans:
        print()
        print("\n".join(plan))


async def run(args: argparse.Namespace) -> None:
    # SIGTERM cancels the run like Ctrl-C does, so the scratch database is still dropped.
    task = asyncio.current_task()
    assert task is not None
    with contextlib.suppress(NotImplementedError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    await main(args)


if __name__ == "__main__":
    try:
        asyncio.run(run(parse_args()))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted", file=sys.stderr)
        sys.exit(130)
