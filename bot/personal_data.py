"""One file with everything held about a person, for /mydata and ``spokes people export-data``.

The registry gives the records, their history, the chat identities and consents; the chat
state adds what the bot keeps of those chats. The file is JSON, so that it can be read by a
program, and starts with a short note in Vietnamese and English saying what it is and how to
ask for a correction or an erasure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.clock import today
from bot.state import chat_data
from bot.texts import LANGUAGES, t
from registry import rights
from registry.actors import Actor
from registry.models import utcnow
from registry.uow import UnitOfWork

MEDIA_TYPE = "application/json"


@dataclass(frozen=True)
class DataFile:
    name: str
    data: bytes
    records: int  # records about the person in the file


def _about() -> dict[str, str]:
    return {language: t(language, "bot.mydata.about") for language in LANGUAGES}


async def data_file(uow: UnitOfWork, actor: Actor, *, person_id: int | None = None) -> DataFile:
    """Everything held about ``person_id`` (staff, or the person), or about the actor when it
    is None, as a JSON file."""
    held = await rights.personal_data(uow, actor, person_id)
    document: dict[str, Any] = {
        "about": _about(),
        "generated_at": utcnow().isoformat(),
        "asked_by": actor.label,
        **held.sections,
        "chat_data": await chat_data.collect(uow, held.chats),
        "messages_sent_to_you": {
            "stored": chat_data.MESSAGES_STORED,
            "note": {language: t(language, "bot.mydata.messages") for language in LANGUAGES},
        },
    }
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    suffix = f"-{person_id}" if person_id is not None else ""
    name = f"du-lieu-ca-nhan{suffix}-{today().isoformat()}.json"
    return DataFile(name, text.encode("utf-8"), len(held.sections["records"]))
