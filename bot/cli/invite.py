"""``spokes invite``: invitations for a mailing, with their links, QR codes and printed pack.

``spokes invite --agency "Lào Cai"`` (or ``--kind province``, or ``--missing`` for every agency
with nobody registered yet) makes one signed invitation per agency and prints its Telegram deep
link and the ``/start`` line to type on Zalo; ``--out DIR`` writes each QR code as PNG and SVG,
``--pack FILE.pdf`` the printable pages for the letters, with ``--deadline`` printed on them.
``spokes invite list`` and ``spokes invite revoke N`` follow them up.

The link names the bot as ``SPOKES_TELEGRAM_BOT_USERNAME`` says, else as Telegram answers
``getMe`` when a token is configured. The signing key is ``SPOKES_INVITATION_SECRET``, the same
one the bot checks invitations with. segno, fpdf2 and httpx are imported when used.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.runtime import print_json, run, say, tell
from bot.settings import BotSettings, get_bot_settings
from registry.actors import Actor
from registry.errors import ValidationError
from registry.uow import Database

app = typer.Typer(help="Invitations to register, with links and QR codes: make, list, revoke.")
CLI = Actor.system("cli")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="invite")


def _telegram_username(settings: BotSettings) -> str | None:
    """The bot's name for t.me links: the setting, else Telegram's getMe (None if unknown)."""
    if settings.telegram_bot_username:
        return settings.telegram_bot_username.lstrip("@")
    if settings.telegram_token is None:
        return None
    import httpx

    from bot.settings import telegram_token

    url = f"{settings.telegram_base_url}{telegram_token(settings)}/getMe"
    try:
        answer = httpx.get(url, timeout=10).json()
    except (httpx.HTTPError, ValueError):
        return None
    username = (answer.get("result") or {}).get("username") if answer.get("ok") else None
    return str(username) if username else None


def _parse_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError("invitation_cli.bad_date", text=text[:40]) from None


def _parse_number(text: str | None, code: str, **params: object) -> int | None:
    if text is None:
        return None
    raw = text.strip()
    if not raw.isdigit() or len(raw) > 6:
        raise ValidationError(code, days=raw[:20], **params)
    return int(raw)


@app.callback(invoke_without_command=True)
def make(
    ctx: typer.Context,
    agency: Annotated[
        str | None, typer.Option("--agency", help="One agency, written loosely (name or code).")
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Every current agency of this kind (province...).")
    ] = None,
    missing: Annotated[
        bool, typer.Option("--missing", help="Every current agency with nobody registered yet.")
    ] = False,
    purpose: Annotated[
        str, typer.Option("--purpose", help="focal (a focal point, once) or spokespeople.")
    ] = "spokespeople",
    days: Annotated[
        str | None,
        typer.Option("--days", help="How long it works (default SPOKES_INVITATION_DAYS)."),
    ] = None,
    uses: Annotated[
        str | None, typer.Option("--uses", help="People who may use a spokespeople invitation.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the QR codes (PNG and SVG).")
    ] = None,
    pack: Annotated[
        Path | None, typer.Option("--pack", help="Printable PDF for the mailing, a page each.")
    ] = None,
    deadline: Annotated[
        str | None, typer.Option("--deadline", help="Deadline printed in the pack (2026-12-31).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Make invitations: one per agency, with its links (and QR codes, and the pack)."""
    if ctx.invoked_subcommand is not None:
        return
    from bot import invitations as looks
    from registry import invitations

    settings = get_bot_settings()
    key = invitations.secret_key(settings)
    wanted_days = _parse_number(days, "invitation.bad_days", max=invitations.MAX_DAYS)
    wanted_uses = _parse_number(uses, "invitation.bad_uses", max=invitations.MAX_USES)
    if wanted_uses == 0:
        raise ValidationError("invitation.bad_uses", max=invitations.MAX_USES)
    due = _parse_date(deadline)
    if pack is not None and pack.suffix.lower() != ".pdf":
        pack = pack.with_suffix(".pdf")

    async def work(database: Database) -> list[invitations.Issued]:
        return await invitations.create_invitations(
            database.uow(),
            CLI,
            key,
            purpose=purpose,
            agency=agency,
            kind=kind,
            missing=missing,
            days=wanted_days or settings.invitation_days,
            max_uses=wanted_uses,
        )

    issued = run(work)
    if not issued:
        tell(say("cli.invite.none"))
        return
    username = _telegram_username(settings)
    if username is None and not as_json:
        tell(say("cli.invite.no_username"), error=True)
    rows: list[dict[str, object]] = []
    pages: list[looks.PackPage] = []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    for item in issued:
        view = item.invitation
        links = looks.links_for(item.token, username)
        row: dict[str, object] = {
            "id": view.id,
            "agency": view.agency.code,
            "agency_name": view.agency.name,
            "purpose": view.purpose,
            "expires_at": view.expires_at.isoformat(),
            "max_uses": view.max_uses,
            "token": item.token,
            "telegram": links.telegram,
            "typed": links.typed,
        }
        expires = looks.expiry_text(view.expires_at)
        lines = [
            say(
                "cli.invite.made",
                number=view.id,
                agency=view.agency.name,
                purpose=say(f"bot.invite.purpose_{view.purpose}"),
                expires=expires,
            )
        ]
        if links.telegram:
            lines.append(say("cli.invite.telegram", link=links.telegram))
        lines.append(say("cli.invite.typed", typed=links.typed))
        if out is not None:
            stem = out / f"moi-{view.agency.code}-{view.id}"
            png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
            png.write_bytes(looks.qr_png(links.qr_text))
            svg.write_bytes(looks.qr_svg(links.qr_text))
            row["png"], row["svg"] = str(png), str(svg)
            lines.append(say("cli.invite.files", png=png, svg=svg))
        day = looks.expiry_text(view.expires_at, with_time=False)
        pages.append(looks.PackPage(view.agency.name, view.purpose, links, view.id, day))
        rows.append(row)
        if not as_json:
            tell("\n".join(lines))
    if pack is not None:
        pack.parent.mkdir(parents=True, exist_ok=True)
        pdf = looks.pack_pdf(
            pages, organisation=settings.organisation, deadline=due, font=settings.pack_font
        )
        pack.write_bytes(pdf)
        if not as_json:
            tell(say("cli.invite.pack", pages=len(pages), path=pack))
    if as_json:
        print_json(rows)


