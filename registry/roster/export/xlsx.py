"""The conference roster as an xlsx workbook, written as the people stream in.

Sheet 1, the roster: a title block (organisation, title, date), the header, then a section per
group of agency kinds numbered I, II, III..., each agency's people under it with the agency
cell merged over them. Print-ready: A4 landscape fitted to the width, the header repeated on
every page and frozen on screen, filter buttons, page numbers. The writer places the page
breaks itself (from the row heights it sets, with room to spare): a merged cell split by a page
break would leave the agency's name on the first page only, so an agency whose people run onto
the next page has its cell merged up to the break and its name again at the top of that page.
The handout layout (``Layout.handout``) leaves out the registry's own columns (status, update).
Sheet 2: the current agencies nobody is registered for. Sheet 3: counts by kind, role, status.
"""

from __future__ import annotations

from typing import BinaryIO

from openpyxl import Workbook

from registry.catalog import KIND_ORDER
from registry.roster.cells import roman
from registry.roster.export.columns import ColumnTexts, Layout, layout_columns
from registry.roster.export.labels import RosterLabels
from registry.roster.export.selection import ExportRow, ExportScope
from registry.roster.export.sheets import (
    DEFAULT_ROW_POINTS,
    Item,
    Sheet,
    Styles,
    autofilter,
    height_for,
    page_points,
    print_setup,
    wrapped_lines,
)
from registry.roster.export.summary import ExportSummary

# Widths in characters (of the default font's digits), chosen so that the ten columns fill an A4
# landscape page at about 75% and the usual values fit on one or two lines.
WIDTHS: dict[str, float] = {
    "stt": 5,
    "agency": 22,
    "full_name": 20,
    "position": 22,
    "role": 19,
    "mobile": 14,
    "office_phone": 16,
    "email": 24,
    "status": 12.5,
    "updated_at": 11,
    "confirmed_at": 11,
}
HEADER_ROW = 6
# Columns that are not wrapped text of ColumnTexts: the number, the agency (merged over its
# people) and the date.
_NOT_TEXT = ("stt", "agency", "updated_at", "confirmed_at")
ORGANISATION_COLUMNS = 3  # the organisation's name sits over the first three columns
TITLE_HEIGHT = 24
HEADER_HEIGHT = 22  # at least; more when a header wraps


def _points(lines: int) -> float:
    """The height of a person's row, always set: a renderer left to choose the height of a
    one-line row picks its own, and the page breaks are counted in these points."""
    return height_for(lines) or DEFAULT_ROW_POINTS


