"""How fast hostile workbooks are refused, and what a real list costs to read.

    python bench/hostile_workbooks.py [NAME ... | --scan-cost]

Builds in memory the files of the tests (``tests/roster_files.py``) and reads each with the
default limits (:class:`registry.roster.intake.guards.Limits`):

- .xlsx: a shared-string table of 3 million entries, a sheet 16,384 columns × 200 rows, 2.2
  million cells, 300,000 rows, a list of 50,000 rows × 15 columns, and 600,000 cells pointing
  at one shared text of 8,000 letters (calamine gives each cell its own copy);
- .xls (Excel 97-2003): one cell at IV65536 (the last row and column Excel 97 has) and one at
  column 65,536, a DIMENSIONS record whose first row comes after its last and one declaring
  4 billion rows, 65,536 rows, 3 million empty shared strings, 600,000 cells pointing at one
  text of 8,000 letters, 2,000 sheets declared at the same place, sector chains looping (the
  Workbook stream's, the directory's, the DIFAT's), and a list of 50,000 rows × 10 texts.

Each file is read in a process of its own, which prints its size, what the reader said, the
time it took, and the process's peak resident memory once the file was built and after the
read (the second includes what calamine allocates, which tracemalloc would not see, and the
~70 MB of Python and the libraries; equal figures mean the read cost less than building the
file). As a baseline, the same file is read without any guard in
another process, limited to 4 GB of address space and 60 seconds: by openpyxl for an .xlsx
(the shared-string file is skipped: unguarded, it took 89 s and 603 MB before these limits)
and by calamine for an .xls, where "abort" means the process was killed by a failed
allocation (the bot's process would be). Last, the scan of the real .xls list is timed
against calamine's read of it, interleaved (``--scan-cost`` prints only that). The machines
are shared and noisy: compare figures from the same run. A report, not a test.
"""

from __future__ import annotations

import io
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry.errors import ValidationError
from registry.roster.intake.reader import read_list
from tests import roster_files as files

# name, how to build the file, which reader is the unguarded baseline (None: skipped)
CASES: list[tuple[str, Callable[[], bytes], str | None]] = [
    ("3,000,000 shared strings", lambda: files.many_shared_strings(3_000_000), None),
    ("16,384 columns x 200 rows", lambda: files.wide_sheet(16_384, 200), None),
    ("2,200,000 cells", lambda: files.many_cells(110_000, 20), None),
    ("300,000 rows", lambda: files.deep_sheet(300_000), "openpyxl"),
    ("real list 50,000 x 15", lambda: files.large_list_sheet(50_000, 15), "openpyxl"),
    ("600,000 copies of 8 KB", lambda: files.copied_shared_string(600_000, 8_000), "calamine"),
    ("xls: cell at IV65536", lambda: files.xls_stray_cell(65_535, 255), "calamine"),
    ("xls: cell at column 65,536", lambda: files.xls_stray_cell(65_535, 65_535), "calamine"),
    ("xls: DIMENSIONS inverted", lambda: files.xls_declared(10, 5, 0, 2), "calamine"),
    ("xls: DIMENSIONS 4e9 rows", lambda: files.xls_declared(0, 0xFFFF_FFF0, 0, 256), "calamine"),
    ("xls: 65,536 rows", lambda: files.xls_many_rows(65_536, 2), "calamine"),
    ("xls: 3,000,000 shared str.", lambda: files.xls_shared_strings(3_000_000), "calamine"),
    ("xls: 600,000 copies of 8 KB", lambda: files.xls_copied_string(600_000, 8_000), "calamine"),
    ("xls: 2,000 sheets in one", lambda: files.xls_sheets(2_000), "calamine"),
    ("xls: Workbook chain loops", lambda: files.xls_chain_loop("workbook"), "calamine"),
    ("xls: directory chain loops", lambda: files.xls_chain_loop("directory"), "calamine"),
    ("xls: DIFAT chain loops", lambda: files.xls_chain_loop("difat"), "calamine"),
    ("xls: real list 50,000 x 10", lambda: files.xls_large_list(50_000, 10), "calamine"),
]
BY_NAME = {name: build for name, build, _ in CASES}


