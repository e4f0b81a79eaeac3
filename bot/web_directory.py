"""The published directory on the web: pages for the press and open data for everyone else.

Served by ``spokes serve`` when ``SPOKES_PUBLIC_DIRECTORY`` is on (off, none of these routes
exists: 404). What is public is decided by :mod:`registry.published`; this module only shows it.

- ``/directory``: search as you type (accents, case and đ ignored; without JavaScript the same
  search is a form), browse by kind of agency; ``?lang=en`` for English, a link switches.
- ``/directory/<code>``: one agency's page, at its stable catalog code, for portals to link to;
  ``/directory/<code>/embed``: the same list without the page around it, for an ``<iframe>``.
- ``/directory/person/<id>``: a contact card (tap-to-call, tap-to-mail), ``.vcf`` its vCard.
- ``/api/v1/...``: the same data as JSON (described by ``/api/v1/openapi.json``), CSV and
  vCard, per agency and for all.

Pages come from Jinja2 templates with autoescaping, so no stored text reaches a page unescaped;
JSON-LD (schema.org ``Person`` / ``ContactPoint``) is written with ``<``, ``>`` and ``&``
escaped so it cannot close its ``<script>``. The CSV and vCard come from the roster's own
writers (formula-like cells neutralised, vCard values escaped). Every answer carries an
``ETag`` (a hash of its bytes) and ``Last-Modified`` (the last change of any record), and a
matching conditional request gets ``304``. Each client (by address) may make
``SPOKES_PUBLIC_RATE_PER_MINUTE`` requests a minute (a token bucket); past it, ``429`` with
``Retry-After``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.roster import roster_labels
from bot.settings import BotSettings
from bot.texts import error_text, language_of, t
from registry import published
from registry.agency_names import english_name, name_in
from registry.errors import NotFound, ValidationError
from registry.models import Status
from registry.published import PublicAgency, PublicPerson
from registry.roster.export.columns import Layout
from registry.roster.export.csv_roster import CsvRoster
from registry.roster.export.labels import RosterLabels
from registry.roster.export.selection import ExportScope
from registry.roster.export.summary import ExportSummary, Tally
from registry.roster.export.vcard import card as vcard_card
from registry.uow import Database
from registry.validation import format_phone

Handler = Callable[[Request], Awaitable[Response]]

_PAGE_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'"
)
_STATIC = {
    "directory.css": "text/css; charset=utf-8",
    "directory.js": "text/javascript; charset=utf-8",
}
SEARCH_RESULTS = 30
RENDERED_PAGES = 256  # agency pages kept rendered (by agency, language, and version)


# --- rate limit -------------------------------------------------------------------------------


@dataclass
class RateLimit:
    """A token bucket per client: ``per_minute`` requests a minute, as a burst or spread."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # tokens, at

    def take(self, client: str) -> float:
        """0 when the request may go on; otherwise the seconds until it may."""
        now = self.clock()
        rate = self.per_minute / 60.0
        tokens, at = self.buckets.get(client, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - at) * rate)
        if tokens >= 1:
            self.buckets[client] = (tokens - 1, now)
            return 0.0
        self.buckets[client] = (tokens, now)
        if len(self.buckets) > 100_000:  # forget clients whose bucket is full again
            full = self.per_minute / rate
            self.buckets = {c: b for c, b in self.buckets.items() if now - b[1] < full}
        return (1 - tokens) / rate


