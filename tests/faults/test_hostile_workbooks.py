"""Hostile workbooks are refused within their limits, with a message, and nothing stops.

A tiny .xlsx whose shared-string table holds millions of entries, and one that fills every
column Excel has on 200 rows, pass the size and uncompressed-size guards; today reading them
took minutes and hundreds of MB. The readers count shared strings, columns and cells before and
as they go: ``spokes import`` refuses each with one line and exit code 1, and a staff member who
sends one in a chat gets a refusal that says what to fix (not the apology) from a server that
goes on answering.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.texts import t
from registry import catalog
from registry.actors import Actor
from registry.uow import Database
from tests.e2e.cli_runner import Spokes, needs_script, ok, refused
from tests.e2e.fake_telegram import WEBHOOK_SECRET, FakeTelegram
from tests.e2e.servers import serving
from tests.faults.hostile import many_columns, many_shared_strings

pytestmark = needs_script
HOSTILE = [
    pytest.param(many_shared_strings, "shared_strings", id="millions-of-shared-strings"),
    pytest.param(many_columns, "columns", id="16384-columns"),
]


def refusal(limit: str) -> str:
    """The refusal's text up to its first number: the limit is named, in Vietnamese."""
    return t("vi", f"error.import.limits.{limit}", max="{max}").split("{max}")[0]


@pytest.mark.parametrize(("build", "limit"), HOSTILE)
async def test_the_import_command_refuses_a_hostile_workbook_in_one_line(
    db: Database, tmp_path: Path, build: Callable[[], bytes], limit: str
) -> None:
    await catalog.load_edition(db.uow(), Actor.system("test"), "2025")
    (tmp_path / "danh-sach.xlsx").write_bytes(build())
    spokes = Spokes(tmp_path, db.url)
    assert refusal(limit) in refused(spokes("import", "danh-sach.xlsx"))
    # The dry run uses the same guard.
    assert refusal(limit) in refused(spokes("import", "danh-sach.xlsx", "--dry-run"))


@pytest.mark.parametrize(("build", "limit"), HOSTILE)
async def test_a_hostile_workbook_sent_in_a_chat_is_refused_and_the_bot_goes_on(
    db: Database, fake: FakeTelegram, tmp_path: Path, build: Callable[[], bytes], limit: str
) -> None:
    await catalog.load_edition(db.uow(), Actor.system("test"), "2025")
    ok(Spokes(tmp_path, db.url)("accounts", "grant", "telegram:4200", "staff"))
    staff = fake.user(4200)
    async with serving(fake, db.url, tmp_path / "server.log") as server:
        fake.webhook = (server.webhook, WEBHOOK_SECRET)  # the fake posts what people send
        await staff.send_document("danh-sach.xlsx", build())
        answers = await staff.replies(1, seconds=120)
        assert refusal(limit) in answers[0].text
        assert server.process.returncode is None
        await staff.send("/help")
        [help_text] = await staff.replies(1)
        assert help_text.text.startswith(t("vi", "bot.help.intro"))
    log = server.log.read_text()
    assert "Traceback" not in log, log
