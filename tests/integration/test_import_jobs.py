"""Imports confirmed in a chat run as jobs beside the chats (``bot.pipeline.jobs``).

A long list confirmed in one chat does not hold the others up: every message another chat
sends meanwhile is answered before the import ends. A server stopped mid-way leaves the run
in the queue with the rows it wrote; the next start goes on from there and the report covers
every row. A job that cannot run (its file gone, the rights revoked since) tells the chat why,
in the person's language.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.dialogs.engine import Dialogs
from bot.dialogs.io import Incoming, Reply
from bot.pipeline import Inbound, Received, serving
from bot.pipeline.jobs import run_pending
from bot.settings import BotSettings
from bot.texts import number, t
from registry import accounts
from registry.models import ImportRun, Person, RunStatus
from registry.roster.intake import journal
from registry.uow import Database
from tests.builders import SYSTEM
from tests.integration.chat import Chat
from tests.integration.pipeline_kit import Recorder, choice, message, pipeline
from tests.roster_files import csv_bytes

FAMILIES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
MIDDLES = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quốc", "Ngọc", "Xuân", "Hồng")
GIVENS = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiếu",
    "Hòa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phong",
    "Phúc",
    "Quân",
    "Quang",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Trung",
    "Tuấn",
    "Yến",
]
HEADER = ("STT", "Cơ quan", "Họ và tên", "Chức vụ", "Vai trò", "SĐT", "Email")
SETTINGS = BotSettings(_env_file=None)  # type: ignore[call-arg]
STAFF = "7"


def long_list(rows: int) -> bytes:
    """A list of ``rows`` different people of one agency."""
    names = [f"{f} {m} {g}" for f in FAMILIES for m in MIDDLES for g in GIVENS]
    names += [f"{f} {m} {g} {h}" for f in FAMILIES for m in MIDDLES for g in GIVENS for h in GIVENS]
    assert rows <= len(names)
    body = [
        (i + 1, "UBND tỉnh Lào Cai", names[i], "Chuyên viên", "", f"091{i:07d}", "")
        for i in range(rows)
    ]
    return csv_bytes([HEADER, *body])


class Events(Recorder):
    """The recorder, also keeping one ordered list of what every chat was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, Reply]] = []
        self.changed = asyncio.Event()

    async def decode(self, payload: dict[str, Any]) -> Received | None:
        return await super().decode(payload)

    async def deliver(
        self, inbound: Inbound, received: Received, replies: Sequence[Reply], language: str
    ) -> None:
        await super().deliver(inbound, received, replies, language)
        self.events += [(inbound.chat_id, reply) for reply in replies]
        self.changed.set()

    async def wait_for_report(self, chat_id: str) -> int:
        """The place in ``events`` of the chat's first report (a document)."""
        async with asyncio.timeout(120):
            while True:
                for index, (chat, reply) in enumerate(self.events):
                    if chat == chat_id and reply.document is not None:
                        return index
                self.changed.clear()
                await self.changed.wait()


async def at_the_confirmation(db: Database, content: bytes) -> Reply:
    """Staff member 7 has sent the list: the dry run asks to confirm."""
    await accounts.grant(db.uow(), SYSTEM, f"console:{STAFF}", "staff")
    chat = Chat(Dialogs(db, SETTINGS), STAFF)
    await chat.consent()
    await chat.send(
        Incoming("file", file_name="danh-sach.csv", file_content=content, file_size=len(content))
    )
    assert chat.pending is not None and chat.pending.question is not None, chat.text
    return chat.pending


def confirm(question: Reply) -> Inbound:
    return choice(STAFF, question.question or 0, "yes")


async def people(db: Database) -> int:
    async with db.uow().reading() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Person)) or 0)


async def the_run(db: Database) -> journal.RunInfo:
    [run] = await journal.runs(db.uow())
    return run


async def written_some(db: Database) -> journal.RunInfo:
    """The run once its first batch is written (the import is under way)."""
    async with asyncio.timeout(120):
        # The journal is in the database: looked at again until a batch shows there.
        while (run := await the_run(db)).rows_done == 0:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    return run


