"""The download and upload links of the web server (for chats that cannot carry files).

``GET /files/<token>`` serves a file made for someone once (a ``HEAD`` does not use it up). ``/upload/<token>`` is a small page,
in the person's language and usable on a phone, that runs the same import as a file sent in
Telegram: the list is checked by a dry run, the page shows what would change, and only the
confirmation writes it: it queues the import, which the server's job runner writes in short
batches (the bot answers its chats meanwhile) and whose summary and report go to the person's
chat when it is done (:mod:`bot.pipeline.jobs`). The dry run's page lists who would be added
and who changed (name, row, fields) and each problem with its rows. A list that names no agency
(no agency column, no single agency in its letterhead, sent by staff) is held while the page asks
for its agency the way the chat does: a name typed, then one of the agencies it may mean. Meanwhile the list is held for the person's chat
(:mod:`bot.state.held_files`), as a list sent in the chat is, and the confirmation form names
the held list it showed. The rights are those of the chat account the link was made for, looked
up again at each step, so a right revoked in the meantime is already gone. A body that trickles
in is cut off by the server (:class:`bot.web.BodyDeadline`, 408), whatever the page was reading.
"""

from __future__ import annotations

import html
import logging
import urllib.parse
from collections.abc import Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.import_report import changes, name_of, summary_lines
from bot.links import LinkRefused, Links
from bot.state import held_files, shared_files
from bot.state.gate import write_gate
from bot.state.shared_files import Owner, Shared
from bot.texts import error_text, language_of, t
from bot.web import SlowBody
from registry import accounts, catalog
from registry.actors import Actor, deny, may_import
from registry.agency_names import name_in
from registry.errors import RegistryError, ValidationError
from registry.roster.intake import journal
from registry.roster.intake.importer import Batching, ImportResult, Outcome, import_roster
from registry.roster.intake.reader import Limits, megabytes
from registry.settings import Settings
from registry.uow import Database

log = logging.getLogger(__name__)

