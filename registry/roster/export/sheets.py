"""Streaming xlsx sheets with styled cells, shared by the roster and the template.

openpyxl's write-only mode keeps memory flat (each row goes to a temporary file as it is
appended) and still writes merged cells, print settings, frozen panes, autofilters and data
validations, because those are written after the rows, when the sheet is closed. What that
mode does slowly, for a roster of 100,000 people with a style on every cell, is done here:

- each style is built once, as openpyxl's ``StyleArray`` of a prototype cell, and shared by
  every cell that uses it (a style set cell by cell is looked up attribute by attribute);
- rows are lists of (value, style) items, written by ``_RowWriter`` as XML text in one piece
  (openpyxl builds an element tree per cell and serialises it in pure Python: most of the
  time of a large export, and three times slower than the text).

The row writer produces what openpyxl would (inline strings, numbers, dates as serial numbers,
the style index of each cell) and falls back to openpyxl's own cells when the XML stream is not
the standard-library one it knows (openpyxl uses lxml when installed). It leans on openpyxl
internals (``_values_to_row``, ``_get_writer``, ``WorksheetWriter.write_row``, the stream's
``_file``), stable across 3.x; the roster tests read every feature back, on both paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.pagebreak import Break

from registry.roster.cells import is_risky, xml_safe

# Vietnamese administrative documents are set in Times New Roman (Nghị định 30/2020/NĐ-CP);
# LibreOffice substitutes the metric-compatible Liberation Serif where it is not installed.
FONT_NAME = "Times New Roman"
DATE_FORMAT = "DD/MM/YYYY"
PAPER_A4 = 9  # paperSize code of ECMA-376
_THIN = Side(style="thin", color="000000")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9E2F3")
_SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
_EXAMPLE_FILL = PatternFill("solid", fgColor="FFF2CC")

# Neither Excel nor LibreOffice fits the height of a row to wrapped text when it opens a file
# (LibreOffice showed the second line of a long position over the next row), so the writers
# set it: text is wrapped greedily at word boundaries, counting this many characters of
# 11-point Times New Roman per unit of column width (a little fewer than fit, so that an
# estimate errs towards a spare line rather than a hidden one).
CHARS_PER_WIDTH = 0.95
BOLD_CHARS_PER_WIDTH = 0.85
LINE_POINTS = 14.0
ROW_PADDING_POINTS = 2.0
DEFAULT_ROW_POINTS = 15.0  # a row without a height of its own (the sheet's default)

# Printing: A4 in inches, the margins print_setup sets, and what a column of width w takes in
# pixels at 96 dpi (Excel's rule for the default font's 7-pixel digits). A page is filled to
# PAGE_FILL of what the arithmetic gives, so that a renderer measuring a little differently
# (LibreOffice, another printer driver) still fits each page's rows on its page.
A4_INCHES = (8.27, 11.69)
SIDE_MARGIN = 0.4
TOP_MARGIN = 0.75
PAGE_FILL = 0.88

# A cell to write: (value, style); a style of None is the workbook's default.
Item = tuple[Any, StyleArray | None] | None
_DEFAULT = StyleArray()


class _FastSheet(WriteOnlyWorksheet):
    """A write-only sheet whose rows are lists of items, written by ``_RowWriter``."""

    def _get_writer(self) -> None:
        if self._writer is None:
            self._writer = _RowWriter(self)
            self._writer.write_top()

    def _values_to_row(self, values: list[Item], row_idx: int) -> list[Item]:
        return values  # the items go to _RowWriter.write_row as they are


def _escaped(text: str) -> str:
    # Carriage returns are kept as such (an XML parser would turn a bare one into a newline).
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


class _RowWriter(WorksheetWriter):
    """Writes each row of items as one piece of XML text (see the module's docstring)."""

    raw_rows = True  # False: every row through openpyxl's cells (the tests compare both)

    def __init__(self, ws: _FastSheet) -> None:
        super().__init__(ws)
        self._letters: list[str] = []
        self._style_ids: dict[int, tuple[StyleArray, int]] = {}
        self._quoted: dict[int, tuple[StyleArray, StyleArray]] = {}
        self._epoch = ws.parent.epoch

    def write_row(self, xf: Any, row: list[Item], row_idx: int) -> None:
        raw = getattr(xf, "_file", None)
        if not (self.raw_rows and callable(raw)):
            super().write_row(xf, self._cells(row, row_idx), row_idx)
            return
        assert raw is not None
        raw(self._row_xml(row, row_idx))

    def _letter(self, index: int) -> str:
        while len(self._letters) <= index:
            self._letters.append(get_column_letter(len(self._letters) + 1))
        return self._letters[index]

    def _style_id(self, style: StyleArray) -> int:
        known = self._style_ids.get(id(style))
        if known is None:
            # The style is kept with its index, so that its id() is never reused meanwhile.
            known = self._style_ids[id(style)] = (style, self.ws.parent._cell_styles.add(style))
        return known[1]

    def _text_style(self, text: str, style: StyleArray) -> StyleArray:
        """A risky text gets the "this is text" mark (see registry.roster.cells)."""
        if not is_risky(text):
            return style
        known = self._quoted.get(id(style))
        if known is None:
            known = self._quoted[id(style)] = (style, quoted(style))
        return known[1]

    def _row_xml(self, row: list[Item], row_idx: int) -> str:
        dimension = self.ws.row_dimensions.get(row_idx)
        attributes = "".join(f' {key}="{value}"' for key, value in dimension or ())
        parts = [f'<row r="{row_idx}"{attributes}>']
        for index, item in enumerate(row):
            if item is None:
                continue
            value, style = item
            style = _DEFAULT if style is None else style
            ref = f"{self._letter(index)}{row_idx}"
            if value is None:
                parts.append(f'<c r="{ref}" s="{self._style_id(style)}"/>')
            elif isinstance(value, str):
                text = xml_safe(value)
                style_id = self._style_id(self._text_style(text, style))
                space = ' xml:space="preserve"' if text.strip() not in ("", text) else ""
                parts.append(
                    f'<c r="{ref}" s="{style_id}" t="inlineStr"><is><t{space}>'
                    f"{_escaped(text)}</t></is></c>"
                )
            elif isinstance(value, bool):
                parts.append(
                    f'<c r="{ref}" s="{self._style_id(style)}" t="b"><v>{int(value)}</v></c>'
                )
            elif isinstance(value, date | datetime):
                serial = to_excel(value, self._epoch)
                parts.append(f'<c r="{ref}" s="{self._style_id(style)}" t="n"><v>{serial}</v></c>')
            else:
                parts.append(f'<c r="{ref}" s="{self._style_id(style)}" t="n"><v>{value!r}</v></c>')
        parts.append("</row>")
        return "".join(parts)

    def _cells(self, row: list[Item], row_idx: int) -> list[Cell]:
        """The same row as openpyxl cells (the path for other XML streams)."""
        cells: list[Cell] = []
        for index, item in enumerate(row, 1):
            if item is None:
                continue
            value, style = item
            cell = Cell(self.ws, row=row_idx, column=index)
            style = _DEFAULT if style is None else style
            if isinstance(value, str):
                text = xml_safe(value)
                cell._value = text
                # An explicit string: openpyxl would store a text starting with "=" as a formula.
                cell.data_type = "s"
                style = self._text_style(text, style)
            else:
                cell.value = value
            cell._style = StyleArray(style)
            cells.append(cell)
        return cells


@dataclass(frozen=True)
class Styles:
    """Every cell style of the roster files, built once per workbook."""

    organisation: StyleArray
    title: StyleArray
    subtitle: StyleArray
    header: StyleArray
    section: StyleArray
    text: StyleArray  # wrapped, top-aligned, in the grid
    center: StyleArray  # numbers and short codes
    date: StyleArray
    group: StyleArray  # the agency cell merged over its people
    caption: StyleArray  # the title of a table of the summary
    total: StyleArray
    total_center: StyleArray
    example: StyleArray
    plain: StyleArray  # instructions: wrapped, no grid

    @classmethod
    def build(cls, sheet: WriteOnlyWorksheet) -> Styles:
        def style(
            *,
            size: float = 11,
            bold: bool = False,
            italic: bool = False,
            horizontal: str | None = None,
            vertical: str = "top",
            wrap: bool = True,
            border: Border | None = None,
            fill: PatternFill | None = None,
            number_format: str | None = None,
        ) -> StyleArray:
            prototype = WriteOnlyCell(sheet)
            prototype.font = Font(name=FONT_NAME, size=size, bold=bold, italic=italic)
            prototype.alignment = Alignment(
                horizontal=horizontal, vertical=vertical, wrap_text=wrap
            )
            if border is not None:
                prototype.border = border
            if fill is not None:
                prototype.fill = fill
            if number_format is not None:
                prototype.number_format = number_format
            return prototype._style

        return cls(
            organisation=style(size=12, bold=True, horizontal="center", vertical="center"),
            title=style(size=14, bold=True, horizontal="center", vertical="center"),
            subtitle=style(italic=True, horizontal="center", vertical="center"),
            header=style(
                bold=True, horizontal="center", vertical="center", border=_GRID, fill=_HEADER_FILL
            ),
            section=style(
                bold=True, vertical="center", wrap=False, border=_GRID, fill=_SECTION_FILL
            ),
            text=style(border=_GRID),
            center=style(horizontal="center", border=_GRID),
            date=style(horizontal="center", border=_GRID, number_format=DATE_FORMAT),
            group=style(bold=True, border=_GRID),
            caption=style(bold=True, wrap=False),
            total=style(bold=True, border=_GRID),
            total_center=style(bold=True, horizontal="center", border=_GRID),
            example=style(italic=True, border=_GRID, fill=_EXAMPLE_FILL),
            plain=style(),
        )


def wrapped_lines(text: str, width: float, *, bold: bool = False) -> int:
    """Lines ``text`` takes in a wrapped cell ``width`` wide (see CHARS_PER_WIDTH)."""
    capacity = max(1, int(width * (BOLD_CHARS_PER_WIDTH if bold else CHARS_PER_WIDTH)))
    if len(text) <= capacity and "\n" not in text:
        return 1  # the common case, without splitting
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0
        for word in paragraph.split():
            size = len(word)
            if used and used + 1 + size <= capacity:
                used += 1 + size
                continue
            if used:
                lines += 1
            # A word longer than the cell is cut across lines.
            extra, used = divmod(size, capacity)
            if used == 0 and extra:
                extra, used = extra - 1, capacity
            lines += extra
    return max(1, lines)


def height_for(lines: int) -> float | None:
    """A row height in points for ``lines`` lines; None (the default height) for one."""
    return None if lines <= 1 else lines * LINE_POINTS + ROW_PADDING_POINTS


def with_number_format(
    sheet: WriteOnlyWorksheet, style: StyleArray, number_format: str
) -> StyleArray:
    """``style`` with another number format (the text format "@" for phone cells, say)."""
    prototype = WriteOnlyCell(sheet)
    prototype._style = StyleArray(style)
    prototype.number_format = number_format
    return prototype._style


def quoted(style: StyleArray) -> StyleArray:
    """The same style with Excel's "this is text" mark (see registry.roster.cells)."""
    marked = StyleArray(style)
    marked.quotePrefix = 1
    return marked


class Sheet:
    """One streaming sheet: rows of (value, style) items, merges collected until it closes."""

    def __init__(self, workbook: Workbook, title: str, widths: Sequence[float]) -> None:
        self.ws = _FastSheet(workbook, title)
        workbook._add_sheet(self.ws)
        # Column widths are written before the first row: set them now.
        for index, width in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.widths = tuple(widths)
        self.width = len(widths)
        self.row = 0
        self.last_height = 0.0  # points of the last row written
        self.used = 0.0  # points of every row written
        self._merges: list[CellRange] = []

    @property
    def last_column(self) -> str:
        return get_column_letter(self.width)

    def put(self, items: Sequence[Item], *, height: float | None = None) -> int:
        """Append one row; returns its number."""
        self.row += 1
        self.last_height = DEFAULT_ROW_POINTS if height is None else height
        self.used += self.last_height
        if height is not None:
            self.ws.row_dimensions[self.row].height = height
        self.ws.append(list(items))
        # The row is written: its dimension is not needed any more (keeps memory flat).
        if height is not None:
            del self.ws.row_dimensions[self.row]
        return self.row

    def fitted(self, items: Sequence[Item], *, bold: bool = False, least: float = 0) -> int:
        """Append a row as tall as its wrapped texts need (and at least ``least`` points)."""
        lines = max(
            (
                wrapped_lines(item[0], width, bold=bold)
                for item, width in zip(items, self.widths, strict=False)
                if item is not None and isinstance(item[0], str)
            ),
            default=1,
        )
        height = height_for(lines)
        if least and (height is None or height < least):
            height = least
        return self.put(items, height=height)

    def line(self, text: str, style: StyleArray, *, height: float | None = None) -> int:
        """A row holding one text merged across the whole width (titles, section names)."""
        row = self.put([(text, style)] + [(None, style)] * (self.width - 1), height=height)
        self.merge(1, row, self.width, row)
        return row

    def merge(self, first_column: int, first_row: int, last_column: int, last_row: int) -> None:
        if (first_column, first_row) != (last_column, last_row):
            self._merges.append(
                CellRange(
                    min_col=first_column, min_row=first_row, max_col=last_column, max_row=last_row
                )
            )

    def page_break(self) -> None:
        """The printed page ends after the last row written."""
        self.ws.row_breaks.append(Break(id=self.row))

    def close(self) -> None:
        """Hand the merges over (openpyxl writes them with the sheet's tail)."""
        # Building the set once: MultiCellRange.add scans every range already there.
        self.ws.merged_cells = MultiCellRange(self._merges)


def print_setup(
    sheet: Sheet, *, header_row: int | None, landscape: bool, footer: str | None = None
) -> None:
    """A4, fitted to the page width, the header row printed on every page and kept in view on
    screen. Call it before the first row: the page-fit flag and the frozen pane are written at
    the top of the sheet."""
    ws = sheet.ws
    ws.page_setup.paperSize = PAPER_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    # Excel's own defaults for the page foot: LibreOffice cuts the page number with less.
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.footer = 0.3
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"
        ws.freeze_panes = f"A{header_row + 1}"
    if footer:
        ws.oddFooter.center.text = footer
        ws.oddFooter.center.font = f"{FONT_NAME},Regular"
        ws.oddFooter.center.size = 10


def page_points(widths: Sequence[float], *, landscape: bool) -> float:
    """Points of rows one printed page holds, at the sheet's own scale (before print_setup's
    fit to the page width shrinks the sheet), with PAGE_FILL to spare."""
    short, long = A4_INCHES
    paper_width, paper_height = (long, short) if landscape else (short, long)
    printable_pixels = (paper_width - 2 * SIDE_MARGIN) * 96
    sheet_pixels = sum(int(width * 7 + 5) for width in widths)
    scale = min(1.0, printable_pixels / sheet_pixels)
    return (paper_height - 2 * TOP_MARGIN) * 72 / scale * PAGE_FILL


def autofilter(sheet: Sheet, *, header_row: int) -> None:
    """Filter buttons on the header, over every row written so far."""
    sheet.ws.auto_filter.ref = f"A{header_row}:{sheet.last_column}{max(sheet.row, header_row)}"
