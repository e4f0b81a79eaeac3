"""The published directory's pure parts: the per-client rate limit, the conditional answers, and
JSON-LD that cannot close its script element."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from bot.web_directory import RateLimit, Shown, _conditional, json_ld, openapi_document
from registry.published import PublicPerson

CHANGED = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_allows_a_burst_then_refills_per_client() -> None:
    clock = Clock()
    limit = RateLimit(60, clock=clock)
    assert [limit.take("a") for _ in range(60)] == [0.0] * 60
    wait = limit.take("a")
    assert 0.9 < wait <= 1.0  # one request a second comes back
    assert limit.take("b") == 0.0  # another client is not held up
    clock.now += 1.0
    assert limit.take("a") == 0.0
    assert limit.take("a") > 0


def _request(**headers: str) -> Request:
    raw = [(k.lower().replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


def test_conditional_answers() -> None:
    first = _conditional(_request(), Response(b"body"), CHANGED)
    etag = first.headers["etag"]
    assert first.status_code == 200
    assert first.headers["last-modified"] == "Sun, 29 Nov 2026 10:00:00 GMT"
    for headers in (
        {"If_None_Match": etag},
        {"If_None_Match": f'"other", W/{etag}'},
        {"If_None_Match": "*"},
        {"If_Modified_Since": "Sun, 29 Nov 2026 10:00:00 GMT"},
        {"If_Modified_Since": "Mon, 30 Nov 2026 10:00:00 GMT"},
    ):
        assert _conditional(_request(**headers), Response(b"body"), CHANGED).status_code == 304
    for headers in (
        {"If_None_Match": '"other"'},
        {"If_Modified_Since": "Sun, 29 Nov 2026 09:59:59 GMT"},
        {"If_Modified_Since": "not a date"},
        # An ETag that does not match wins over a date that would.
        {"If_None_Match": '"other"', "If_Modified_Since": "Mon, 30 Nov 2026 10:00:00 GMT"},
    ):
        assert _conditional(_request(**headers), Response(b"body"), CHANGED).status_code == 200


def test_json_ld_cannot_close_its_script() -> None:
    person = PublicPerson(
        id=1,
        agency_code="tinh-lao-cai",
        agency_name="Tỉnh Lào Cai",
        agency_kind="province",
        full_name="</script><script>alert(1)</script>",
        position="A & B",
        role="spokesperson",
        office_phone="+842143840123",
        office_ext=None,
        email="an@laocai.gov.vn",
        mobile=None,
        updated_at=CHANGED,
    )
    text = json_ld([person], Shown("vi", ZoneInfo("Asia/Ho_Chi_Minh")))
    assert "<" not in text and ">" not in text and "&" not in text
    [item] = json.loads(text)
    assert item["name"] == person.full_name and item["@type"] == "Person"
    assert item["contactPoint"] == {
        "@type": "ContactPoint",
        "contactType": "press",
        "telephone": "+842143840123",
        "email": "an@laocai.gov.vn",
    }


def test_the_document_describes_every_person_field_the_api_returns() -> None:
    person = openapi_document()["components"]["schemas"]["Person"]
    assert set(person["required"]) == set(person["properties"])
    assert "note" not in person["properties"] and "status" not in person["properties"]
