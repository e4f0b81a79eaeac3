"""A thin async client for the Zalo Bot API (Zalo Bot Platform), and a polling loop.

The API is Telegram-shaped: ``POST {base}{token}/{method}`` with a JSON body, answers
``{"ok", "result", "description", "error_code"}``. It differs where it matters: getUpdates
returns *one* update (not a list) and no update id, a long poll that gets nothing answers error
408 instead of an empty result, ids are strings and dates milliseconds.

Why no published Zalo package: the ones on PyPI call ``asyncio.run()`` inside their methods
(they cannot run on the bot's event loop) and return ``None`` when the API answers
``ok: false``, so a refused token, a quota exceeded and a message too long all look alike. The
few methods a bot needs fit in this module, on httpx, which the project already uses.

What this module guarantees:

* every failure is a :class:`ZaloApiError` carrying the API's code and description (a refused
  token is :class:`ZaloUnauthorized`, a quota exceeded :class:`ZaloRateLimited`), or an
  ``httpx.HTTPError`` for the network;
* calls that may safely be repeated are retried (quota, gateway errors, connections that never
  reached the server), never those whose error is the request's own fault;
* the token, which is part of every URL, never reaches a log line or an error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bot-api.zapps.me/bot"
MAX_RETRY_AFTER = 60.0  # seconds
MESSAGE_LIMIT = 2000  # characters in a sendMessage text
SECRET_HEADER = "X-Bot-Api-Secret-Token"

# Gateway errors: the request most likely never reached the API, so repeating it is safe.
RETRY_STATUSES = frozenset({502, 503, 504})
# Network failures before the request was sent; a read timeout is not one (the message may
# have been sent, and repeating it would send it twice).
RETRY_NETWORK_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)
TIMEOUT_CODE = 408  # getUpdates: nothing arrived during the long poll
REQUEST_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
POLL_GRACE = 10.0  # seconds the HTTP read timeout exceeds the long-poll timeout
DESCRIPTION_LIMIT = 200  # characters of a garbage answer kept in an error


class ZaloApiError(Exception):
    """The API refused a call, or answered something that is not an API answer.

    ``code`` is the API's ``error_code`` (the HTTP status when the answer has none);
    ``retry_after`` the seconds the API asked to wait, when it said so.
    """

    def __init__(
        self, code: int | None, description: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{description} (error {code})" if code is not None else description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


class ZaloUnauthorized(ZaloApiError):
    """The token was refused (401): nothing will work until someone changes it."""


class ZaloRateLimited(ZaloApiError):
    """The quota is exceeded (429): wait before calling again."""


class _Retryable(Exception):
    """Internal: a failure worth another attempt, with the error to raise if none is left."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class ZaloBotApi:
    """The Zalo Bot API methods a bot uses, as coroutines returning the answers' ``result``.

    Use as ``async with ZaloBotApi(token) as api``; the client it creates is closed on exit,
    a ``client`` given to it is left to its owner. ``retries`` is how many times a call that
    failed for a passing reason (quota, gateway, connection) is tried again, waiting
    ``backoff`` × 2^n seconds, or what the API asked for. The client it creates opens at most
    ``connections`` connections, a call waiting up to ``pool_seconds`` for a free one.
    """

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        client: httpx.AsyncClient | None = None,
        retries: int = 3,
        backoff: float = 1.0,
        connections: int = 32,
        pool_seconds: float = 30.0,
    ) -> None:
        self._token = token
        self._base_url = base_url
        self._own_client = client is None
        # A bounded pool, and a wait for a free connection long enough that a burst of
        # replies queues rather than fails (an apology too must go out).
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(20.0, connect=10.0, pool=pool_seconds),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )
        self.retries = max(0, retries)
        self.backoff = backoff
        # httpx logs every request's URL at INFO, and the URL contains the token.
        httpx_log = logging.getLogger("httpx")
        if httpx_log.level < logging.WARNING:
            httpx_log.setLevel(logging.WARNING)

    def __repr__(self) -> str:
        return f"ZaloBotApi(base_url={self._base_url!r})"  # never the token

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._own_client:
            await self._client.aclose()

    def redact(self, text: str) -> str:
        """``text`` without the token (for anything that may end up in a log)."""
        return text.replace(self._token, "<token>") if self._token else text

    # --- calling ------------------------------------------------------------------------

    async def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Call ``method`` and return its ``result``, retrying passing failures.

        getUpdates is never retried here: the polling loop owns its pace and its backoff.
        """
        attempts = 1 if method == "getUpdates" else self.retries + 1
        for attempt in range(attempts):
            try:
                return await self._call_once(method, params or {})
            except _Retryable as failure:
                if attempt + 1 >= attempts:
                    raise failure.error from None
                delay = self._delay(failure.error, attempt)
                log.warning(
                    "Zalo %s failed (%s); retry %d of %d in %.3g s",
                    method,
                    _summary(failure.error),
                    attempt + 1,
                    attempts - 1,
                    delay,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, error: Exception, attempt: int) -> float:
        """What the API asked for (``retry_after``), else exponential backoff."""
        if isinstance(error, ZaloApiError) and error.retry_after is not None:
            # Capped: a reply must not wait an hour because the quota answer said so.
            return min(max(0.0, error.retry_after), MAX_RETRY_AFTER)
        return float(self.backoff * 2**attempt)

    async def _call_once(
        self, method: str, params: dict[str, Any], http_timeout: httpx.Timeout | None = None
    ) -> Any:
        """One HTTP request; passing failures come wrapped in :class:`_Retryable`."""
        url = f"{self._base_url}{self._token}/{method}"
        try:
            if http_timeout is None:
                response = await self._client.post(url, json=params)
            else:
                response = await self._client.post(url, json=params, timeout=http_timeout)
        except RETRY_NETWORK_ERRORS as error:
            raise _Retryable(error) from None
        return self._result(response)

    def _result(self, response: httpx.Response) -> Any:
        """The ``result`` of an answer, or the error it stands for."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            snippet = self.redact(response.text[:DESCRIPTION_LIMIT])
            error = ZaloApiError(
                response.status_code if response.status_code != 200 else None,
                f"the answer is not a JSON object (HTTP {response.status_code}): {snippet!r}",
            )
            if response.status_code in RETRY_STATUSES:
                raise _Retryable(error)
            raise error
        if body.get("ok") is True:
            return body.get("result")
        error = self._error(response.status_code, body)
        retryable = {error.code, response.status_code} & RETRY_STATUSES
        if isinstance(error, ZaloRateLimited) or retryable:
            raise _Retryable(error)
        raise error

    def _error(self, status: int, body: dict[str, Any]) -> ZaloApiError:
        """The exception for an ``ok: false`` answer (or an HTTP error with a JSON body)."""
        code = body.get("error_code")
        if not isinstance(code, int) or isinstance(code, bool):
            code = status if status != 200 else None
        description = self.redact(str(body.get("description") or f"HTTP {status}"))
        parameters = body.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        if not isinstance(retry_after, int | float) or isinstance(retry_after, bool):
            retry_after = None
        if 401 in (code, status):
            kind: type[ZaloApiError] = ZaloUnauthorized
        elif 429 in (code, status):
            kind = ZaloRateLimited
        else:
            kind = ZaloApiError
        return kind(code, description, retry_after=retry_after)

    # --- methods ------------------------------------------------------------------------

    async def get_me(self) -> dict[str, Any]:
        """The bot's account (id, account_name, ...): a cheap way to check the token."""
        return _object(await self.call("getMe"), "getMe")

    # The long-poll duration is an API parameter, not a deadline on this coroutine.
    async def get_updates(self, timeout: int = 30) -> dict[str, Any] | None:  # noqa: ASYNC109
        """Wait up to ``timeout`` seconds for the next update; ``None`` when none came.

        The HTTP read timeout is longer than the long poll, so that the API's own 408 answer
        is what normally ends a quiet poll; a read timeout all the same means "nothing".
        """
        grace = httpx.Timeout(timeout + POLL_GRACE, connect=10.0)
        try:
            result = await self._call_once("getUpdates", {"timeout": str(timeout)}, grace)
        except _Retryable as failure:
            raise failure.error from None
        except httpx.ReadTimeout:
            return None
        except ZaloApiError as error:
            if error.code == TIMEOUT_CODE:
                return None
            raise
        return _object(result, "getUpdates") if result is not None else None

    async def set_webhook(self, url: str, secret_token: str) -> Any:
        """Have updates POSTed to ``url`` with ``secret_token`` in ``X-Bot-Api-Secret-Token``."""
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> Any:
        """Go back to getUpdates."""
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        """The webhook as the API knows it (its ``url``, empty when none is set)."""
        return _object(await self.call("getWebhookInfo"), "getWebhookInfo")

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        """Send ``text`` (at most 2000 characters: split longer ones before); its message_id."""
        return _object(
            await self.call("sendMessage", {"chat_id": chat_id, "text": text}), "sendMessage"
        )

    async def send_photo(
        self, chat_id: str, photo_url: str, caption: str | None = None
    ) -> dict[str, Any]:
        """Send the picture found at ``photo_url`` (the API fetches it), with a caption."""
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        return _object(await self.call("sendPhoto", params), "sendPhoto")

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> Any:
        """Show "typing..." while the answer is being prepared."""
        return await self.call("sendChatAction", {"chat_id": chat_id, "action": action})


