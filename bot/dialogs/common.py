"""/start with the personal-data notice, /help, /lang and /cancel."""

from __future__ import annotations

import enum
import re
from typing import Any

from bot.dialogs.context import Context
from bot.dialogs.flow import Command, Dialog, Flow, NoDraft
from bot.dialogs.io import Option
from registry import accounts

# Telegram deep-link payloads: 1-64 characters of A-Z, a-z, 0-9, _ and -.
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LANGUAGES = (Option("vi", "Tiếng Việt"), Option("en", "English"))


class ConsentStep(enum.StrEnum):
    answer = "answer"


class LanguageStep(enum.StrEnum):
    choose = "choose"


async def start(ctx: Context[Any], args: str) -> None:
    payload = args.strip()
    if payload:
        if _PAYLOAD.match(payload):
            # Kept for agency invitations: it outlives the consent step and what follows.
            ctx.start_payload = payload
        else:
            ctx.tell("bot.start.bad_payload")
    ctx.tell("bot.start.welcome")
    if ctx.profile.consented:
        ctx.tell("bot.start.already_consented")
        return
    await ask_consent(ctx, intro=True)


async def ask_consent(ctx: Context[Any], *, intro: bool) -> None:
    if not intro:
        ctx.tell("bot.consent.required")
    ctx.start(CONSENT, ConsentStep.answer)
    ctx.ask(
        ctx.say("bot.consent.notice"),
        [
            Option("yes", ctx.say("bot.consent.accept")),
            Option("no", ctx.say("bot.consent.decline")),
        ],
    )


async def on_consent(ctx: Context[NoDraft]) -> None:
    answer = ctx.chosen()
    if answer == "yes":
        await accounts.record_consent(
            ctx.uow(), ctx.channel, ctx.user_id, display_name=ctx.incoming.display_name
        )
        ctx.end()
        ctx.tell("bot.consent.accepted")
        return
    if answer == "no":
        ctx.end()
        ctx.tell("bot.consent.declined")
        return
    ctx.tell("bot.choose_option")
    await ask_consent(ctx, intro=True)


async def help_(ctx: Context[Any], args: str) -> None:
    actor = ctx.actor
    lines = [ctx.say("bot.help.intro"), ctx.say("bot.help.everyone")]
    if actor.is_staff or (actor.role is not None and actor.role.value == "focal"):
        lines.append(ctx.say("bot.help.staff"))
    if actor.is_admin:
        lines.append(ctx.say("bot.help.admin"))
    if ctx.in_dialog:
        lines.append(ctx.say("bot.help.in_dialog"))
    ctx.send("\n\n".join(lines))


async def language(ctx: Context[Any], args: str) -> None:
    wanted = args.strip().lower()
    if wanted in ("vi", "en"):
        await _set_language(ctx, wanted)
        return
    ctx.start(LANGUAGE, LanguageStep.choose)
    ctx.ask(ctx.say("bot.lang.question"), list(LANGUAGES))


async def on_language(ctx: Context[NoDraft]) -> None:
    wanted = ctx.chosen() or (ctx.answer.text or "").strip().lower()
    if wanted not in ("vi", "en"):
        ctx.tell("bot.choose_option")
        await language(ctx, "")
        return
    ctx.end()
    await _set_language(ctx, wanted)


async def _set_language(ctx: Context[Any], wanted: str) -> None:
    await accounts.set_language(ctx.uow(), ctx.channel, ctx.user_id, wanted)
    ctx.language = wanted
    ctx.tell("bot.lang.done")


async def cancel(ctx: Context[Any], args: str) -> None:
    if ctx.in_dialog:
        ctx.end()
        ctx.tell("bot.cancelled")
    else:
        ctx.tell("bot.nothing_to_cancel")


CONSENT = Flow("consent", ConsentStep, {ConsentStep.answer: on_consent}, NoDraft)
LANGUAGE = Flow("language", LanguageStep, {LanguageStep.choose: on_language}, NoDraft)
DIALOG = Dialog(
    commands=(
        Command("start", start),
        Command("help", help_),
        Command("lang", language),
        Command("cancel", cancel, aliases=("huy",)),
    ),
    flows=(CONSENT, LANGUAGE),
)
