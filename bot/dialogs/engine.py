"""The dialog engine: one incoming message in, replies out, the dialog state kept in the database.

Every channel hands the engine the same kind of input, so the rules, texts and steps are the
same in Telegram, Zalo and the terminal. The engine builds its command and step tables from what
each dialog module declares (:mod:`bot.dialogs.flow`), reads the answer once
(:mod:`bot.dialogs.answers`), runs the one handler of the current step, and stores where the
dialog stands. The registry's use cases decide who may do what; the engine only routes and
renders their answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.dialogs import (
    admin,
    broadcast,
    campaign,
    claims,
    common,
    files,
    invite,
    link,
    own,
    reconfirm,
    register,
    rights,
    staff,
)
from bot.dialogs.answers import Asked, read_answer
from bot.dialogs.context import Context
from bot.dialogs.flow import Audience, Command, Dialog, Flow, Handler, stored
from bot.dialogs.io import ChatNotice, Incoming, Reply
from bot.settings import BotSettings
from bot.state import conversations
from bot.state.conversations import DialogState
from bot.texts import has, language_of, t
from registry import accounts
from registry.actors import deny
from registry.errors import RegistryError
from registry.models import utcnow
from registry.uow import Database, UnitOfWork

log = logging.getLogger(__name__)

# In the order /help and the command menus list them.
DIALOGS: tuple[Dialog, ...] = (
    common.DIALOG,
    register.DIALOG,
    own.DIALOG,
    reconfirm.DIALOG,
    rights.DIALOG,
    link.DIALOG,
    staff.DIALOG,
    claims.DIALOG,
    invite.DIALOG,
    broadcast.DIALOG,
    campaign.DIALOG,
    files.DIALOG,
    admin.DIALOG,
)
COMMANDS: tuple[Command, ...] = tuple(c for d in DIALOGS for c in d.commands)
FLOWS: dict[str, Flow[Any]] = {f.name: f for d in DIALOGS for f in d.flows}
_BY_NAME: dict[str, Command] = {name: c for c in COMMANDS for name in (c.name, *c.aliases)}

if len(_BY_NAME) != sum(1 + len(c.aliases) for c in COMMANDS):
    raise TypeError("two dialogs declare the same command or alias")

# Words that cancel whatever is going on, typed instead of /cancel (some channels have no menu).
CANCEL_WORDS = {"huy", "hủy", "huỷ", "cancel", "thoat", "thoát", "stop"}


@dataclass(frozen=True)
class Outcome:
    """What one message gave: the replies, and the person's language once it was handled (a
    channel's own words, such as "answer 1, 2 or 3", are in it); ``notices`` go to other chats
    once the update has committed."""

    replies: list[Reply]
    language: str
    notices: list[ChatNotice] = field(default_factory=list)


class Dialogs:
    """The bot, independent of any chat platform."""

    def __init__(self, db: Database, settings: BotSettings) -> None:
        self.db = db
        self.settings = settings
        self.idle = timedelta(hours=settings.dialog_idle_hours)

    def error_reply(self, language: str | None) -> Reply:
        """What a person is told when something broke while handling their message."""
        return Reply(t(language_of(language), "bot.internal_error"))

    def command_menu(self, language: str) -> list[tuple[str, str]]:
        """(command, description) for the platform's command menu."""
        return [
            (c.name, t(language, f"bot.command.{c.name}"))
            for c in COMMANDS
            if c.audience is Audience.everyone
        ]

    async def language_for(self, channel: str, user_id: str) -> str:
        profile = await accounts.open_profile(self.db.uow(), channel, user_id)
        return language_of(profile.language or self.settings.default_language)

    async def handle(
        self, uow: UnitOfWork, channel: str, chat_id: str, user_id: str, incoming: Incoming
    ) -> Outcome:
        """One message, in the caller's open unit of work: the account, the dialog state and
        whatever the use case writes are committed by the caller, together or not at all."""
        profile = await accounts.open_profile(uow, channel, user_id)
        if incoming.group:
            language = language_of(profile.language or self.settings.default_language)
            return Outcome(_in_group(incoming, language), language)
        state = await conversations.load_state(uow, channel, chat_id)
        ctx = Context[Any](
            settings=self.settings,
            unit=uow,
            channel=channel,
            chat_id=chat_id,
            user_id=user_id,
            profile=profile,
            language=language_of(profile.language or self.settings.default_language),
            incoming=incoming,
        )
        _restore(ctx, state)
        before = _stored(ctx)
        if ctx.in_dialog and state.updated_at and utcnow() - state.updated_at > self.idle:
            ctx.end()
            ctx.tell("bot.expired")
        ctx.answer = read_answer(incoming, ctx.asked if ctx.in_dialog else None)
        await self._dispatch(ctx)
        if ctx.resume is not None:
            # The person just accepted the notice: the command it interrupted goes on.
            name, args = ctx.resume
            ctx.resume = None
            await self._command(ctx, name, args)
        after = _stored(ctx)
        # Most staff commands leave no dialog behind: no write needed for them.
        if after != before or ctx.in_dialog:
            state.flow, state.step, state.data, state.question = after
            await conversations.save_state(uow, channel, chat_id, state)
        return Outcome(ctx.replies, ctx.language, ctx.notices)

    async def _dispatch(self, ctx: Context[Any]) -> None:
        incoming = ctx.incoming
        if incoming.kind == "command":
            await self._command(ctx, incoming.command or "", incoming.text)
            return
        if incoming.kind == "text" and incoming.text.strip().lower() in CANCEL_WORDS:
            await common.cancel(ctx, "")
            return
        if incoming.kind == "choice" and (ctx.answer.stale or not ctx.in_dialog):
            # A button of an older message, or of a question whose dialog has ended since
            # (/cancel, or another command that asks nothing): nothing changes.
            ctx.tell("bot.question_expired")
            return
        if incoming.kind == "file":
            # A list sent by an agency: whatever was going on, it is now an import.
            await _guarded(ctx, files.receive)
            return
        if incoming.kind == "unsupported":
            # What the bot can read differs by channel (Zalo has no buttons and no files).
            specific = f"bot.unsupported_{ctx.channel}"
            ctx.tell(specific if has(specific) else "bot.unsupported")
            if ctx.in_dialog:
                ctx.tell("bot.still_waiting")
            return
        if ctx.flow is None or ctx.step is None:
            ctx.tell("bot.not_understood")
            return
        await _guarded(ctx, ctx.flow.handlers[ctx.step])

    async def _command(self, ctx: Context[Any], name: str, args: str) -> None:
        command = _BY_NAME.get(name)
        if command is None:
            ctx.tell("bot.unknown_command", command=name[:32])
            return
        if ctx.in_dialog and command.name not in ("help", "cancel"):
            # A new command abandons the dialog that was going on.
            ctx.end()
        if not command.audience.allows(ctx.actor):
            # Refused at once, before any question (the format of an export, say).
            ctx.fail(deny(f"command.{command.name}"))
            return
        if (
            command.needs_consent
            and not ctx.profile.consented
            and not _for_others(ctx, command, args)
        ):
            pending = common.ConsentDraft(command.name, args)
            await common.ask_consent(ctx, intro=False, pending=pending)
            return
        try:
            await command.begin(ctx, args)
        except RegistryError as error:
            ctx.fail(error)


