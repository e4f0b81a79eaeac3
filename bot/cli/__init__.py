"""The ``spokes`` command line: the registry for administrators and scripts."""

from __future__ import annotations

import os
import sys

import typer
from pydantic import ValidationError as SettingsError

from bot.cli import (
    accounts,
    agencies,
    broadcast,
    campaign,
    chat,
    claims,
    db,
    export,
    import_,
    imports,
    invite,
    links,
    people,
    reports,
    serve,
    tidy,
)
from bot.cli.runtime import busy_text, set_language, state, tell
from bot.texts import error_text, t
from registry.errors import RegistryError

app = typer.Typer(
    name="spokes",
    help="Registry of government spokespeople and press contacts (Người phát ngôn).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(agencies.app, name="agencies")
app.add_typer(people.app, name="people")
app.add_typer(accounts.app, name="accounts")
app.add_typer(links.app, name="links")
reports.register(app)
serve.register(app)
chat.register(app)
import_.register(app)
imports.register(app)
export.register(app)
tidy.register(app)
claims.register(app)
invite.register(app)
broadcast.register(app)
campaign.register(app)


@app.callback()
def _options(
    lang: str = typer.Option(
        None, "--lang", help="Language of messages: vi or en (default: SPOKES_DEFAULT_LANGUAGE)."
    ),
) -> None:
    set_language(lang)


# EX_TEMPFAIL: the database is busy, the same command may well work in a moment.
BUSY_EXIT = 75
# EX_CONFIG: a setting (environment or .env) is wrong.
CONFIG_EXIT = 78


def _one_line(error: BaseException) -> str:
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {detail[0] if detail else ''}"[:300]


def _setting_text(error: SettingsError) -> str:
    """One line naming the first wrong setting as it is set (``SPOKES_DEFAULT_LANGUAGE``)."""
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
        tell(error_text(state.language, error), error=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except SettingsError as error:
        tell(_setting_text(error), error=True)
        sys.exit(CONFIG_EXIT)
    except Exception as error:
        if os.environ.get("SPOKES_DEBUG"):
            raise
        busy = busy_text(error)
        if busy is not None:
            tell(busy, error=True)
            sys.exit(BUSY_EXIT)
        tell(t(state.language, "error.unexpected", detail=_one_line(error)), error=True)
        sys.exit(3)
