"""``spokes broadcast`` (send to a segment, see how it went) and ``spokes tick`` (one pass of
the scheduled work, for cron or a systemd timer).

``broadcast send`` stores the broadcast and its letters in the outbox and returns: a running
``spokes serve``/``spokes run`` sends them, or ``spokes tick``. ``tick`` runs the scheduled jobs
and sends everything due through the channels configured here (Telegram and Zalo tokens), then
prints one line; it exits 0, or 1 when messages failed for good in this pass. When another
process holds the scheduled-work lock (a server on the same PostgreSQL), it leaves the work to
it, says so, and exits 0. Running it twice sends nothing twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.runtime import print_json, run, say, state, tell
from bot.settings import get_bot_settings
from registry.actors import Actor
from registry.uow import Database

CLI = Actor.system("cli")

app = typer.Typer(help="Send a message to a group of the network, and follow it.")


def register(main: typer.Typer) -> None:
    main.add_typer(app, name="broadcast")
    main.command("tick")(tick_command)


def _segment_text(segment: str, target: str | None) -> str:
    return f"{segment}:{target}" if target else segment


@app.command("send")
def send_command(
    segment: Annotated[
        str, typer.Argument(help="everyone, kind, missing, focal or agency.", show_default=False)
    ],
    text: Annotated[str | None, typer.Option("--text", help="The message.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Read the message from this UTF-8 file.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="With 'kind': ministry, province...")
    ] = None,
    agency: Annotated[
        str | None, typer.Option("--agency", help="With 'agency': the agency's code.")
    ] = None,
    now: Annotated[
        bool, typer.Option("--now", help="Send during the quiet hours too (urgent).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count the recipients.")] = False,
) -> None:
    """Queue a message to every chat of a segment of the network."""
    from bot.state import broadcasts

    settings = get_bot_settings()
    body = file.read_text(encoding="utf-8") if file is not None else (text or "")
    chosen = broadcasts.parse_segment(segment, kind if segment.strip() == "kind" else agency)
    if not dry_run:
        broadcasts.check_body(body)

    async def preview(database: Database) -> broadcasts.Preview:
        return await broadcasts.recipients(database.uow(), CLI, chosen, settings.default_language)

    found = run(preview)
    counts = found.per_channel
    tell(
        say(
            "cli.broadcast.preview",
            segment=_segment_text(chosen.kind.value, chosen.target),
            total=len(found.recipients),
            telegram=counts["telegram"],
            zalo=counts["zalo"],
        )
    )
    if dry_run:
        return
    if not yes and not typer.confirm(say("cli.broadcast.confirm")):
        tell(say("cli.broadcast.cancelled"))
        raise typer.Exit(1)

    async def create(database: Database) -> broadcasts.BroadcastView:
        return await broadcasts.create(
            database.uow(),
            CLI,
            chosen,
            body,
            organisation=settings.organisation,
            default_language=settings.default_language,
            urgent=now,
        )

    created = run(create)
    tell(say("cli.broadcast.queued", id=created.id, total=created.recipients))


@app.command("status")
def status_command(
    broadcast_id: Annotated[
        int | None, typer.Argument(help="A broadcast's number (default: the latest ten).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of lines.")] = False,
) -> None:
    """How broadcasts went: delivered, blocked, failed, waiting."""
    from bot import clock
    from bot.state import broadcasts

    async def work(database: Database) -> list[broadcasts.BroadcastView]:
        if broadcast_id is not None:
            return [await broadcasts.get(database.uow(), CLI, broadcast_id)]
        return await broadcasts.latest(database.uow(), CLI)

    views = run(work)
    if as_json:
        print_json(
            [
                {
                    "id": v.id,
                    "author": v.author,
                    "segment": v.segment.kind.value,
                    "target": v.segment.target,
                    "urgent": v.urgent,
                    "recipients": v.recipients,
                    "created_at": v.created_at.isoformat(),
                    "finished_at": v.finished_at.isoformat() if v.finished_at else None,
                    "sent": v.counts.sent,
                    "blocked": v.counts.blocked,
                    "failed": v.counts.failed,
                    "pending": v.counts.pending,
                }
                for v in views
            ]
        )
        return
    if not views:
        tell(say("cli.broadcast.none"))
    for view in views:
        tell(
            say(
                "cli.broadcast.status",
                id=view.id,
                created=clock.shown(view.created_at),
                author=view.author,
                segment=_segment_text(view.segment.kind.value, view.segment.target),
                sent=view.counts.sent,
                blocked=view.counts.blocked,
                failed=view.counts.failed,
                pending=view.counts.pending,
            )
        )


def tick_command() -> None:
    """Run the scheduled work once: send every outbox message that is due (for cron)."""
    from contextlib import AsyncExitStack

    from bot.cli.serve import outbox_couriers, zalo_api
    from bot.pipeline.outbox import PassReport, Sender
    from bot.pipeline.schedule import RunnerLock, outbox_options, scheduled_pass

    settings = get_bot_settings()

    async def work(database: Database) -> PassReport | None:
        lock = RunnerLock(database)
        try:
            if not await lock.acquire():
                return None
            async with AsyncExitStack() as stack:
                api = None
                if settings.zalo_token is not None:
                    api = await stack.enter_async_context(zalo_api(settings))
                couriers = await outbox_couriers(
                    stack, settings, telegram=settings.telegram_token is not None, zalo_api=api
                )
                sender = Sender(database, couriers, outbox_options(settings))
                return await scheduled_pass(database, sender)
        finally:
            await lock.release()

    report = run(work, writer="spokes tick")
    if report is None:
        tell(say("cli.tick.busy"))
        return
    tell(report.line(state.language))
    if report.failed:
        raise typer.Exit(1)
