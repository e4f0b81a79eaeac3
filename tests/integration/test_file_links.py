"""The download and upload links of the web server, on every database backend.

Driven through the ASGI app with httpx (the real routes, the real import); the upload page in a
real browser is in tests/e2e/test_upload_page.py.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from bot import web
from bot.dialogs.io import Reply
from bot.links import Links
from bot.pipeline.jobs import run_pending
from bot.settings import BotSettings
from bot.state import held_files
from bot.state.models import SharedFile
from bot.state.shared_files import Owner
from bot.texts import t
from bot.web_files import FilePages
from registry import accounts
from registry.models import Person, utcnow
from registry.uow import Database
from tests.integration.conftest import SYSTEM, Cast
from tests.roster_files import csv_bytes, random_bytes

SETTINGS = BotSettings(link_secret="s" * 40, public_url="http://testserver")
STAFF = Owner("telegram", "2", "2", "vi")  # cast.staff
ROWS = [
    ("Cơ quan", "Họ và tên", "Chức vụ", "Di động", "Email"),
    ("UBND tỉnh Lào Cai", "Nguyễn Văn An", "Chánh Văn phòng", "0912 345 678", "an@laocai.gov.vn"),
    ("UBND tỉnh Lào Cai", "Trần Thị Bình", "Phó Chánh Văn phòng", "0987 654 321", ""),
]
LIST = csv_bytes(ROWS)


@pytest.fixture
async def links(cast: Cast, db: Database) -> Links:
    return Links(db, SETTINGS)


@pytest.fixture
async def client(db: Database, links: Links) -> AsyncIterator[httpx.AsyncClient]:
    app = web.create_app(db, [], FilePages(db, links, SETTINGS).routes())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def path(url: str) -> str:
    return url.removeprefix("http://testserver")


def confirmation(page: str) -> tuple[str, dict[str, str]]:
    """The confirmation form of a checked list: where it posts, and its hidden fields."""
    action = re.search(r'action="([^"]+/confirm)"', page)
    assert action is not None, page
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return action.group(1), fields


async def run_jobs(db: Database) -> list[tuple[tuple[str, str, str, str], list[Reply]]]:
    """Run the imports the page queued, as the server's job runner does; what each chat was
    told: ((channel, chat id, user id, language), replies)."""
    told: list[tuple[tuple[str, str, str, str], list[Reply]]] = []

    async def deliver(
        channel: str, chat_id: str, user_id: str, replies: Sequence[Reply], language: str
    ) -> None:
        told.append(((channel, chat_id, user_id, language), list(replies)))

    await run_pending(db, SETTINGS, deliver)
    return told


async def people_count(db: Database) -> int:
    async with db.uow().reading() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Person)) or 0)


async def test_a_download_link_opens_once(links: Links, client: httpx.AsyncClient) -> None:
    link = await links.download(STAFF, "danh-sách.csv", "text/csv", b"a,b\n")
    assert link.url.startswith("http://testserver/files/")
    first = await client.get(path(link.url))
    assert first.status_code == 200
    assert first.content == b"a,b\n"
    assert first.headers["content-type"].startswith("text/csv")
    assert "filename*=UTF-8''danh-s%C3%A1ch.csv" in first.headers["content-disposition"]
    assert first.headers["cache-control"] == "no-store"
    again = await client.get(path(link.url))
    assert again.status_code == 410
    assert t("vi", "web.refused.used") in again.text


async def test_a_preview_does_not_use_up_a_download_link(
    links: Links, client: httpx.AsyncClient
) -> None:
    link = await links.download(STAFF, "danh-sách.csv", "text/csv", b"a,b\n")
    # A link preview or a chat app's prefetch asks HEAD, maybe several times.
    for _ in range(3):
        preview = await client.head(path(link.url))
        assert preview.status_code == 200
        assert preview.content == b""
        assert preview.headers["content-length"] == "4"
        assert preview.headers["content-type"].startswith("text/csv")
        assert "filename*=UTF-8''danh-s%C3%A1ch.csv" in preview.headers["content-disposition"]
        assert preview.headers["cache-control"] == "no-store"
    # The person's own download still gets the file, once.
    first = await client.get(path(link.url))
    assert (first.status_code, first.content) == (200, b"a,b\n")
    assert (await client.head(path(link.url))).status_code == 410
    assert (await client.get(path(link.url))).status_code == 410


async def test_a_preview_of_a_bad_link_gets_the_refusal_status_and_no_file(
    links: Links, client: httpx.AsyncClient
) -> None:
    link = await links.download(STAFF, "a.csv", "text/csv", b"secret roster")
    file_id, expiry, mac = path(link.url).removeprefix("/files/").split(".")
    forged = await client.head(f"/files/{file_id}.{expiry}.{mac[::-1]}")
    assert (forged.status_code, forged.content) == (403, b"")
    links.lifetime = timedelta(seconds=-1)
    expired = await links.download(STAFF, "a.csv", "text/csv", b"x")
    assert (await client.head(path(expired.url))).status_code == 410
    assert (await client.get(path(link.url))).content == b"secret roster"


async def test_a_download_link_is_refused_after_it_expires(
    links: Links, db: Database, client: httpx.AsyncClient
) -> None:
    links.lifetime = timedelta(seconds=-1)  # signed already expired
    expired = await links.download(STAFF, "a.csv", "text/csv", b"x")
    response = await client.get(path(expired.url))
    assert response.status_code == 410
    assert t("vi", "web.refused.expired") in response.text
    # A row past its time is refused even when the token's own time has not come.
    links.lifetime = timedelta(minutes=30)
    link = await links.download(STAFF, "a.csv", "text/csv", b"x")
    async with db.uow() as uow:
        await uow.session.execute(
            update(SharedFile).values(expires_at=utcnow() - timedelta(hours=1))
        )
        await uow.commit()
    assert (await client.get(path(link.url))).status_code == 410


async def test_a_tampered_download_link_is_refused_and_still_works_untouched(
    links: Links, client: httpx.AsyncClient
) -> None:
    link = await links.download(STAFF, "a.csv", "text/csv", b"secret roster")
    file_id, expiry, mac = path(link.url).removeprefix("/files/").split(".")
    for forged in (
        f"{file_id}.{int(expiry) + 86400}.{mac}",
        f"{file_id}.{expiry}.{mac[::-1]}",
        f"{file_id}",
        "x" * 300,
    ):
        response = await client.get(f"/files/{forged}")
        assert response.status_code == 403, forged
        assert "secret roster" not in response.text
    assert (await client.get(path(link.url))).content == b"secret roster"


async def test_a_list_is_checked_then_written_on_confirmation(
    links: Links, db: Database, client: httpx.AsyncClient
) -> None:
    link = await links.upload(STAFF)
    page = await client.get(path(link.url))
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text and 'type="file"' in page.text
    checked = await client.post(path(link.url), files={"file": ("danh sach.csv", LIST, "text/csv")})
    assert checked.status_code == 200
    assert t("vi", "bot.import.apply") in checked.text
    assert await people_count(db) == 0  # a dry run writes nothing
    action, fields = confirmation(checked.text)
    done = await client.post(action, data=fields)
    assert done.status_code == 200
    assert t("vi", "web.upload_job.queued", file="danh sach.csv", run=1) in done.text
    # Queued: the server's job runner writes it, and the chat hears of it with the report.
    assert await people_count(db) == 0
    told_chat = await run_jobs(db)
    assert await people_count(db) == 2
    [(owner, replies)] = told_chat
    assert owner == (STAFF.channel, STAFF.chat_id, STAFF.external_id, "vi")
    summary, report = replies
    assert "danh sach.csv" in summary.text and "Lần nhập số 1." in summary.text
    assert report.document is not None and report.document.content[:2] == b"PK"
    # The link is used up: confirming or uploading again is refused, nothing written twice.
    assert (await client.post(action, data=fields)).status_code == 410
    assert (await client.get(path(link.url))).status_code == 410
    assert await people_count(db) == 2


async def test_the_page_and_the_chat_hold_one_list_and_a_replaced_one_is_not_applied(
    links: Links, db: Database, client: httpx.AsyncClient
) -> None:
    """A list uploaded on the page waits for the chat's confirmation like one sent in the chat:
    a newer list from the chat replaces it, and the page's confirmation then applies nothing."""
    link = await links.upload(STAFF)
    checked = await client.post(path(link.url), files={"file": ("a.csv", LIST, "text/csv")})
    action, fields = confirmation(checked.text)
    newer = await held_files.hold(db.uow(), STAFF.channel, STAFF.chat_id, "b.csv", LIST)
    assert (await client.post(action, data=fields)).status_code == 410
    assert (await client.post(action)).status_code == 410  # no list named at all
    assert await people_count(db) == 0
    # The chat's list is still there for the chat's confirmation, once.
    taken = await held_files.take(db.uow(), STAFF.channel, STAFF.chat_id, newer)
    assert taken is not None and taken.name == "b.csv"
    assert await held_files.take(db.uow(), STAFF.channel, STAFF.chat_id, newer) is None