class XlsxRoster:
    """Feed it batches of rows in printing order, then ``finish`` into a binary stream."""

    def __init__(
        self,
        labels: RosterLabels,
        *,
        organisation: str,
        scope: ExportScope,
        layout: Layout = Layout.working,
    ) -> None:
        self.labels = labels
        self.columns = layout_columns(layout)
        self._text_columns = tuple(c for c in self.columns if c not in _NOT_TEXT)
        self._agency_index = self.columns.index("agency")
        self.texts = ColumnTexts(labels)
        self.organisation = organisation
        self.scope = scope
        self.workbook = Workbook(write_only=True)
        self.workbook.properties.title = labels.title
        self.workbook.properties.creator = organisation
        widths = [WIDTHS[c] for c in self.columns]
        self.sheet = Sheet(self.workbook, labels.sheet_roster, widths)
        self.styles = Styles.build(self.sheet.ws)
        print_setup(self.sheet, header_row=HEADER_ROW, landscape=True, footer=labels.page_footer)
        title_block(self.sheet, self.styles, organisation, labels.title, self._subtitles())
        self.sheet.fitted(
            [(labels.headers[c], self.styles.header) for c in self.columns],
            bold=True,
            least=HEADER_HEIGHT,
        )
        assert self.sheet.row == HEADER_ROW
        self._page = page_points(widths, landscape=True)
        self._repeated = self.sheet.last_height  # the header, printed on top of every page
        self._used = self.sheet.used  # points of the current page so far
        self.number = 0
        self._sections = 0
        self._section: str | None = None
        self._agency: int | None = None
        self._group_start = 0
        self._agency_lines = 0  # lines the agency's name still needs from its rows
        self._agency_text = ""
        self._pending: list[tuple[list[Item], int]] = []

    def _subtitles(self) -> list[str]:
        lines = [self.labels.as_of]
        if self.scope.agency_name:
            lines.append(self.labels.agency_line(self.scope.agency_name))
        return lines

    def add(self, rows: list[ExportRow]) -> None:
        labels, styles, sheet = self.labels, self.styles, self.sheet
        for row in rows:
            if row.section != self._section:
                self._close_group()
                self._sections += 1
                self._section = row.section
                # A section's title is not left alone at the foot of a page.
                self._place(DEFAULT_ROW_POINTS, keep=2 * DEFAULT_ROW_POINTS)
                sheet.line(
                    f"{roman(self._sections)}. {labels.sections[row.section]}",
                    styles.section,
                    height=DEFAULT_ROW_POINTS,
                )
            agency: str | None = None
            if row.agency_id != self._agency:
                self._close_group()
                self._agency = row.agency_id
                self._group_start = sheet.row + 1
                agency = row.agency_name
                if row.successor_name:
                    agency = labels.merged_agency(row.agency_name, row.successor_name)
                self._agency_text = agency
                self._agency_lines = wrapped_lines(agency, WIDTHS["agency"], bold=True)
            self.number += 1
            shown = self.texts(row)
            items: list[Item] = []
            for column in self.columns:
                if column == "stt":
                    items.append((self.number, styles.center))
                elif column == "agency":
                    items.append((agency, styles.group))
                elif column == "updated_at":
                    items.append((labels.local_date(row.updated_at), styles.date))
                elif column == "confirmed_at":
                    confirmed = row.confirmed_at
                    items.append((labels.local_date(confirmed) if confirmed else None, styles.date))
                elif column == "status":
                    items.append((shown[column], styles.center))
                else:
                    items.append((shown[column], styles.text))
            lines = max(
                (
                    wrapped_lines(text, WIDTHS[column])
                    for column in self._text_columns
                    if (text := shown[column])
                ),
                default=1,
            )
            self._row(items, lines)

    def _fits(self, points: float) -> bool:
        # A page holding only the header takes what comes, however tall.
        return self._used + points <= self._page or self._used <= self._repeated

    def _place(self, points: float, *, keep: float = 0) -> None:
        """Count rows of ``points`` about to be written; a new page first when they (and
        ``keep`` points that must follow them) do not fit on this one."""
        if not self._fits(points + keep):
            self.sheet.page_break()
            self._used = self._repeated
        self._used += points

    def _row(self, items: list[Item], lines: int) -> None:
        """Write a person's row, or hold it while its agency's merged cell needs more lines
        than the rows written so far give it (the name must not be cut off)."""
        if self._agency_lines <= 0 and not self._pending:
            height = _points(lines)
            if self._fits(height):
                self._used += height
                self.sheet.put(items, height=height)
                return
            # The page ends inside the agency's people: its cell is merged up to the break and
            # its name is printed again at the top of the next page.
            self._merge_group()
            self.sheet.page_break()
            self._used = self._repeated
            self._group_start = self.sheet.row + 1
            self._agency_lines = wrapped_lines(self._agency_text, WIDTHS["agency"], bold=True)
            items = list(items)
            items[self._agency_index] = (self._agency_text, self.styles.group)
        self._pending.append((items, lines))
        self._agency_lines -= lines
        if self._agency_lines <= 0:
            self._flush()

    def _flush(self) -> None:
        if self._pending and self._agency_lines > 0:
            # The agency has too few rows for its name: the last one grows.
            items, lines = self._pending[-1]
            self._pending[-1] = (items, lines + self._agency_lines)
        self._agency_lines = 0
        heights = [_points(lines) for _, lines in self._pending]
        # Held rows start their agency's cell: they go on one page together.
        self._place(sum(heights))
        for (items, _), height in zip(self._pending, heights, strict=True):
            self.sheet.put(items, height=height)
        self._pending.clear()

    def _merge_group(self) -> None:
        if self._agency is not None and self.sheet.row > self._group_start:
            column = self._agency_index + 1
            self.sheet.merge(column, self._group_start, column, self.sheet.row)

    def _close_group(self) -> None:
        """Merge the agency cell over the rows of the agency just finished."""
        self._flush()
        self._merge_group()
        self._agency = None

    def finish(self, summary: ExportSummary, target: BinaryIO) -> None:
        self._close_group()
        if self.number == 0:
            self.sheet.line(self.labels.nobody, self.styles.text)
        autofilter(self.sheet, header_row=HEADER_ROW)
        self.sheet.close()
        self._missing_sheet(summary)
        self._summary_sheet(summary)
        self.workbook.save(target)

    def _missing_sheet(self, summary: ExportSummary) -> None:
        labels, styles = self.labels, self.styles
        sheet = Sheet(self.workbook, labels.sheet_missing, [6, 56, 30])
        print_setup(sheet, header_row=HEADER_ROW, landscape=False, footer=labels.page_footer)
        title_block(sheet, styles, self.organisation, labels.missing_title, self._subtitles(), 2)
        headers = (labels.headers["stt"], labels.headers["agency"], labels.summary_headers["kind"])
        sheet.fitted([(text, styles.header) for text in headers], bold=True, least=HEADER_HEIGHT)
        for number, agency in enumerate(summary.missing, 1):
            kind = labels.kinds.get(agency.kind.value, agency.kind.value)
            sheet.fitted([(number, styles.center), (agency.name, styles.text), (kind, styles.text)])
        if not summary.missing:
            sheet.line(labels.missing_none, styles.text)
        autofilter(sheet, header_row=HEADER_ROW)
        sheet.close()

    def _summary_sheet(self, summary: ExportSummary) -> None:
        labels, styles, tally = self.labels, self.styles, summary.tally
        heads = labels.summary_headers
        sheet = Sheet(self.workbook, labels.sheet_summary, [40, 14, 16, 16, 14])
        print_setup(sheet, header_row=None, landscape=False, footer=labels.page_footer)
        title_block(sheet, styles, self.organisation, labels.summary_title, self._subtitles(), 2)
        missing_by_kind: dict[str, int] = {}
        for agency in summary.missing:
            missing_by_kind[agency.kind.value] = missing_by_kind.get(agency.kind.value, 0) + 1

        def table(title: str, header: list[str], rows: list[tuple[str, list[int]]]) -> None:
            sheet.put([(title, styles.caption)], height=20)
            sheet.fitted([(text, styles.header) for text in header], bold=True, least=HEADER_HEIGHT)
            for name, counts in rows:
                sheet.fitted([(name, styles.text)] + [(n, styles.center) for n in counts])
            totals = [sum(column) for column in zip(*(counts for _, counts in rows), strict=True)]
            if not rows:
                totals = [0] * (len(header) - 1)
            sheet.put([(labels.total, styles.total)] + [(n, styles.total_center) for n in totals])
            sheet.put([])

        kinds = [
            kind for kind in KIND_ORDER if summary.agencies.get(kind) or tally.by_kind.get(kind)
        ]
        table(
            labels.summary_kinds,
            [heads[k] for k in ("kind", "agencies", "answered", "missing", "people")],
            [
                (
                    labels.kinds.get(kind.value, kind.value),
                    [
                        summary.agencies.get(kind, 0),
                        summary.agencies.get(kind, 0) - missing_by_kind.get(kind.value, 0),
                        missing_by_kind.get(kind.value, 0),
                        tally.by_kind.get(kind, 0),
                    ],
                )
                for kind in kinds
            ],
        )
        table(
            labels.summary_roles,
            [heads["role"], heads["count"]],
            [(labels.roles.get(role, role), [n]) for role, n in tally.by_role.items()],
        )
        table(
            labels.summary_statuses,
            [heads["status"], heads["count"]],
            [
                (labels.statuses.get(status, status), [tally.by_status.get(status, 0)])
                for status in summary.statuses()
            ],
        )
        self._agencies_table(sheet, summary)
        sheet.close()

    def _agencies_table(self, sheet: Sheet, summary: ExportSummary) -> None:
        """Each agency of the export, with the day it answered (and, during a campaign, the
        campaign's figures: answered, missing, overdue after its deadline)."""
        labels, styles = self.labels, self.styles
        if not summary.answers or not labels.summary_agencies:
            return
        answered = sum(1 for a in summary.answers if a.answered_at is not None)
        missing = len(summary.answers) - answered
        overdue = summary.overdue()
        sheet.put([(labels.summary_agencies, styles.caption)], height=20)
        if summary.deadline is not None and labels.campaign_line is not None:
            line = labels.campaign_line(
                summary.deadline, answered, missing, missing if overdue else 0
            )
            sheet.line(line, styles.text)
        heads = labels.agency_headers
        sheet.fitted(
            [(heads[k], styles.header) for k in ("agency", "kind", "answered_on", "state")],
            bold=True,
            least=HEADER_HEIGHT,
        )
        states = labels.answer_states
        for agency in summary.answers:
            if agency.answered_at is not None:
                state = states["answered"]
                day: Item = (labels.local_date(agency.answered_at), styles.date)
            else:
                state = states["overdue" if overdue else "missing"]
                day = ("—", styles.center)
            kind = labels.kinds.get(agency.kind.value, agency.kind.value)
            sheet.fitted(
                [(agency.name, styles.text), (kind, styles.text), day, (state, styles.center)]
            )


def title_block(
    sheet: Sheet,
    styles: Styles,
    organisation: str,
    title: str,
    subtitles: list[str],
    organisation_columns: int = ORGANISATION_COLUMNS,
) -> None:
    """Rows 1 to HEADER_ROW - 1: the organisation top left, as on official documents, a blank
    row, the title, then the date line and the agency line (or blank rows)."""
    row = sheet.put([(organisation, styles.organisation)], height=20)
    sheet.merge(1, row, organisation_columns, row)
    sheet.put([])
    sheet.line(title, styles.title, height=TITLE_HEIGHT)
    for index in range(HEADER_ROW - 1 - sheet.row):
        if index < len(subtitles):
            sheet.line(subtitles[index], styles.subtitle, height=18)
        else:
            sheet.put([])
