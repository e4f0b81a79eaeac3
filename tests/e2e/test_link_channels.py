"""One person, two channels: /link between a Telegram chat and a Zalo chat of one server.

Both fake Bot API servers run; the bot runs as ``spokes serve`` runs it, with both webhooks
behind one web server. A staff member registered on Telegram links their Zalo account, then
uses staff commands from Zalo; a grant made later to either identity holds for both.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot import web
from bot.cli import serve
from bot.texts import t
from registry import accounts, people
from registry.models import AccountRole
from registry.uow import Database
from tests.e2e.conftest import SYSTEM, Meet, MeetOnZalo
from tests.e2e.fake_telegram import TOKEN as TELEGRAM_TOKEN
from tests.e2e.fake_telegram import WEBHOOK_SECRET as TELEGRAM_SECRET
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.fake_zalo import FakeZalo
from tests.e2e.zalo_bot import zalo_settings

CODE = re.compile(r"/link ([A-Z2-9]{4}-[A-Z2-9]{4})")


@asynccontextmanager
async def both_channels(
    telegram: FakeTelegram, zalo: FakeZalo, database: Database
) -> AsyncIterator[None]:
    sock = web.listen("127.0.0.1", 0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = zalo_settings(
        zalo,
        database.url,
        public_url=base,
        zalo_webhook_url=f"{base}/zalo/webhook",
        telegram_token=TELEGRAM_TOKEN,
        telegram_base_url=telegram.base_url,
        telegram_webhook_secret=TELEGRAM_SECRET,
        telegram_webhook_url=f"{base}/telegram/webhook",
    )
    stop = asyncio.Event()
    hooks = [telegram.on_done, zalo.on_done]
    task = asyncio.create_task(serve.serve_webhook(settings, database, sock, stop, on_done=hooks))
    try:
        await zalo.wait_for(lambda: bool(zalo.calls_of("setWebhook")) or task.done())
        await telegram.wait_for(lambda: bool(telegram.calls_of("setWebhook")) or task.done())
        assert not task.done(), task
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_a_telegram_account_and_a_zalo_account_become_one_person(
    fake: FakeTelegram, zalo: FakeZalo, database: Database, meet: Meet, meet_on_zalo: MeetOnZalo
) -> None:
    await people.register_person(
        database.uow(),
        SYSTEM,
        agency="Lào Cai",
        full_name="Nguyễn Văn An",
        role="spokesperson",
        mobile="0912 345 678",
    )
    async with both_channels(fake, zalo, database):
        on_telegram = meet(951)
        await on_telegram.say("/start")
        await on_telegram.press("Tôi đồng ý")
        await accounts.grant(database.uow(), SYSTEM, on_telegram.identity, "staff")
        given = await on_telegram.say("/link")
        [code] = CODE.findall(given)

        on_zalo = meet_on_zalo("z-951", display_name="An Nguyễn")
        refused = await on_zalo.say("/find Nguyễn Văn An")
        assert refused == "Bạn không có quyền thực hiện thao tác này."
        asked = await on_zalo.say(f"/link {code.lower().replace('-', ' ')}")
        assert asked.startswith("Mã này do tài khoản Telegram “An Nguyễn” tạo.")
        assert "1. Liên kết\n2. Không" in asked
        done = await on_zalo.say("1")
        assert "Tài khoản Zalo này và tài khoản Telegram đã là một người" in done
        assert "cán bộ Cục Báo chí" in done

        # The same person with the same role: staff commands now work from Zalo.
        found = await on_zalo.say("/find nguyen van an")
        assert "Nguyễn Văn An" in found and "0912 345 678" in found
        # The code was for one use.
        assert (await on_zalo.say(f"/link {code}")).startswith(
            t("vi", "error.link.bad_code", minutes=10)[:30]
        )

        # A role taken back from the Zalo identity is taken back from the person.
        await accounts.revoke(database.uow(), SYSTEM, on_zalo.identity)
        profile = await accounts.open_profile(database.uow(), "telegram", "951")
        assert profile.actor.role is AccountRole.member
        refused = await on_telegram.say("/find nguyen van an")
        assert refused == "Bạn không có quyền thực hiện thao tác này."
