"""/start with the personal-data notice, /help, /lang and /cancel."""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass
from typing import Any

from bot.dialogs import invite
from bot.dialogs.context import Context
from bot.dialogs.flow import Command, Dialog, Flow, NoDraft
from bot.dialogs.io import Option
from registry import accounts

# Telegram deep-link payloads: 1-64 characters of A-Z, a-z, 0-9, _ and -.
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LANGUAGES = (Option("vi", "Tiếng Việt"), Option("en", "English"))


class ConsentStep(enum.StrEnum):
    answer = "answer"


@dataclass
class ConsentDraft:
    """The command the consent question interrupted, run as typed once the person accepts."""

    command: str | None = None
    args: str = ""


class LanguageStep(enum.StrEnum):
    choose = "choose"


async def start(ctx: Context[Any], args: str) -> None:
    payload = args.strip()
    invited = False
    if payload:
        if not _PAYLOAD.match(payload):
            ctx.tell("bot.start.bad_payload")
        elif await invite.check_payload(ctx, payload):
            # An invitation: kept through the consent step, then registration begins with
            # its agency (see bot.dialogs.register). A refused one was said and is not kept.
            ctx.start_payload = payload
            invited = True
    ctx.tell("bot.start.welcome")
    if ctx.profile.consented:
        if invited:
            ctx.resume = ("register", "")
        else:
            ctx.tell("bot.start.already_consented")
        return
    await ask_consent(ctx, intro=True, pending=ConsentDraft("register") if invited else None)


async def ask_consent(
    ctx: Context[Any], *, intro: bool, pending: ConsentDraft | None = None
) -> None:
    if not intro:
        ctx.tell("bot.consent.required")
    ctx.start(CONSENT, ConsentStep.answer, pending or ConsentDraft())
    ctx.ask(
        ctx.say("bot.consent.notice"),
        [
            Option("yes", ctx.say("bot.consent.accept")),
            Option("no", ctx.say("bot.consent.decline")),
        ],
    )


async def on_consent(ctx: Context[ConsentDraft]) -> None:
    answer = ctx.chosen()
    pending = ctx.draft
    if answer == "yes":
        await accounts.record_consent(
            ctx.uow(), ctx.channel, ctx.user_id, display_name=ctx.incoming.display_name
        )
        ctx.profile = dataclasses.replace(ctx.profile, consented=True)
        ctx.end()
        if pending.command:
            # The command that was interrupted goes on, with what was typed with it.
            ctx.tell("bot.consent_resume.accepted")
            ctx.resume = (pending.command, pending.args)
        else:
            ctx.tell("bot.consent.accepted")
        return
    if answer == "no":
        ctx.end()
        ctx.tell("bot.consent.declined")
        return
    ctx.tell("bot.choose_option")
    await ask_consent(ctx, intro=True, pending=pending)


async def help_(ctx: Context[Any], args: str) -> None:
    # The engine knows every declared command; imported here, as it imports this module.
    from bot.dialogs.engine import help_lines

    lines = [ctx.say("bot.help.intro"), *help_lines(ctx)]
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
    if ctx.flow is not None and ctx.flow.step_back is not None and ctx.flow.step_back(ctx):
        return
    if ctx.in_dialog:
        ctx.end()
        ctx.tell("bot.cancelled")
    else:
        ctx.tell("bot.nothing_to_cancel")


CONSENT = Flow("consent", ConsentStep, {ConsentStep.answer: on_consent}, ConsentDraft)
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
