"""Invitations in the chat: staff make one with /invite, and a person opens one with /start.

``/invite`` (staff) asks for the agency with the usual picker and the purpose (the agency's
focal point, or its spokespeople), then answers with the Telegram link, the line to type on
Zalo, and the QR code as an image. ``/start TOKEN`` (a Telegram deep link, or typed on Zalo and
in the terminal) is checked at once: a changed, expired, used or revoked token is refused with
what to do, and nothing is kept. A good one is kept with the chat (``start_payload``) through
the personal-data notice; :mod:`bot.dialogs.register` then begins with the agency chosen, or,
for a focal-point invitation, asks the person to confirm (this module) before the role is
granted and registration begins.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from bot.dialogs import cards
from bot.dialogs.agency_picker import offer_agencies, offered
from bot.dialogs.context import Context
from bot.dialogs.flow import Audience, Command, Dialog, Flow
from bot.dialogs.io import Document, Option, Reply
from bot.invitations import expiry_text, links_for, qr_png
from registry import accounts, invitations
from registry.errors import RegistryError
from registry.invitations import InvitationRefused, InvitationView
from registry.models import InvitationPurpose

# --- opening an invitation -------------------------------------------------------------------


async def check_payload(ctx: Context[Any], token: str) -> bool:
    """Whether ``token`` opens an invitation now; the refusal is told when it does not."""
    try:
        await invitations.check(ctx.uow(), invitations.secret_key(ctx.settings), token)
    except RegistryError as error:
        ctx.fail(error)
        return False
    return True


async def pending(ctx: Context[Any]) -> tuple[InvitationView, str] | None:
    """The invitation this chat opened with /start, if it still opens (else the refusal is
    told and it is forgotten)."""
    token = ctx.start_payload
    if not token or not invitations.looks_like_token(token):
        return None
    try:
        view = await invitations.check(ctx.uow(), invitations.secret_key(ctx.settings), token)
    except RegistryError as error:
        ctx.start_payload = None
        ctx.fail(error)
        return None
    return view, token


class FocalStep(enum.StrEnum):
    accept = "accept"


@dataclass
class FocalDraft:
    token: str = ""


def offer_focal(ctx: Context[Any], view: InvitationView, token: str) -> None:
    """A focal-point invitation: the person confirms before the role is theirs."""
    agency = cards.agency_name(ctx, view.agency.code, view.agency.name)
    ctx.start(FOCAL, FocalStep.accept, FocalDraft(token))
    ctx.ask_yes_no(
        ctx.say("bot.invite.focal_offer", agency=agency), yes=ctx.say("bot.invite.accept")
    )


async def on_accept(ctx: Context[FocalDraft]) -> None:
    token = ctx.draft.token
    if not ctx.confirmed():
        if not ctx.in_dialog:
            ctx.start_payload = None  # declined: the invitation stays unused
        return
    ctx.end()
    ctx.start_payload = None
    try:
        view = await invitations.accept_focal(
            ctx.uow(), ctx.actor, invitations.secret_key(ctx.settings), token
        )
    except InvitationRefused as error:
        ctx.fail(error)
        return
    ctx.profile = await accounts.open_profile(ctx.uow(), ctx.channel, ctx.user_id)
    agency = cards.agency_name(ctx, view.agency.code, view.agency.name)
    ctx.tell("bot.invite.focal_done", agency=agency)
    # Registration goes on at once, for the agency the person now answers for.
    ctx.resume = ("register", "")


# --- /invite, for staff ----------------------------------------------------------------------


class Step(enum.StrEnum):
    agency = "agency"
    purpose = "purpose"


@dataclass
class Draft:
    agency_code: str | None = None
    agency_name: str | None = None
    agency_options: list[list[str]] = field(default_factory=list)  # [id, code] offered


async def begin(ctx: Context[Draft], args: str) -> None:
    invitations.secret_key(ctx.settings)  # no key configured: said now, not after questions
    ctx.start(FLOW, Step.agency, Draft())
    if args.strip():
        await _search(ctx, args)
        return
    ctx.ask(ctx.say("bot.invite.ask_agency"))


async def on_agency(ctx: Context[Draft]) -> None:
    key = ctx.chosen()
    if key is not None:
        picked = offered(ctx.draft, key)
        label = next((o.label for o in ctx.asked.options if o.key == key), "") if ctx.asked else ""
        if picked is None:
            ctx.ask_again()
            return
        ctx.draft.agency_code, ctx.draft.agency_name = picked[1], label
        ctx.draft.agency_options = []
        _ask_purpose(ctx)
        return
    if ctx.answer.text is None:
        ctx.ask_again(hint=None)
        return
    await _search(ctx, ctx.answer.text)


async def _search(ctx: Context[Draft], text: str) -> None:
    await offer_agencies(
        ctx,
        text,
        ask=ctx.say("bot.invite.ask_agency"),
        not_found="bot.register.agency_not_found",
        pick="bot.invite.pick_agency",
    )


def _ask_purpose(ctx: Context[Draft]) -> None:
    ctx.goto(Step.purpose)
    ctx.ask(
        ctx.say("bot.invite.ask_purpose", agency=ctx.draft.agency_name),
        [Option(p.value, ctx.say(f"bot.invite.purpose_{p.value}")) for p in InvitationPurpose],
    )


async def on_purpose(ctx: Context[Draft]) -> None:
    purpose = ctx.chosen()
    if purpose not in {p.value for p in InvitationPurpose} or not ctx.draft.agency_code:
        ctx.ask_again()
        return
    agency_code = ctx.draft.agency_code
    ctx.end()
    [issued] = await invitations.create_invitations(
        ctx.uow(),
        ctx.actor,
        invitations.secret_key(ctx.settings),
        purpose=purpose,
        agency=agency_code,
        days=ctx.settings.invitation_days,
    )
    view = issued.invitation
    links = links_for(issued.token, ctx.settings.telegram_bot_username)
    agency = cards.agency_name(ctx, view.agency.code, view.agency.name)
    lines = [
        ctx.say(
            "bot.invite.made",
            number=view.id,
            agency=agency,
            purpose=ctx.say(f"bot.invite.purpose_{view.purpose}"),
            expires=expiry_text(view.expires_at),
        )
    ]
    if links.telegram:
        lines.append(ctx.say("bot.invite.telegram_link", link=links.telegram))
    lines.append(ctx.say("bot.invite.typed", typed=links.typed))
    lines.append(ctx.say("bot.invite.forward"))
    ctx.send("\n".join(lines))
    name = f"moi-{view.agency.code}-{view.id}.png"
    caption = ctx.say("bot.invite.qr_caption", number=view.id, agency=agency)
    ctx.replies.append(Reply(caption, document=Document(name, qr_png(links.qr_text), "image/png")))


FLOW = Flow("invite", Step, {Step.agency: on_agency, Step.purpose: on_purpose}, Draft)
FOCAL = Flow("invite_focal", FocalStep, {FocalStep.accept: on_accept}, FocalDraft)
DIALOG = Dialog(
    commands=(Command("invite", begin, audience=Audience.staff, aliases=("moi",)),),
    flows=(FLOW, FOCAL),
)
