"""``spokes export`` and ``spokes template``: the roster and the blank template as files.

The file is written beside its destination under a temporary name and renamed into place at
the end, so that an interrupted or refused export never leaves half a file behind (and never
spoils an older roster of the same name). The destination is checked before the export starts:
an unwritable path is refused at once, not after a long export.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.cli.runtime import err, run, say, state, tell
from bot.roster import export_to, template_to
from registry.actors import Actor
from registry.errors import ValidationError
from registry.roster.export.exporter import ExportResult, parse_format, parse_layout
from registry.settings import get_settings
from registry.uow import Database

if TYPE_CHECKING:
    from registry.roster.export.template import TemplateResult

CLI = Actor.system("cli")
# Below this many people an export takes about a second: no progress bar.
PROGRESS_FROM = 5_000


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("template")(template)


@dataclass
class _Output:
    """A temporary file beside the destination, renamed into place by ``keep``."""

    stream: BinaryIO
    temporary: Path
    folder: Path
    wanted: Path | None  # None: the default name, known once the file is written

    def keep(self, default_name: str) -> Path:
        final = self.wanted or self.folder / default_name
        self.stream.flush()
        os.fsync(self.stream.fileno())
        # mkstemp makes the file private (0600); the result gets a new file's usual mode.
        os.fchmod(self.stream.fileno(), 0o666 & ~_umask())
        self.stream.close()
        try:
            os.replace(self.temporary, final)
        except OSError as error:
            raise _cannot_write(final, final.parent, error) from None
        return final


def _umask() -> int:
    mask = os.umask(0o022)  # reading the mask means setting it: put it back at once
    os.umask(mask)
    return mask


def _cannot_write(path: Path, where: Path, error: OSError) -> ValidationError:
    """The refusal in the person's words (the system's own message is English)."""
    folder = str(where)
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        return ValidationError("export.no_folder", path=str(path), folder=folder)
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ValidationError("export.not_allowed", path=str(path), folder=folder)
    if error.errno == errno.EISDIR:
        return ValidationError("export.is_folder", path=str(path))
    return ValidationError("export.cannot_write", path=str(path), reason=error.strerror or "")


@contextmanager
def _output(path: Path | None) -> Iterator[_Output]:
    """Open the temporary file now (an unwritable destination fails here, before any work),
    and remove it unless the export succeeded."""
    wanted = path
    if path is not None and path.is_dir():
        wanted = None  # a folder: the file goes in it, under its default name
        folder = path
    else:
        folder = path.parent if path is not None else Path.cwd()
    try:
        descriptor, name = tempfile.mkstemp(dir=folder, prefix=".spokes-", suffix=".part")
    except OSError as error:
        raise _cannot_write(wanted or folder, folder, error) from None
    temporary = Path(name)
    stream = os.fdopen(descriptor, "wb")
    try:
        yield _Output(stream, temporary, folder, wanted)
    finally:
        if not stream.closed:
            stream.close()
        with suppress(FileNotFoundError):
            temporary.unlink()


@contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal (never in pipes or logs)."""
    if not err.is_terminal:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    with bar:
        yield bar


OutputOption = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="File to write (or a folder for the default name)."),
]


def export(
    format: Annotated[
        str, typer.Option("--format", "-f", help="xlsx (printed roster), csv or vcf (vCard).")
    ] = "xlsx",
    output: OutputOption = None,
    agency: Annotated[str | None, typer.Option(help="Only this agency.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only agencies of this kind.")] = None,
    status: Annotated[
        str | None, typer.Option(help="pending, verified or retired (default: all but retired).")
    ] = None,
    include_retired: Annotated[
        bool,
        typer.Option(
            "--include-retired", help="Also people who left the network (never erased ones)."
        ),
    ] = False,
    layout: Annotated[
        str,
        typer.Option(
            help="working (with status and last update) or handout (for a conference, without)."
        ),
    ] = "working",
) -> None:
    """Export the roster: xlsx for printing, csv for spreadsheets, vcf for phones."""
    parse_format(format)
    parse_layout(layout)

    async def work(database: Database) -> tuple[ExportResult, str]:
        with _progress_bar() as bar:
            task = None

            def progress(done: int, total: int) -> None:
                nonlocal task
                if bar is None or total < PROGRESS_FROM:
                    return
                if task is None:
                    task = bar.add_task(say("cli.export.progress"), total=total)
                bar.update(task, completed=done, total=total)

            return await export_to(
                database.uow(),
                CLI,
                target.stream,
                format=format,
                language=state.language,
                organisation=get_settings().organisation,
                agency=agency,
                kind=kind,
                status=status,
                include_retired=include_retired,
                progress=progress,
                layout=layout,
            )

    with _output(output) as target:
        result, name = run(work)
        path = target.keep(name)
    tell(say("cli.export.written", path=str(path), count=result.people, missing=result.missing))


def template(
    output: OutputOption = None,
    agency: Annotated[
        str | None, typer.Option(help="Pre-fill the list for this agency (code or name).")
    ] = None,
) -> None:
    """Write the blank template agencies fill in (drop-down lists, an example row)."""

    async def work(database: Database) -> tuple[TemplateResult, str]:
        return await template_to(
            database.uow(),
            target.stream,
            language=state.language,
            organisation=get_settings().organisation,
            agency=agency,
        )

    with _output(output) as target:
        result, name = run(work)
        path = target.keep(name)
    tell(say("cli.export.template_written", path=str(path), agencies=result.agencies))
