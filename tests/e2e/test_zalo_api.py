"""The Zalo Bot API client and its polling loop, over real HTTP against the fake Zalo server.

What is checked is what the bot relies on: errors come out typed and with the API's words,
passing failures are retried and the others are not (counted on the server), the polling loop
survives everything but a refused token and stops at once, and the token never reaches a log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels import zalo_api
from bot.channels.zalo_api import (
    SECRET_HEADER,
    ZaloApiError,
    ZaloBotApi,
    ZaloRateLimited,
    ZaloUnauthorized,
    poll_updates,
)
from tests.e2e.fake_zalo import TOKEN, WEBHOOK_SECRET, FakeZalo, post_update

Handler = Callable[[dict[str, Any]], Awaitable[None]]
TINY = 0.01  # seconds of backoff in tests


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo.running() as server:
        yield server


@pytest.fixture
async def api(zalo: FakeZalo) -> AsyncIterator[ZaloBotApi]:
    async with ZaloBotApi(TOKEN, zalo.base_url, backoff=TINY) as client:
        yield client


@contextlib.asynccontextmanager
async def polling(api: ZaloBotApi, handle: Handler, **options: Any) -> AsyncIterator[asyncio.Event]:
    """``poll_updates`` running in the background until the block ends (then stopped)."""
    stop = asyncio.Event()
    options = {"timeout": 1, "min_backoff": TINY, "max_backoff": 0.05, **options}
    task = asyncio.create_task(poll_updates(api, handle, stop, **options))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


def texts_of(updates: list[dict[str, Any]]) -> list[str]:
    return [u["message"].get("text", u["event_name"]) for u in updates]


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == zalo_api.__name__ and r.levelno == logging.WARNING
    ]


# --- calls -------------------------------------------------------------------------------------


async def test_get_me(api: ZaloBotApi) -> None:
    me = await api.get_me()
    assert me["account_name"] == "spokes_bot"
    assert isinstance(me["id"], str)


async def test_a_wrong_token_is_unauthorized(zalo: FakeZalo) -> None:
    async with ZaloBotApi("42:not-the-token", zalo.base_url, backoff=TINY) as api:
        with pytest.raises(ZaloUnauthorized) as caught:
            await api.get_me()
    assert caught.value.code == 401
    assert caught.value.description == "Unauthorized"


async def test_unauthorized_is_not_retried(zalo: FakeZalo, api: ZaloBotApi) -> None:
    zalo.fail_next("sendMessage", 401, times=5)
    with pytest.raises(ZaloUnauthorized):
        await api.send_message("u-1", "xin chào")
    assert len(zalo.calls_of("sendMessage")) == 1


async def test_send_message_is_retried_on_quota_then_delivered_once(
    zalo: FakeZalo, api: ZaloBotApi
) -> None:
    zalo.fail_next("sendMessage", 429, times=2)
    result = await api.send_message("u-1", "Xin chào")
    assert len(zalo.calls_of("sendMessage")) == 3
    assert [(m.text, m.message_id) for m in zalo.messages("u-1")] == [
        ("Xin chào", result["message_id"])
    ]
    assert isinstance(result["date"], int)


async def test_retry_waits_what_the_api_asks(zalo: FakeZalo, api: ZaloBotApi) -> None:
    zalo.fail_next("sendMessage", 429, retry_after=0.3)
    started = time.monotonic()
    await api.send_message("u-1", "chờ")
    assert time.monotonic() - started >= 0.3  # not the 0.01 s backoff
    assert len(zalo.calls_of("sendMessage")) == 2


async def test_retries_run_out(zalo: FakeZalo) -> None:
    zalo.fail_next("sendMessage", 429, description="Quota exceeded", times=10)
    async with ZaloBotApi(TOKEN, zalo.base_url, retries=2, backoff=TINY) as api:
        with pytest.raises(ZaloRateLimited) as caught:
            await api.send_message("u-1", "không tới")
    assert caught.value.code == 429
    assert caught.value.description == "Quota exceeded"
    assert len(zalo.calls_of("sendMessage")) == 3  # the first attempt and 2 retries
    assert zalo.messages("u-1") == []


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_are_retried(zalo: FakeZalo, api: ZaloBotApi, status: int) -> None:
    zalo.fail_next("sendMessage", status)
    await api.send_message("u-1", "lần hai")
    assert len(zalo.calls_of("sendMessage")) == 2
    assert len(zalo.messages("u-1")) == 1


async def test_a_gateway_page_that_is_not_json_is_retried(zalo: FakeZalo, api: ZaloBotApi) -> None:
    zalo.garbage_next("sendMessage", "<html>502 Bad Gateway</html>", status=502)
    await api.send_message("u-1", "lần hai")
    assert len(zalo.calls_of("sendMessage")) == 2


@pytest.mark.parametrize("status", [400, 403, 500])
async def test_other_errors_are_not_retried(zalo: FakeZalo, api: ZaloBotApi, status: int) -> None:
    zalo.fail_next("sendMessage", status, description="nope", times=5)
    with pytest.raises(ZaloApiError) as caught:
        await api.send_message("u-1", "một lần")
    assert type(caught.value) is ZaloApiError
    assert (caught.value.code, caught.value.description) == (status, "nope")
    assert len(zalo.calls_of("sendMessage")) == 1


async def test_a_text_too_long_is_refused_once(zalo: FakeZalo, api: ZaloBotApi) -> None:
    with pytest.raises(ZaloApiError) as caught:
        await api.send_message("u-1", "a" * 2001)
    assert caught.value.code == 400
    assert "2000" in caught.value.description
    assert len(zalo.calls_of("sendMessage")) == 1
    await api.send_message("u-1", "a" * 2000)  # the limit itself is fine
    assert len(zalo.messages("u-1")) == 1


async def test_ok_false_with_http_200_is_an_error(zalo: FakeZalo, api: ZaloBotApi) -> None:
    zalo.fail_next("sendMessage", 200, error_code=-201, description="chat_id is invalid")
    with pytest.raises(ZaloApiError) as caught:
        await api.send_message("u-1", "ai đó")
    assert (caught.value.code, caught.value.description) == (-201, "chat_id is invalid")
    assert "chat_id is invalid" in str(caught.value)
    assert len(zalo.calls_of("sendMessage")) == 1


@pytest.mark.parametrize("body", ["<html>oops</html>", "[1, 2]", ""])
async def test_an_answer_that_is_not_a_json_object_is_an_error(
    zalo: FakeZalo, api: ZaloBotApi, body: str
) -> None:
    zalo.garbage_next("getMe", body)
    with pytest.raises(ZaloApiError) as caught:
        await api.get_me()
    assert "not a JSON object" in caught.value.description
    assert len(zalo.calls_of("getMe")) == 1
    assert (await api.get_me())["account_name"] == "spokes_bot"  # the next call is fine


async def test_a_long_garbage_answer_is_truncated(zalo: FakeZalo, api: ZaloBotApi) -> None:
    zalo.garbage_next("getMe", "x" * 100_000)
    with pytest.raises(ZaloApiError) as caught:
        await api.get_me()
    assert len(caught.value.description) < 500


async def test_photo_and_chat_action(zalo: FakeZalo, api: ZaloBotApi) -> None:
    await api.send_chat_action("u-1")
    result = await api.send_photo("u-1", "https://example.org/a.png", caption="Ảnh")
    [photo] = zalo.messages("u-1")
    assert (photo.photo, photo.text, photo.message_id) == (
        "https://example.org/a.png",
        "Ảnh",
        result["message_id"],
    )
    assert zalo.calls_of("sendChatAction")[0].params == {"chat_id": "u-1", "action": "typing"}


async def test_unreachable_server_is_retried_then_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    caplog.set_level(logging.DEBUG)
    async with ZaloBotApi(TOKEN, f"http://127.0.0.1:{port}/bot", retries=2, backoff=TINY) as api:
        with pytest.raises(httpx.ConnectError):
            await api.send_message("u-1", "không ai nghe")
    assert len(warnings_of(caplog)) == 2
    assert TOKEN not in caplog.text


async def test_a_client_given_is_left_open(zalo: FakeZalo) -> None:
    async with httpx.AsyncClient() as client:
        async with ZaloBotApi(TOKEN, zalo.base_url, client=client) as api:
            await api.get_me()
        assert not client.is_closed
    async with ZaloBotApi(TOKEN, zalo.base_url) as own:
        await own.get_me()
    assert own._client.is_closed


# --- the token stays out of logs ----------------------------------------------------------------


async def test_the_token_never_reaches_the_logs(
    zalo: FakeZalo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with ZaloBotApi(TOKEN, zalo.base_url, backoff=TINY) as api:
        assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
        assert TOKEN not in repr(api)
        zalo.fail_next("sendMessage", 429, times=2)
        zalo.fail_next("sendMessage", 503)
        await api.send_message("u-1", "sau ba lần")
        zalo.garbage_next("getMe", f"<html>no route to /bot{TOKEN}/getMe</html>")
        with pytest.raises(ZaloApiError) as caught:
            await api.get_me()
        assert TOKEN not in str(caught.value)
        zalo.fail_next("getUpdates", 500)
        zalo.garbage_next("getUpdates")
        user = zalo.user("u-2")
        await user.send("xin chào")
        seen: list[dict[str, Any]] = []

        async def handle(update: dict[str, Any]) -> None:
            seen.append(update)

        async with polling(api, handle):
            await zalo.wait_for(lambda: bool(seen))
    assert len(warnings_of(caplog)) == 5  # 3 retries of sendMessage, 2 poll failures
    assert caplog.records, "nothing was logged: the check below would prove nothing"
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in (record.exc_text or "")
    assert TOKEN not in caplog.text


# --- getUpdates --------------------------------------------------------------------------------


async def test_get_updates_returns_one_update(zalo: FakeZalo, api: ZaloBotApi) -> None:
    user = zalo.user("u-7", display_name="Nguyễn An")
    first = await user.send("hello")
    await user.send("again")
    update = await api.get_updates(timeout=1)
    assert update is not None
    assert update["event_name"] == "message.text.received"
    message = update["message"]
    assert (message["text"], message["message_id"]) == ("hello", first)
    assert message["from"] == {"id": "u-7", "display_name": "Nguyễn An", "is_bot": False}
    assert message["chat"] == {"id": "u-7", "chat_type": "PRIVATE"}
    assert message["date"] > 1_700_000_000_000  # milliseconds
    assert zalo.calls_of("getUpdates")[0].params == {"timeout": "1"}
    second = await api.get_updates(timeout=1)
    assert second is not None and second["message"]["text"] == "again"


async def test_get_updates_is_none_after_the_timeout(zalo: FakeZalo, api: ZaloBotApi) -> None:
    started = time.monotonic()
    assert await api.get_updates(timeout=1) is None
    assert 0.9 <= time.monotonic() - started < 3


async def test_get_updates_408_with_http_200_is_none(zalo: FakeZalo, api: ZaloBotApi) -> None:
    zalo.fail_next("getUpdates", 200, error_code=408, description="Request timeout")
    assert await api.get_updates(timeout=1) is None
    assert len(zalo.calls_of("getUpdates")) == 1


async def test_a_read_timeout_on_the_long_poll_is_none(
    zalo: FakeZalo, api: ZaloBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The HTTP read timeout is the poll's plus a grace; a negative grace makes it fire first.
    monkeypatch.setattr(zalo_api, "POLL_GRACE", -0.7)
    started = time.monotonic()
    assert await api.get_updates(timeout=1) is None
    assert time.monotonic() - started < 0.9  # the fake would only have answered after 1 s


async def test_get_updates_is_not_retried(zalo: FakeZalo, api: ZaloBotApi) -> None:
    zalo.fail_next("getUpdates", 503)
    with pytest.raises(ZaloApiError) as caught:
        await api.get_updates(timeout=1)
    assert caught.value.code == 503
    assert len(zalo.calls_of("getUpdates")) == 1


# --- the polling loop --------------------------------------------------------------------------


async def test_poll_updates_handles_updates_in_order(zalo: FakeZalo, api: ZaloBotApi) -> None:
    user = zalo.user("u-1")
    for text in ["một", "hai", "ba"]:
        await user.send(text)
    await user.send_image(caption="ảnh")
    await user.send_sticker()
    await user.send_unsupported()
    seen: list[dict[str, Any]] = []

    async def handle(update: dict[str, Any]) -> None:
        seen.append(update)

    async with polling(api, handle):
        await zalo.wait_for(lambda: len(seen) == 6)
    assert texts_of(seen) == [
        "một",
        "hai",
        "ba",
        "message.image.received",
        "message.sticker.received",
        "message.unsupported.received",
    ]
    assert seen[3]["message"]["caption"] == "ảnh"
    assert seen[3]["message"]["photo_url"].startswith("https://")


async def test_poll_updates_survives_failures_and_a_failing_handler(
    zalo: FakeZalo, api: ZaloBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    user = zalo.user("u-1")
    for text in ["một", "hỏng", "ba"]:
        await user.send(text)
    zalo.fail_next("getUpdates", 500)
    zalo.fail_next("getUpdates", 429)
    zalo.garbage_next("getUpdates")
    zalo.fail_next("getUpdates", 200, error_code=-1, description="something odd")
    seen: list[str] = []

    async def handle(update: dict[str, Any]) -> None:
        seen.append(update["message"]["text"])
        if update["message"]["text"] == "hỏng":
            raise RuntimeError("the handler broke")

    async with polling(api, handle):
        await zalo.wait_for(lambda: len(seen) == 3)
    assert seen == ["một", "hỏng", "ba"]
    assert len(warnings_of(caplog)) == 4
    [broken] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert broken.exc_info is not None and "the handler broke" in str(broken.exc_info[1])


async def test_poll_updates_survives_network_errors(zalo: FakeZalo, api: ZaloBotApi) -> None:
    calls = 0
    real = api.get_updates

    async def flaky(timeout: int = 30) -> dict[str, Any] | None:  # noqa: ASYNC109
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise httpx.ReadError("connection reset")
        return await real(timeout)

    api.get_updates = flaky  # type: ignore[method-assign]
    await zalo.user("u-1").send("vẫn tới")
    seen: list[dict[str, Any]] = []

    async def handle(update: dict[str, Any]) -> None:
        seen.append(update)

    async with polling(api, handle):
        await zalo.wait_for(lambda: bool(seen))
    assert texts_of(seen) == ["vẫn tới"]
    assert calls >= 3


async def test_the_backoff_doubles_up_to_the_maximum_and_resets(
    zalo: FakeZalo, api: ZaloBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.fail_next("getUpdates", 500, times=4)
    await zalo.user("u-1").send("ổn rồi")
    seen: list[dict[str, Any]] = []

    async def handle(update: dict[str, Any]) -> None:
        seen.append(update)
        zalo.fail_next("getUpdates", 500)  # the poll after a success fails again

    async with polling(api, handle, min_backoff=0.01, max_backoff=0.03):
        await zalo.wait_for(lambda: len(warnings_of(caplog)) == 5)
    assert len(seen) == 1
    delays = [record.args[-1] for record in warnings_of(caplog)]  # type: ignore[index]
    assert delays == [0.01, 0.02, 0.03, 0.03, 0.01]


async def test_poll_updates_raises_when_the_token_is_refused(
    zalo: FakeZalo, api: ZaloBotApi
) -> None:
    zalo.fail_next("getUpdates", 500)
    zalo.fail_next("getUpdates", 401)

    async def handle(update: dict[str, Any]) -> None:
        raise AssertionError("no update expected")

    with pytest.raises(ZaloUnauthorized):
        await asyncio.wait_for(
            poll_updates(api, handle, asyncio.Event(), timeout=1, min_backoff=TINY), 5
        )
    assert len(zalo.calls_of("getUpdates")) == 2


async def test_poll_updates_stops_promptly_during_a_long_poll(
    zalo: FakeZalo, api: ZaloBotApi
) -> None:
    seen: list[dict[str, Any]] = []

    async def handle(update: dict[str, Any]) -> None:
        seen.append(update)

    stop = asyncio.Event()
    task = asyncio.create_task(poll_updates(api, handle, stop, timeout=30))
    await zalo.wait_for(lambda: bool(zalo.calls_of("getUpdates")))
    await asyncio.sleep(0.1)  # well inside the long poll
    started = time.monotonic()
    stop.set()
    await asyncio.wait_for(task, 2)
    assert time.monotonic() - started < 2
    # The abandoned poll took nothing: a message sent now is there for the next poller.
    await asyncio.sleep(0.3)  # the fake notices the client has gone
    await zalo.user("u-1").send("sau khi dừng")
    update = await api.get_updates(timeout=1)
    assert update is not None and update["message"]["text"] == "sau khi dừng"
    assert seen == []


async def test_poll_updates_stops_promptly_during_a_backoff(
    zalo: FakeZalo, api: ZaloBotApi
) -> None:
    zalo.fail_next("getUpdates", 503)

    async def handle(update: dict[str, Any]) -> None:
        raise AssertionError("no update expected")

    stop = asyncio.Event()
    task = asyncio.create_task(poll_updates(api, handle, stop, timeout=1, min_backoff=30))
    await zalo.wait_for(lambda: bool(zalo.calls_of("getUpdates")))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert len(zalo.calls_of("getUpdates")) == 1


# --- the fake's people and webhook, as the bot's tests will use them ----------------------------


async def echo(api: ZaloBotApi, update: dict[str, Any]) -> None:
    """A tiny bot: two messages for every text."""
    message = update["message"]
    chat_id = message["chat"]["id"]
    await api.send_chat_action(chat_id)
    await api.send_message(chat_id, f"Bạn nói: {message.get('text', '?')}")
    await api.send_message(chat_id, "Hết.")


async def test_say_returns_everything_the_bot_answered(zalo: FakeZalo, api: ZaloBotApi) -> None:
    seen: list[str] = []

    async def handle(update: dict[str, Any]) -> None:
        seen.append(update["message"]["message_id"])
        await asyncio.sleep(0.05)  # the answer takes a moment: say() must wait for all of it
        await echo(api, update)

    an, binh = zalo.user("u-1"), zalo.user("u-2", display_name="Trần Bình")
    async with polling(api, handle):
        assert await an.say("chào") == ["Bạn nói: chào", "Hết."]
        assert await binh.say("hi") == ["Bạn nói: hi", "Hết."]
        first = await an.send("lại")
        assert await an.replies() == ["Bạn nói: lại", "Hết."]
        await an.resend(first)  # a duplicate delivery reaches the bot again
        assert await an.replies(2) == ["Bạn nói: lại", "Hết."]
    assert seen[-1] == seen[-2] == first


@contextlib.asynccontextmanager
async def webhook_bot(api: ZaloBotApi) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A webhook that checks the secret and answers like ``echo``: its URL and the bodies."""
    received: list[bytes] = []

    async def webhook(request: Request) -> Response:
        received.append(await request.body())
        if request.headers.get(SECRET_HEADER) != WEBHOOK_SECRET:
            return Response(status_code=403)
        body = json.loads(received[-1])
        await echo(api, body.get("result", body))
        return JSONResponse({"ok": True})

    sock = socket.create_server(("127.0.0.1", 0))
    app = Starlette(routes=[Route("/zalo", webhook, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/zalo", received
    finally:
        server.should_exit = True
        await task


@pytest.mark.parametrize("wrapped", [True, False])
async def test_the_webhook_gets_updates_with_the_secret(
    zalo: FakeZalo, api: ZaloBotApi, wrapped: bool
) -> None:
    zalo.wrap_webhook = wrapped
    user = zalo.user("u-1")
    await user.send("chờ sẵn")  # queued before the webhook: delivered to it once set
    async with webhook_bot(api) as (url, received):
        await api.set_webhook(url, WEBHOOK_SECRET)
        assert (await api.get_webhook_info())["url"] == url
        assert await user.replies(2) == ["Bạn nói: chờ sẵn", "Hết."]
        assert await user.say("qua webhook") == ["Bạn nói: qua webhook", "Hết."]
        assert zalo.deliveries == [200, 200]
        for body in map(json.loads, received):
            update = body["result"] if wrapped else body
            assert ("ok" in body) is wrapped
            assert update["event_name"] == "message.text.received"
        with pytest.raises(ZaloApiError) as caught:
            await api.get_updates(timeout=1)
        assert caught.value.code == 400
        assert await post_update(url, {"event_name": "x"}, secret="wrong") == 403
        assert await post_update(url, b"{not json", secret=None) == 403
        assert len(received) == 4
    await api.delete_webhook()
    assert (await api.get_webhook_info())["url"] == ""
    await user.send("lại polling")
    update = await api.get_updates(timeout=1)
    assert update is not None and update["message"]["text"] == "lại polling"


async def test_the_fake_answers_get_and_unknown_methods(zalo: FakeZalo, api: ZaloBotApi) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{zalo.base_url}{TOKEN}/sendChatAction?chat_id=u-1&action=typing"
        )
        assert response.json() == {"ok": True, "result": True}
    with pytest.raises(ZaloApiError) as caught:
        await api.call("sendDocument", {"chat_id": "u-1"})
    assert caught.value.code == 404
