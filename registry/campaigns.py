"""Campaigns and re-confirmation: who has answered the call, who is due a reminder, whose
details are due to be confirmed again.

A campaign asks the current agencies (all, or one kind) for their lists by a deadline. An
agency has *answered* when it has at least one active person (pending or verified), as
:func:`registry.directory.missing_agencies` counts it; the date it answered is the day its
first active person was registered. Reminders follow a schedule of days before the deadline
(7, 3 and 1 by default) and then one every ``overdue_every`` days while the agency is missing;
:func:`reminder_day` says which scheduled day is due, so that a job run late (a server down on
the day) still sends that reminder once, and never an older one.

Re-confirmation: a person's ``confirmed_at`` is set by registering, an update and a
confirmation. Past ``max_age`` (180 days by default), or at once when their agency has merged
since they last confirmed, they are due to be asked again (:func:`due_for_reconfirmation`);
whoever asks keeps count in :class:`~registry.models.Reconfirmation`, and the people asked
twice without answer (or with no chat to be asked in) are listed for staff
(:func:`unconfirmed_people`). Who may do what is checked here, as everywhere in the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from registry.actors import Actor, require_staff
from registry.catalog import kind_rank, parse_kind
from registry.errors import Conflict, NotFound, ValidationError
from registry.models import (
    Account,
    AccountRole,
    Agency,
    AgencyKind,
    Campaign,
    Person,
    Reconfirmation,
    Status,
    utcnow,
)
from registry.uow import UnitOfWork
from registry.views import PersonView

DEFAULT_DAYS = (7, 3, 1)
DEFAULT_EVERY = 7
TITLE_MAX = 200
# Prompts after which a person who has not answered is listed for staff.
PROMPTS = 2

LocalDate = Callable[[datetime], date]


@dataclass(frozen=True)
class CampaignView:
    id: int
    title: str
    kind: str | None
    deadline: date
    reminder_days: tuple[int, ...]
    overdue_every: int
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, row: Campaign) -> CampaignView:
        return cls(
            id=row.id,
            title=row.title,
            kind=row.kind.value if row.kind else None,
            deadline=row.deadline,
            reminder_days=parse_days(row.reminder_days),
            overdue_every=row.overdue_every,
            opened_by=row.opened_by,
            opened_at=row.opened_at,
            closed_at=row.closed_at,
        )


@dataclass(frozen=True)
class AgencyProgress:
    """One agency of a campaign: answered (with the time its first active person was
    registered) or not."""

    id: int
    code: str
    name: str
    kind: str
    answered_at: datetime | None

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


@dataclass(frozen=True)
class CampaignStatus:
    campaign: CampaignView
    agencies: list[AgencyProgress]
    on: date

    @property
    def answered(self) -> int:
        return sum(1 for a in self.agencies if a.answered)

    @property
    def missing(self) -> int:
        return len(self.agencies) - self.answered

    @property
    def overdue(self) -> int:
        """Agencies still missing after the deadline."""
        return self.missing if self.on > self.campaign.deadline else 0

    @property
    def days_left(self) -> int:
        return (self.campaign.deadline - self.on).days

    def figures(self) -> dict[str, int]:
        return {
            "total": len(self.agencies),
            "answered": self.answered,
            "missing": self.missing,
            "overdue": self.overdue,
        }


def parse_days(text: str) -> tuple[int, ...]:
    """ "7,3,1" -> (7, 3, 1): whole days before the deadline, each 1 to 365, largest first."""
    parts = [p.strip() for p in (text or "").replace(";", ",").split(",") if p.strip()]
    try:
        days = sorted({int(p) for p in parts}, reverse=True)
    except ValueError:
        raise ValidationError("campaign.bad_days", days=text[:40]) from None
    if not days or any(d < 1 or d > 365 for d in days):
        raise ValidationError("campaign.bad_days", days=text[:40])
    return tuple(days)


def parse_deadline(text: str) -> date:
    """A deadline typed as 31/12/2026, 31-12-2026, 31.12.2026 or 2026-12-31."""
    value = (text or "").strip()
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValidationError("campaign.bad_deadline", deadline=value[:40])


def reminder_day(campaign: CampaignView, today: date, opened: date) -> date | None:
    """The latest scheduled reminder day not after ``today`` and not before the campaign was
    opened (on ``opened``), or None: the key of the reminder due today."""
    days = [campaign.deadline - timedelta(days=n) for n in campaign.reminder_days]
    if today > campaign.deadline and campaign.overdue_every > 0:
        overdue = (today - campaign.deadline).days // campaign.overdue_every
        if overdue >= 1:
            days.append(campaign.deadline + timedelta(days=overdue * campaign.overdue_every))
    due = [d for d in days if opened <= d <= today]
    return max(due) if due else None


async def _open_row(uow: UnitOfWork) -> Campaign | None:
    return await uow.session.scalar(
        select(Campaign).where(Campaign.closed_at.is_(None)).order_by(Campaign.id.desc())
    )


async def open_campaign(
    uow: UnitOfWork,
    actor: Actor,
    *,
    title: str,
    deadline: date,
    today: date,
    kind: str | None = None,
    reminder_days: str = "7,3,1",
    overdue_every: int = DEFAULT_EVERY,
) -> CampaignView:
    """Open a campaign; refused while another one is open or with a deadline not ahead."""
    require_staff(actor, "campaign.open")
    name = " ".join((title or "").split())
    if not name or len(name) > TITLE_MAX:
        raise ValidationError("campaign.bad_title", max=TITLE_MAX)
    if deadline <= today:
        raise ValidationError("campaign.deadline_past", deadline=deadline.strftime("%d/%m/%Y"))
    days = parse_days(reminder_days)
    if not 1 <= overdue_every <= 365:
        raise ValidationError("campaign.bad_every", every=overdue_every)
    wanted = parse_kind(kind) if kind else None
    async with uow:
        current = await _open_row(uow)
        if current is not None:
            raise Conflict("campaign.already_open", id=current.id, title=current.title)
        row = Campaign(
            title=name,
            kind=wanted,
            deadline=deadline,
            reminder_days=",".join(str(d) for d in days),
            overdue_every=overdue_every,
            opened_by=actor.label,
            opened_at=utcnow(),
        )
        uow.session.add(row)
        await uow.flush()
        await uow.commit()
        return CampaignView.of(row)


async def close_campaign(uow: UnitOfWork, actor: Actor) -> CampaignView:
    require_staff(actor, "campaign.close")
    async with uow:
        row = await _open_row(uow)
        if row is None:
            raise NotFound("campaign.none_open")
        row.closed_at = utcnow()
        await uow.commit()
        return CampaignView.of(row)


async def current_campaign(uow: UnitOfWork) -> CampaignView | None:
    """The open campaign, if any (for the scheduled jobs: no actor)."""
    async with uow.reading():
        row = await _open_row(uow)
        return CampaignView.of(row) if row is not None else None


async def progress(uow: UnitOfWork, campaign: CampaignView, on: date) -> CampaignStatus:
    """Every agency the campaign addresses (current on ``on``, of its kind), answered or not,
    in catalog order."""
    async with uow.reading():
        session = uow.session
        first = dict(
            (
                await session.execute(
                    select(Person.agency_id, func.min(Person.created_at))
                    .where(Person.status != Status.retired)
                    .group_by(Person.agency_id)
                )
            ).all()
        )
        wanted = AgencyKind(campaign.kind) if campaign.kind else None
        agencies = [
            a
            for a in await session.scalars(select(Agency))
            if a.is_current(on) and (wanted is None or a.kind is wanted)
        ]
        agencies.sort(key=lambda a: (kind_rank(a.kind), a.sort_order, a.name))
        rows = []
        for a in agencies:
            answered_at = first.get(a.id)
            if isinstance(answered_at, datetime) and answered_at.tzinfo is None:
                answered_at = answered_at.replace(tzinfo=UTC)
            rows.append(AgencyProgress(a.id, a.code, a.name, a.kind.value, answered_at))
    return CampaignStatus(campaign, rows, on)


async def campaign_status(uow: UnitOfWork, actor: Actor, on: date) -> CampaignStatus:
    """The open campaign's figures (answered / missing / overdue) and agencies."""
    require_staff(actor, "campaign.status")
    campaign = await current_campaign(uow)
    if campaign is None:
        raise NotFound("campaign.none_open")
    return await progress(uow, campaign, on)


