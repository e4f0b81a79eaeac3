"""The words written into roster files, given to the writers by the caller.

The registry never holds a sentence for a person (see ``registry.errors``): the bot builds
these from its text catalogs, in the reader's language, and the writers only place them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class RosterLabels:
    """Everything the xlsx, csv and vCard roster writers print."""

    title: str  # "DANH SÁCH NGƯỜI PHÁT NGÔN, CUNG CẤP THÔNG TIN CHO BÁO CHÍ"
    as_of: str  # "Cập nhật đến ngày 26/11/2025"
    headers: Mapping[str, str]  # one per key of registry.roster.export.columns.COLUMNS
    sections: Mapping[str, str]  # one per key of registry.roster.export.selection.SECTIONS
    roles: Mapping[str, str]  # Role value -> name
    statuses: Mapping[str, str]  # Status value -> name
    kinds: Mapping[str, str]  # AgencyKind value -> name
    sheet_roster: str
    sheet_missing: str
    sheet_summary: str
    agency_line: Callable[[str], str]  # agency name -> "Cơ quan, đơn vị: …" (filtered export)
    merged_agency: Callable[[str, str], str]  # (agency, successor) -> "… (đã hợp nhất vào …)"
    phone_extension: Callable[[str, str], str]  # (number, extension) -> "… máy lẻ 101"
    nobody: str  # the line of a roster without anyone in it
    missing_title: str
    missing_none: str
    summary_title: str
    summary_kinds: str
    summary_roles: str
    summary_statuses: str
    # kind, agencies, answered, missing, people, role, status, count
    summary_headers: Mapping[str, str]
    total: str
    page_footer: str  # with Excel's page codes, e.g. "Trang &P/&N"
    local_date: Callable[[datetime], date]  # a stored UTC time -> the reader's calendar day
    # The summary's table of agencies: its caption, headers (agency, kind, answered_on, state),
    # the states (answered, missing, overdue) and the campaign's line (deadline, figures).
    summary_agencies: str = ""
    agency_headers: Mapping[str, str] = field(default_factory=dict)
    answer_states: Mapping[str, str] = field(default_factory=dict)
    campaign_line: Callable[[date, int, int, int], str] | None = None


@dataclass(frozen=True)
class TemplateLabels:
    """Everything the blank template prints."""

    title: str
    agency_line: Callable[[str], str]
    headers: Mapping[str, str]  # one per key of registry.roster.export.columns.TEMPLATE_COLUMNS
    roles: Mapping[str, str]  # Role value -> name, in the order of the drop-down
    sheet_data: str
    sheet_instructions: str
    sheet_lists: str  # the hidden sheet the drop-down lists read from
    instructions_title: str
    instructions: Sequence[str]  # one paragraph a row
    example: Mapping[str, str]  # full_name, position, mobile, office_phone, email
    agency_prompt: str
    agency_error: str
    role_prompt: str
    role_error: str
