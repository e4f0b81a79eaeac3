"""The ``spokes`` command line: the registry for administrators and scripts.

A command line starts at once: the commands are not imported when ``spokes`` starts. The root
group knows each command's name, the module that defines it and the one line its help shows in
the listing (:data:`COMMANDS`); a command's module is imported when the command is run or asked
for its own help. ``spokes --help`` lists the commands from that table alone, and a test keeps
the table equal to what the modules define (names, order, the listed line).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from registry.errors import RegistryError

if TYPE_CHECKING:
    from pydantic import ValidationError as SettingsError
    from typer._click import Command, Context, HelpFormatter


class Listed(NamedTuple):
    """A command as ``spokes --help`` lists it: its module (in ``bot.cli``) and the first
    paragraph of its help."""

    module: str
    help: str


# Every command of ``spokes``, in the order of the help. Its module adds it to a root Typer with
# ``register(root)`` (a group as ``root.add_typer``, a command as ``root.command``).
COMMANDS: dict[str, Listed] = {
    "stats": Listed("reports", "Agencies answered by kind; people by role and status."),
    "missing": Listed("reports", "Current agencies nobody has registered for."),
    "run": Listed(
        "serve",
        "Run the bot by long polling (no public address needed; for development).",
    ),
    "serve": Listed(
        "serve",
        "Run the web server: the webhooks of the configured channels (none needed), file links,\n"
        "/healthz, and the published directory when it is switched on.",
    ),
    "chat": Listed(
        "chat",
        "Talk to the bot in the terminal: type messages, answer questions with their number.",
    ),
    "import": Listed(
        "import_",
        "Import an agency's list of spokespeople and press contacts (.xlsx, .xls, .ods, .csv).",
    ),
    "export": Listed(
        "export",
        "Export the roster: xlsx for printing, csv for spreadsheets, vcf for phones.",
    ),
    "template": Listed(
        "export",
        "Write the blank template agencies fill in (drop-down lists, an example row).",
    ),
    "tidy": Listed(
        "tidy",
        "Delete handled updates, unconfirmed lists, expired links and idle dialog state past\n"
        "their retention settings.",
    ),
    "tick": Listed(
        "broadcast",
        "Run the scheduled work once: send every outbox message that is due (for cron).",
    ),
    "db": Listed("db", "Database schema."),
    "agencies": Listed("agencies", "Agencies: load the official lists, list, add."),
    "people": Listed(
        "people",
        "People: add, list, find, show, update, retire, history, export-data, erase.",
    ),
    "accounts": Listed("accounts", "Chat accounts and their roles."),
    "links": Listed(
        "links",
        "Links to the web server's upload page and downloads, for trying them without a chat "
        "token. Signed with SPOKES_LINK_SECRET: set the same value for `spokes serve`.",
    ),
    "imports": Listed("imports", "The journal of list imports: every real import and its report."),
    "claims": Listed("claims", "Claims of listed records: list, confirm, refuse."),
    "invite": Listed(
        "invite", "Invitations to register, with links and QR codes: make, list, revoke."
    ),
    "broadcast": Listed("broadcast", "Send a message to a group of the network, and follow it."),
    "campaign": Listed("campaign", "The call for lists: open, follow, close."),
}


def _nothing() -> None:
    """A callback, so that a module's commands always come back as a group."""


def module_commands(module: str) -> dict[str, Command]:
    """The commands a module of ``bot.cli`` defines, made by Typer as the root would make
    them, by name."""
    scratch = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
    scratch.callback()(_nothing)
    importlib.import_module(f"{__name__}.{module}").register(scratch)
    made = typer.main.get_command(scratch)
    assert isinstance(made, TyperGroup)
    return dict(made.commands)


class LazyGroup(TyperGroup):
    """The root group: commands come from :data:`COMMANDS`, their modules imported on use."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False
        # Names only (the suggestion for a mistyped command reads them); filled in on use.
        self._loaded: dict[str, Command] = {}
        self.commands = dict.fromkeys(COMMANDS)  # type: ignore[assignment]

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        listed = COMMANDS.get(cmd_name)
        if listed is None:
            return None
        if self._listing and cmd_name not in self._loaded:
            # Shown in the listing only: its name and its line.
            return TyperCommand(name=cmd_name, help=listed.help)
        if cmd_name not in self._loaded:
            self._loaded.update(module_commands(listed.module))
            self.commands[cmd_name] = self._loaded[cmd_name]
        return self._loaded[cmd_name]

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="spokes",
    cls=LazyGroup,
    help="Registry of government spokespeople and press contacts (Người phát ngôn).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _options(
    lang: str = typer.Option(
        None, "--lang", help="Language of messages: vi or en (default: SPOKES_DEFAULT_LANGUAGE)."
    ),
) -> None:
    from bot.cli.runtime import set_language

    set_language(lang)


# EX_TEMPFAIL: the database is busy, the same command may well work in a moment.
BUSY_EXIT = 75
# EX_CONFIG: a setting (environment or .env) is wrong.
CONFIG_EXIT = 78


def _one_line(error: BaseException) -> str:
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {detail[0] if detail else ''}"[:300]


def _settings_error(error: BaseException) -> SettingsError | None:
    """The error as a wrong setting (pydantic's ValidationError), or None. Pydantic is loaded
    only by the commands that read the settings, so a settings error implies it is there."""
    pydantic_core = sys.modules.get("pydantic_core")
    if pydantic_core is not None and isinstance(error, pydantic_core.ValidationError):
        return error
    return None


def _setting_text(error: SettingsError) -> str:
    """One line naming the first wrong setting as it is set (``SPOKES_DEFAULT_LANGUAGE``)."""
    from bot.cli.runtime import state
    from bot.texts import t

    first = error.errors()[0]
    name = "SPOKES_" + "_".join(str(part) for part in first.get("loc", ())).upper()
    return t(
        state.language,
        "cli.settings.invalid",
        name=name,
        value=str(first.get("input", ""))[:80],
        reason=str(first.get("msg", "")),
    )


def main() -> None:
    """Console-script entry: one line and a non-zero exit code on any error, never a traceback
    (1: refused, 3: unexpected, 78: a wrong setting, 75: the database stayed busy; try again)."""
    try:
        app()
    except RegistryError as error:
        from bot.cli.runtime import state, tell
        from bot.texts import error_text

        tell(error_text(state.language, error), error=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:
        from bot.cli.runtime import busy_text, state, tell
        from bot.texts import t

        settings_error = _settings_error(error)
        if settings_error is not None:
            tell(_setting_text(settings_error), error=True)
            sys.exit(CONFIG_EXIT)
        if os.environ.get("SPOKES_DEBUG"):
            raise
        busy = busy_text(error)
        if busy is not None:
            tell(busy, error=True)
            sys.exit(BUSY_EXIT)
        tell(t(state.language, "error.unexpected", detail=_one_line(error)), error=True)
        sys.exit(3)
