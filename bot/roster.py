"""Roster files for people: the export and the blank template, worded from the text catalogs.

Shared by the CLI (``spokes export``, ``spokes template``) and the bot (/export, /template):
given a unit of work, who asks, the format, the filters, a language and the organisation to
print (configuration, read by the entry point), these return the file's bytes and a file name
(or write into a stream the caller owns, for large exports on disk). They run in the unit of
work as the caller hands it over: one of its own for the CLI, the update's in a chat.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, BinaryIO

from bot.clock import local_date, today
from bot.texts import language_of, t
from registry.actors import Actor
from registry.models import AgencyKind, PersonField, Role, Status
from registry.roster.export.columns import COLUMNS, TEMPLATE_COLUMNS
from registry.roster.export.exporter import ExportResult, Progress, export_roster, parse_format
from registry.roster.export.labels import RosterLabels, TemplateLabels
from registry.roster.export.selection import SECTIONS
from registry.uow import UnitOfWork

if TYPE_CHECKING:
    from registry.roster.export.template import TemplateResult

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUMMARY_HEADERS = ("kind", "agencies", "answered", "missing", "people", "role", "status", "count")
# The example row's own values (its agency and role are the catalog's): what a person gives
# about themselves, but the role.
EXAMPLE_FIELDS: tuple[str, ...] = tuple(
    f.value for f in PersonField.own() if f is not PersonField.role
)


@dataclass(frozen=True)
class RosterFile:
    """A file ready to save or send."""

    data: bytes
    file_name: str
    media_type: str
    people: int  # people in the file (0 for the template)
    missing: int  # agencies of the export nobody is registered for (0 for the template)


def roster_labels(language: str, *, on: date) -> RosterLabels:
    lang = language_of(language)

    def say(key: str, **params: object) -> str:
        return t(lang, key, **params)

    return RosterLabels(
        title=say("roster.export.title"),
        as_of=say("roster.export.as_of", date=on.strftime("%d/%m/%Y")),
        headers={column: say(f"roster.column.{column}") for column in COLUMNS},
        sections={key: say(f"roster.section.{key}") for key, _ in SECTIONS},
        roles={role.value: say(f"role.{role.value}") for role in Role},
        statuses={status.value: say(f"status.{status.value}") for status in Status},
        kinds={kind.value: say(f"kind.{kind.value}") for kind in AgencyKind},
        sheet_roster=say("roster.export.sheet_roster"),
        sheet_missing=say("roster.export.sheet_missing"),
        sheet_summary=say("roster.export.sheet_summary"),
        agency_line=lambda agency: say("roster.export.agency_line", agency=agency),
        merged_agency=lambda agency, successor: say(
            "roster.export.merged_agency", agency=agency, successor=successor
        ),
        phone_extension=lambda number, extension: say(
            "roster.export.extension", number=number, extension=extension
        ),
        nobody=say("roster.export.nobody"),
        missing_title=say("roster.export.missing_title"),
        missing_none=say("roster.export.missing_none"),
        summary_title=say("roster.export.summary_title"),
        summary_kinds=say("roster.export.summary_kinds"),
        summary_roles=say("roster.export.summary_roles"),
        summary_statuses=say("roster.export.summary_statuses"),
        summary_headers={key: say(f"roster.summary.{key}") for key in SUMMARY_HEADERS},
        total=say("roster.export.total"),
        # Excel's header/footer codes: &P the page, &N the number of pages.
        page_footer=say("roster.export.page", page="&P", pages="&N"),
        local_date=local_date,
        summary_agencies=say("roster.campaign.agencies"),
        agency_headers={
            key: say(f"roster.campaign.{key}") for key in ("agency", "kind", "answered_on", "state")
        },
        answer_states={
            key: say(f"roster.campaign.{key}") for key in ("answered", "missing", "overdue")
        },
        campaign_line=lambda deadline, answered, missing, overdue: say(
            "roster.campaign.line",
            deadline=deadline.strftime("%d/%m/%Y"),
            answered=answered,
            missing=missing,
            overdue=overdue,
        ),
    )


def template_labels(language: str, *, organisation: str) -> TemplateLabels:
    lang = language_of(language)

    def say(key: str, **params: object) -> str:
        return t(lang, key, **params)

    instructions = say("roster.template.instructions", organisation=organisation)
    return TemplateLabels(
        title=say("roster.export.title"),
        agency_line=lambda agency: say("roster.export.agency_line", agency=agency),
        headers={column: say(f"roster.column.{column}") for column in TEMPLATE_COLUMNS},
        roles={role.value: say(f"role.{role.value}") for role in Role},
        sheet_data=say("roster.export.sheet_roster"),
        sheet_instructions=say("roster.template.sheet_instructions"),
        sheet_lists=say("roster.template.sheet_lists"),
        instructions_title=say("roster.template.instructions_title"),
        instructions=[line.strip() for line in instructions.splitlines() if line.strip()],
        example={key: say(f"roster.template.example_{key}") for key in EXAMPLE_FIELDS},
        agency_prompt=say("roster.template.agency_prompt"),
        agency_error=say("roster.template.agency_error"),
        role_prompt=say("roster.template.role_prompt"),
        role_error=say("roster.template.role_error"),
    )


def export_file_name(language: str, result: ExportResult, on: date) -> str:
    """ "danh-sach-nguoi-phat-ngon-2025-11-26.xlsx", with the agency's code when filtered."""
    parts = [t(language_of(language), "roster.export.file_name")]
    if result.scope.agency_code:
        parts.append(result.scope.agency_code)
    if result.scope.kind is not None:
        parts.append(result.scope.kind.value.replace("_", "-"))
    if result.scope.status is not None:
        parts.append(result.scope.status.value)
    parts.append(on.isoformat())
    return f"{'-'.join(parts)}.{result.format.value}"


