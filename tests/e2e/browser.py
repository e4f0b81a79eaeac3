"""Headless Chromium for the browser tests (the upload page, the published directory).

The system's own Chromium (``/usr/bin/chromium``), driven by Playwright; nothing is downloaded.
Without it the tests are skipped, unless ``SPOKES_TEST_REQUIRE_BROWSER`` is set, as in CI.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root in a container, without a display, on a machine with no way out to the Internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_missing() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not Path(CHROMIUM).exists():
        return "no Chromium at /usr/bin/chromium (apt install chromium)"
    return None


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get("SPOKES_TEST_REQUIRE_BROWSER"):
            pytest.fail(f"the browser test must run here: {missing}")
        pytest.skip(missing)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()
