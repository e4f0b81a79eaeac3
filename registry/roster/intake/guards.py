"""What reading one list may cost, and the checks that refuse a file before it costs more.

A workbook of a few hundred kilobytes can hold millions of shared strings or a sheet 16,384
columns wide: the size and zip-bomb checks pass, and the parser then takes minutes and hundreds
of megabytes. So the cost is bounded twice:

- before parsing, each format is scanned by a module of its own, stopping at the first limit
  passed: an .xlsx's XML (:mod:`.xlsx_scan`), an .ods's ``content.xml`` (:mod:`.ods_scan`),
  an .xls's compound file and BIFF records (:mod:`.xls_scan`);
- while reading, every reader (xlsx, xls, ods, csv) hands its rows to a :class:`Budget` that
  counts filled cells per row and in all, and watches the clock.

This module holds what the scans and the readers share: the :class:`Limits`, the
:class:`Budget`, what a scan learns besides the cost (:class:`Scan`), the refusals they give,
and the cutting of a stream of XML into pieces that end between tags.

Each limit has its own refusal (a ``ValidationError`` with code ``import.limits.*``), so the
person who sent the file learns what is wrong with it in their own language.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from registry.errors import ValidationError
from registry.settings import Settings

MB = 1024 * 1024

# A tag name is short: a "<" further than this from the end of a chunk starts a complete one.
_TAG_REACH = 64


@dataclass
class Scan:
    """What the scan of a workbook learnt beyond its cost: whether any cell holds a formula,
    and the largest block from the top-left corner to the last filled cell of a sheet (None
    when a writer left out the references it is measured by)."""

    formulas: bool = False
    area: int | None = 0

    def widen(self, rows: int | None, columns: int | None) -> None:
        if rows is None or columns is None or self.area is None:
            self.area = None
        else:
            self.area = max(self.area, rows * columns)

    def fits(self, limits: Limits) -> bool:
        """Whether the dense reader may hold the largest sheet."""
        return self.area is not None and self.area <= limits.max_cells


@dataclass(frozen=True)
class Limits:
    """What a file may weigh and cost; from the settings, raised by the benchmark.

    The defaults take a real list of 50,000 rows and about 15 columns with room to spare.
    """

    max_bytes: int = 10 * MB
    max_rows: int = 50_000
    max_uncompressed: int = 100 * MB
    max_shared_strings: int = 1_000_000
    max_shared_chars: int = 30_000_000
    max_columns: int = 1_000
    max_cells: int = 2_000_000
    max_sheet_rows: int = 200_000
    max_seconds: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_bytes=settings.import_max_bytes,
            max_rows=settings.import_max_rows,
            max_uncompressed=settings.import_max_uncompressed,
            max_shared_strings=settings.import_max_shared_strings,
            max_shared_chars=settings.import_max_shared_chars,
            max_columns=settings.import_max_columns,
            max_cells=settings.import_max_cells,
            max_sheet_rows=settings.import_max_sheet_rows,
            max_seconds=settings.import_max_seconds,
        )


class Budget:
    """The cost of one read so far: filled cells, and the time left."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds
        self.cells = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise ValidationError("import.limits.time", seconds=_number(self.limits.max_seconds))

    def row(self, cells: Sequence[str]) -> None:
        """Count one row as read, refusing a row too wide or a file with too many cells."""
        filled = sum(1 for cell in cells if cell)
        if filled > self.limits.max_columns:
            raise too_many_columns(self.limits)
        self.cells += filled
        if self.cells > self.limits.max_cells:
            raise too_many_cells(self.limits)
        self.check_time()


def too_many_columns(limits: Limits) -> ValidationError:
    return ValidationError("import.limits.columns", max=limits.max_columns)


def too_many_cells(limits: Limits) -> ValidationError:
    return ValidationError("import.limits.cells", max=limits.max_cells)


def too_many_sheet_rows(limits: Limits) -> ValidationError:
    return ValidationError("import.limits.sheet_rows", max=limits.max_sheet_rows)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def xml_chunks(stream: IO[bytes], budget: Budget) -> Iterator[bytes]:
    """The stream in pieces of about a megabyte, each cut before a tag that may be unfinished
    (the rest comes at the start of the next piece)."""
    tail = b""
    while chunk := stream.read(MB):
        buffer = tail + chunk
        cut = buffer.rfind(b"<")
        if cut == -1 or len(buffer) - cut > _TAG_REACH:
            cut = len(buffer)
        tail = buffer[cut:]
        budget.check_time()
        yield buffer[:cut]
    if tail:
        yield tail