def template_file_name(language: str, result: TemplateResult) -> str:
    """ "mau-danh-sach.xlsx", or "mau-danh-sach-bo-tai-chinh.xlsx" for one agency."""
    stem = t(language_of(language), "roster.template.file_name")
    if result.agency_code:
        stem = f"{stem}-{result.agency_code}"
    return f"{stem}.xlsx"


async def export_to(
    uow: UnitOfWork,
    actor: Actor,
    target: BinaryIO,
    *,
    format: str,
    language: str,
    organisation: str,
    agency: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    progress: Progress | None = None,
    on: date | None = None,
    include_retired: bool = False,
    layout: str | None = None,
) -> tuple[ExportResult, str]:
    """Write the roster into ``target``; returns what was written and its file name."""
    parse_format(format)  # a wrong format is refused before anything else
    on = on or today()
    result = await export_roster(
        uow,
        actor,
        target,
        format=format,
        labels=roster_labels(language, on=on),
        organisation=organisation,
        agency=agency,
        kind=kind,
        status=status,
        include_retired=include_retired,
        on=on,
        progress=progress,
        layout=layout,
    )
    return result, export_file_name(language, result, on)


async def export_file(
    uow: UnitOfWork,
    actor: Actor,
    *,
    format: str,
    language: str,
    organisation: str,
    agency: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    progress: Progress | None = None,
    on: date | None = None,
    layout: str | None = None,
) -> RosterFile:
    """The roster as bytes and a file name (what the bot sends as a document)."""
    buffer = io.BytesIO()
    result, name = await export_to(
        uow,
        actor,
        buffer,
        format=format,
        language=language,
        organisation=organisation,
        agency=agency,
        kind=kind,
        status=status,
        progress=progress,
        on=on,
        layout=layout,
    )
    return RosterFile(buffer.getvalue(), name, result.media_type, result.people, result.missing)


async def template_to(
    uow: UnitOfWork,
    target: BinaryIO,
    *,
    language: str,
    organisation: str,
    agency: str | None = None,
) -> tuple[TemplateResult, str]:
    """Write the blank template into ``target``; returns what was written and its file name."""
    labels = template_labels(language, organisation=organisation)
    # Imported here: openpyxl takes a noticeable time to import (see bot.cli).
    from registry.roster.export.template import write_template

    result = await write_template(uow, target, labels=labels, agency=agency, on=today())
    return result, template_file_name(language, result)


async def template_file(
    uow: UnitOfWork, *, language: str, organisation: str, agency: str | None = None
) -> RosterFile:
    """The blank template as bytes and a file name."""
    buffer = io.BytesIO()
    _, name = await template_to(
        uow, buffer, language=language, organisation=organisation, agency=agency
    )
    return RosterFile(buffer.getvalue(), name, XLSX_MEDIA_TYPE, 0, 0)
