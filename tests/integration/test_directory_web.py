"""The published directory over HTTP (pages, JSON, CSV, vCard): who appears, which fields, the
escaping of hostile values, the validators (ETag, Last-Modified, 304) and the rate limit."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bot import web
from bot.cli.serve import _pages
from bot.links import Links
from bot.settings import BotSettings
from registry import people, published
from registry.models import Person
from registry.uow import Database
from tests.builders import SYSTEM, listed, registered, with_catalog

MOBILE, MOBILE_SHOWN = "+84912345678", "0912 345 678"
HOSTILE_NAME = "<script>alert('x')</script>"
HOSTILE_POSITION = '=HYPERLINK("http://evil")'


def settings(**changes: Any) -> BotSettings:
    return BotSettings(_env_file=None, public_directory=True, **changes)  # type: ignore[call-arg]


async def client_for(db: Database, config: BotSettings) -> httpx.AsyncClient:
    app = web.create_app(db, [], _pages(config, db, Links(db, config)))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def loaded(db: Database) -> Database:
    return await with_catalog(db)


@pytest.fixture
async def client(loaded: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(loaded, settings()) as client:
        yield client


async def _hidden_mobile_everywhere(client: httpx.AsyncClient, code: str) -> list[str]:
    """Every public output that could carry a mobile, as text."""
    urls = [
        "/directory?q=an",
        f"/directory/{code}",
        f"/directory/{code}/embed",
        "/directory/person/1",
        "/directory/person/1.vcf",
        "/api/v1/people?q=an",
        f"/api/v1/agencies/{code}/people",
        f"/api/v1/agencies/{code}/people.csv",
        f"/api/v1/agencies/{code}/people.vcf",
        "/api/v1/people.csv",
        "/api/v1/people.vcf",
    ]
    texts = []
    for url in urls:
        answer = await client.get(url)
        assert answer.status_code == 200, url
        texts.append(answer.text)
    return texts


async def test_a_mobile_is_published_only_with_its_owners_consent(
    loaded: Database, client: httpx.AsyncClient
) -> None:
    an = await listed(loaded, email="an@laocai.gov.vn", office_phone="024 3822 1234")
    for text in await _hidden_mobile_everywhere(client, an.agency_code):
        assert "912" not in text.replace(" ", "").replace(".", "")
        assert "an@laocai.gov.vn" in text  # the public fields are there
    await published.set_publish_mobile(loaded.uow(), SYSTEM, an.id, True)
    for text in await _hidden_mobile_everywhere(client, an.agency_code):
        assert "912345678" in text.replace(" ", "")
    await published.set_publish_mobile(loaded.uow(), SYSTEM, an.id, False)  # withdrawn
    for text in await _hidden_mobile_everywhere(client, an.agency_code):
        assert "912" not in text.replace(" ", "").replace(".", "")


async def test_unverified_and_retired_people_never_appear(
    loaded: Database, client: httpx.AsyncClient
) -> None:
    an = await listed(loaded)
    await registered(loaded, "telegram:90", full_name="Trần Thị Bình", mobile="0988 111 222")
    cuong = await listed(loaded, full_name="Lê Văn Cường", mobile="0988 111 333")
    await people.retire_person(loaded.uow(), SYSTEM, cuong.id)
    page = (await client.get(f"/directory/{an.agency_code}")).text
    assert "Nguyễn Văn An" in page
    outputs = [
        page,
        (await client.get("/api/v1/people.csv")).text,
        (await client.get("/api/v1/people.vcf")).text,
        (await client.get(f"/api/v1/agencies/{an.agency_code}/people")).text,
    ]
    for name in ("Trần Thị Bình", "Lê Văn Cường"):
        for text in outputs:
            assert name not in text
    for query in ("binh", "cuong"):
        assert (await client.get("/api/v1/people", params={"q": query})).json()["people"] == []
    for hidden in (2, cuong.id):
        assert (await client.get(f"/directory/person/{hidden}")).status_code == 404
        assert (await client.get(f"/directory/person/{hidden}.vcf")).status_code == 404


async def test_hostile_values_are_escaped_or_neutralised(
    loaded: Database, client: httpx.AsyncClient
) -> None:
    an = await listed(loaded)
    # An old record written before today's checks: the outputs must still be safe.
    async with loaded.uow() as uow:
        await uow.session.execute(
            update(Person)
            .where(Person.id == an.id)
            .values(full_name=HOSTILE_NAME, position=HOSTILE_POSITION)
        )
        await uow.commit()
    page = (await client.get(f"/directory/{an.agency_code}")).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    card = (await client.get(f"/directory/person/{an.id}")).text
    # Two scripts of our own (the JSON-LD and the search); the name is data in the JSON-LD.
    assert card.count("<script") == 2 and "\\u003cscript\\u003ealert" in card
    raw = (await client.get(f"/api/v1/agencies/{an.agency_code}/people")).text
    assert "<script>" not in raw and "\\u003cscript\\u003e" in raw
    assert json.loads(raw)["people"][0]["full_name"] == HOSTILE_NAME  # the same data
    rows = list(csv.reader(io.StringIO((await client.get("/api/v1/people.csv")).text)))
    cells = [cell for row in rows for cell in row]
    assert "'" + HOSTILE_POSITION in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


async def test_search_ignores_accents_case_and_d_without_javascript(
    loaded: Database, client: httpx.AsyncClient
) -> None:
    await listed(loaded, full_name="Đặng Thị Hồng")
    for query in ("dang thi", "ĐẶNG", "Đặng", "hong"):
        page = (await client.get("/directory", params={"q": query})).text
        assert "Đặng Thị Hồng" in page, query
    english = (await client.get("/directory", params={"q": "dang", "lang": "en"})).text
    assert 'lang="en"' in english and "Lào Cai Province" in english
    assert "Spokesperson" in english


async def test_validators_answer_304(loaded: Database, client: httpx.AsyncClient) -> None:
    an = await listed(loaded)
    url = f"/api/v1/agencies/{an.agency_code}/people"
    first = await client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert (await client.get(url, headers={"If-None-Match": etag})).status_code == 304
    assert (await client.get(url, headers={"If-Modified-Since": modified})).status_code == 304
    await people.update_field(loaded.uow(), SYSTEM, an.id, "position", "Phó Chánh Văn phòng")
    again = await client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag


async def test_rate_limit_answers_429_with_retry_after(loaded: Database) -> None:
    async with await client_for(loaded, settings(public_rate_per_minute=3)) as client:
        codes = [(await client.get("/api/v1/agencies")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = await client.get("/directory")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


async def test_off_by_default_everything_is_404(loaded: Database) -> None:
    await listed(loaded)
    config = BotSettings(_env_file=None)  # type: ignore[call-arg]
    async with await client_for(loaded, config) as client:
        for url in (
            "/directory",
            "/directory/tinh-lao-cai",
            "/api/v1/agencies",
            "/api/v1/openapi.json",
        ):
            assert (await client.get(url)).status_code == 404, url


async def test_unknown_agency_and_garbage_queries(client: httpx.AsyncClient) -> None:
    assert (await client.get("/directory/atlantis")).status_code == 404
    missing = await client.get("/api/v1/agencies/atlantis/people")
    assert missing.status_code == 404 and missing.json() == {"error": "not_found"}
    long = await client.get("/api/v1/people", params={"q": "x" * 500})
    assert long.status_code == 400
    zero = await client.get("/api/v1/people", params={"limit": "0", "lang": "en"})
    assert zero.status_code == 400
    assert zero.json()["message"] == "limit: a whole number from 1 to 50."
    assert (await client.get("/api/v1/agencies", params={"kind": "<x>"})).status_code == 400
    too_long = await client.get("/directory", params={"q": "x" * 500})
    assert too_long.status_code == 200  # the page, saying what is wrong, in the reader's words
    assert "Từ khóa tìm kiếm dài quá 100 ký tự." in too_long.text
    english = await client.get("/directory/results", params={"q": "x" * 500, "lang": "en"})
    assert "The search is longer than 100 characters." in english.text
    page = await client.get("/directory", params={"q": "\u0000<b>"})
    assert page.status_code == 200 and "<b>" not in page.text.split("<main>")[1]


async def test_a_change_shows_at_once_on_an_agency_page_seen_before(
    loaded: Database, client: httpx.AsyncClient
) -> None:
    an = await listed(loaded)
    url = f"/directory/{an.agency_code}"
    for _ in range(2):  # the second time from the rendered copy
        assert "Nguyễn Văn An" in (await client.get(url)).text
    await people.update_field(loaded.uow(), SYSTEM, an.id, "position", "Phó Giám đốc Sở")
    assert "Phó Giám đốc Sở" in (await client.get(url)).text
    assert "Phó Giám đốc Sở" in (await client.get(f"{url}/embed")).text
    await people.retire_person(loaded.uow(), SYSTEM, an.id)
    assert "Nguyễn Văn An" not in (await client.get(url)).text
    assert "Nguyễn Văn An" not in (await client.get(f"{url}/embed")).text


async def test_the_last_confirmed_date_is_published(
    loaded: Database, client: httpx.AsyncClient
) -> None:
    an = await listed(loaded)
    async with loaded.uow() as uow:
        person = await uow.session.get(Person, an.id)
        assert person is not None
        person.confirmed_at = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
        await uow.commit()
    page = (await client.get(f"/directory/{an.agency_code}")).text
    assert "Xác nhận lần cuối: 14/03/2026" in page
    listed_people = (await client.get(f"/api/v1/agencies/{an.agency_code}/people")).json()
    assert listed_people["people"][0]["confirmed_at"].startswith("2026-03-14T09:00:00")
