"""A person's rights over their data in the chat: /mydata (everything held) and /erase.

/mydata sends one JSON file (a download link where the channel cannot carry files) with what
the registry and the bot hold about the person asking, never anyone else. /erase asks for a
confirmation, then erases the person's records in the registry (which checks who may), forgets
what the bot keeps of their chats, and, when their agency is left with no published
spokesperson, tells staff so the agency names a successor. Both work without the personal-data
consent: someone who declined it may still see and erase what little is kept.
"""

from __future__ import annotations

import enum
from typing import Any

from bot.dialogs.context import Context
from bot.dialogs.flow import Command, Dialog, Flow, NoDraft
from bot.dialogs.io import ChatNotice, Document, Reply
from bot.personal_data import MEDIA_TYPE, data_file
from bot.state import chat_data
from bot.texts import language_of, t
from registry import rights


class EraseStep(enum.StrEnum):
    confirm = "confirm"


async def mydata(ctx: Context[Any], args: str) -> None:
    made = await data_file(ctx.uow(), ctx.actor)
    caption = ctx.say("bot.mydata.done", records=made.records)
    ctx.replies.append(Reply(caption, document=Document(made.name, made.data, MEDIA_TYPE)))


async def begin_erase(ctx: Context[NoDraft], args: str) -> None:
    ctx.start(ERASE, EraseStep.confirm)
    ctx.ask_yes_no(ctx.say("bot.erase.confirm"), yes=ctx.say("bot.erase.yes"))


async def on_erase(ctx: Context[NoDraft]) -> None:
    if not ctx.confirmed():
        return
    ctx.end()
    erasure = await rights.erase_person(ctx.uow(), ctx.actor)
    await chat_data.forget(ctx.uow(), erasure.chats)
    ctx.start_payload = None
    ctx.tell("bot.erase.done" if erasure.person_ids else "bot.erase.done_no_record")
    if erasure.successor_needed:
        for staff in erasure.staff:
            language = language_of(staff.language or ctx.settings.default_language)
            text = t(
                language,
                "bot.erase.successor",
                agency=erasure.agency_name or "",
                code=erasure.agency_code or "",
            )
            ctx.notices.append(ChatNotice(staff.channel, staff.external_id, text))


ERASE = Flow("erase", EraseStep, {EraseStep.confirm: on_erase}, NoDraft)
DIALOG = Dialog(
    commands=(
        Command("mydata", mydata, aliases=("dulieu",)),
        Command("erase", begin_erase, aliases=("xoa",)),
    ),
    flows=(ERASE,),
)
