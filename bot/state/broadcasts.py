"""Broadcasts: staff write once to a segment of the network, the outbox delivers.

A segment is a rule over the chat accounts: everyone in the network, the agencies of one kind,
the agencies still missing (no active person registered), the focal points, or one agency. A
chat account belongs to an agency when it is the account of an active person of that agency
(directly or as a linked identity), or the agency's focal point. Staff and admins without a
record of their own are not recipients; the terminal chat is not either (nobody reads it while
no one is typing in it). A person who talks to the bot on two platforms gets the message on
both: they are two chats, and each is counted under its channel.

Only staff (and admins) may broadcast: the check is here, so the chat and the CLI share it.
:func:`create` stores the broadcast and its letters in one transaction; the sender
(:mod:`bot.pipeline.outbox`) sends them and, once none is pending, tells the chat that asked
the final figures (:func:`follow_up`, with progress notes at each quarter on the way).
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.state import outbox
from bot.state.models import Broadcast
from bot.state.outbox import PUSH_CHANNELS, Counts, Letter
from registry.actors import Actor, require_staff
from registry.catalog import parse_kind
from registry.errors import NotFound, ValidationError
from registry.models import Account, AccountRole, Agency, Person, Status, utcnow
from registry.uow import UnitOfWork

BODY_MAX = 1500  # characters: one message on every platform, with the heading
QUARTERS = (25, 50, 75)  # progress notes, in percent done
PROGRESS_MIN = 100  # recipients from which progress notes are worth sending


class SegmentKind(enum.StrEnum):
    everyone = "everyone"
    kind = "kind"  # the agencies of one kind (ministries, provinces...)
    missing = "missing"  # agencies with no active person registered
    focal = "focal"  # the focal points
    agency = "agency"  # one agency, by code


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    target: str | None = None  # the agency kind or the agency code


@dataclass(frozen=True)
class Recipient:
    channel: str
    chat_id: str
    language: str


@dataclass(frozen=True)
class Preview:
    segment: Segment
    recipients: tuple[Recipient, ...]

    @property
    def per_channel(self) -> dict[str, int]:
        counted = Counter(r.channel for r in self.recipients)
        return {channel: counted[channel] for channel in PUSH_CHANNELS}


@dataclass(frozen=True)
class BroadcastView:
    id: int
    author: str
    segment: Segment
    body: str
    urgent: bool
    recipients: int
    created_at: datetime
    finished_at: datetime | None
    counts: Counts


def check_body(text: str) -> str:
    body = text.strip()
    if not body:
        raise ValidationError("broadcast.empty")
    if len(body) > BODY_MAX:
        raise ValidationError("broadcast.too_long", max=BODY_MAX, length=len(body))
    return body


async def _agency_by_code(session: AsyncSession, code: str) -> Agency:
    agency = await session.scalar(select(Agency).where(Agency.code == code.strip()))
    if agency is None:
        raise NotFound("broadcast.no_agency", code=code.strip()[:64])
    return agency


async def recipients(
    uow: UnitOfWork, actor: Actor, segment: Segment, default_language: str
) -> Preview:
    """Who the segment reaches now, one entry per chat."""
    require_staff(actor, "broadcast")
    today = date.today()
    async with uow.reading():
        session = uow.session
        agency_id: int | None = None
        kind = parse_kind(segment.target or "") if segment.kind is SegmentKind.kind else None
        if segment.kind is SegmentKind.agency:
            agency_id = (await _agency_by_code(session, segment.target or "")).id
        agencies = {a.id: a for a in await session.scalars(select(Agency))}
        people = {
            p.id: p.agency_id
            for p in await session.scalars(select(Person).where(Person.status != Status.retired))
        }
        answered = set(people.values())
        accounts = list(
            await session.scalars(
                select(Account)
                .where(Account.channel.in_(PUSH_CHANNELS))
                .order_by(Account.channel, Account.id)
            )
        )
        roots = {a.id: a for a in accounts}
        missing_roots = [
            a.linked_to_id for a in accounts if a.linked_to_id and a.linked_to_id not in roots
        ]
        if missing_roots:
            # Linked to an identity on another channel (the terminal): its role still counts.
            for root in await session.scalars(select(Account).where(Account.id.in_(missing_roots))):
                roots[root.id] = root

        def wanted(account: Account) -> bool:
            root = roots.get(account.linked_to_id or account.id, account)
            own: set[int] = set()
            if root.person_id is not None and root.person_id in people:
                own.add(people[root.person_id])
            focal = root.role is AccountRole.focal and root.agency_id is not None
            if focal and root.agency_id is not None:
                own.add(root.agency_id)
            if segment.kind is SegmentKind.everyone:
                return bool(own)
            if segment.kind is SegmentKind.focal:
                return focal
            if segment.kind is SegmentKind.agency:
                return agency_id in own
            if segment.kind is SegmentKind.kind:
                return any(agencies[a].kind is kind for a in own if a in agencies)
            return any(
                a not in answered and agencies[a].is_current(today) for a in own if a in agencies
            )

        chosen = tuple(
            Recipient(a.channel, a.external_id, a.language or default_language)
            for a in accounts
            if wanted(a)
        )
    return Preview(segment, chosen)


def parse_segment(kind: str, target: str | None = None) -> Segment:
    """A segment from its name (and the kind or agency code it needs)."""
    try:
        segment_kind = SegmentKind(kind.strip().lower())
    except ValueError:
        raise ValidationError(
            "broadcast.bad_segment",
            segment=kind[:32],
            segments=", ".join(s.value for s in SegmentKind),
        ) from None
    if segment_kind in (SegmentKind.kind, SegmentKind.agency):
        if not target or not target.strip():
            raise ValidationError(f"broadcast.needs_{segment_kind.value}")
        value = target.strip()
        if segment_kind is SegmentKind.kind:
            value = parse_kind(value).value
        return Segment(segment_kind, value[:64])
    return Segment(segment_kind)


@dataclass(frozen=True)
class ReportTo:
    """The chat told the progress and the final figures."""

    channel: str
    chat_id: str
    language: str


async def create(
    uow: UnitOfWork,
    actor: Actor,
    segment: Segment,
    text: str,
    *,
    organisation: str,
    default_language: str,
    urgent: bool = False,
    report_to: ReportTo | None = None,
) -> BroadcastView:
    """Store the broadcast and one letter per recipient chat, in one transaction."""
    require_staff(actor, "broadcast")
    body = check_body(text)
    preview = await recipients(uow, actor, segment, default_language)
    if not preview.recipients:
        raise ValidationError("broadcast.no_recipients")
    async with uow:
        row = Broadcast(
            author=actor.label,
            segment=segment.kind.value,
            target=segment.target,
            body=body,
            urgent=urgent,
            recipients=len(preview.recipients),
            report_channel=report_to.channel if report_to else None,
            report_chat_id=report_to.chat_id if report_to else None,
            report_language=report_to.language if report_to else None,
            created_at=utcnow(),
        )
        uow.session.add(row)
        await uow.session.flush()
        letters = [
            Letter(
                dedupe=f"broadcast:{row.id}:{r.channel}:{r.chat_id}",
                channel=r.channel,
                chat_id=r.chat_id,
                language=r.language,
                text_key="outbox.broadcast",
                params={"organisation": organisation, "body": body},
                broadcast_id=row.id,
                quiet=not urgent,
            )
            for r in preview.recipients
        ]
        await outbox.enqueue(uow.session, letters)
        await uow.commit()
        return _view(row, Counts(pending=len(letters)))


def _view(row: Broadcast, counts: Counts) -> BroadcastView:
    return BroadcastView(
        id=row.id,
        author=row.author,
        segment=Segment(SegmentKind(row.segment), row.target),
        body=row.body,
        urgent=row.urgent,
        recipients=row.recipients,
        created_at=row.created_at,
        finished_at=row.finished_at,
        counts=counts,
    )


async def get(uow: UnitOfWork, actor: Actor, broadcast_id: int) -> BroadcastView:
    require_staff(actor, "broadcast")
    async with uow.reading():
        row = await uow.session.get(Broadcast, broadcast_id)
        if row is None:
            raise NotFound("broadcast.not_found", id=broadcast_id)
        return _view(row, await outbox.counts(uow.session, row.id))


async def latest(uow: UnitOfWork, actor: Actor, limit: int = 10) -> list[BroadcastView]:
    require_staff(actor, "broadcast")
    async with uow.reading():
        rows = list(
            await uow.session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))
        )
        return [_view(row, await outbox.counts(uow.session, row.id)) for row in rows]


async def follow_up(session: AsyncSession, now: datetime) -> int:
    """Progress notes and final reports of the broadcasts under way; how many finished.

    Idempotent like everything in the outbox: each note has its own dedupe key, so a pass run
    twice enqueues each once. Runs in the caller's transaction.
    """
    finished = 0
    running = list(await session.scalars(select(Broadcast).where(Broadcast.finished_at.is_(None))))
    for row in running:
        counted = await outbox.counts(session, row.id)
        report = row.report_channel is not None and row.report_chat_id is not None
        if counted.pending == 0:
            row.finished_at = now
            finished += 1
        if not report:
            continue
        base = {
            "channel": row.report_channel or "",
            "chat_id": row.report_chat_id or "",
            "language": row.report_language or "vi",
            "quiet": False,  # the author is waiting for it
            # Due before the letters still waiting: the author hears of it now, not after them.
            "not_before": row.created_at - timedelta(seconds=1),
        }
        params = {
            "id": row.id,
            "total": counted.total,
            "done": counted.done,
            "sent": counted.sent,
            "blocked": counted.blocked,
            "failed": counted.failed,
        }
        if counted.pending == 0:
            await outbox.enqueue(
                session,
                [
                    Letter(
                        dedupe=f"broadcast:{row.id}:report",
                        text_key="outbox.broadcast_report",
                        params=params,
                        **base,  # type: ignore[arg-type]
                    )
                ],
            )
            continue
        if counted.total < PROGRESS_MIN:
            continue
        reached = [q for q in QUARTERS if counted.done * 100 >= q * counted.total]
        if reached:
            quarter = reached[-1]
            await outbox.enqueue(
                session,
                [
                    Letter(
                        dedupe=f"broadcast:{row.id}:progress:{quarter}",
                        text_key="outbox.broadcast_progress",
                        params={**params, "percent": quarter},
                        **base,  # type: ignore[arg-type]
                    )
                ],
            )
    return finished
