"""The dialog engine: one incoming message in, replies out, state kept in the database.

Every channel calls :meth:`Dialogs.handle` with the same kind of input, so the rules, texts and
steps are the same in Telegram, Zalo and the terminal. The registry's use cases decide who may
do what; the engine only routes and renders their answers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.dialogs import admin, common, files, link, own, register, staff
from bot.dialogs.context import Context
from bot.dialogs.io import Incoming, Reply
from bot.settings import BotSettings
from bot.state import conversations
from bot.texts import has, language_of, t
from registry import accounts
from registry.errors import RegistryError
from registry.models import utcnow
from registry.uow import Database, UnitOfWork

log = logging.getLogger(__name__)

Step = Callable[[Context], Awaitable[None]]
Begin = Callable[[Context, str], Awaitable[None]]

# Words that cancel whatever is going on, typed instead of /cancel (some channels have no menu).
CANCEL_WORDS = {"huy", "hủy", "huỷ", "cancel", "thoat", "thoát", "stop"}


@dataclass(frozen=True)
class Command:
    name: str
    begin: Begin
    audience: str  # everyone, staff or admin: which /help lists it (the use cases decide)
    aliases: tuple[str, ...] = ()
    needs_consent: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("start", common.start, "everyone"),
    Command("help", common.help_, "everyone"),
    Command("lang", common.language, "everyone"),
    Command("cancel", common.cancel, "everyone", aliases=("huy",)),
    Command("register", register.begin, "everyone", aliases=("dangky",), needs_consent=True),
    Command("me", own.show, "everyone", needs_consent=True),
    Command("update", own.begin_update, "everyone", aliases=("capnhat",), needs_consent=True),
    Command("withdraw", own.begin_withdraw, "everyone", needs_consent=True),
    Command("link", link.begin, "everyone", aliases=("lienket",)),
    Command("find", staff.find, "staff", aliases=("tim",)),
    Command("agency", staff.agency, "staff"),
    Command("missing", staff.missing, "staff"),
    Command("stats", staff.stats, "staff"),
    Command("person", staff.person, "staff"),
    Command("verify", staff.verify, "staff"),
    Command("retire", staff.retire, "staff"),
    Command("export", files.export, "staff"),
    Command("template", files.template, "staff"),
    Command("import", files.ask_for_file, "staff", aliases=("nhap",)),
    Command("grant", admin.grant, "admin"),
    Command("revoke", admin.revoke, "admin"),
)
_BY_NAME = {name: c for c in COMMANDS for name in (c.name, *c.aliases)}

FLOWS: dict[str, Step] = {
    "consent": common.resume_consent,
    "language": common.resume_language,
    "register": register.resume,
    "update": own.resume_update,
    "withdraw": own.resume_withdraw,
    "find": staff.resume_find,
    "agency": staff.resume_agency,
    "retire": staff.resume_retire,
    "export": files.resume_export,
    "import": files.resume_import,
    "link": link.resume,
}


def typed_choice(state: conversations.DialogState, incoming: Incoming) -> Incoming:
    """A number typed in answer to a question with options is that option.

    Channels without buttons (Zalo, the terminal) show options as numbered lines; on Telegram
    typing the number works as well as pressing the button. Only 1..n counts: any other number
    stays text (a phone number typed where "skip" is offered, say).
    """
    if incoming.kind != "text" or not state.flow:
        return incoming
    number = incoming.text.strip().rstrip(".)")
    options = (state.data.get("_asked") or {}).get("options") or []
    if not (number.isascii() and number.isdigit()) or not 1 <= int(number) <= len(options):
        return incoming
    key = options[int(number) - 1][0]
    return Incoming("choice", choice=f"{state.question}:{key}", display_name=incoming.display_name)


@dataclass(frozen=True)
class Outcome:
    """What one message gave: the replies, and the person's language once it was handled (a
    channel's own words, such as "answer 1, 2 or 3", are in it)."""

    replies: list[Reply]
    language: str


