"""``spokes campaign open|status|close``: the call for lists, with a deadline and reminders;
``spokes people unconfirmed``: who did not confirm their details again.

The figures are the chat's (/campaign): answered / missing / overdue among the agencies the
campaign addresses. ``status --agencies`` lists each agency with the day it answered. The
reminders themselves go out from ``spokes tick`` or a running server.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from bot.cli.runtime import print_json, run, say, tell
from registry.actors import Actor
from registry.uow import Database

CLI = Actor.system("cli")

app = typer.Typer(help="The call for lists: open, follow, close.", no_args_is_help=True)


def register(main: typer.Typer) -> None:
    main.add_typer(app, name="campaign")


def _when(days_left: int) -> str:
    if days_left > 0:
        return say("bot.campaign.days_left", days=days_left)
    if days_left < 0:
        return say("bot.campaign.days_over", days=-days_left)
    return say("bot.campaign.due_today")


@app.command("open")
def open_command(
    deadline: Annotated[str, typer.Option("--deadline", help="The deadline, e.g. 31/12/2026.")],
    title: Annotated[str | None, typer.Option("--title", help="The campaign's name.")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only agencies of this kind (province...).")
    ] = None,
    days: Annotated[
        str, typer.Option("--days", help="Reminders, in days before the deadline.")
    ] = "7,3,1",
    every: Annotated[int, typer.Option("--every", help="Days between reminders once overdue.")] = 7,
) -> None:
    """Open a campaign: reminders go to the agencies still missing until it is closed."""
    from bot import clock
    from registry import campaigns

    when = campaigns.parse_deadline(deadline)

    async def work(database: Database) -> campaigns.CampaignView:
        return await campaigns.open_campaign(
            database.uow(),
            CLI,
            title=title or say("bot.campaign.default_title"),
            deadline=when,
            today=clock.today(),
            kind=kind,
            reminder_days=days,
            overdue_every=every,
        )

    opened = run(work)
    tell(
        say(
            "cli.campaign.opened",
            id=opened.id,
            title=opened.title,
            deadline=opened.deadline.strftime("%d/%m/%Y"),
            days=", ".join(str(d) for d in opened.reminder_days),
            every=opened.overdue_every,
        )
    )


@app.command("status")
def status_command(
    agencies: Annotated[
        bool, typer.Option("--agencies", help="Each agency, with the day it answered.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of lines.")] = False,
) -> None:
    """The open campaign: agencies answered, missing and overdue."""
    from bot import clock
    from registry import campaigns

    async def work(database: Database) -> campaigns.CampaignStatus:
        return await campaigns.campaign_status(database.uow(), CLI, clock.today())

    status = run(work)
    campaign = status.campaign
    if as_json:
        print_json(
            {
                "id": campaign.id,
                "title": campaign.title,
                "deadline": campaign.deadline.isoformat(),
                "reminder_days": list(campaign.reminder_days),
                "overdue_every": campaign.overdue_every,
                **status.figures(),
                "agencies": [
                    {
                        "code": a.code,
                        "name": a.name,
                        "kind": a.kind,
                        "answered_on": clock.local_date(a.answered_at).isoformat()
                        if a.answered_at
                        else None,
                    }
                    for a in status.agencies
                ],
            }
        )
        return
    tell(
        say(
            "cli.campaign.status",
            id=campaign.id,
            title=campaign.title,
            deadline=campaign.deadline.strftime("%d/%m/%Y"),
            when=_when(status.days_left),
            **status.figures(),
        )
    )
    if agencies:
        for a in status.agencies:
            answered = clock.shown(a.answered_at, "%d/%m/%Y") if a.answered_at else "—"
            tell(f"{answered:>10}  {a.code}  {a.name}")


@app.command("close")
def close_command() -> None:
    """Close the open campaign: no more reminders."""
    from registry import campaigns

    async def work(database: Database) -> campaigns.CampaignView:
        return await campaigns.close_campaign(database.uow(), CLI)

    closed = run(work)
    tell(say("cli.campaign.closed", id=closed.id, title=closed.title))


def unconfirmed_command(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of lines.")] = False,
) -> None:
    """People who did not confirm their details after two prompts (or cannot be asked)."""
    from bot import clock
    from bot.settings import get_bot_settings
    from registry import campaigns
    from registry.models import utcnow

    max_age = timedelta(days=get_bot_settings().reconfirm_days)

    async def work(database: Database) -> list[campaigns.Unconfirmed]:
        return await campaigns.unconfirmed_people(
            database.uow(), CLI, now=utcnow(), max_age=max_age
        )

    listed = run(work)
    if as_json:
        print_json(
            [
                {
                    **item.person.to_dict(),
                    "prompts": item.prompts,
                    "last_prompt_at": item.last_prompt_at.isoformat()
                    if item.last_prompt_at
                    else None,
                    "reachable": item.reachable,
                }
                for item in listed
            ]
        )
        return
    if not listed:
        tell(say("cli.campaign.unconfirmed_none"))
        return
    tell(say("bot.campaign.unconfirmed_header", count=len(listed), prompts=campaigns.PROMPTS))
    for item in listed:
        person = item.person
        asked = (
            say("bot.campaign.asked", prompts=item.prompts)
            if item.reachable
            else say("bot.campaign.unreachable")
        )
        confirmed = clock.shown(person.confirmed_at, "%d/%m/%Y") if person.confirmed_at else "—"
        tell(
            say(
                "bot.campaign.unconfirmed_line",
                id=person.id,
                name=person.full_name,
                agency=person.agency_name,
                confirmed=confirmed,
                asked=asked,
            )
        )