def _in_group(incoming: Incoming, language: str) -> list[Reply]:
    """A group chat: no dialog starts and nothing personal is asked there (people would type
    their phone numbers in front of the group). A command for everyone gets a short note to
    write to the bot privately; staff commands, other bots' commands and talk get nothing."""
    command = _BY_NAME.get(incoming.command or "") if incoming.kind == "command" else None
    if command is None or command.audience is not Audience.everyone:
        return []
    return [Reply(t(language, "bot.group.private_only"))]


def _for_others(ctx: Context[Any], command: Command, args: str) -> bool:
    """Whether the command, as typed, works on someone else's record (no consent asked)."""
    return command.for_others is not None and command.for_others(ctx, args)


def help_lines(ctx: Context[Any]) -> list[str]:
    """/help: exactly the commands this person may use, grouped by whom they are for."""
    groups: tuple[tuple[tuple[Audience, ...], str | None], ...] = (
        ((Audience.everyone,), None),
        ((Audience.focal, Audience.staff), "bot.help_role.staff"),
        ((Audience.admin,), "bot.help_role.admin"),
    )
    sections: list[str] = []
    for audiences, heading in groups:
        allowed = [c for c in COMMANDS if c.audience in audiences and c.audience.allows(ctx.actor)]
        if not allowed:
            continue
        lines = [ctx.say(heading)] if heading else []
        for command in allowed:
            aliases = "".join(ctx.say("bot.help_role.alias", alias=a) for a in command.aliases)
            text = ctx.say(f"bot.command.{command.name}")
            lines.append(
                ctx.say("bot.help_role.line", command=command.name, aliases=aliases, text=text)
            )
        if Audience.focal in audiences:
            lines.append(ctx.say("bot.help_role.send_file"))
        sections.append("\n".join(lines))
    return sections


async def _guarded(ctx: Context[Any], handler: Handler) -> None:
    """Run a step; a registry error becomes a message saying what to fix."""
    try:
        await handler(ctx)
    except RegistryError as error:
        ctx.fail(error)


def _restore(ctx: Context[Any], state: DialogState) -> None:
    """Where the dialog stood, from the stored state. A flow or step this version does not know
    (stored before an upgrade), or a draft that no longer fits, ends the dialog quietly."""
    data = state.data or {}
    payload = data.get("start_payload")
    ctx.start_payload = payload if isinstance(payload, str) else None
    ctx.question = state.question
    flow = FLOWS.get(state.flow or "")
    step = flow.step(state.step) if flow is not None else None
    if flow is None or step is None:
        return
    try:
        draft = flow.new_draft(data.get("draft"))
    except (TypeError, ValueError):
        log.warning("dialog %s of %s: stored draft no longer fits", flow.name, ctx.chat_id)
        return
    ctx.start(flow, step, draft)
    ctx.asked = Asked.from_stored(state.question, data.get("asked"))


def _stored(ctx: Context[Any]) -> tuple[str | None, str | None, dict[str, Any], int]:
    """Where the dialog stands, as the state stores it: flow, step, data, question."""
    data: dict[str, Any] = {}
    if ctx.flow is not None and ctx.step is not None:
        data["draft"] = stored(ctx.draft)
        if ctx.asked is not None:
            data["asked"] = ctx.asked.stored()
    if ctx.start_payload:
        data["start_payload"] = ctx.start_payload
    flow = ctx.flow.name if ctx.flow is not None and ctx.step is not None else None
    step = str(ctx.step.value) if flow is not None and ctx.step is not None else None
    return flow, step, data, ctx.question
