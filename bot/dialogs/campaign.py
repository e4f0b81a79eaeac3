"""/campaign: staff open, follow and close the call for lists from the chat; /unconfirmed lists
the people who did not confirm their details again.

/campaign shows the open campaign's figures (answered / missing / overdue, the same as
``spokes campaign status``) and offers to close it; with none open, it offers to open one: the
deadline is typed (31/12/2026), the default schedule (7, 3 and 1 days before, then weekly) is
shown with a confirmation. Reminders and the daily digest then go out on their own
(:mod:`bot.pipeline.campaign`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot import clock
from bot.dialogs import cards
from bot.dialogs.context import Context
from bot.dialogs.flow import Audience, Command, Dialog, Flow
from bot.dialogs.io import Option
from registry import campaigns
from registry.campaigns import CampaignStatus
from registry.models import utcnow


class CampaignStep(enum.StrEnum):
    action = "action"  # close / keep, or open / keep
    deadline = "deadline"
    confirm = "confirm"


@dataclass
class CampaignDraft:
    deadline: str = ""  # ISO date once typed


def status_text(ctx: Context[Any], status: CampaignStatus) -> str:
    campaign = status.campaign
    left = status.days_left
    if left > 0:
        when = ctx.say("bot.campaign.days_left", days=left)
    elif left < 0:
        when = ctx.say("bot.campaign.days_over", days=-left)
    else:
        when = ctx.say("bot.campaign.due_today")
    return ctx.say(
        "bot.campaign.status",
        id=campaign.id,
        title=campaign.title,
        deadline=campaign.deadline.strftime("%d/%m/%Y"),
        when=when,
        days=", ".join(str(d) for d in campaign.reminder_days),
        every=campaign.overdue_every,
        **status.figures(),
    )


async def begin(ctx: Context[CampaignDraft], args: str) -> None:
    ctx.start(CAMPAIGN, CampaignStep.action)
    current = await campaigns.current_campaign(ctx.uow())
    keep = Option("keep", ctx.say("bot.campaign.keep"))
    if current is None:
        ctx.tell("bot.campaign.none")
        ctx.ask(
            ctx.say("bot.campaign.ask_action"), [Option("open", ctx.say("bot.campaign.open")), keep]
        )
        return
    status = await campaigns.campaign_status(ctx.uow(), ctx.actor, clock.today())
    ctx.send(status_text(ctx, status))
    ctx.ask(
        ctx.say("bot.campaign.ask_action"), [Option("close", ctx.say("bot.campaign.close")), keep]
    )


async def on_action(ctx: Context[CampaignDraft]) -> None:
    chosen = ctx.chosen()
    if chosen == "keep":
        ctx.end()
        ctx.tell("bot.campaign.kept")
        return
    if chosen == "close":
        ctx.end()
        closed = await campaigns.close_campaign(ctx.uow(), ctx.actor)
        ctx.tell("bot.campaign.closed", id=closed.id)
        return
    if chosen == "open":
        ctx.goto(CampaignStep.deadline)
        ctx.ask(ctx.say("bot.campaign.ask_deadline"))
        return
    ctx.ask_again()


async def on_deadline(ctx: Context[CampaignDraft]) -> None:
    text = (ctx.answer.text or "").strip()
    if not text:
        ctx.tell("bot.type_answer")
        return
    deadline = campaigns.parse_deadline(text[:40])  # a clear error; the question stays
    if deadline <= clock.today():
        ctx.tell("error.campaign.deadline_past", deadline=deadline.strftime("%d/%m/%Y"))
        return
    ctx.draft.deadline = deadline.isoformat()
    ctx.goto(CampaignStep.confirm)
    ctx.ask_yes_no(
        ctx.say(
            "bot.campaign.ask_confirm",
            title=ctx.say("bot.campaign.default_title"),
            scope=ctx.say("bot.campaign.scope_all"),
            deadline=deadline.strftime("%d/%m/%Y"),
            days=", ".join(str(d) for d in campaigns.DEFAULT_DAYS),
            every=campaigns.DEFAULT_EVERY,
        )
    )


async def on_confirm(ctx: Context[CampaignDraft]) -> None:
    if not ctx.confirmed():
        return
    deadline = date.fromisoformat(ctx.draft.deadline)
    ctx.end()
    opened = await campaigns.open_campaign(
        ctx.uow(),
        ctx.actor,
        title=ctx.say("bot.campaign.default_title"),
        deadline=deadline,
        today=clock.today(),
    )
    ctx.tell("bot.campaign.opened", id=opened.id)


async def unconfirmed(ctx: Context[Any], args: str) -> None:
    listed = await campaigns.unconfirmed_people(
        ctx.uow(),
        ctx.actor,
        now=utcnow(),
        max_age=_max_age(ctx),
    )
    if not listed:
        ctx.tell("bot.campaign.unconfirmed_none")
        return
    lines = [
        ctx.say("bot.campaign.unconfirmed_header", count=len(listed), prompts=campaigns.PROMPTS)
    ]
    for item in listed[:50]:
        person = item.person
        asked = (
            ctx.say("bot.campaign.asked", prompts=item.prompts)
            if item.reachable
            else ctx.say("bot.campaign.unreachable")
        )
        lines.append(
            ctx.say(
                "bot.campaign.unconfirmed_line",
                id=person.id,
                name=person.full_name,
                agency=cards.agency_name(ctx, person.agency_code, person.agency_name),
                confirmed=clock.shown(person.confirmed_at, "%d/%m/%Y")
                if person.confirmed_at
                else "—",
                asked=asked,
            )
        )
    ctx.send("\n".join(lines))


def _max_age(ctx: Context[Any]) -> timedelta:
    return timedelta(days=ctx.settings.reconfirm_days)


CAMPAIGN = Flow(
    "campaign",
    CampaignStep,
    {
        CampaignStep.action: on_action,
        CampaignStep.deadline: on_deadline,
        CampaignStep.confirm: on_confirm,
    },
    CampaignDraft,
)
DIALOG = Dialog(
    commands=(
        Command("campaign", begin, Audience.staff),
        Command("unconfirmed", unconfirmed, Audience.staff),
    ),
    flows=(CAMPAIGN,),
)
