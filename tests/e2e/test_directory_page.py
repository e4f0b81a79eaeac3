"""The published directory in a real headless browser, served by ``spokes serve`` with no chat
channel at all: search as you type with and without accents on a phone and a desktop screen,
the same search with JavaScript off (a form), an agency's page, its embed inside another site's
page, and the switch to English. A screenshot of each is saved (``SPOKES_TEST_SCREENSHOTS``, or
the test's temporary folder) to be looked at.

Needs ``/usr/bin/chromium``, as the upload page's test does (see ``test_upload_page``).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import os
import signal
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.texts import t
from registry import people, published
from registry.uow import Database
from tests.builders import SYSTEM, listed, registered
from tests.e2e.cli_runner import SCRIPT
from tests.e2e.servers import Server, _healthy, free_port

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SPOKES_TEST_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.asynccontextmanager
async def directory_served(database_url: str, log: Path) -> AsyncIterator[Server]:
    """``spokes serve`` with the published directory on and no chat channel configured."""
    assert SCRIPT is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOKES_")}
    env.update(SPOKES_DATABASE_URL=database_url, SPOKES_PUBLIC_DIRECTORY="1")
    env["SPOKES_PUBLIC_RATE_PER_MINUTE"] = "100000"
    port = free_port()
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            SCRIPT, "serve", "--port", str(port), env=env, cwd=log.parent,
            stdout=asyncio.subprocess.DEVNULL, stderr=output,
        )  # fmt: skip
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        await _healthy(server)
        yield server
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)


@pytest.fixture
async def site(database: Database, tmp_path: Path) -> AsyncIterator[str]:
    an = await listed(
        database,
        position="Chánh Văn phòng UBND tỉnh",
        office_phone="(0214) 3840 123 máy lẻ 101",
        email="an.nv@laocai.gov.vn",
    )
    await listed(
        database,
        full_name="Đặng Thị Hồng",
        position="Phó Chánh Văn phòng UBND tỉnh, người được giao phát ngôn khi vắng",
        role="authorized_spokesperson",
        mobile="0988 111 222",
        email="hong.dt@laocai.gov.vn",
    )
    await listed(
        database,
        agency="Bộ Tài chính",
        full_name="Trần Quang Đức",
        position="Chánh Văn phòng Bộ",
        mobile="0903 456 789",
        office_phone="024 2220 2828",
        email="tqduc@mof.gov.vn",
    )
    await published.set_publish_mobile(database.uow(), SYSTEM, an.id, True)
    await registered(database, "telegram:77", full_name="Đặng Văn Chờ", mobile="0977 000 111")
    gone = await listed(database, full_name="Đặng Văn Thôi", mobile="0977 000 222")
    await people.retire_person(database.uow(), SYSTEM, gone.id)
    url = str(database.engine.url)
    async with directory_served(url, tmp_path / "serve.log") as server:
        log = (tmp_path / "serve.log").read_text()
        assert "Telegram is off" in log and "Zalo is off" in log
        yield server.url


@contextlib.contextmanager
def portal_serving(page: str) -> Iterator[str]:
    """Another web site on this machine, serving ``page`` (an agency's portal)."""
    body = page.encode()

    class Portal(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/nguoi-phat-ngon"
    finally:
        server.shutdown()
        server.server_close()


async def _fits(page: object) -> bool:
    return await page.evaluate(  # type: ignore[attr-defined]
        "document.documentElement.scrollWidth <= window.innerWidth"
    )


@pytest.mark.parametrize(("size", "query"), [("phone", "dang"), ("desktop", "ĐẶNG thị")])
async def test_search_as_you_type_ignores_accents(
    browser: object, site: str, shots: Path, size: str, query: str
) -> None:
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    phone = size == "phone"
    context = await browser.new_context(
        viewport=PHONE if phone else DESKTOP, is_mobile=phone, has_touch=phone, locale="vi-VN"
    )
    page = await context.new_page()
    await page.goto(f"{site}/directory")
    await expect(page.locator("h1")).to_have_text(t("vi", "web.directory.title"))
    await page.locator("#q").press_sequentially(query, delay=30)
    cards = page.locator("#results .card")
    await expect(cards).to_have_count(1)
    await expect(cards.locator(".name")).to_have_text("Đặng Thị Hồng")
    # Pending and retired people named Đặng are not published.
    assert "Chờ" not in await page.locator("#results").inner_text()
    assert page.url.endswith("/directory?q=" + query.replace(" ", "+")) or "q=" in page.url
    assert await _fits(page)
    await page.screenshot(path=str(shots / f"directory-search-{size}.png"), full_page=True)
    await context.close()


async def test_without_javascript_the_search_is_a_form(
    browser: object, site: str, shots: Path
) -> None:
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{site}/directory")
    await page.locator("#q").fill("tran quang duc")
    await page.get_by_role("button", name=t("vi", "web.directory.search_button")).click()
    await expect(page.locator("#results .card .name")).to_have_text("Trần Quang Đức")
    assert "q=tran+quang+duc" in page.url
    await page.screenshot(path=str(shots / "directory-search-nojs.png"), full_page=True)
    await context.close()


async def test_agency_page_with_cards_and_vcard(browser: object, site: str, shots: Path) -> None:
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(f"{site}/directory")
    await page.locator("#kind-province summary").click()
    await page.get_by_role("link", name="Tỉnh Lào Cai").click()
    assert page.url == f"{site}/directory/tinh-lao-cai"
    await expect(page.locator("h1")).to_have_text("Tỉnh Lào Cai")
    names = page.locator(".card .name")
    await expect(names).to_have_text(["Nguyễn Văn An", "Đặng Thị Hồng"])
    an = page.locator(".card").first
    # Tap to call (with the extension), tap to mail; the mobile An agreed to publish.
    tels = await an.locator("a.tel").evaluate_all("links => links.map(l => l.href)")
    assert tels == ["tel:+842143840123;ext=101", "tel:+84912345678"]
    assert await an.locator("a.mail").get_attribute("href") == "mailto:an.nv@laocai.gov.vn"
    # Hồng did not agree: her mobile is nowhere on the page.
    assert "0988" not in await page.content()
    vcard = await page.request.get(site + await an.locator("a.vcard").get_attribute("href"))
    assert vcard.headers["content-type"].startswith("text/vcard")
    assert "FN:Nguyễn Văn An" in await vcard.text()
    assert await _fits(page)
    await page.screenshot(path=str(shots / "directory-agency-phone.png"), full_page=True)
    await page.emulate_media(media="print")
    await page.screenshot(path=str(shots / "directory-agency-print.png"), full_page=True)
    await context.close()


async def test_embed_in_another_sites_page(browser: object, site: str, shots: Path) -> None:
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    context = await browser.new_context(viewport={"width": 800, "height": 700})
    page = await context.new_page()
    portal = (
        '<!doctype html><meta charset="utf-8"><h1>Cổng thông tin điện tử tỉnh Lào Cai</h1>'
        "<p>Người phát ngôn của tỉnh:</p>"
        f'<iframe src="{site}/directory/tinh-lao-cai/embed" width="760" height="520"'
        ' style="border:1px solid #ccc"></iframe>'
    )
    # The agency's own portal: another site (another origin) serving its own page.
    with portal_serving(portal) as portal_url:
        await page.goto(portal_url)
        frame = page.frame_locator("iframe")
        await expect(frame.locator(".card .name")).to_have_text(["Nguyễn Văn An", "Đặng Thị Hồng"])
        await expect(frame.locator(".source a")).to_have_text(t("vi", "web.directory.embed_source"))
        await page.screenshot(path=str(shots / "directory-embed.png"))
    await context.close()


async def test_switch_to_english(browser: object, site: str, shots: Path) -> None:
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(f"{site}/directory/tinh-lao-cai")
    await page.locator("#lang-switch").click()
    assert await page.get_attribute("html", "lang") == "en"
    await expect(page.locator("h1")).to_have_text("Lào Cai Province")
    await expect(page.locator(".card .role").first).to_contain_text("Spokesperson")
    await page.get_by_role("link", name=t("en", "web.directory.back")).click()
    await page.locator("#q").press_sequentially("nguyen van", delay=30)
    await expect(page.locator("#results .card .name")).to_have_text("Nguyễn Văn An")
    assert await page.get_attribute("html", "lang") == "en"
    assert await _fits(page)
    await page.screenshot(path=str(shots / "directory-english.png"), full_page=True)
    await context.close()
