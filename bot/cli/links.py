"""``spokes links``: a download or upload link minted from the command line.

Why: the upload page and the download links are otherwise handed out only by a chat, and a chat
needs a Telegram or Zalo token. With this command the whole flow is reachable without any
token: ``spokes serve`` (no channel) serves the pages, and this command prints a link to them
for a chat identity (``console:7`` by default the terminal's), whose rights the page uses.

A link is signed with ``SPOKES_LINK_SECRET``; without it each process signs with a random key
of its own, so a link minted here would never open on the server. The command therefore
refuses to run without it, and says to set the same value for both.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.runtime import run, say, state, tell
from bot.clock import shown
from bot.links import Link, Links
from bot.settings import BotSettings, get_bot_settings, link_secret
from bot.state.shared_files import Owner
from bot.texts import language_of
from registry import accounts
from registry.actors import may_import
from registry.errors import ValidationError
from registry.roster.intake.reader import megabytes
from registry.uow import Database

app = typer.Typer(
    help="Links to the web server's upload page and downloads, for trying them without a "
    "chat token. Signed with SPOKES_LINK_SECRET: set the same value for `spokes serve`.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="links")


_FOR_HELP = (
    "The chat identity the link is for (channel:id, as for `spokes accounts grant`); "
    "`spokes chat --user 7` is console:7."
)


def _settings() -> BotSettings:
    """The settings, refused without a shared link key (a random one would be useless)."""
    settings = get_bot_settings()
    if settings.link_secret is None:
        raise ValidationError("links.cli.no_secret")
    link_secret(settings)  # too short: refused here
    return settings


async def _owner(database: Database, identity: str, *, to_import: bool) -> Owner:
    """Who the link is for, in their own language; an upload only for someone who may import."""
    channel, external_id = accounts.parse_identity(identity)
    profile = await accounts.open_profile(database.uow(), channel, external_id)
    if to_import and not may_import(profile.actor):
        raise ValidationError("links.cli.may_not_import", identity=f"{channel}:{external_id}")
    language = language_of(profile.language or state.language)
    # A private chat: the chat is the person (Telegram, Zalo and the terminal alike).
    return Owner(channel, external_id, external_id, language)


def _print(link: Link, note: str) -> None:
    """The URL alone on standard output (for scripts), what to know about it on stderr."""
    tell(link.url)
    tell(say(note, expires=shown(link.expires_at, "%H:%M")), error=True)


@app.command("upload")
def upload(
    for_: Annotated[str, typer.Option("--for", help=_FOR_HELP)] = "console:1",
) -> None:
    """A link to the upload page: check a list, then import it with this identity's rights."""
    settings = _settings()

    async def work(database: Database) -> Link:
        owner = await _owner(database, for_, to_import=True)
        return await Links(database, settings).upload(owner)

    _print(run(work), "cli.links.upload_note")


@app.command("download")
def download(
    file: Annotated[Path, typer.Argument(help="The file to hand out (a roster, a report).")],
    for_: Annotated[str, typer.Option("--for", help=_FOR_HELP)] = "console:1",
) -> None:
    """A one-time download link for FILE (a preview does not use it up)."""
    settings = _settings()
    if not file.is_file():
        raise ValidationError("links.cli.no_file", path=str(file))
    size = file.stat().st_size
    if size > settings.import_max_bytes:
        raise ValidationError(
            "links.cli.too_large",
            path=str(file),
            size=megabytes(size),
            max=megabytes(settings.import_max_bytes),
        )
    content = file.read_bytes()
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"

    async def work(database: Database) -> Link:
        owner = await _owner(database, for_, to_import=False)
        return await Links(database, settings).download(owner, file.name, media_type, content)

    _print(run(work), "cli.links.download_note")
