"""/start with the personal-data notice, /help, /lang and /cancel."""

from __future__ import annotations

import re

from bot.dialogs.context import Context
from bot.dialogs.io import Option
from registry import accounts

# Telegram deep-link payloads: 1-64 characters of A-Z, a-z, 0-9, _ and -.
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def start(ctx: Context, args: str) -> None:
    payload = args.strip()
    if payload:
        if _PAYLOAD.match(payload):
            # Kept for agency invitations (a later feature reads it).
            ctx.data["start_payload"] = payload
        else:
            ctx.tell("bot.start.bad_payload")
    ctx.tell("bot.start.welcome")
    if ctx.profile.consented:
        ctx.tell("bot.start.already_consented")
        return
    await ask_consent(ctx, intro=True)


async def ask_consent(ctx: Context, *, intro: bool) -> None:
    if not intro:
        ctx.tell("bot.consent.required")
    payload = ctx.data.get("start_payload")
    ctx.end()
    if payload:
        ctx.data["start_payload"] = payload
    ctx.go("consent", "answer")
    ctx.ask(
        ctx.say("bot.consent.notice"),
        [
            Option("yes", ctx.say("bot.consent.accept")),
            Option("no", ctx.say("bot.consent.decline")),
        ],
    )


async def resume_consent(ctx: Context) -> None:
    answer = ctx.chosen()
    if answer == "yes":
        await accounts.record_consent(
            ctx.uow(), ctx.channel, ctx.user_id, display_name=ctx.incoming.display_name
        )
        payload = ctx.data.get("start_payload")
        ctx.end()
        if payload:
            # The invitation outlives the consent step (a later feature reads it).
            ctx.data["start_payload"] = payload
        ctx.tell("bot.consent.accepted")
        return
    if answer == "no":
        ctx.end()
        ctx.tell("bot.consent.declined")
        return
    ctx.tell("bot.choose_option")
    await ask_consent(ctx, intro=True)


async def help_(ctx: Context, args: str) -> None:
    actor = ctx.actor
    lines = [ctx.say("bot.help.intro"), ctx.say("bot.help.everyone")]
    if actor.is_staff or (actor.role is not None and actor.role.value == "focal"):
        lines.append(ctx.say("bot.help.staff"))
    if actor.is_admin:
        lines.append(ctx.say("bot.help.admin"))
    if ctx.state.flow:
        lines.append(ctx.say("bot.help.in_dialog"))
    ctx.send("\n\n".join(lines))


async def language(ctx: Context, args: str) -> None:
    wanted = args.strip().lower()
    if wanted in ("vi", "en"):
        await _set_language(ctx, wanted)
        return
    ctx.go("language", "choose")
    ctx.ask(ctx.say("bot.lang.question"), [Option("vi", "Tiếng Việt"), Option("en", "English")])


async def resume_language(ctx: Context) -> None:
    wanted = ctx.chosen() or ctx.incoming.text.strip().lower()
    if wanted not in ("vi", "en"):
        ctx.tell("bot.choose_option")
        await language(ctx, "")
        return
    ctx.end()
    await _set_language(ctx, wanted)


async def _set_language(ctx: Context, wanted: str) -> None:
    await accounts.set_language(ctx.uow(), ctx.channel, ctx.user_id, wanted)
    ctx.language = wanted
    ctx.tell("bot.lang.done")


async def cancel(ctx: Context, args: str) -> None:
    if ctx.state.flow:
        ctx.end()
        ctx.tell("bot.cancelled")
    else:
        ctx.tell("bot.nothing_to_cancel")
