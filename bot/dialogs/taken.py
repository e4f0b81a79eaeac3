"""A mobile number that someone else already holds, said without naming them.

The registry's refusal (``person.duplicate_mobile``) carries the holder's name and record, which
staff need to sort it out. A member or a focal point is told only that the number is already
registered and that the Press Department knows; staff are sent the details in their own chats.
Staff themselves get the registry's full message.
"""

from __future__ import annotations

from typing import Any

from bot.dialogs.context import Context
from bot.dialogs.io import ChatNotice
from bot.texts import language_of, t
from registry import accounts
from registry.errors import Duplicate


async def mobile_taken(ctx: Context[Any], error: Duplicate, mobile: str | None) -> None:
    """Refuse ``mobile`` (E.164, as typed) in the person's chat; tell staff who holds it."""
    if ctx.actor.is_staff:
        ctx.fail(error)
        return
    ctx.tell("bot.mobile_taken.person")
    for chat in await accounts.staff_chats(ctx.uow()):
        language = language_of(chat.language or ctx.settings.default_language)
        text = t(
            language,
            "bot.mobile_taken.staff",
            who=ctx.actor.label,
            mobile=mobile or "—",
            name=str(error.params.get("name", "—")),
            person_id=str(error.params.get("person_id", "—")),
        )
        ctx.notices.append(ChatNotice(chat.channel, chat.external_id, text))