# --- re-confirmation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A person due to confirm their details, and how often they were asked already."""

    person_id: int
    confirmed_at: datetime
    prompts: int  # about these details (0 when never asked, or asked about older ones)
    last_prompt_at: datetime | None


def _is_due(person: Person, agency: Agency, now: datetime, max_age: timedelta) -> bool:
    if person.confirmed_at < now - max_age:
        return True
    # Merged since the details were last confirmed: asked at once.
    return (
        agency.valid_to is not None
        and agency.successor_id is not None
        and agency.valid_to <= now.date()
        and person.confirmed_at.date() < agency.valid_to
    )


async def due_for_reconfirmation(uow: UnitOfWork, now: datetime, max_age: timedelta) -> list[Due]:
    """The active people whose details are due for a re-confirmation, oldest first."""
    async with uow.reading():
        rows = (
            await uow.session.execute(
                select(Person, Agency, Reconfirmation)
                .join(Agency, Person.agency_id == Agency.id)
                .outerjoin(Reconfirmation, Reconfirmation.person_id == Person.id)
                .where(
                    Person.status != Status.retired,
                    Person.erased_at.is_(None),
                    # Old enough, or attached to an agency that has an end (merged): the rest
                    # of the directory is not read at every pass.
                    or_(Person.confirmed_at < now - max_age, Agency.valid_to.is_not(None)),
                )
                .order_by(Person.confirmed_at, Person.id)
            )
        ).all()
        due = []
        for person, agency, asked in rows:
            if not _is_due(person, agency, now, max_age):
                continue
            current = asked is not None and asked.since == person.confirmed_at
            due.append(
                Due(
                    person.id,
                    person.confirmed_at,
                    asked.prompts if current else 0,
                    asked.last_prompt_at if current else None,
                )
            )
    return due


