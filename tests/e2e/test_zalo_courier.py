"""The outbox's courier for Zalo against the fake Zalo Bot API: a message delivered (cut at
2000 characters), a 403 taken as a blocked chat, a 429 that persists handed back with its
``retry_after`` so the sender pauses the channel, any other refusal left for a retry."""

from __future__ import annotations

import pytest

from bot.channels.zalo import ZaloCourier
from bot.channels.zalo_api import ZaloApiError, ZaloBotApi
from bot.pipeline.protocol import Blocked, RateLimited
from tests.e2e.fake_zalo import TOKEN, FakeZalo


async def test_the_zalo_courier_classifies_what_the_platform_answers() -> None:
    async with FakeZalo.running() as fake, ZaloBotApi(TOKEN, fake.base_url, backoff=0) as api:
        courier = ZaloCourier(api)
        await courier.post("u-1", "Xin chào " + "x" * 2500)
        assert [len(m.text) for m in fake.messages("u-1")] == [2000, 509]
        fake.fail_next("sendMessage", 403)
        with pytest.raises(Blocked):
            await courier.post("u-2", "Xin chào")
        fake.fail_next("sendMessage", 429, retry_after=1, times=api.retries + 1)
        with pytest.raises(RateLimited) as limited:
            await courier.post("u-3", "Xin chào")
        assert limited.value.retry_after == 1
        fake.fail_next("sendMessage", 400, description="Bad Request")
        with pytest.raises(ZaloApiError):
            await courier.post("u-4", "Xin chào")
        assert fake.messages("u-2") == fake.messages("u-3") == fake.messages("u-4") == []