class Dialogs:
    """The bot, independent of any chat platform."""

    def __init__(self, db: Database, settings: BotSettings) -> None:
        self.db = db
        self.settings = settings
        self.idle = timedelta(hours=settings.dialog_idle_hours)

    async def language_for(self, channel: str, user_id: str) -> str:
        profile = await accounts.open_profile(self.db.uow(), channel, user_id)
        return language_of(profile.language or self.settings.default_language)

    def error_reply(self, language: str | None) -> Reply:
        """What a person is told when something broke while handling their message."""
        return Reply(t(language_of(language), "bot.internal_error"))

    def command_menu(self, language: str) -> list[tuple[str, str]]:
        """(command, description) for the platform's command menu."""
        return [
            (c.name, t(language, f"bot.command.{c.name}"))
            for c in COMMANDS
            if c.audience == "everyone"
        ]

    async def handle(
        self, uow: UnitOfWork, channel: str, chat_id: str, user_id: str, incoming: Incoming
    ) -> Outcome:
        """One message, in the caller's open unit of work: the account, the dialog state and
        whatever the use case writes are committed by the caller, together or not at all."""
        profile = await accounts.open_profile(uow, channel, user_id)
        state = await conversations.load_state(uow, channel, chat_id)
        incoming = typed_choice(state, incoming)
        ctx = Context(
            db=self.db,
            unit=uow,
            channel=channel,
            chat_id=chat_id,
            user_id=user_id,
            profile=profile,
            language=language_of(profile.language or self.settings.default_language),
            state=state,
            incoming=incoming,
        )
        before = state.snapshot()
        if state.flow and state.updated_at and utcnow() - state.updated_at > self.idle:
            state.reset()
            ctx.tell("bot.expired")
        await self._dispatch(ctx)
        # Most staff commands leave no dialog behind: no write needed for them.
        if state.snapshot() != before or state.flow:
            await conversations.save_state(uow, channel, chat_id, state)
        return Outcome(ctx.replies, ctx.language)

    async def _dispatch(self, ctx: Context) -> None:
        incoming = ctx.incoming
        if incoming.kind == "command":
            await self._command(ctx, incoming.command or "", incoming.text)
            return
        if incoming.kind == "text" and incoming.text.strip().lower() in CANCEL_WORDS:
            await common.cancel(ctx, "")
            return
        if incoming.kind == "choice" and (ctx.chosen() is None or not ctx.state.flow):
            # A button of an older message, or of a question whose dialog has ended since
            # (/cancel, or another command that asks nothing): nothing changes.
            ctx.tell("bot.question_expired")
            return
        if incoming.kind == "file":
            # A list sent by an agency: whatever was going on, it is now an import.
            await self._guarded(ctx, files.receive)
            return
        if incoming.kind == "unsupported":
            # What the bot can read differs by channel (Zalo has no buttons and no files).
            specific = f"bot.unsupported_{ctx.channel}"
            ctx.tell(specific if has(specific) else "bot.unsupported")
            if ctx.state.flow:
                ctx.tell("bot.still_waiting")
            return
        step = FLOWS.get(ctx.state.flow or "")
        if step is None:
            ctx.tell("bot.not_understood")
            return
        await self._guarded(ctx, step)

    @staticmethod
    async def _guarded(ctx: Context, step: Step) -> None:
        """Run a step; a registry error becomes a message saying what to fix."""
        try:
            await step(ctx)
        except RegistryError as error:
            ctx.fail(error)

    async def _command(self, ctx: Context, name: str, args: str) -> None:
        command = _BY_NAME.get(name)
        if command is None:
            ctx.tell("bot.unknown_command", command=name[:32])
            return
        if ctx.state.flow and command.name not in ("help", "cancel"):
            # A new command abandons the dialog that was going on.
            ctx.end()
        if command.needs_consent and not ctx.profile.consented:
            await common.ask_consent(ctx, intro=False)
            return
        try:
            await command.begin(ctx, args)
        except RegistryError as error:
            ctx.fail(error)
