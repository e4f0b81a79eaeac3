"""/broadcast: staff write to a segment of the network from the chat.

Who (everyone, a kind of agency, the agencies still missing, the focal points, one agency),
then the text, then a preview with the number of recipient chats per channel and a
confirmation. Confirmed, the broadcast and its letters are stored in the chat's transaction
(:mod:`bot.state.broadcasts`); the outbox sends them and tells this chat the progress and the
final figures (sent, blocked, failed). During the quiet hours the confirmation offers to send
at once anyway; otherwise the messages wait for the morning.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

from bot import clock
from bot.dialogs.context import Context
from bot.dialogs.flow import Audience, Command, Dialog, Flow
from bot.dialogs.io import Option
from bot.state import broadcasts
from bot.state.broadcasts import ReportTo, Segment, SegmentKind
from registry import catalog
from registry.models import AgencyKind

# The terminal chat is read only while someone types in it: it gets no reports.
NO_REPORTS = ("console",)


class BroadcastStep(enum.StrEnum):
    segment = "segment"
    kind = "kind"
    agency = "agency"
    body = "body"
    confirm = "confirm"


@dataclass
class BroadcastDraft:
    segment: str = ""
    target: str = ""
    body: str = ""


def _segment(draft: BroadcastDraft) -> Segment:
    return Segment(SegmentKind(draft.segment), draft.target or None)


def _quiet(ctx: Context[BroadcastDraft]) -> bool:
    settings = ctx.settings
    return clock.in_quiet_hours(datetime.now(UTC), settings.quiet_from, settings.quiet_until)


async def begin(ctx: Context[BroadcastDraft], args: str) -> None:
    ctx.start(BROADCAST, BroadcastStep.segment)
    options = [Option(s.value, ctx.say(f"bot.broadcast.segment.{s.value}")) for s in SegmentKind]
    ctx.ask(ctx.say("bot.broadcast.ask_segment"), options)


async def on_segment(ctx: Context[BroadcastDraft]) -> None:
    chosen = ctx.chosen()
    if chosen not in {s.value for s in SegmentKind}:
        ctx.ask_again()
        return
    ctx.draft.segment = chosen or ""
    if chosen == SegmentKind.kind:
        ctx.goto(BroadcastStep.kind)
        options = [Option(k.value, ctx.say(f"kind.{k.value}")) for k in AgencyKind]
        ctx.ask(ctx.say("bot.broadcast.ask_kind"), options)
    elif chosen == SegmentKind.agency:
        ctx.goto(BroadcastStep.agency)
        ctx.ask(ctx.say("bot.broadcast.ask_agency"))
    else:
        _ask_body(ctx)


async def on_kind(ctx: Context[BroadcastDraft]) -> None:
    chosen = ctx.chosen()
    if chosen not in {k.value for k in AgencyKind}:
        ctx.ask_again()
        return
    ctx.draft.target = chosen or ""
    _ask_body(ctx)


async def on_agency(ctx: Context[BroadcastDraft]) -> None:
    text = (ctx.answer.text or "").strip()
    if not text:
        ctx.tell("bot.type_answer")
        return
    if len(text) > 200:
        ctx.tell("bot.broadcast.agency_not_found", reference=text[:60] + "…")
        return
    # An unknown or ambiguous name is a registry error: said, and the question stays.
    agency = await catalog.find_agency(ctx.uow(), text)
    ctx.draft.target = agency.code
    _ask_body(ctx)


def _ask_body(ctx: Context[BroadcastDraft]) -> None:
    ctx.goto(BroadcastStep.body)
    ctx.ask(ctx.say("bot.broadcast.ask_body", max=broadcasts.BODY_MAX))


async def on_body(ctx: Context[BroadcastDraft]) -> None:
    if ctx.answer.text is None:
        ctx.tell("bot.type_answer")
        return
    body = broadcasts.check_body(ctx.answer.text)  # a clear error, and the question stays
    preview = await broadcasts.recipients(
        ctx.uow(), ctx.actor, _segment(ctx.draft), ctx.settings.default_language
    )
    if not preview.recipients:
        ctx.end()
        ctx.tell("bot.broadcast.nobody")
        return
    ctx.draft.body = body
    ctx.goto(BroadcastStep.confirm)
    counts = preview.per_channel
    text = ctx.say(
        "bot.broadcast.preview",
        text=ctx.say("outbox.broadcast", organisation=ctx.settings.organisation, body=body),
        total=len(preview.recipients),
        telegram=counts.get("telegram", 0),
        zalo=counts.get("zalo", 0),
    )
    options = [Option("send", ctx.say("bot.broadcast.send"))]
    if _quiet(ctx):
        text += "\n\n" + ctx.say(
            "bot.broadcast.quiet", until=ctx.settings.quiet_until.strftime("%H:%M")
        )
        options.append(Option("now", ctx.say("bot.broadcast.send_now")))
    options.append(Option("cancel", ctx.say("bot.broadcast.cancel")))
    ctx.ask(text, options)


async def on_confirm(ctx: Context[BroadcastDraft]) -> None:
    chosen = ctx.chosen()
    if chosen == "cancel":
        ctx.end()
        ctx.tell("bot.broadcast.cancelled")
        return
    if chosen not in ("send", "now"):
        ctx.ask_again()
        return
    report = None if ctx.channel in NO_REPORTS else ReportTo(ctx.channel, ctx.chat_id, ctx.language)
    segment, body = _segment(ctx.draft), ctx.draft.body
    ctx.end()
    created = await broadcasts.create(
        ctx.uow(),
        ctx.actor,
        segment,
        body,
        organisation=ctx.settings.organisation,
        default_language=ctx.settings.default_language,
        urgent=chosen == "now",
        report_to=report,
    )
    key = "bot.broadcast.queued" if report else "bot.broadcast.queued_no_report"
    ctx.tell(key, id=created.id, total=created.recipients)


BROADCAST = Flow(
    "broadcast",
    BroadcastStep,
    {
        BroadcastStep.segment: on_segment,
        BroadcastStep.kind: on_kind,
        BroadcastStep.agency: on_agency,
        BroadcastStep.body: on_body,
        BroadcastStep.confirm: on_confirm,
    },
    BroadcastDraft,
)
DIALOG = Dialog(commands=(Command("broadcast", begin, Audience.staff),), flows=(BROADCAST,))