@app.command("list")
def list_(
    active: Annotated[bool, typer.Option("--active", help="Only those still usable.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The invitations made, newest first, with what became of each."""
    from bot.invitations import expiry_text
    from registry import invitations

    async def work(database: Database) -> list[invitations.InvitationView]:
        return await invitations.list_invitations(database.uow(), CLI, active_only=active)

    found = run(work)
    if as_json:
        print_json(
            [
                {
                    "id": v.id,
                    "agency": v.agency.code,
                    "purpose": v.purpose,
                    "state": v.state(),
                    "uses": v.uses,
                    "max_uses": v.max_uses,
                    "expires_at": v.expires_at.isoformat(),
                    "created_by": v.created_by,
                    "revoked_at": v.revoked_at.isoformat() if v.revoked_at else None,
                }
                for v in found
            ]
        )
        return
    for v in found:
        tell(
            say(
                "cli.invite.line",
                number=v.id,
                agency=v.agency.name,
                purpose=say(f"bot.invite.purpose_{v.purpose}"),
                state=say(f"cli.invite.state_{v.state()}"),
                uses=v.uses,
                max_uses=v.max_uses,
                expires=expiry_text(v.expires_at),
                created_by=v.created_by,
            )
        )
    if not found:
        tell(say("cli.invite.empty"))


@app.command("revoke")
def revoke(
    number: Annotated[str, typer.Argument(help="The invitation's number, as listed.")],
) -> None:
    """Revoke an invitation: its link and QR code are refused from now on."""
    from registry import invitations

    invitation_id = invitations.parse_invitation_id(number)

    async def work(database: Database) -> invitations.InvitationView:
        return await invitations.revoke(database.uow(), CLI, invitation_id)

    view = run(work)
    tell(say("cli.invite.revoked", number=view.id, agency=view.agency.name))