# The confirmation form's field naming the list the page showed (its held token).
HELD_FIELD = "held"
# The fields of the agency question: the name typed, and the agency chosen (its code).
QUERY_FIELD = "query"
AGENCY_FIELD = "agency"
# Names listed on the dry run's page, of those added and of those changed.
_LISTED_NAMES = 500
_MAX_QUERY = 200
# What a multipart body may add around the file itself (boundaries, headers, the other fields).
_FORM_OVERHEAD = 64 * 1024
_REFUSED_STATUS = {"tampered": 403, "expired": 410, "used": 410}
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:1rem;
background:#f5f6f8;color:#1d2330;line-height:1.5}
main{max-width:36rem;margin:0 auto;background:#fff;border-radius:.75rem;padding:1.25rem;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.25rem;margin:0 0 .75rem}
p,li{font-size:1rem}
ul{padding-left:1.25rem}
input[type=file]{display:block;width:100%;margin:.75rem 0;font-size:1rem}
button,.button{display:block;width:100%;box-sizing:border-box;padding:.85rem;margin:.5rem 0;
border:0;border-radius:.5rem;font-size:1.05rem;text-align:center;text-decoration:none;
background:#b71c1c;color:#fff}
.secondary{background:#e0e3e8;color:#1d2330}
.error{background:#fdecea;border-left:4px solid #b71c1c;padding:.75rem}
"""


def _page(language: str, title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=_SECURITY_HEADERS)


def _paragraphs(lines: list[str]) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in lines if line.strip())


def _refused(language: str, refused: LinkRefused) -> HTMLResponse:
    return _page(
        language,
        t(language, "web.refused_title"),
        _paragraphs([t(language, f"web.refused.{refused.reason}")]),
        status=_REFUSED_STATUS[refused.reason],
    )


def _content_disposition(name: str) -> str:
    # ASCII fallback for old clients, the real (Vietnamese) name as RFC 5987 UTF-8.
    fallback = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{urllib.parse.quote(name)}"


class FilePages:
    """The routes (the chat hears what an upload did from the job that writes it).

    ``settings`` give the language of pages for no one in particular and the import's limits.
    """

    def __init__(self, database: Database, links: Links, settings: Settings) -> None:
        self.database = database
        self.links = links
        self.language = language_of(settings.default_language)
        self.limits = Limits.from_settings(settings)

    def routes(self) -> list[Route]:
        return [
            Route("/files/{token}", self.download, methods=["GET", "HEAD"]),
            Route("/upload/{token}", self.upload_form, methods=["GET"]),
            Route("/upload/{token}", self.upload, methods=["POST"]),
            Route("/upload/{token}/agency", self.agency, methods=["POST"]),
            Route("/upload/{token}/confirm", self.confirm, methods=["POST"]),
        ]

    async def download(self, request: Request) -> Response:
        """GET serves the file and uses the link up; HEAD (link previews, a chat app's
        prefetch) gets the same headers and leaves the link for the real download."""
        head = request.method == "HEAD"
        token = request.path_params["token"]
        try:
            if head:
                shared = await self.links.peek_download(token)
            else:
                shared = await self.links.take_download(token)
        except LinkRefused as refused:
            log.info("download link refused: %s", refused.reason)
            if head:  # the status alone: a HEAD answer has no body
                status = _REFUSED_STATUS[refused.reason]
                return Response(status_code=status, headers=_SECURITY_HEADERS)
            return _refused(self.language, refused)
        assert shared.content is not None
        headers = {
            **_SECURITY_HEADERS,
            "Content-Disposition": _content_disposition(shared.file_name or "file"),
        }
        if head:
            headers["Content-Length"] = str(len(shared.content))
        return Response(
            b"" if head else shared.content,
            media_type=shared.media_type or "application/octet-stream",
            headers=headers,
        )

    async def upload_form(self, request: Request) -> Response:
        try:
            shared = await self.links.open_upload(request.path_params["token"])
        except LinkRefused as refused:
            return _refused(self.language, refused)
        return self._form(shared, request.path_params["token"])

    def _form(self, shared: Shared, token: str, *, error: str | None = None) -> HTMLResponse:
        language = shared.owner.language
        say = _sayer(language)
        limit = megabytes(self.limits.max_bytes)
        body = (f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "") + (
            f"<p>{html.escape(say('web.upload.intro', max=limit))}</p>"
            f'<form method="post" action="/upload/{html.escape(token)}" '
            'enctype="multipart/form-data">'
            f'<label for="file">{html.escape(say("web.upload.choose"))}</label>'
            '<input id="file" name="file" type="file" required '
            'accept=".xlsx,.xls,.ods,.csv,'
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
            "application/vnd.ms-excel,application/vnd.oasis.opendocument.spreadsheet,"
            'text/csv">'
            f'<button type="submit">{html.escape(say("web.upload.check"))}</button></form>'
        )
        return _page(language, say("web.upload.title"), body, status=400 if error else 200)

    async def upload(self, request: Request) -> Response:
        token = request.path_params["token"]
        try:
            shared = await self.links.open_upload(token)
        except LinkRefused as refused:
            return _refused(self.language, refused)
        language = shared.owner.language
        try:
            name, content = await _received_file(request, self.limits.max_bytes)
        except RegistryError as error:
            return self._form(shared, token, error=error_text(language, error))
        return await self._checked(shared, token, name, content)

    async def _checked(
        self,
        shared: Shared,
        token: str,
        name: str,
        content: bytes,
        agency: str = "",
        held_token: str = "",
    ) -> Response:
        """The dry run's page: what the list would change, and the button to write it; or the
        question of its agency, when it names none."""
        owner = shared.owner
        language = owner.language
        try:
            actor = await self._actor(owner)
            result = await import_roster(
                self.database.uow(),
                actor,
                content,
                dry_run=True,
                agency=agency or None,
                limits=self.limits,
                batching=self._batching(),
            )
        except RegistryError as error:
            if error.code == "import.agency_needed" or agency:
                # Asked (again, with why, when the agency sent back was refused).
                held = await self._hold(owner, name, content, held_token)
                shown = error_text(language, error) if agency else None
                return self._agency_form(shared, token, held, name, error=shown)
            return self._form(shared, token, error=error_text(language, error))
        say = _sayer(language)
        lines = summary_lines(language, result, file_name=name, names=0)
        listed = _listed(language, result)
        if not result.changes:
            body = _paragraphs([*lines, say("web.upload.nothing")]) + listed + _again(token, say)
            return _page(language, say("web.upload.title"), body)
        held = await self._hold(owner, name, content)
        body = (
            _paragraphs(lines)
            + listed
            + _paragraphs([say("bot.import.confirm")])
            + f'<form method="post" action="/upload/{html.escape(token)}/confirm">'
            f'<input type="hidden" name="{HELD_FIELD}" value="{html.escape(held)}">'
            f'<input type="hidden" name="{AGENCY_FIELD}" value="{html.escape(agency)}">'
            f'<button type="submit">{html.escape(say("bot.import.apply"))}</button></form>'
            + _again(token, say)
        )
        return _page(language, say("web.upload.check_title"), body)

    async def _hold(self, owner: Owner, name: str, content: bytes, token: str = "") -> str:
        async with write_gate(self.database):
            return await held_files.hold(
                self.database.uow(),
                owner.channel,
                owner.chat_id,
                name,
                content,
                token=token or None,
            )

    def _agency_form(
        self,
        shared: Shared,
        token: str,
        held: str,
        name: str,
        *,
        error: str | None = None,
        choices: list[tuple[str, str]] | None = None,
        notes: list[str] | None = None,
        question: str | None = None,
    ) -> HTMLResponse:
        """Which agency the list is for: a name to type, or the agencies it may mean."""
        language = shared.owner.language
        say = _sayer(language)
        action = f"/upload/{html.escape(token)}/agency"
        held_input = f'<input type="hidden" name="{HELD_FIELD}" value="{html.escape(held)}">'
        body = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
        body += _paragraphs(notes or [])
        if choices:
            body += f"<p>{html.escape(question or say('bot.import_agency.pick'))}</p>"
            body += "".join(
                f'<form method="post" action="{action}">{held_input}'
                f'<input type="hidden" name="{AGENCY_FIELD}" value="{html.escape(code)}">'
                f'<button type="submit" class="secondary">{html.escape(label)}</button></form>'
                for code, label in choices
            )
        else:
            body += _paragraphs([say("bot.import_agency.ask", file=name)])
        body += (
            f'<form method="post" action="{action}">{held_input}'
            f'<label for="{QUERY_FIELD}">{html.escape(say("web.upload_agency.label"))}</label>'
            f'<input id="{QUERY_FIELD}" name="{QUERY_FIELD}" type="text" required '
            f'maxlength="{_MAX_QUERY}" autocomplete="off">'
            f'<button type="submit">{html.escape(say("web.upload_agency.search"))}</button></form>'
            + _again(token, say)
        )
        status = 400 if error else 200
        return _page(language, say("web.upload_agency.title"), body, status=status)

    async def agency(self, request: Request) -> Response:
        """The agency question answered: a name typed (the agencies it may mean are offered)
        or an agency chosen (the dry run runs with it)."""
        token = request.path_params["token"]
        try:
            shared = await self.links.open_upload(token)
        except LinkRefused as refused:
            return _refused(self.language, refused)
        owner = shared.owner
        language = owner.language
        fields = await _form_fields(request)
        held_token = fields.get(HELD_FIELD, "")
        held = None
        if held_token:
            async with write_gate(self.database):
                held = await held_files.take(
                    self.database.uow(), owner.channel, owner.chat_id, held_token
                )
        if held is None:
            return _refused(language, LinkRefused("used"))
        chosen = fields.get(AGENCY_FIELD, "").strip()
        if chosen:
            return await self._checked(
                shared, token, held.name, held.content, chosen[:100], held.token
            )
        # Held again under its token while the person chooses.
        await self._hold(owner, held.name, held.content, held.token)
        query = fields.get(QUERY_FIELD, "").strip()[:_MAX_QUERY]
        ask = {"shared": shared, "token": token, "held": held.token, "name": held.name}
        if not query:
            return self._agency_form(**ask)
        try:
            picked = await catalog.pick_agencies(self.database.uow(), query, limit=8)
        except RegistryError as error:
            return self._agency_form(**ask, error=error_text(language, error))
        if not picked.agencies:
            error = t(language, "bot.import_agency.not_found", query=query[:60])
            return self._agency_form(**ask, error=error)
        question = (
            t(language, "bot.agency_name.did_you_mean", query=query[:60])
            if picked.guessed
            else None
        )
        return self._agency_form(
            **ask,
            choices=[(a.code, name_in(language, a.code, a.name)) for a in picked.agencies],
            notes=[t(language, f"notice.{n.code}", **n.params) for n in picked.notices],
            question=question,
        )

    async def confirm(self, request: Request) -> Response:
        token = request.path_params["token"]
        try:
            shared = await self.links.open_upload(token)
        except LinkRefused as refused:
            return _refused(self.language, refused)
        owner = shared.owner
        language, say = owner.language, _sayer(owner.language)
        held, agency = await self._take_held(request, shared)
        if held is None:
            # Already applied from another tab, replaced by a newer list, or never uploaded.
            return _refused(language, LinkRefused("used"))
        name = held.name
        try:
            actor = await self._actor(owner)
            if not may_import(actor):
                raise deny("people.import")
            # Queued with its file; the server's job runner writes it in short batches and
            # tells the chat the summary and the report when it is done.
            origin = {
                "channel": owner.channel,
                "chat_id": owner.chat_id,
                "user_id": owner.external_id,
                "language": language,
            }
            run = journal.new_run(
                actor.label,
                actor.account_id,
                name,
                held.content,
                origin=origin,
                options={"agency": agency} if agency else None,
                queued=True,
            )
            async with write_gate(self.database):
                run_id = await journal.enqueue(self.database.uow(), run)
        except RegistryError as error:
            # Nothing was queued: the list is held again and the link opens again, to retry.
            async with write_gate(self.database), self.database.uow() as uow:
                await held_files.hold(
                    uow, owner.channel, owner.chat_id, name, held.content, token=held.token
                )
                await shared_files.reopen(uow, shared.id)
                await uow.commit()
            return self._form(shared, token, error=error_text(language, error))
        body = _paragraphs([say("web.upload_job.queued", file=name, run=run_id)])
        return _page(language, say("web.upload_job.title"), body)

    def _batching(self) -> Batching:
        """Short batches, each in the process's turn to write: the bot answers meanwhile."""
        return Batching(gate=lambda: write_gate(self.database))

    async def _take_held(
        self, request: Request, shared: Shared
    ) -> tuple[held_files.Held | None, str]:
        """The list this page showed, taken, and the link used up: both or neither; and the
        agency the person chose for it, if they were asked."""
        fields = await _form_fields(request)
        token = fields.get(HELD_FIELD, "")
        agency = fields.get(AGENCY_FIELD, "").strip()[:100]
        if not token:
            return None, agency
        owner = shared.owner
        async with self.database.uow() as uow:
            held = await held_files.take(uow, owner.channel, owner.chat_id, token)
            if held is None or not await shared_files.use_up(uow, shared.id):
                return None, agency
            await uow.commit()
        return held, agency

    async def _actor(self, owner: Owner) -> Actor:
        profile = await accounts.open_profile(self.database.uow(), owner.channel, owner.external_id)
        return profile.actor


def _sayer(language: str) -> Callable[..., str]:
    def say(key: str, **params: Any) -> str:
        return t(language, key, **params)

    return say


async def _form_fields(request: Request) -> dict[str, str]:
    """The text fields of a form the page sent; none when it is not one."""
    try:
        async with request.form(max_files=0, max_fields=4) as form:
            return {key: value for key, value in form.items() if isinstance(value, str)}
    except SlowBody:
        raise  # answered 408 by the server
    except Exception:  # not a form the page sent
        return {}


def _listed(language: str, result: ImportResult) -> str:
    """Who the list would add and who it would change: name, row and fields, each listed."""
    body = ""
    for outcome, key in ((Outcome.created, "web_add_title"), (Outcome.updated, "web_change_title")):
        rows = changes(result, outcome)
        if not rows:
            continue
        items = "".join(
            f"<li>{html.escape(name_of(language, result, row))}</li>"
            for row in rows[:_LISTED_NAMES]
        )
        more = len(rows) - _LISTED_NAMES
        if more > 0:
            items += f"<li>{html.escape(t(language, 'import.lines.more_names', names='…', count=more))}</li>"
        title = t(language, f"import.lines.{key}")
        body += f"<h2>{html.escape(title)} ({len(rows)})</h2><ul>{items}</ul>"
    return body


def _again(token: str, say: Callable[..., str]) -> str:
    return (
        f'<a class="button secondary" href="/upload/{html.escape(token)}">'
        f"{html.escape(say('web.upload.another'))}</a>"
    )


async def _received_file(request: Request, limit: int) -> tuple[str, bytes]:
    """The one file of the form, within the import's size limit (``limit`` bytes); a clear
    error otherwise."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise ValidationError("web.no_file")
    if int(length) > limit + _FORM_OVERHEAD:
        raise ValidationError("import.too_large", size=megabytes(int(length)), max=megabytes(limit))
    try:
        async with request.form(max_files=1, max_fields=4) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise ValidationError("web.no_file")
            content = await upload.read(limit + 1)
            name = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255] or "file"
    except (ValidationError, SlowBody):
        raise  # SlowBody: answered 408 by the server
    except Exception as error:  # a broken multipart body: the browser did not send a form
        log.info("upload: unreadable form: %s", str(error)[:200])
        raise ValidationError("web.no_file") from error
    if len(content) > limit:
        raise ValidationError(
            "import.too_large", size=megabytes(len(content)), max=megabytes(limit)
        )
    if not content:
        raise ValidationError("web.empty_file")
    return name, content
