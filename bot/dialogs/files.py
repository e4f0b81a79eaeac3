"""Files in the chat: /export (the roster), /template (the blank list agencies fill in), and a
list an agency sends (dry run, summary, confirm, report).

A list that does not say whose it is (no agency column, a letterhead naming no single agency,
sent by staff rather than a focal point) is held while the person is asked for its agency with
the usual agency picker (type a name, choose among the agencies it may mean); the dry run then
runs with that agency, and the confirmed import is queued with it.

A confirmed list is not written here: it is queued as an import run with its file, in the
update's own transaction, and the person is told at once that it has started. The server's job
runner (``bot.pipeline.jobs``) writes it in short batches, so a long list does not hold the
other chats up, and sends the summary and the report to this chat when it is done."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from bot import roster
from bot.dialogs.agency_picker import offer_agencies, offered
from bot.dialogs.context import Context
from bot.dialogs.flow import Audience, Command, Dialog, Flow, NoDraft
from bot.dialogs.io import Document, Option, Reply
from bot.import_report import report_xlsx, summary_lines
from bot.state import held_files
from registry.actors import deny, may_import
from registry.errors import ValidationError
from registry.roster.export.exporter import parse_format
from registry.roster.intake import journal
from registry.roster.intake.importer import ImportResult, import_roster
from registry.roster.intake.reader import Limits, megabytes

FORMATS = ("xlsx", "csv", "vcf")
HANDOUT = "handout"  # the printed roster for a conference: without status and update date
CHOICES = ("xlsx", HANDOUT, "csv", "vcf")


class ExportStep(enum.StrEnum):
    format = "format"


class ImportStep(enum.StrEnum):
    agency = "agency"  # the list names no agency: which one is it for?
    confirm = "confirm"  # the dry run was shown; waiting for "apply" or "no"


@dataclass
class ImportDraft:
    file_id: str = ""  # the list, held until the person answers
    name: str = ""
    agency: str = ""  # the code of the agency the person chose for the list, if asked
    agency_options: list[list[str]] = field(default_factory=list)  # [id, code] offered


async def export(ctx: Context[Any], args: str) -> None:
    wanted = args.strip().lower()
    if wanted == HANDOUT:
        await _send_export(ctx, "xlsx", HANDOUT)
        return
    if wanted:
        await _send_export(ctx, parse_format(wanted).value)
        return
    ctx.start(EXPORT, ExportStep.format)
    ctx.ask(
        ctx.say("bot.export.which_format"),
        [
            Option(c, ctx.say("bot.export_layout.handout" if c == HANDOUT else f"bot.export.{c}"))
            for c in CHOICES
        ],
    )


async def on_format(ctx: Context[NoDraft]) -> None:
    wanted = ctx.chosen()
    if wanted not in CHOICES:
        ctx.ask_again()
        return
    ctx.end()
    if wanted == HANDOUT:
        await _send_export(ctx, "xlsx", HANDOUT)
    else:
        await _send_export(ctx, wanted)


async def _send_export(ctx: Context[Any], format_: str, layout: str | None = None) -> None:
    made = await roster.export_file(
        ctx.uow(),
        ctx.actor,
        format=format_,
        layout=layout,
        language=ctx.language,
        organisation=ctx.settings.organisation,
    )
    caption = ctx.say("bot.export.done", people=made.people, missing=made.missing)
    ctx.replies.append(_document_reply(caption, made.file_name, made.data, made.media_type))


async def template(ctx: Context[Any], args: str) -> None:
    made = await roster.template_file(
        ctx.uow(),
        language=ctx.language,
        organisation=ctx.settings.organisation,
        agency=args.strip() or None,
    )
    ctx.replies.append(
        _document_reply(ctx.say("bot.template.done"), made.file_name, made.data, made.media_type)
    )


def _document_reply(caption: str, name: str, data: bytes, media_type: str) -> Reply:
    return Reply(caption, document=Document(name, data, media_type))


async def ask_for_file(ctx: Context[Any], args: str) -> None:
    """/import: how to send a list. Channels that cannot receive files add an upload link."""
    if not may_import(ctx.actor):
        raise deny("people.import")
    limit = megabytes(ctx.settings.import_max_bytes)
    ctx.replies.append(Reply(ctx.say("bot.import.send_file", max=limit), upload=True))


async def receive(ctx: Context[Any]) -> None:
    """A file came in: run the import as a dry run, show what it would do, ask to confirm."""
    incoming = ctx.incoming
    name = (incoming.file_name or "file")[:255]
    limit = ctx.settings.import_max_bytes
    if incoming.file_content is None or len(incoming.file_content) > limit:
        size = incoming.file_size or len(incoming.file_content or b"")
        raise ValidationError("import.too_large", size=megabytes(size), max=megabytes(limit))
    ctx.end()
    await _dry_run(ctx, name, incoming.file_content)


async def _dry_run(ctx: Context[Any], name: str, content: bytes, agency: str = "") -> None:
    """Run the list as a dry run, show what it would do and ask to confirm; ask for its
    agency first when it names none."""
    try:
        result = await import_roster(
            ctx.uow(),
            ctx.actor,
            content,
            dry_run=True,
            agency=agency or None,
            limits=Limits.from_settings(ctx.settings),
        )
    except ValidationError as error:
        if error.code != "import.agency_needed" or agency:
            raise
        file_id = await held_files.hold(ctx.uow(), ctx.channel, ctx.chat_id, name, content)
        ctx.start(IMPORT, ImportStep.agency, ImportDraft(file_id, name))
        ctx.ask(ctx.say("bot.import_agency.ask", file=name))
        return
    lines = summary_lines(ctx.language, result, file_name=name)
    if not result.changes:
        ctx.end()
        ctx.send("\n".join(lines))
        ctx.replies.append(_report(ctx, result, name))
        return
    file_id = await held_files.hold(ctx.uow(), ctx.channel, ctx.chat_id, name, content)
    ctx.start(IMPORT, ImportStep.confirm, ImportDraft(file_id, name, agency))
    ctx.ask_yes_no(
        "\n".join([*lines, ctx.say("bot.import.confirm")]), yes=ctx.say("bot.import.apply")
    )


async def on_agency(ctx: Context[ImportDraft]) -> None:
    """The agency of a list that names none: a name typed, then one of the agencies offered."""
    key = ctx.chosen()
    if key is not None:
        picked = offered(ctx.draft, key)
        if picked is None:
            ctx.ask_again()
            return
        file_id, name = ctx.draft.file_id, ctx.draft.name
        held = await held_files.take(ctx.uow(), ctx.channel, ctx.chat_id, file_id)
        if held is None:
            ctx.end()
            ctx.tell("bot.question_expired")
            return
        await _dry_run(ctx, name, held.content, agency=picked[1])
        return
    if ctx.answer.text is None:
        ctx.ask_again(hint=None)
        return
    await _search_agency(ctx, ctx.answer.text.strip())


async def _search_agency(ctx: Context[ImportDraft], query: str) -> None:
    """The agencies a typed name may mean, offered as options (as /register offers them)."""
    await offer_agencies(
        ctx,
        query,
        ask=ctx.say("bot.import_agency.ask", file=ctx.draft.name),
        not_found="bot.import_agency.not_found",
        pick="bot.import_agency.pick",
    )


async def on_confirm(ctx: Context[ImportDraft]) -> None:
    if not ctx.confirmed():
        await held_files.drop(ctx.uow(), ctx.channel, ctx.chat_id)
        return
    file_id, name, agency = ctx.draft.file_id, ctx.draft.name, ctx.draft.agency
    ctx.end()
    held = await held_files.take(ctx.uow(), ctx.channel, ctx.chat_id, file_id)
    if held is None:
        ctx.tell("bot.question_expired")
        return
    if not may_import(ctx.actor):
        raise deny("people.import")
    # Queued with its file, in this update's transaction: the server's job runner writes it in
    # short batches (the chats keep their turns meanwhile) and sends the report here.
    origin = {
        "channel": ctx.channel,
        "chat_id": ctx.chat_id,
        "user_id": ctx.user_id,
        "language": ctx.language,
    }
    run = journal.new_run(
        ctx.actor.label,
        ctx.actor.account_id,
        name,
        held.content,
        origin=origin,
        options={"agency": agency} if agency else None,
        queued=True,
    )
    run_id = await journal.enqueue(ctx.uow(), run)
    ctx.tell("bot.import_job.queued", file=name, run=run_id)


def _report(ctx: Context[Any], result: ImportResult, name: str) -> Reply:
    report_name = ctx.say("bot.import.report_name", name=name.rsplit(".", 1)[0][:100])
    return _document_reply(
        ctx.say("bot.import.report"),
        report_name,
        report_xlsx(ctx.language, result, file_name=name),
        roster.XLSX_MEDIA_TYPE,
    )


EXPORT = Flow("export", ExportStep, {ExportStep.format: on_format}, NoDraft)
IMPORT = Flow(
    "import",
    ImportStep,
    {ImportStep.agency: on_agency, ImportStep.confirm: on_confirm},
    ImportDraft,
)
DIALOG = Dialog(
    commands=(
        Command("export", export, Audience.focal),
        Command("template", template, Audience.focal),
        Command("import", ask_for_file, Audience.focal, aliases=("nhap",)),
    ),
    flows=(EXPORT, IMPORT),
)
