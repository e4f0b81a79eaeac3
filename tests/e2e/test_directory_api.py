"""The open-data API tested from its own OpenAPI document (schemathesis): every operation, with
generated parameters (good ones and bad ones), against ``spokes serve`` over HTTP. Each answer
must be no server error, have a status and a content type the document lists, and a body that
matches its schema."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from bot.web_directory import openapi_document
from registry import published
from registry.uow import Database
from tests.builders import SYSTEM, listed, with_catalog
from tests.e2e.cli_runner import SCRIPT
from tests.e2e.servers import free_port

schema = schemathesis.openapi.from_dict(openapi_document())


async def _seed(url: str) -> None:
    db = Database(url)
    try:
        await with_catalog(db)
        an = await listed(db, email="an@laocai.gov.vn", office_phone="024 3822 1234 máy lẻ 9")
        await listed(db, agency="Bộ Tài chính", full_name="Đặng Thị Hồng", mobile="0988 111 222")
        await published.set_publish_mobile(db.uow(), SYSTEM, an.id, True)
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    """``spokes serve`` with the directory on (and no chat channel), on a seeded database."""
    assert SCRIPT is not None
    folder = tmp_path_factory.mktemp("api")
    shutil.copy(sqlite_template, folder / "spokes.db")
    url = f"sqlite+aiosqlite:///{folder / 'spokes.db'}"
    asyncio.run(_seed(url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOKES_")}
    env.update(
        SPOKES_DATABASE_URL=url,
        SPOKES_PUBLIC_DIRECTORY="1",
        SPOKES_PUBLIC_RATE_PER_MINUTE="1000000",
    )
    port = free_port()
    with (folder / "serve.log").open("ab") as log:
        process = subprocess.Popen(
            [SCRIPT, "serve", "--port", str(port)], env=env, cwd=folder, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            assert process.poll() is None, (folder / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(30)


def test_the_served_document_is_the_one_tested(api: str) -> None:
    assert httpx.get(f"{api}/api/v1/openapi.json").json() == openapi_document()


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_as_documented(case: schemathesis.Case, api: str) -> None:
    case.call_and_validate(base_url=api)
