"""How fast hostile workbooks are refused, and what a real list of 50,000 rows costs to read.

    python bench/hostile_workbooks.py

Builds in memory the files of the tests (``tests/roster_files.py``): a shared-string table of
3 million entries, a sheet 16,384 columns × 200 rows, 2.2 million cells, 300,000 rows, and a
list of 50,000 rows × 15 columns, and reads each with the default limits
(:class:`registry.roster.intake.guards.Limits`). For each it prints the file's size, what the
reader said, the time it took and the peak of memory Python allocated meanwhile (tracemalloc,
which slows the read a little). As a baseline, the time openpyxl takes to open the workbook
and walk its rows without any guard is printed for the small ones (the shared-string file is
skipped: unguarded, it took 89 s and 603 MB before these limits). The machines are shared and
noisy: compare figures from the same run. A report, not a test.
"""

from __future__ import annotations

import io
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry.errors import ValidationError
from registry.roster.intake.reader import read_list
from tests import roster_files

CASES: list[tuple[str, Callable[[], bytes], bool]] = [
    ("3,000,000 shared strings", lambda: roster_files.many_shared_strings(3_000_000), False),
    ("16,384 columns x 200 rows", lambda: roster_files.wide_sheet(16_384, 200), False),
    ("2,200,000 cells", lambda: roster_files.many_cells(110_000, 20), False),
    ("300,000 rows", lambda: roster_files.deep_sheet(300_000), True),
    ("real list 50,000 x 15", lambda: roster_files.large_list_sheet(50_000, 15), True),
]


def unguarded(data: bytes) -> float:
    from openpyxl import load_workbook

    start = time.perf_counter()
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    for _ in workbook.worksheets[0].iter_rows(values_only=True):
        pass
    workbook.close()
    return time.perf_counter() - start


def main() -> None:
    print(f"{'file':28} {'KB':>6} {'outcome':28} {'seconds':>8} {'peak MB':>8} {'openpyxl s':>10}")
    for name, build, baseline in CASES:
        data = build()
        tracemalloc.start()
        start = time.perf_counter()
        try:
            outcome = f"accepted, {len(read_list(data).rows):,} rows"
        except ValidationError as error:
            outcome = error.code
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
        bare = f"{unguarded(data):10.2f}" if baseline else f"{'-':>10}"
        print(f"{name:28} {len(data) / 1024:6.0f} {outcome:28} {elapsed:8.2f} {peak:8.1f} {bare}")


if __name__ == "__main__":
    main()
