"""/link (/lienket): one person, two chat accounts.

``/link`` in one chat gives a one-time code; ``/link CODE`` sent from the person's other chat
(Telegram or Zalo) joins the two: the same role, agency and record on both.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from bot.clock import shown
from bot.dialogs import common
from bot.dialogs.context import Context
from bot.dialogs.flow import Command, Dialog, Flow
from bot.texts import has
from registry import accounts, linking
from registry.views import LinkView


class Step(enum.StrEnum):
    confirm = "confirm"  # whose code it is was shown; waiting for yes or no


@dataclass
class Draft:
    code: str = ""


async def begin(ctx: Context[Any], args: str) -> None:
    code = args.strip()
    if not code:
        await _give_code(ctx)
        return
    # Sending a code needs no consent first: the notice accepted on the other side counts.
    # Whoever sends a code takes on the other account's role, and the other account this one's:
    # the person is shown whose code it is and confirms, so a code passed on by someone else
    # ("send /link ABCD-EFGH to verify your account") is caught before anything changes.
    identity, name = await linking.peek_link_code(ctx.uow(), ctx.channel, ctx.user_id, code)
    ctx.start(FLOW, Step.confirm, Draft(code[:32]))
    ctx.ask_yes_no(
        ctx.say(
            "bot.link.confirm",
            other=_channel(ctx, identity),
            name=name or identity,
        ),
        yes=ctx.say("bot.link.yes"),
    )


async def on_confirm(ctx: Context[Draft]) -> None:
    if not ctx.confirmed():
        return
    code = ctx.draft.code
    ctx.end()
    view = await linking.redeem_link_code(ctx.uow(), ctx.channel, ctx.user_id, code)
    ctx.profile = await accounts.open_profile(ctx.uow(), ctx.channel, ctx.user_id)
    _tell_linked(ctx, view)


async def _give_code(ctx: Context[Any]) -> None:
    # The link is about the chat account itself: only after the personal-data notice.
    if not ctx.profile.consented:
        await common.ask_consent(ctx, intro=False)
        return
    code, expires_at = await linking.create_link_code(ctx.uow(), ctx.channel, ctx.user_id)
    ctx.tell(
        "bot.link.code",
        code=code,
        minutes=int(linking.VALID_FOR.total_seconds() // 60),
        until=shown(expires_at, "%H:%M"),
    )


def _channel(ctx: Context[Any], identity: str) -> str:
    channel = identity.partition(":")[0]
    key = f"bot.link.channel.{channel}"
    return ctx.say(key) if has(key) else channel


def _tell_linked(ctx: Context[Any], view: LinkView) -> None:
    role = ctx.say(f"account_role.{view.role}")
    if view.agency_name:
        role = ctx.say("bot.link.role_agency", role=role, agency=view.agency_name)
    ctx.tell(
        "bot.link.done",
        channel=_channel(ctx, view.identity),
        other=_channel(ctx, view.linked_to),
        role=role,
    )
    if view.person_id is not None:
        ctx.tell("bot.link.record", person_id=view.person_id)
    elif view.consented:
        ctx.tell("bot.link.no_record")
    else:
        ctx.tell("bot.link.consent_needed")


FLOW = Flow("link", Step, {Step.confirm: on_confirm}, Draft)
DIALOG = Dialog(commands=(Command("link", begin, aliases=("lienket",)),), flows=(FLOW,))