# --- what the pages show ----------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """Words and links of one page in one language."""

    language: str
    timezone: ZoneInfo

    def say(self, key: str, **params: Any) -> str:
        return t(self.language, key, **params)

    def agency_name(self, code: str, name: str) -> str:
        return name_in(self.language, code, name)

    def date(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return moment.astimezone(self.timezone).strftime("%d/%m/%Y")

    def phone(self, e164: str | None, extension: str | None = None) -> str:
        word = t(self.language, "phone.extension")
        return format_phone(e164, extension, extension_word=word)

    def tel(self, e164: str | None, extension: str | None = None) -> str:
        """A tap-to-call link (RFC 3966): the extension as a parameter."""
        if not e164:
            return ""
        return f"tel:{e164};ext={extension}" if extension else f"tel:{e164}"

    def url(self, path: str, **query: str) -> str:
        if self.language != "vi":
            query = {**query, "lang": self.language}
        query = {k: v for k, v in query.items() if v}
        return path + ("?" + urlencode(query) if query else "")

    def other(self) -> str:
        return "en" if self.language == "vi" else "vi"


def json_ld(people: list[PublicPerson], shown: Shown) -> str:
    """schema.org Person / ContactPoint of the people shown, safe inside ``<script>``."""
    items = []
    for person in people:
        contact: dict[str, Any] = {"@type": "ContactPoint", "contactType": "press"}
        if person.office_phone:
            contact["telephone"] = person.office_phone
        if person.email:
            contact["email"] = person.email
        item: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "Person",
            "name": person.full_name,
            "jobTitle": person.position or shown.say(f"role.{person.role}"),
            "worksFor": {
                "@type": "GovernmentOrganization",
                "name": shown.agency_name(person.agency_code, person.agency_name),
            },
            "contactPoint": contact,
        }
        if person.email:
            item["email"] = person.email
        if person.office_phone:
            item["telephone"] = person.office_phone
        items.append(item)
    text = json.dumps(items, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def person_json(person: PublicPerson) -> dict[str, Any]:
    return {
        "id": person.id,
        "full_name": person.full_name,
        "position": person.position,
        "role": person.role,
        "agency_code": person.agency_code,
        "agency_name": person.agency_name,
        "office_phone": person.office_phone,
        "office_ext": person.office_ext,
        "email": person.email,
        "mobile": person.mobile,
        "updated_at": person.updated_at.isoformat(),
        "confirmed_at": person.confirmed_at.isoformat() if person.confirmed_at else None,
    }


def agency_json(agency: PublicAgency) -> dict[str, Any]:
    return {
        "code": agency.code,
        "name": agency.name,
        "english_name": english_name(agency.code),
        "short_name": agency.short_name,
        "kind": agency.kind,
        "parent_code": agency.parent_code,
        "people": agency.people,
        "updated_at": agency.updated_at.isoformat() if agency.updated_at else None,
    }


# --- the routes -------------------------------------------------------------------------------


class DirectoryPages:
    """The published directory's routes; ``settings`` give the default language, the time
    zone and the rate limit."""

    def __init__(self, database: Database, settings: BotSettings) -> None:
        self.database = database
        self.settings = settings
        self.limit = RateLimit(settings.public_rate_per_minute)
        folder = files("bot") / "templates"
        self.templates = Environment(
            loader=FileSystemLoader(str(folder)),
            autoescape=select_autoescape(["html"], default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.static = {name: (folder / name).read_bytes() for name in _STATIC}
        self.timezone = ZoneInfo(settings.timezone)
        self._rendered: dict[tuple[object, ...], Response] = {}

    def routes(self) -> list[BaseRoute]:
        guarded = self._guarded
        return [
            Route("/directory", guarded(self.index), methods=["GET", "HEAD"]),
            Route("/directory/results", guarded(self.results), methods=["GET", "HEAD"]),
            Route("/directory/static/{name}", self.static_file, methods=["GET", "HEAD"]),
            Route("/directory/person/{pid:int}", guarded(self.person), methods=["GET", "HEAD"]),
            Route("/directory/person/{pid:int}.vcf", guarded(self.person_vcard), methods=["GET"]),
            Route("/directory/{code}", guarded(self.agency), methods=["GET", "HEAD"]),
            Route("/directory/{code}/embed", guarded(self.embed), methods=["GET", "HEAD"]),
            Route("/api/v1/openapi.json", guarded(self.openapi), methods=["GET"]),
            Route("/api/v1/agencies", guarded(self.api_agencies), methods=["GET"]),
            Route(
                "/api/v1/agencies/{code}/people",
                guarded(self.api_agency_people),
                methods=["GET"],
            ),
            Route("/api/v1/agencies/{code}/people.csv", guarded(self.agency_csv), methods=["GET"]),
            Route("/api/v1/agencies/{code}/people.vcf", guarded(self.agency_vcf), methods=["GET"]),
            Route("/api/v1/people", guarded(self.api_people), methods=["GET"]),
            Route("/api/v1/people.csv", guarded(self.all_csv), methods=["GET"]),
            Route("/api/v1/people.vcf", guarded(self.all_vcf), methods=["GET"]),
        ]

    # --- the machinery around every answer ---------------------------------------------------

    def _guarded(self, handler: Handler) -> Handler:
        """The rate limit before, the validators (ETag, Last-Modified, 304) after."""

        async def guarded(request: Request) -> Response:
            client = request.client.host if request.client else "?"
            wait = self.limit.take(client)
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                shown = self._shown(request)
                return Response(
                    shown.say("web.directory.too_many", seconds=seconds),
                    status_code=429,
                    media_type="text/plain; charset=utf-8",
                    headers={"Retry-After": str(seconds)},
                )
            try:
                response = await handler(request)
            except NotFound:
                response = self._not_found(request)
            except ValidationError as error:
                response = self._bad_request(request, error)
            if response.status_code != 200:
                return response
            changed = await published.last_change(self.database.uow())
            return _conditional(request, response, changed)

        return guarded

    def _shown(self, request: Request) -> Shown:
        wanted = request.query_params.get("lang") or self.settings.default_language
        return Shown(language_of(wanted), self.timezone)

    def _page(
        self, request: Request, template: str, *, embed: bool = False, **values: Any
    ) -> Response:
        shown = self._shown(request)
        body = self.templates.get_template(template).render(shown=shown, **values)
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "public, max-age=60",
            # The embed is for other sites' pages; the rest is not framed anywhere.
            "Content-Security-Policy": _PAGE_CSP
            + ("; frame-ancestors *" if embed else "; frame-ancestors 'none'"),
        }
        return Response(body, media_type="text/html; charset=utf-8", headers=headers)

    def _not_found(self, request: Request) -> Response:
        if request.url.path.startswith("/api/"):
            return _json({"error": "not_found"}, status=404)
        response = self._page(request, "directory_missing.html")
        response.status_code = 404
        return response

    def _bad_request(self, request: Request, error: ValidationError) -> Response:
        message = error_text(self._shown(request).language, error)
        if request.url.path.startswith("/api/"):
            return _json({"error": error.code, "message": message}, status=400)
        return Response(message, status_code=400, media_type="text/plain; charset=utf-8")

    # --- pages ---------------------------------------------------------------------------------

    async def static_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC:
            return Response("not found", status_code=404)
        return Response(
            self.static[name],
            media_type=_STATIC[name],
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    async def _search(self, request: Request) -> tuple[str, list[PublicPerson], str | None]:
        """The query, what it found, and what is wrong with it (said on the page)."""
        query = request.query_params.get("q", "").strip()
        try:
            found = await published.search(self.database.uow(), query, limit=SEARCH_RESULTS)
        except ValidationError:
            shown = self._shown(request)
            return "", [], shown.say("web.directory.query_too_long", max=published.MAX_QUERY)
        return query, found, None

    async def index(self, request: Request) -> Response:
        kind = request.query_params.get("kind", "")
        query, found, error = await self._search(request)
        agencies = await published.agencies(self.database.uow())
        kinds = [
            (k, [a for a in agencies if a.kind == k])
            for k in published.kinds()
            if any(a.kind == k for a in agencies)
        ]
        return self._page(
            request,
            "directory_index.html",
            query=query,
            people=found,
            error=error,
            kinds=kinds,
            open_kind=kind,
            ld=json_ld(found, self._shown(request)),
        )

    async def results(self, request: Request) -> Response:
        """The results part of the page alone: what the search box fetches as one types."""
        query, found, error = await self._search(request)
        return self._page(request, "directory_results.html", query=query, people=found, error=error)

    async def agency(self, request: Request) -> Response:
        return await self._agency_page(request, embed=False)

    async def embed(self, request: Request) -> Response:
        return await self._agency_page(request, embed=True)

    async def _agency_page(self, request: Request, *, embed: bool) -> Response:
        """An agency's page (or its embed), rendered again only when one of its people or the
        agency itself changed: a large agency's page is read far more often than it changes."""
        code = request.path_params["code"]
        stamp = await published.agency_stamp(self.database.uow(), code)
        key = (code, embed, self._shown(request).language, stamp)
        cached = self._rendered.pop(key, None)
        if cached is None:
            agency, people = await published.agency_people(self.database.uow(), code)
            if embed:
                cached = self._page(
                    request, "directory_embed.html", embed=True, agency=agency, people=people
                )
            else:
                cached = self._page(
                    request,
                    "directory_agency.html",
                    agency=agency,
                    people=people,
                    ld=json_ld(people, self._shown(request)),
                )
            while len(self._rendered) >= RENDERED_PAGES:
                self._rendered.pop(next(iter(self._rendered)))
        self._rendered[key] = cached  # the most recently used last
        return Response(cached.body, headers=dict(cached.headers))

    async def person(self, request: Request) -> Response:
        person = await published.person(self.database.uow(), request.path_params["pid"])
        return self._page(
            request,
            "directory_person.html",
            person=person,
            ld=json_ld([person], self._shown(request)),
        )

    async def person_vcard(self, request: Request) -> Response:
        person = await published.person(self.database.uow(), request.path_params["pid"])
        return self._vcard(request, [person], f"person-{person.id}.vcf")

    # --- open data -----------------------------------------------------------------------------

    async def openapi(self, request: Request) -> Response:
        return _json(openapi_document())

    async def api_agencies(self, request: Request) -> Response:
        kind = request.query_params.get("kind")
        if kind is not None and kind not in published.kinds():
            raise ValidationError(
                "agency.unknown_kind", kind=kind[:40], kinds=", ".join(published.kinds())
            )
        agencies = await published.agencies(self.database.uow(), kind=kind)
        return _json({"agencies": [agency_json(a) for a in agencies]})

    async def api_agency_people(self, request: Request) -> Response:
        agency, people = await published.agency_people(
            self.database.uow(), request.path_params["code"]
        )
        return _json({"agency": agency_json(agency), "people": [person_json(p) for p in people]})

    async def api_people(self, request: Request) -> Response:
        query = request.query_params.get("q", "")
        limit_text = request.query_params.get("limit", "20")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= published.MAX_RESULTS:
            raise ValidationError("directory_api.bad_limit", max=published.MAX_RESULTS)
        found = await published.search(self.database.uow(), query, limit=int(limit_text))
        return _json({"query": query, "people": [person_json(p) for p in found]})

    async def agency_csv(self, request: Request) -> Response:
        agency, people = await published.agency_people(
            self.database.uow(), request.path_params["code"]
        )
        return self._csv(request, people, f"{agency.code}.csv")

    async def agency_vcf(self, request: Request) -> Response:
        agency, people = await published.agency_people(
            self.database.uow(), request.path_params["code"]
        )
        return self._vcard(request, people, f"{agency.code}.vcf")

    async def all_csv(self, request: Request) -> Response:
        return self._csv(request, await published.everyone(self.database.uow()), "people.csv")

    async def all_vcf(self, request: Request) -> Response:
        return self._vcard(request, await published.everyone(self.database.uow()), "people.vcf")

    def _labels(self, request: Request) -> RosterLabels:
        return roster_labels(self._shown(request).language, on=date.today())

    def _csv(self, request: Request, people: list[PublicPerson], name: str) -> Response:
        target = io.BytesIO()
        rows = [published.export_row(p) for p in people]
        writer = CsvRoster(self._labels(request), target, Layout.handout)
        writer.add(rows)
        tally = Tally()
        tally.add(rows)
        scope = ExportScope(status=Status.verified)
        writer.finish(ExportSummary(scope, {}, [], tally), target)
        return Response(
            target.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def _vcard(self, request: Request, people: list[PublicPerson], name: str) -> Response:
        labels = self._labels(request)
        text = "".join(vcard_card(published.export_row(p), labels) for p in people)
        return Response(
            text.encode("utf-8"),
            media_type="text/vcard; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


def _json(value: Any, status: int = 200) -> Response:
    """JSON with ``<``, ``>`` and ``&`` written as escapes: the same data, and no stored text can
    become markup even where a careless client pastes it into a page."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Response(
        text.encode("utf-8"),
        status_code=status,
        media_type="application/json",
        headers={"X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*"},
    )


def _conditional(request: Request, response: Response, changed: datetime) -> Response:
    """``ETag`` and ``Last-Modified`` on a 200, and 304 when the client's copy is current."""
    etag = '"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Last-Modified": format_datetime(changed, usegmt=True)}
    wanted = request.headers.get("if-none-match")
    if wanted is not None:
        fresh = etag in [tag.strip().removeprefix("W/") for tag in wanted.split(",")] or (
            wanted.strip() == "*"
        )
    else:
        fresh = _not_modified_since(request.headers.get("if-modified-since"), changed)
    if fresh:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def _not_modified_since(header: str | None, changed: datetime) -> bool:
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return changed <= since


# --- the OpenAPI document ---------------------------------------------------------------------

_NULLABLE_STRING = {"type": ["string", "null"]}


def openapi_document() -> dict[str, Any]:
    """What the open-data API answers, for people and for generated clients and tests."""
    person = {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "full_name",
            "position",
            "role",
            "agency_code",
            "agency_name",
            "office_phone",
            "office_ext",
            "email",
            "mobile",
            "updated_at",
            "confirmed_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "full_name": {"type": "string"},
            "position": _NULLABLE_STRING,
            "role": {
                "type": "string",
                "enum": ["head", "spokesperson", "authorized_spokesperson", "press_contact"],
            },
            "agency_code": {"type": "string"},
            "agency_name": {"type": "string"},
            "office_phone": {**_NULLABLE_STRING, "description": "E.164"},
            "office_ext": _NULLABLE_STRING,
            "email": _NULLABLE_STRING,
            "mobile": {
                **_NULLABLE_STRING,
                "description": "E.164; only when the person agreed to publish it",
            },
            "updated_at": {"type": "string", "format": "date-time"},
            "confirmed_at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    agency = {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "code",
            "name",
            "english_name",
            "short_name",
            "kind",
            "parent_code",
            "people",
            "updated_at",
        ],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "english_name": _NULLABLE_STRING,
            "short_name": _NULLABLE_STRING,
            "kind": {"type": "string", "enum": published.kinds()},
            "parent_code": _NULLABLE_STRING,
            "people": {"type": "integer", "minimum": 0},
            "updated_at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    error = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    }

    def answers(schema: dict[str, Any], *, missing: bool = False, bad: bool = False) -> Any:
        result: dict[str, Any] = {
            "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
            "304": {"description": "Not modified (If-None-Match / If-Modified-Since)"},
            "429": {"description": "Too many requests; see Retry-After"},
        }
        if missing:
            result["404"] = {
                "description": "No such agency",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        if bad:
            result["400"] = {
                "description": "A parameter out of range",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        return result

    code_parameter = {
        "name": "code",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The agency's stable code (tinh-lao-cai)",
    }
    people_list = {"type": "array", "items": {"$ref": "#/components/schemas/Person"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Spokespeople directory: open data",
            "version": "1",
            "description": "Verified spokespeople and press contacts of Vietnam's state "
            "agencies: the fields the law makes public, and a personal mobile only with the "
            "person's consent.",
        },
        "paths": {
            "/api/v1/agencies": {
                "get": {
                    "operationId": "listAgencies",
                    "parameters": [
                        {
                            "name": "kind",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": published.kinds()},
                        }
                    ],
                    "responses": answers(
                        {
                            "type": "object",
                            "required": ["agencies"],
                            "properties": {
                                "agencies": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Agency"},
                                }
                            },
                        },
                        bad=True,
                    ),
                }
            },
            "/api/v1/agencies/{code}/people": {
                "get": {
                    "operationId": "agencyPeople",
                    "parameters": [code_parameter],
                    "responses": answers(
                        {
                            "type": "object",
                            "required": ["agency", "people"],
                            "properties": {
                                "agency": {"$ref": "#/components/schemas/Agency"},
                                "people": people_list,
                            },
                        },
                        missing=True,
                    ),
                }
            },
            "/api/v1/people": {
                "get": {
                    "operationId": "searchPeople",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "maxLength": published.MAX_QUERY},
                            "description": "Name or agency; accents, case and đ ignored",
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": published.MAX_RESULTS,
                            },
                        },
                    ],
                    "responses": answers(
                        {
                            "type": "object",
                            "required": ["query", "people"],
                            "properties": {"query": {"type": "string"}, "people": people_list},
                        },
                        bad=True,
                    ),
                }
            },
        },
        "components": {"schemas": {"Person": person, "Agency": agency, "Error": error}},
    }
