"""The campaign's scheduled jobs: reminders, the staff digest and re-confirmation prompts.

Each job is registered in :data:`bot.pipeline.schedule.JOBS` and runs at every scheduled pass
(``spokes tick``, or the server's loop). They only *enqueue* letters into the outbox, each with
a dedupe key naming what it is for, so a pass run twice (or a cron job beside a server) stores
each letter once:

* ``campaign:<id>:remind:<day>:<agency>:<channel>:<chat>``: the reminder of a scheduled day
  (:func:`registry.campaigns.reminder_day`) to each chat of an agency still missing;
* ``campaign:<id>:digest:<day>:<channel>:<chat>``: the daily digest to each staff chat;
* ``reconfirm:<person>:<confirmed>:<n>:<channel>:<chat>``: the n-th re-confirmation prompt.

Nothing is enqueued during the quiet hours: a reminder or a prompt stored at night would carry
the night's date and figures; the first pass after the quiet hours writes them with the
morning's. The outbox holds back anything else queued at night anyway.

A re-confirmation prompt also puts the chat's dialog state at the ``reconfirm`` flow's question
(:func:`bot.dialogs.reconfirm.prompt_state`), in the same transaction as the letter, so the
typed reply is read by that flow. A chat in the middle of another dialog is left alone and
asked at a later pass.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot import clock
from bot.dialogs import reconfirm
from bot.settings import BotSettings, get_bot_settings
from bot.state import outbox
from bot.state.models import Conversation
from bot.state.outbox import PUSH_CHANNELS, Letter
from bot.texts import language_of, t
from registry import accounts, campaigns, people
from registry.actors import Actor
from registry.agency_names import name_in
from registry.models import utcnow
from registry.uow import Database

log = logging.getLogger(__name__)

SYSTEM = Actor.system("campaign")
PROMPTS_PER_PASS = 500  # a backlog (everyone due at once after a merger) is spread over passes
# A server passes every few seconds; the day's letters are all written at its first pass, so
# the jobs look again only this often (a focal point granted later in the day still gets the
# day's reminder then). ``spokes tick`` is a new process each time: it always looks.
RECHECK = timedelta(minutes=10)
_last_run: dict[str, datetime] = {}


def _recently(job: str, now: datetime) -> bool:
    """Whether ``job`` ran in this process less than :data:`RECHECK` before ``now`` (and, if
    not, note that it runs now)."""
    last = _last_run.get(job)
    if last is not None and timedelta(0) <= now - last < RECHECK:
        return True
    _last_run[job] = now
    return False


async def send_reminders(
    database: Database,
    now: datetime,
    settings: BotSettings | None = None,
    *,
    channels: tuple[str, ...] = PUSH_CHANNELS,
) -> int:
    """The reminders due today to the agencies still missing, and the staff's daily digest;
    how many letters were new."""
    settings = settings or get_bot_settings()
    if clock.in_quiet_hours(now, settings.quiet_from, settings.quiet_until):
        return 0
    campaign = await campaigns.current_campaign(database.uow())
    if campaign is None:
        return 0
    today = clock.local_date(now)
    status = await campaigns.progress(database.uow(), campaign, today)
    day = campaigns.reminder_day(campaign, today, clock.local_date(campaign.opened_at))
    deadline = campaign.deadline.strftime("%d/%m/%Y")
    default = settings.default_language
    letters: list[Letter] = []
    async with database.uow() as uow:
        if day is not None:
            missing = [a for a in status.agencies if not a.answered]
            chats = await campaigns.agency_chats(uow.session, [a.id for a in missing], channels)
            overdue = today > campaign.deadline
            for agency in missing:
                for chat in chats.get(agency.id, []):
                    language = language_of(chat.language or default)
                    letters.append(
                        Letter(
                            dedupe=f"campaign:{campaign.id}:remind:{day.isoformat()}:"
                            f"{agency.id}:{chat.channel}:{chat.external_id}",
                            channel=chat.channel,
                            chat_id=chat.external_id,
                            language=language,
                            text_key="campaign.reminder_overdue"
                            if overdue
                            else "campaign.reminder",
                            params={
                                "organisation": settings.organisation,
                                "title": campaign.title,
                                "agency": name_in(language, agency.code, agency.name),
                                "deadline": deadline,
                                "days": abs((campaign.deadline - today).days),
                            },
                        )
                    )
        for chat in await accounts.staff_chats(uow):
            if chat.channel not in channels:
                continue
            letters.append(
                Letter(
                    dedupe=f"campaign:{campaign.id}:digest:{today.isoformat()}:"
                    f"{chat.channel}:{chat.external_id}",
                    channel=chat.channel,
                    chat_id=chat.external_id,
                    language=language_of(chat.language or default),
                    text_key="campaign.digest",
                    params={
                        "title": campaign.title,
                        "date": today.strftime("%d/%m/%Y"),
                        "deadline": deadline,
                        **status.figures(),
                    },
                )
            )
        stored = await outbox.enqueue(uow.session, letters)
        await uow.commit()
    return stored


async def send_reconfirmations(
    database: Database,
    now: datetime,
    settings: BotSettings | None = None,
    *,
    channels: tuple[str, ...] = PUSH_CHANNELS,
) -> int:
    """Prompt the people whose details are due for a re-confirmation (a first prompt, or the
    second one ``reconfirm_repeat_days`` after it); how many people were prompted."""
    settings = settings or get_bot_settings()
    if clock.in_quiet_hours(now, settings.quiet_from, settings.quiet_until):
        return 0
    max_age = timedelta(days=settings.reconfirm_days)
    repeat = timedelta(days=settings.reconfirm_repeat_days)
    idle = timedelta(hours=settings.dialog_idle_hours)
    prompted = 0
    for due in await campaigns.due_for_reconfirmation(database.uow(), now, max_age):
        if prompted >= PROMPTS_PER_PASS:
            break
        if due.prompts >= campaigns.PROMPTS:
            continue
        if due.last_prompt_at is not None and now - due.last_prompt_at < repeat:
            continue
        if await _prompt(database, now, due, settings, channels, idle):
            prompted += 1
    return prompted


async def _prompt(
    database: Database,
    now: datetime,
    due: campaigns.Due,
    settings: BotSettings,
    channels: tuple[str, ...],
    idle: timedelta,
) -> bool:
    number = due.prompts + 1
    async with database.uow() as uow:
        session = uow.session
        person = await people.show_person(uow, SYSTEM, due.person_id)
        letters: list[Letter] = []
        for chat in await campaigns.person_chats(session, due.person_id, channels):
            state = await session.get(Conversation, (chat.channel, chat.external_id))
            busy = (
                state is not None
                and state.flow is not None
                and state.flow != reconfirm.FLOW_NAME
                and state.updated_at is not None
                and utcnow() - state.updated_at < idle
            )
            if busy:
                continue  # in the middle of something else: asked at a later pass
            language = language_of(chat.language or settings.default_language)
            text, options = reconfirm.question(language, person)
            flow, step, data = reconfirm.prompt_state(due.person_id, text, options)
            if state is None:
                state = Conversation(channel=chat.channel, chat_id=chat.external_id, question=0)
                session.add(state)
            state.flow, state.step, state.data = flow, step, data
            state.question = (state.question or 0) + 1
            state.updated_at = utcnow()
            lines = [f"{n}. {o.label}" for n, o in enumerate(options, start=1)]
            letters.append(
                Letter(
                    dedupe=f"reconfirm:{due.person_id}:{int(due.confirmed_at.timestamp())}:"
                    f"{number}:{chat.channel}:{chat.external_id}",
                    channel=chat.channel,
                    chat_id=chat.external_id,
                    language=language,
                    text_key="reconfirm.prompt",
                    params={
                        "organisation": settings.organisation,
                        "question": text,
                        "options": "\n".join(lines),
                        "hint": t(language, "reconfirm.hint", last=len(options)),
                    },
                )
            )
        if not letters:
            return False
        await outbox.enqueue(session, letters)
        await campaigns.record_prompt(uow, due, now)
        await uow.commit()
    log.info("re-confirmation prompt %d sent to person %d", number, due.person_id)
    return True


async def remind_job(database: Database, now: datetime) -> int:
    if _recently(f"remind:{database.url}", now):
        return 0
    return await send_reminders(database, now)


async def reconfirm_job(database: Database, now: datetime) -> int:
    if _recently(f"reconfirm:{database.url}", now):
        return 0
    return await send_reconfirmations(database, now)
