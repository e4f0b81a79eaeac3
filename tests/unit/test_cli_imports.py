"""The command line starts at once: importing it, or asking for its help, leaves the heavy
libraries (Alembic, the chat and web libraries, the workbook readers and writers) unloaded;
each command imports what it uses. Run in a fresh interpreter, since this test process has long
imported all of them.

``spokes --help`` lists the commands from a table without importing them: the table must say
what the commands' modules define."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import io
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main
from typer.core import TyperGroup

import bot.cli
from bot.cli import COMMANDS, app, module_commands
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


def _loaded(code: str, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (modules, by full name) ``code`` left imported, in a fresh process."""
    check = f"""
import json, sys
print(json.dumps(sorted(name for name in {names!r} if name in sys.modules)))
"""
    done = subprocess.run(
        [sys.executable, "-c", code + check], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _heavy_loaded("import bot.cli") == []


# What the command list needs none of: the database layer, the models, the settings, the texts
# and any command's module.
NOT_FOR_THE_LIST = (
    "sqlalchemy",
    "pydantic",
    "pydantic_settings",
    "registry.models",
    "registry.settings",
    "bot.texts",
    "bot.cli.runtime",
    *sorted({f"bot.cli.{listed.module}" for listed in COMMANDS.values()}),
)


def test_the_command_list_imports_no_command() -> None:
    code = """
import contextlib, io, sys
from bot.cli import main
sys.argv = ["spokes", "--help"]
with contextlib.redirect_stdout(io.StringIO()) as shown:
    try:
        main()
    except SystemExit as done:
        assert not done.code, done.code
assert "people" in shown.getvalue(), shown.getvalue()
"""
    assert _loaded(code, NOT_FOR_THE_LIST) == []


def _migrated(tmp_path: Path) -> str:
    """The URL of a new SQLite database at the newest schema."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'spokes.db'}"
    engine = create_engine(url)

    async def migrate() -> None:
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    return url


def test_finding_people_imports_only_the_people_commands(tmp_path: Path) -> None:
    url = _migrated(tmp_path)
    code = f"""
import contextlib, io, os, sys
os.environ["SPOKES_DATABASE_URL"] = {url!r}
from bot.cli import main
sys.argv = ["spokes", "people", "find", "nguyen van"]
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        main()
    except SystemExit as done:
        assert not done.code, done.code
"""
    others = sorted({f"bot.cli.{m.module}" for m in COMMANDS.values()} - {"bot.cli.people"})
    # A search checks no address and needs no fuzzy match: those libraries stay unloaded. On
    # SQLite, neither does SQLAlchemy's PostgreSQL dialect.
    unused = (
        "bot.personal_data",
        "bot.state.models",
        "email_validator",
        "rapidfuzz",
        "sqlalchemy.dialects.postgresql",
    )
    assert _loaded(code, (*others, *unused)) == []


def _command_modules() -> list[str]:
    """Every module of ``bot.cli`` that adds commands to the root (it has ``register``), by its
    name in the package."""
    names = []
    for found in pkgutil.iter_modules(bot.cli.__path__):
        if hasattr(importlib.import_module(f"bot.cli.{found.name}"), "register"):
            names.append(found.name)
    return names


def _defined() -> dict[str, tuple[str, typer.core.TyperCommand | TyperGroup]]:
    """Every command the modules define, by name, with its module: a root made as before."""
    defined = {}
    for module in _command_modules():
        for name, command in module_commands(module).items():
            assert name not in defined, f"{name} is defined twice"
            defined[name] = (module, command)
    return defined


def test_the_command_table_says_what_the_modules_define() -> None:
    defined = _defined()
    assert sorted(COMMANDS) == sorted(defined)
    for name, listed in COMMANDS.items():
        module, command = defined[name]
        assert listed.module == module, name
        # What the list shows of a command: the first paragraph of its help.
        first = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
        assert listed.help == first.strip(), name
        # The table carries no panel, and lists every command.
        assert not command.hidden, name
        assert not command.deprecated, name
        assert not getattr(command, "rich_help_panel", None), name


def _help(group: TyperGroup, args: list[str]) -> str:
    with contextlib.redirect_stdout(io.StringIO()) as shown, pytest.raises(SystemExit) as done:
        group.main(args, prog_name="spokes")
    assert not done.value.code
    return shown.getvalue()


def test_the_list_is_what_the_commands_would_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    lazy = typer.main.get_command(app)
    assert isinstance(lazy, TyperGroup)
    listed = _help(lazy, ["--help"])
    # The same root with every command made up front.
    eager = typer.main.get_command(app)
    assert isinstance(eager, TyperGroup)
    for name in COMMANDS:
        eager.get_command(None, name)  # type: ignore[arg-type]
    assert _help(eager, ["--help"]) == listed
    for name in COMMANDS:
        assert name in listed


def test_a_command_is_loaded_with_its_options() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    defined = _defined()
    for name in COMMANDS:
        command = root.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None
        made = defined[name][1]
        assert [p.name for p in command.params] == [p.name for p in made.params], name
        if isinstance(made, TyperGroup):
            assert isinstance(command, TyperGroup)
            assert list(command.commands) == list(made.commands), name


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
    url = _migrated(tmp_path)
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