def _object(result: Any, method: str) -> dict[str, Any]:
    """``result`` when it is a JSON object, as the API documents; an API error otherwise."""
    if isinstance(result, dict):
        return result
    if result is None or result is True:
        return {}
    raise ZaloApiError(None, f"{method}: unexpected result {str(result)[:DESCRIPTION_LIMIT]!r}")


def _summary(error: BaseException) -> str:
    """A short description for a log line: the API's code and words, or the network error's
    class (httpx messages may quote the URL, which holds the token)."""
    if isinstance(error, ZaloApiError):
        return f"error {error.code}: {error.description}"
    return type(error).__name__


# --- polling ---------------------------------------------------------------------------------

UpdateHandler = Callable[[dict[str, Any]], Awaitable[None]]
T = TypeVar("T")


class _Stopped(Exception):
    """Internal: ``stop`` was set while waiting."""


async def poll_updates(
    api: ZaloBotApi,
    handle: UpdateHandler,
    stop: asyncio.Event,
    *,
    timeout: int = 30,  # noqa: ASYNC109 (the long poll's duration, passed to getUpdates)
    max_backoff: float = 60.0,
    min_backoff: float = 1.0,
) -> None:
    """Fetch updates and ``await handle(update)`` for each, in order, until ``stop`` is set.

    Never a crash loop, never a busy loop: a failure of the API or the network is logged and
    followed by a wait that doubles from ``min_backoff`` up to ``max_backoff`` (reset by the
    next success); a handler that raises is logged and the loop goes on with the next update.
    Only a refused token (:class:`ZaloUnauthorized`) ends the loop with an exception, since no
    wait will fix it. Setting ``stop`` ends the loop at once, abandoning the pending long poll;
    an update already being handled is finished first.
    """
    delay = min_backoff
    while not stop.is_set():
        try:
            update = await _unless_stopped(api.get_updates(timeout), stop)
        except _Stopped:
            return
        except ZaloUnauthorized:
            raise
        except (ZaloApiError, httpx.HTTPError) as error:
            log.warning(
                "Zalo getUpdates failed (%s); polling again in %.3g s", _summary(error), delay
            )
            await _sleep_unless_stopped(delay, stop)
            delay = min(delay * 2, max_backoff)
            continue
        delay = min_backoff
        if update is not None:
            await _handle_safely(handle, update)


async def _unless_stopped(work: Coroutine[Any, Any, T], stop: asyncio.Event) -> T:
    """The result of ``work``, or :class:`_Stopped` (``work`` cancelled) once ``stop`` is set.

    When both finish together the result wins: an update already taken from the API would
    otherwise be lost.
    """
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task.cancelled():
        raise _Stopped
    return task.result()


async def _sleep_unless_stopped(seconds: float, stop: asyncio.Event) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _handle_safely(handle: UpdateHandler, update: dict[str, Any]) -> None:
    """Run the handler; its failure is logged with its traceback and does not stop polling."""
    try:
        await handle(update)
    except Exception:
        log.exception("Zalo update handler failed (event %s)", update.get("event_name"))