async def test_a_confirmation_that_fails_keeps_the_list_and_the_link_for_another_try(
    links: Links, db: Database, client: httpx.AsyncClient
) -> None:
    link = await links.upload(STAFF)
    checked = await client.post(path(link.url), files={"file": ("a.csv", LIST, "text/csv")})
    action, fields = confirmation(checked.text)
    await accounts.revoke(db.uow(), SYSTEM, "telegram:2")  # the import is now refused
    refused = await client.post(action, data=fields)
    assert refused.status_code == 400 and 'role="alert"' in refused.text
    await accounts.grant(db.uow(), SYSTEM, "telegram:2", "staff")
    assert (await client.post(action, data=fields)).status_code == 200
    await run_jobs(db)
    assert await people_count(db) == 2


@pytest.mark.parametrize(
    ("files", "key"),
    [
        (None, "error.web.no_file"),
        ({"file": ("empty.xlsx", b"", "application/octet-stream")}, "error.web.empty_file"),
        ({"other": ("a.csv", LIST, "text/csv")}, "error.web.no_file"),
        ({"file": ("noise.xlsx", random_bytes(), "application/octet-stream")}, None),
    ],
)
async def test_a_bad_upload_gets_the_form_back_with_what_to_fix(
    links: Links, db: Database, client: httpx.AsyncClient, files: dict | None, key: str | None
) -> None:
    link = await links.upload(STAFF)
    response = await client.post(
        path(link.url), files=files, data={"x": "1"} if files is None else None
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.text and 'type="file"' in response.text
    if key is not None:
        assert t("vi", key).split("“")[0] in response.text
    assert await people_count(db) == 0
    # The link still works: the person picks the right file.
    fixed = await client.post(path(link.url), files={"file": ("a.csv", LIST, "text/csv")})
    assert fixed.status_code == 200 and "/confirm" in fixed.text


async def test_a_body_that_is_not_a_form_or_too_large_is_refused(
    links: Links, db: Database, client: httpx.AsyncClient
) -> None:
    link = await links.upload(STAFF)
    garbage = await client.post(
        path(link.url),
        content=b"\x00garbage",
        headers={"content-type": "multipart/form-data; boundary=zz"},
    )
    assert garbage.status_code == 400
    huge = await client.post(
        path(link.url), content=b"x" * 1024, headers={"content-length": str(50 * 1024 * 1024)}
    )
    assert huge.status_code == 400
    assert "MB" in huge.text
    assert await people_count(db) == 0


async def test_the_page_acts_with_the_rights_the_account_has_now(
    links: Links, db: Database, client: httpx.AsyncClient
) -> None:
    link = await links.upload(STAFF)
    await accounts.revoke(db.uow(), SYSTEM, "telegram:2")
    response = await client.post(path(link.url), files={"file": ("a.csv", LIST, "text/csv")})
    assert response.status_code == 400
    assert t("vi", "error.permission.denied", action="").split(":")[0][:20] in response.text
    assert await people_count(db) == 0


async def test_an_english_speaker_gets_the_page_in_english(
    links: Links, client: httpx.AsyncClient
) -> None:
    link = await links.upload(Owner("telegram", "2", "2", "en"))
    page = await client.get(path(link.url))
    assert '<html lang="en">' in page.text and t("en", "web.upload.check") in page.text


async def test_of_requests_racing_for_one_link_exactly_one_gets_the_file(
    links: Links, client: httpx.AsyncClient
) -> None:
    link = await links.download(STAFF, "a.csv", "text/csv", b"roster")
    responses = await asyncio.gather(*(client.get(path(link.url)) for _ in range(6)))
    assert sorted(r.status_code for r in responses) == [200, 410, 410, 410, 410, 410]
