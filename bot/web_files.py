"""The download and upload links of the web server (for chats that cannot carry files).

``GET /files/<token>`` serves a file made for someone once (a ``HEAD`` does not use it up). ``/upload/<token>`` is a small page,
in the person's language and usable on a phone, that runs the same import as a file sent in
Telegram: the list is checked by a dry run, the page shows what would change, and only the
confirmation writes it: it queues the import, which the server's job runner writes in short
batches (the bot answers its chats meanwhile) and whose summary and report go to the person's
chat when it is done (:mod:`bot.pipeline.jobs`). Meanwhile the list is held for the person's chat
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

from bot.import_report import summary_lines
from bot.links import LinkRefused, Links
from bot.state import held_files, shared_files
from bot.state.gate import write_gate
from bot.state.shared_files import Owner, Shared
from bot.texts import error_text, language_of, t
from bot.web import SlowBody
from registry import accounts
from registry.actors import Actor, deny, may_import
from registry.errors import RegistryError, ValidationError
from registry.roster.intake import journal
from registry.roster.intake.importer import Batching, import_roster
from registry.roster.intake.reader import Limits, megabytes
from registry.settings import Settings
from registry.uow import Database

log = logging.getLogger(__name__)

# The confirmation form's field naming the list the page showed (its held token).
HELD_FIELD = "held"
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
            'accept=".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,'
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
            actor = await self._actor(shared.owner)
            result = await import_roster(
                self.database.uow(),
                actor,
                content,
                dry_run=True,
                limits=self.limits,
                batching=self._batching(),
            )
        except RegistryError as error:
            return self._form(shared, token, error=error_text(language, error))
        say = _sayer(language)
        lines = summary_lines(language, result, file_name=name)
        if not result.changes:
            body = _paragraphs([*lines, say("web.upload.nothing")]) + _again(token, say)
            return _page(language, say("web.upload.title"), body)
        owner = shared.owner
        held = await held_files.hold(
            self.database.uow(), owner.channel, owner.chat_id, name, content
        )
        body = (
            _paragraphs([*lines, say("bot.import.confirm")])
            + f'<form method="post" action="/upload/{html.escape(token)}/confirm">'
            f'<input type="hidden" name="{HELD_FIELD}" value="{html.escape(held)}">'
            f'<button type="submit">{html.escape(say("bot.import.apply"))}</button></form>'
            + _again(token, say)
        )
        return _page(language, say("web.upload.check_title"), body)

    async def confirm(self, request: Request) -> Response:
        token = request.path_params["token"]
        try:
            shared = await self.links.open_upload(token)
        except LinkRefused as refused:
            return _refused(self.language, refused)
        owner = shared.owner
        language, say = owner.language, _sayer(owner.language)
        held = await self._take_held(request, shared)
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
                actor.label, actor.account_id, name, held.content, origin=origin, queued=True
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

    async def _take_held(self, request: Request, shared: Shared) -> held_files.Held | None:
        """The list this page showed, taken, and the link used up: both or neither."""
        try:
            async with request.form(max_files=0, max_fields=4) as form:
                token = form.get(HELD_FIELD)
        except SlowBody:
            raise  # answered 408 by the server
        except Exception:  # not a form the page sent
            return None
        if not isinstance(token, str) or not token:
            return None
        owner = shared.owner
        async with self.database.uow() as uow:
            held = await held_files.take(uow, owner.channel, owner.chat_id, token)
            if held is None or not await shared_files.use_up(uow, shared.id):
                return None
            await uow.commit()
        return held

    async def _actor(self, owner: Owner) -> Actor:
        profile = await accounts.open_profile(self.database.uow(), owner.channel, owner.external_id)
        return profile.actor


def _sayer(language: str) -> Callable[..., str]:
    def say(key: str, **params: Any) -> str:
        return t(language, key, **params)

    return say


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
