"""A whole scenario through ``spokes serve``: what the server writes to its log (stderr) holds
no bot token, webhook secret, link token, phone number or email of the people in it.

On Zalo, with the Telegram channel configured too: a person consents and registers (typing
their mobile and email), updates their email; a staff member finds them by phone, exports the
roster (a download link, opened), and imports a list by chat (an upload link: the page, the
file, the confirmation). The server's stderr is then searched for every secret it was given,
every link token it handed out, and every phone number (in the common written forms) and
email address of the people involved.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from registry import accounts, catalog
from registry.actors import Actor
from registry.uow import Database
from tests.e2e import fake_telegram, fake_zalo
from tests.e2e.cli_runner import needs_script
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.fake_zalo import FakeZalo
from tests.e2e.scenarios.numbered import LINK, options_of
from tests.e2e.servers import serving
from tests.roster_files import xlsx

pytestmark = needs_script
SYSTEM = Actor.system("test")
MOBILE = "0912345678"
NEW_EMAIL = "an.moi@laocai.gov.vn"
EMAIL = "an.nv@laocai.gov.vn"
LISTED = [
    ("Trần Thị Bình", "0987654321", "binh.tt@laocai.gov.vn"),
    ("Lê Văn Cường", "0903111222", "cuong.lv@laocai.gov.vn"),
]
LIST = xlsx(
    [
        ("STT", "Họ và tên", "Chức vụ", "Cơ quan", "Điện thoại di động", "Email"),
        *[(n, name, "Chuyên viên", "Lào Cai", phone, email)
          for n, (name, phone, email) in enumerate(LISTED, 1)],
    ]
)  # fmt: skip


def phone_forms(national: str) -> list[str]:
    """A Vietnamese mobile as people and libraries write it."""
    digits = national[1:]
    return [
        national,
        f"+84{digits}",
        f"84{digits}",
        f"{national[:4]} {national[4:7]} {national[7:]}",
        f"{national[:4]}.{national[4:7]}.{national[7:]}",
        f"+84 {digits[:2]} {digits[2:5]} {digits[5:]}",
        f"{digits[:2]} {digits[2:5]} {digits[5:]}",
    ]


@dataclass
class Person:
    """Someone on Zalo typing to the server; each message waits for the whole answer."""

    zalo: FakeZalo
    user_id: str
    options: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    async def say(self, text: str) -> str:
        await self.zalo.user(self.user_id).send(text)
        texts = [m.text for m in await self.zalo.next_messages(self.user_id, None, 60)]
        for text_ in texts:
            self.links += LINK.findall(text_)
            self.options = options_of(text_)[1] or self.options
        return "\n".join(texts)

    async def pick(self, label: str) -> str:
        matches = [n for n, option in enumerate(self.options, 1) if label in option]
        assert matches, (label, self.options)
        return await self.say(str(matches[0]))


@dataclass
class Logged:
    log: str
    secrets: list[str]
    link_tokens: list[str]
    phones: list[str]
    emails: list[str]


async def scenario(directory: Path, template: Path) -> Logged:
    shutil.copy(template, directory / "bot.db")
    db = Database(f"sqlite+aiosqlite:///{directory / 'bot.db'}")
    try:
        await catalog.load_edition(db.uow(), SYSTEM, "2025")
        await accounts.grant(db.uow(), SYSTEM, "zalo:z-staff", "staff")
        async with (
            FakeTelegram.running() as fake,
            FakeZalo.running() as zalo,
            serving(fake, db.url, directory / "server.log", zalo=zalo) as server,
        ):
            zalo.webhook = (server.zalo_webhook, fake_zalo.WEBHOOK_SECRET)
            an = Person(zalo, "z-an")
            await an.say("/start")
            await an.pick("Tôi đồng ý")
            await an.say("/register")
            await an.say("Lào Cai")
            await an.pick("Tỉnh Lào Cai")
            await an.say("Nguyễn Văn An")
            await an.say("Chánh Văn phòng UBND tỉnh")
            await an.pick("Người phát ngôn")
            await an.say("0912 345 678")
            await an.pick("Bỏ qua")
            await an.say(EMAIL)
            assert "Đã đăng ký" in await an.pick("Xác nhận")
            await an.say("/update")
            await an.pick("Thư điện tử")
            await an.say(NEW_EMAIL)
            assert "Đã cập nhật" in await an.pick("Đồng ý")

            clerk = Person(zalo, "z-staff")
            assert "Nguyễn Văn An" in await clerk.say("/find 0912.345.678")
            await clerk.say("/export xlsx")

            # Links name the configured public address; the test's server listens elsewhere.
            def here(link: str) -> str:
                return server.url + link[link.index("/", len("http://")) :]

            [download] = [here(link) for link in clerk.links if "/files/" in link]
            async with httpx.AsyncClient(timeout=30) as client:
                assert (await client.get(download)).status_code == 200
                await clerk.say("/import")
                [upload] = [here(link) for link in clerk.links if "/upload/" in link]
                assert (await client.get(upload)).status_code == 200
                checked = await client.post(upload, files={"file": ("danh-sach.xlsx", LIST)})
                assert checked.status_code == 200, checked.text
                held = re.search(r'name="held" value="([^"]+)"', checked.text)
                assert held, checked.text
                done = await client.post(f"{upload}/confirm", data={"held": held.group(1)})
                assert done.status_code == 200, done.text
            await clerk.zalo.next_messages("z-staff", None, 60)  # the chat is told
            assert any("Trần Thị Bình" in r for r in await _names(db))
    finally:
        await db.dispose()
    await asyncio.sleep(0)
    tokens = [link.rstrip("/").rsplit("/", 1)[-1] for link in clerk.links]
    return Logged(
        log=(directory / "server.log").read_text(),
        secrets=[
            fake_telegram.TOKEN,
            fake_telegram.WEBHOOK_SECRET,
            fake_zalo.TOKEN,
            fake_zalo.WEBHOOK_SECRET,
            # The token's secret half alone, as a URL or a message might cut it.
            fake_telegram.TOKEN.split(":", 1)[1],
            fake_zalo.TOKEN.split(":", 1)[1],
        ],
        link_tokens=tokens,
        phones=[
            form for number in [MOBILE, *(p for _, p, _ in LISTED)] for form in phone_forms(number)
        ],
        emails=[EMAIL, NEW_EMAIL, *(e for *_, e in LISTED)],
    )


async def _names(db: Database) -> list[str]:
    from sqlalchemy import select

    from registry.models import Person as Record

    async with db.uow().reading() as uow:
        return list(await uow.session.scalars(select(Record.full_name)))


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Logged:
    return asyncio.run(scenario(tmp_path_factory.mktemp("scenario"), sqlite_template))


def found(log: str, values: list[str]) -> list[str]:
    lowered = log.lower()
    return [value for value in values if value.lower() in lowered]


def test_the_scenario_was_logged(logged: Logged) -> None:
    assert "listening on" in logged.log
    assert len(logged.link_tokens) >= 2


def test_the_log_holds_no_bot_token_nor_webhook_secret(logged: Logged) -> None:
    assert found(logged.log, logged.secrets) == []


def test_the_log_holds_no_phone_number_nor_email(logged: Logged) -> None:
    assert found(logged.log, logged.phones) == []
    assert found(logged.log, logged.emails) == []


def test_the_log_holds_no_download_or_upload_link_token(logged: Logged) -> None:
    assert found(logged.log, logged.link_tokens) == []