def peak_rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def guarded(name: str) -> None:
    """Read one file through the reader; print size, outcome, seconds, peaks."""
    data = BY_NAME[name]()
    built = peak_rss()
    start = time.perf_counter()
    try:
        outcome = f"accepted, {len(read_list(data).rows):,} rows"
    except ValidationError as error:
        outcome = error.code
    elapsed = time.perf_counter() - start
    print(f"{len(data) / 1024:.0f}\t{outcome}\t{elapsed:.2f}\t{built:.0f}\t{peak_rss():.0f}")


def bare(name: str, reader: str) -> None:
    """Read one file without any guard, in at most 4 GB of address space."""
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    data = BY_NAME[name]()
    start = time.perf_counter()
    if reader == "openpyxl":
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True)
        for _ in workbook.worksheets[0].iter_rows(values_only=True):
            pass
        workbook.close()
    else:
        from python_calamine import CalamineWorkbook

        calamine = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for sheet in calamine.sheet_names[:1]:
            for _ in calamine.get_sheet_by_name(sheet).iter_rows():
                pass
    print(f"{time.perf_counter() - start:.2f} s {peak_rss():.0f} MB")


def run(*arguments: str, timeout: float = 600) -> str:
    try:
        done = subprocess.run(
            [sys.executable, __file__, *arguments],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"timeout > {timeout:.0f} s"
    if done.returncode == 0:
        return done.stdout.strip()
    if done.returncode < 0:
        return "abort" if done.returncode == -6 else f"killed ({-done.returncode})"
    last = done.stderr.strip().splitlines()[-1:] or ["?"]
    return f"error: {last[0][:40]}"


def main(names: list[str]) -> None:
    print(
        f"{'file':28} {'KB':>6} {'outcome':32} {'seconds':>8} {'RSS MB built, read':>18}"
        f"  {'unguarded (4 GB, 60 s)'}"
    )
    for name, _, reader in CASES:
        if names and name not in names:
            continue
        fields = run("--guarded", name).split("\t")
        if len(fields) != 5:
            print(f"{name:28} {fields[0]}")
            continue
        size, outcome, seconds, built, rss = fields
        baseline = f"{reader}: {run('--bare', name, reader, timeout=60)}" if reader else "-"
        print(
            f"{name:28} {size:>6} {outcome:32} {seconds:>8} {built:>10} {rss:>7}  {baseline}",
            flush=True,
        )


def scan_cost(repeats: int = 5) -> None:
    """What the .xls scan adds to calamine's read of the real list: both timed interleaved,
    the median of each and their ratio."""
    from python_calamine import CalamineWorkbook

    from registry.roster.intake.guards import Budget, Limits
    from registry.roster.intake.xls_scan import scan_xls

    data = files.xls_large_list(50_000, 10)
    scans: list[float] = []
    reads: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        scan_xls(data, Budget(Limits()))
        scans.append(time.perf_counter() - start)
        start = time.perf_counter()
        calamine = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for _ in calamine.get_sheet_by_name(calamine.sheet_names[0]).iter_rows():
            pass
        reads.append(time.perf_counter() - start)
    scan, read = sorted(scans)[repeats // 2], sorted(reads)[repeats // 2]
    print(
        f"\n.xls scan of the real list 50,000 x 10 ({len(data) / 1024:.0f} KB), median of "
        f"{repeats}: scan {scan:.2f} s, calamine read {read:.2f} s, ratio {scan / read:.2f}"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--guarded"]:
        guarded(sys.argv[2])
    elif sys.argv[1:2] == ["--bare"]:
        bare(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["--scan-cost"]:
        scan_cost()
    else:
        main(sys.argv[1:])
        if not sys.argv[1:]:
            scan_cost()