async def record_prompt(uow: UnitOfWork, due: Due, now: datetime) -> None:
    """Count one more prompt about the details confirmed at ``due.confirmed_at``."""
    async with uow:
        row = await uow.session.get(Reconfirmation, due.person_id)
        if row is None:
            row = Reconfirmation(person_id=due.person_id, since=due.confirmed_at, prompts=0)
            uow.session.add(row)
        elif row.since != due.confirmed_at:
            row.since, row.prompts = due.confirmed_at, 0
        row.prompts += 1
        row.last_prompt_at = now
        await uow.commit()


@dataclass(frozen=True)
class Unconfirmed:
    person: PersonView
    prompts: int
    last_prompt_at: datetime | None
    reachable: bool  # has a chat the prompts can go to


async def unconfirmed_people(
    uow: UnitOfWork,
    actor: Actor,
    *,
    now: datetime,
    max_age: timedelta,
    push_channels: tuple[str, ...] = ("telegram", "zalo"),
) -> list[Unconfirmed]:
    """People due a re-confirmation who did not answer ``PROMPTS`` prompts, or who have no
    chat to be asked in (an imported record nobody claimed): for staff to call."""
    require_staff(actor, "people.unconfirmed")
    due = {d.person_id: d for d in await due_for_reconfirmation(uow, now, max_age)}
    if not due:
        return []
    async with uow.reading():
        session = uow.session
        accounts = list(
            await session.scalars(select(Account).where(Account.person_id.in_(list(due))))
        )
        roots = {a.id: a.person_id for a in accounts}
        reachable: set[int] = set()
        for account in accounts:
            if account.channel in push_channels and account.person_id is not None:
                reachable.add(account.person_id)
        if roots:
            linked = await session.scalars(
                select(Account).where(Account.linked_to_id.in_(list(roots)))
            )
            for account in linked:
                person_id = roots.get(account.linked_to_id or 0)
                if account.channel in push_channels and person_id is not None:
                    reachable.add(person_id)
        listed = [pid for pid, d in due.items() if d.prompts >= PROMPTS or pid not in reachable]
        rows = (
            await session.execute(
                select(Person, Agency)
                .join(Agency, Person.agency_id == Agency.id)
                .where(Person.id.in_(listed))
            )
        ).all()
        rows.sort(key=lambda r: (kind_rank(r[1].kind), r[1].sort_order, r[0].name_key, r[0].id))
        return [
            Unconfirmed(
                PersonView.of(person, agency),
                due[person.id].prompts,
                due[person.id].last_prompt_at,
                person.id in reachable,
            )
            for person, agency in rows
        ]


# --- whom to write to ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChatRef:
    """A chat identity to write to, in its own language (None: the default one)."""

    channel: str
    external_id: str
    language: str | None


async def agency_chats(
    session: AsyncSession,
    agency_ids: list[int],
    channels: tuple[str, ...],
    *,
    focal_only: bool = False,
) -> dict[int, list[ChatRef]]:
    """The chats of each agency on ``channels``: its focal points and (unless ``focal_only``)
    its active people, each with the identities linked to them (as broadcasts count them)."""
    wanted = set(agency_ids)
    if not wanted:
        return {}
    people = {
        pid: aid
        for pid, aid in (
            await session.execute(
                select(Person.id, Person.agency_id).where(
                    Person.status != Status.retired, Person.agency_id.in_(list(wanted))
                )
            )
        ).all()
    }
    accounts = list(await session.scalars(select(Account).order_by(Account.channel, Account.id)))
    roots = {a.id: a for a in accounts}
    found: dict[int, list[ChatRef]] = {}
    for account in accounts:
        if account.channel not in channels:
            continue
        root = roots.get(account.linked_to_id or account.id, account)
        own: set[int] = set()
        if root.role is AccountRole.focal and root.agency_id in wanted:
            own.add(root.agency_id)  # type: ignore[arg-type]
        if not focal_only and root.person_id in people:
            own.add(people[root.person_id])  # type: ignore[index]
        for agency_id in own:
            found.setdefault(agency_id, []).append(
                ChatRef(account.channel, account.external_id, account.language or root.language)
            )
    return found


async def person_chats(
    session: AsyncSession, person_id: int, channels: tuple[str, ...]
) -> list[ChatRef]:
    """The chats that are this person (their account and the identities linked to it)."""
    roots = list(await session.scalars(select(Account).where(Account.person_id == person_id)))
    if not roots:
        return []
    linked = list(
        await session.scalars(
            select(Account).where(Account.linked_to_id.in_([r.id for r in roots]))
        )
    )
    language = {r.id: r.language for r in roots}
    return [
        ChatRef(a.channel, a.external_id, a.language or language.get(a.linked_to_id or a.id))
        for a in [*roots, *linked]
        if a.channel in channels
    ]
