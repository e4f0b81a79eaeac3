"""How a dialog looks in the terminal chat: options as numbered lines, files saved in a folder of
their own (never over another file) and sent with ``/file PATH``, blank lines skipped, an open
question asked again when the person comes back, and
``spokes chat`` itself reading a script on standard input.

What the dialogs ask, say and decide is in the scenario suite (``tests/e2e/scenarios``), which
runs in the terminal chat as on every channel.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.channels.console import converse
from bot.dialogs.engine import Dialogs
from bot.settings import BotSettings
from bot.texts import t
from registry.uow import Database
from tests.builders import grant, with_catalog
from tests.e2e.cli_runner import Spokes, needs_script, ok

CONSENT = "1. Tôi đồng ý\n2. Không đồng ý\nTrả lời 1 hoặc 2 (hoặc gõ “hủy” để dừng)"


@pytest.fixture
async def database(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    path = tmp_path / "spokes.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    await with_catalog(db)
    try:
        yield db
    finally:
        await db.dispose()


async def chat(database: Database, user_id: str, *lines: str) -> list[str]:
    """What the terminal prints for these typed lines (each echoed after "> ")."""
    typed = [f"{line}\n" for line in lines]
    printed: list[str] = []
    dialogs = Dialogs(database, BotSettings(_env_file=None))  # type: ignore[call-arg]
    await converse(
        dialogs,
        user_id,
        lambda: typed.pop(0) if typed else "",
        printed.append,
        display_name="An",
        echo=True,
    )
    return printed


async def test_options_are_numbered_and_blank_lines_skipped(database: Database) -> None:
    printed = await chat(database, "7", "/start", "", "   ", "1")
    assert printed == [
        "> /start",
        t("vi", "bot.start.welcome"),
        f"{t('vi', 'bot.consent.notice')}\n{CONSENT}",
        "",
        "> 1",
        t("vi", "bot.consent.accepted"),
        "",
    ]


async def test_files_are_saved_in_a_folder_of_their_own_and_sent_with_file(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    await grant(database, "console:7", "staff")
    printed = await chat(database, "7", "/template", "/template", "/import", "/file khong-co.xlsx")
    lines = "\n".join(printed).split("\n")
    saved = [line for line in lines if line.startswith("(Đã lưu tệp: ")]
    assert len(saved) == 2
    first, second = (Path(line[len("(Đã lưu tệp: ") : -1]) for line in saved)
    # A folder of their own, not among the person's files.
    assert first.parent == second.parent == tmp_path / "spokes-files"
    assert not list(tmp_path.glob("*.xlsx"))  # noqa: ASYNC240 (a test reading its folder)
    assert second.name == f"{first.stem}-2{first.suffix}"  # never over the first one
    # The same template twice (its zip entries may differ by the second they were written).
    sheets = [load_workbook(path, read_only=True).sheetnames for path in (first, second)]
    assert sheets[0] == sheets[1] and sheets[0]
    asked = "\n".join([t("vi", "bot.import.send_file", max=10), t("vi", "console.file_hint")])
    assert asked in printed
    assert t("vi", "console.file_unreadable", line="/file khong-co.xlsx") in printed


@needs_script
async def test_coming_back_repeats_the_open_question(database: Database, tmp_path: Path) -> None:
    spokes = Spokes(tmp_path, database.url)
    ok(spokes("chat", "--user", "8", stdin="/start\n1\n/register\n"))
    back = ok(spokes("chat", "--user", "8", stdin="Lào Cai\n")).stdout
    asked = t("vi", "bot.register.ask_agency")
    # The open question first, before anything is typed; then the answer goes on from there.
    assert back.startswith(asked), back
    assert "> Lào Cai" in back
    quiet = ok(spokes("chat", "--user", "9", stdin="/help\n")).stdout
    assert quiet.startswith("> /help")  # nothing open: nothing repeated


@needs_script
async def test_spokes_chat_reads_a_script_from_standard_input(
    database: Database, tmp_path: Path
) -> None:
    spokes = Spokes(tmp_path, database.url)
    script = "\n".join(
        [
            "/start",
            "1",  # I agree
            "/register",
            "UBND tỉnh Lào Cai",
            "1",  # Tỉnh Lào Cai
            "Nguyễn Văn An",
            "Chánh Văn phòng UBND tỉnh",
            "2",  # spokesperson
            "0169.123.4567",
            "1",  # skip the office phone
            "an.nv@laocai.gov.vn",
            "1",  # confirm
            "/me",
        ]
    )
    out = ok(spokes("chat", "--user", "7", "--name", "An", stdin=script + "\n")).stdout
    assert "> /start\n" in out and CONSENT in out  # each line echoed, then the answer
    assert "số cũ 01691234567 đã được chuyển sang số mới 0391 234 567" in out
    assert "Đã đăng ký #1 Nguyễn Văn An (Tỉnh Lào Cai)" in out
    assert "Trạng thái: Chờ xác minh" in out
    bad = spokes("chat", "--user", "../../etc", stdin="/start\n")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