async def test_other_chats_are_answered_while_a_long_import_is_written(loaded: Database) -> None:
    db = loaded
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the write gate and the write lock that could hold chats up are SQLite's")
    rows = 8000  # sixteen batches of the importer: the other chat is answered between them
    question = await at_the_confirmation(db, long_list(rows))
    recorder = Events()
    bot = pipeline(db, recorder)
    async with serving(bot, timedelta(days=7)):
        await bot.handle(confirm(question))
        [started] = recorder.chats[STAFF]
        assert started == t("vi", "bot.import_job.queued", file="danh-sach.csv", run=1)
        under_way = await written_some(db)
        assert 0 < under_way.rows_done < rows
        for sent in range(5):
            await bot.handle(message("8", f"/start {sent}"))
        report = await recorder.wait_for_report(STAFF)
    # Every message of the other chat was answered, and all before the import's report.
    answered = [index for index, (chat, _) in enumerate(recorder.events) if chat == "8"]
    assert len(recorder.chats["8"]) >= 5 and answered
    assert max(answered) < report
    summary = recorder.replies[STAFF][-2].text
    assert f"Thêm mới {number('vi', rows)}" in summary and "Lần nhập số 1." in summary
    assert await people(db) == rows
    run = await the_run(db)
    assert run.status is RunStatus.finished and run.counts == {"created": rows}


async def test_a_stopped_import_is_resumed_at_the_next_start_and_reports_every_row(
    loaded: Database,
) -> None:
    db = loaded
    rows = 1100  # three batches of the importer
    question = await at_the_confirmation(db, long_list(rows))
    first = Events()
    bot = pipeline(db, first)
    async with serving(bot, timedelta(days=7)):
        await bot.handle(confirm(question))
        await written_some(db)
    # Stopped mid-way: the rows written stay, the journal says so, the run waits in the queue.
    stopped = await the_run(db)
    assert stopped.status is RunStatus.queued
    assert 0 < stopped.rows_done < rows
    assert await people(db) == stopped.rows_done
    assert all(reply.document is None for _, reply in first.events)

    again = Events()
    restarted = pipeline(db, again)
    async with serving(restarted, timedelta(days=7)):
        await again.wait_for_report(STAFF)
    summary, report = again.replies[STAFF]
    assert f"Thêm mới {number('vi', rows)}" in summary.text and "Lần nhập số 1." in summary.text
    assert report.document is not None and report.document.content[:2] == b"PK"
    run = await the_run(db)
    assert run.status is RunStatus.finished and run.counts == {"created": rows}
    assert await people(db) == rows


async def told_by_jobs(db: Database) -> list[tuple[str, str, list[Reply]]]:
    told: list[tuple[str, str, list[Reply]]] = []

    async def deliver(
        channel: str, chat_id: str, user_id: str, replies: Sequence[Reply], language: str
    ) -> None:
        told.append((chat_id, language, list(replies)))

    await run_pending(db, SETTINGS, deliver)
    return told


async def test_a_job_whose_file_is_gone_tells_the_chat_in_its_language(loaded: Database) -> None:
    db = loaded
    origin = {"channel": "console", "chat_id": "9", "user_id": "9", "language": "en"}
    queued = journal.new_run("console:9", None, "list.csv", b"x", origin=origin, queued=True)
    run_id = await journal.enqueue(db.uow(), queued)
    async with db.uow() as uow:
        await uow.session.execute(
            update(ImportRun).where(ImportRun.id == run_id).values(content=None)
        )
        await uow.commit()
    [(chat_id, language, [reply])] = await told_by_jobs(db)
    assert (chat_id, language) == ("9", "en")
    gone = t("en", "bot.import_job_failed.gone")
    assert reply.text == t(
        "en", "bot.import_job_failed.failed", file="list.csv", run=run_id, reason=gone
    )
    run = await the_run(db)
    assert run.status is RunStatus.failed and run.error_code == "import.file_gone"
    assert await told_by_jobs(db) == []  # told once


async def test_a_job_refused_since_its_confirmation_tells_the_chat_why(loaded: Database) -> None:
    db = loaded
    question = await at_the_confirmation(db, long_list(3))
    recorder = Events()
    bot = pipeline(db, recorder)  # no server: nothing runs the job yet
    await bot.handle(confirm(question))
    await accounts.revoke(db.uow(), SYSTEM, f"console:{STAFF}")
    [(chat_id, language, [reply])] = await told_by_jobs(db)
    assert (chat_id, language) == (STAFF, "vi")
    assert reply.text.startswith("Không ghi được danh sách danh-sach.csv (lần nhập số 1)")
    assert await people(db) == 0
    run = await the_run(db)
    assert run.status is RunStatus.failed
    await bot.close()
