"""Export the roster: xlsx for printing, csv for spreadsheets, vCard for phones.

The use case checks who asks (see ``selection.resolve_scope``), then streams the people into the
chosen writer, so that memory stays flat on a directory of 100,000 people. It runs in the
caller's unit of work: alone (the CLI) it reads in a transaction of its own, inside a chat
update it reads within the update's.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO, Protocol

from sqlalchemy import select

from registry.actors import Actor
from registry.errors import ValidationError
from registry.models import Campaign
from registry.roster.export.columns import Layout
from registry.roster.export.csv_roster import CsvRoster
from registry.roster.export.labels import RosterLabels
from registry.roster.export.selection import (
    ExportRow,
    ExportScope,
    agencies_in_scope,
    agency_answers,
    count_people,
    resolve_scope,
    stream_people,
    stream_values,
)
from registry.roster.export.summary import ExportSummary, Tally
from registry.roster.export.vcard import VcardRoster
from registry.uow import UnitOfWork

Progress = Callable[[int, int], None]  # (people written, people in all)


class ExportFormat(enum.StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    vcf = "vcf"


MEDIA_TYPES: dict[ExportFormat, str] = {
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.vcf: "text/vcard; charset=utf-8",
}


class RosterWriter(Protocol):
    def add(self, rows: list[ExportRow]) -> None: ...

    def finish(self, summary: ExportSummary, target: BinaryIO) -> None: ...


@dataclass(frozen=True)
class ExportResult:
    format: ExportFormat
    scope: ExportScope
    people: int
    missing: int  # current agencies of the scope nobody is registered for

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def parse_format(text: str) -> ExportFormat:
    try:
        return ExportFormat((text or "").strip().lower().lstrip("."))
    except ValueError:
        raise ValidationError(
            "export.unknown_format", format=text, formats=", ".join(f.value for f in ExportFormat)
        ) from None


def parse_layout(text: str | None) -> Layout:
    try:
        return Layout((text or Layout.working.value).strip().lower())
    except ValueError:
        raise ValidationError(
            "export_layout.unknown", layout=text, layouts=", ".join(v.value for v in Layout)
        ) from None


def _writer(
    format: ExportFormat,
    labels: RosterLabels,
    organisation: str,
    scope: ExportScope,
    target: BinaryIO,
    layout: Layout,
) -> RosterWriter:
    if format is ExportFormat.xlsx:
        # Imported here: openpyxl takes a noticeable time to import, csv and vCard never need it.
        from registry.roster.export.xlsx import XlsxRoster

        return XlsxRoster(labels, organisation=organisation, scope=scope, layout=layout)
    if format is ExportFormat.csv:
        return CsvRoster(labels, target, layout)
    return VcardRoster(labels, target)


async def export_roster(
    uow: UnitOfWork,
    actor: Actor,
    target: BinaryIO,
    *,
    format: str,
    labels: RosterLabels,
    organisation: str,
    agency: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    include_retired: bool = False,
    on: date | None = None,
    progress: Progress | None = None,
    layout: str | None = None,
) -> ExportResult:
    """Write the roster of what ``actor`` may see, narrowed by the filters, into ``target``.

    Staff export everything; a focal point its own agency (the default when it names none);
    members are refused with PermissionDenied before anything is read or written.
    ``status`` is one status; without it everyone still in the network (not retired), and
    with ``include_retired`` (staff only) those who left it too; erased people never.
    ``organisation`` is printed at the top of the workbook (configuration, given by the caller).
    ``layout``: ``working`` (the default) or ``handout`` (without status and update columns).
    """
    chosen = parse_format(format)
    shape = parse_layout(layout)
    on = on or date.today()
    tally = Tally()
    async with uow.reading():
        session = uow.session
        scope = await resolve_scope(
            session,
            actor,
            agency=agency,
            kind=kind,
            status=status,
            include_retired=include_retired,
        )
        total = await count_people(session, scope)
        agencies, missing = await agencies_in_scope(session, scope, on=on)
        # The summary's figures are printed only in the workbook (its other sheets).
        summarised = chosen is ExportFormat.xlsx
        answers = await agency_answers(session, scope, on=on) if summarised else []
        deadline = (
            await session.scalar(
                select(Campaign.deadline)
                .where(Campaign.closed_at.is_(None))
                .order_by(Campaign.id.desc())
            )
            if summarised
            else None
        )
        writer = _writer(chosen, labels, organisation, scope, target, shape)
        if progress is not None:
            progress(0, total)
        if isinstance(writer, CsvRoster | VcardRoster):
            # The query's rows as they come: no object made per person, no tally to keep.
            async for values in stream_values(session, scope, on=on):
                writer.add_values(values)
                tally.people += len(values)
                if progress is not None:
                    progress(tally.people, max(total, tally.people))
                await asyncio.sleep(0)
        else:
            async for batch in stream_people(session, scope, on=on):
                writer.add(batch)
                tally.add(batch)
                if progress is not None:
                    progress(tally.people, max(total, tally.people))
                # Writing a batch takes a moment: let a bot serve other chats in between.
                await asyncio.sleep(0)
    summary = ExportSummary(
        scope=scope,
        agencies=agencies,
        missing=missing,
        tally=tally,
        answers=answers,
        deadline=deadline,
        on=on,
    )
    # Zipping a large workbook takes seconds: off the event loop, once the reading is done.
    await asyncio.to_thread(writer.finish, summary, target)
    return ExportResult(chosen, scope, tally.people, len(missing))
