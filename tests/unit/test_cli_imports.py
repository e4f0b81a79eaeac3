"""The command line starts at once: importing it, or asking for its help, leaves the heavy
libraries (Alembic, the chat and web libraries, the workbook readers and writers) unloaded;
each command imports what it uses. Run in a fresh interpreter, since this test process has long
imported all of them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from registry.db import code_head, create_engine, upgrade

HEAVY = ("alembic", "telegram", "starlette", "uvicorn", "openpyxl", "python_calamine")

_LOADED = f"""
import json, sys
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))))
"""


def _heavy_loaded(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + _LOADED], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _heavy_loaded("import bot.cli") == []


def test_help_loads_no_heavy_library() -> None:
    code = """
import contextlib, io, sys
from bot.cli import app
for args in (["--help"], ["people", "--help"], ["import", "--help"], ["export", "--help"]):
    with contextlib.redirect_stdout(io.StringIO()) as shown:
        try:
            app(args)
        except SystemExit as done:
            assert not done.code, done.code
    assert "Usage" in shown.getvalue(), shown.getvalue()
"""
    assert _heavy_loaded(code) == []


def test_the_schema_check_reads_the_newest_revision_as_alembic_does() -> None:
    from alembic.script import ScriptDirectory

    from registry.db import alembic_config

    assert code_head() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_command_on_a_current_database_checks_its_schema_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'spokes.db'}"
    engine = create_engine(url)

    async def migrate() -> None:
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    code = f"""
import contextlib, io, os
os.environ["SPOKES_DATABASE_URL"] = {url!r}
from bot.cli import app
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        app(["people", "find", "nguyen van"])
    except SystemExit as done:
        assert not done.code, done.code
"""
    assert _heavy_loaded(code) == []
