"""Admin commands: /grant IDENTITY ROLE [AGENCY] and /revoke IDENTITY."""

from __future__ import annotations

import re
from typing import Any

from bot.dialogs.context import Context
from bot.dialogs.flow import Audience, Command, Dialog
from registry import accounts
from registry.errors import ValidationError
from registry.models import AccountRole


def _identity(ctx: Context[Any], text: str) -> str:
    """ "telegram:123" as is; a bare id (Telegram's numbers, Zalo's strings) means the admin's
    own channel. :func:`registry.accounts.parse_identity` checks the result."""
    if ":" in text:
        return text
    if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", text):
        return f"{ctx.channel}:{text}"
    raise ValidationError(
        "account.bad_identity", identity=text[:64], channels=", ".join(accounts.CHANNELS)
    )


async def grant(ctx: Context[Any], args: str) -> None:
    parts = args.split(maxsplit=2)
    if len(parts) < 2:
        ctx.tell("bot.grant.usage")
        return
    identity, role = _identity(ctx, parts[0]), parts[1]
    agency = parts[2] if len(parts) > 2 else None
    if agency is None and accounts.parse_account_role(role) is AccountRole.focal:
        # Said in the chat's words: the agency follows the role.
        ctx.tell("bot.grant_chat.focal_needs_agency")
        return
    # Like the CLI: any well-formed identity, whether or not it has talked to the bot yet (a
    # focal point named before it first writes).
    view = await accounts.grant(ctx.uow(), ctx.actor, identity, role, agency=agency)
    ctx.tell(
        "bot.grant.done",
        identity=view.identity,
        role=ctx.say(f"account_role.{view.role}"),
        agency=view.agency_code or "",
    )


async def revoke(ctx: Context[Any], args: str) -> None:
    text = args.strip()
    if not text:
        ctx.tell("bot.revoke.usage")
        return
    view = await accounts.revoke(ctx.uow(), ctx.actor, _identity(ctx, text))
    ctx.tell("bot.revoke.done", identity=view.identity)


DIALOG = Dialog(
    commands=(
        Command("grant", grant, Audience.admin),
        Command("revoke", revoke, Audience.admin),
    )
)
