"""HTTP to one DashScope endpoint: the key, total deadlines, answers checked, and retries
only where they cannot cost money.

* Every exchange has a deadline for the whole of it (``config.Deadlines``), so a server
  that drips bytes cannot hold a job forever.
* What each route does with each kind of trouble is one table (``troubles.RULES``): the
  submit POST is sent again only when the server certainly created nothing (a connection
  never made; a 429, which the scheduler waits out), and only DashScope's own JSON error
  (a body with a ``code``) refuses or ends anything: a gateway's page is passing trouble.
* Errors carry no trace of the key: they are raised outside the ``except`` block that
  caught httpx's exception (so no ``__context__`` holds the request and its headers), and
  the key lives only in an ``httpx.Auth`` object, never in a frame's locals.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Generator
from typing import Any

import httpx

from ...clock import Clock
from ...contract import constants as c
from ...contract.regions import Endpoint
from ...errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    MalformedAnswerError,
    SubmitUnconfirmedError,
    ValidationError,
    api_error_from_response,
)
from ..deadlines import Deadlines
from .answers import (
    MAX_ANSWER_BYTES,
    StatusAnswer,
    SubmitAnswer,
    decode_json,
    read_status_answer,
    read_submit_answer,
)
from .retry import RetryPolicy, parse_retry_after
from .troubles import Action, Route, action

__all__ = ["DashScopeAPI", "encode_payload"]

#: httpx errors raised before a request could reach the server: safe to send again
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _BearerAuth(httpx.Auth):
    """Adds the key to API requests (never to the storage host's)."""

    def __init__(self, key_source: Callable[[], str]):
        self._key_source = key_source

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, Any, None]:
        request.headers["Authorization"] = "Bearer " + self._key_source()
        yield request

    def __repr__(self) -> str:
        return "<bearer auth>"


def encode_payload(payload: dict[str, Any]) -> bytes:
    """The submit body as UTF-8 JSON; a value JSON cannot carry is a ValidationError naming
    its field (a lone surrogate in the prompt, a numpy number), raised before any request."""
    try:
        return json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        pass
    for place in ("input", "parameters"):
        for name, value in (payload.get(place) or {}).items():
            try:
                json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
            except (TypeError, ValueError, UnicodeEncodeError):
                raise ValidationError(
                    name, value, "cannot be sent as JSON (a lone surrogate, NaN or an object)"
                ) from None
    raise ValidationError("request", "…", "cannot be sent as JSON")


class DashScopeAPI:
    """The HTTP side of one client: one ``httpx.AsyncClient`` per event loop."""

    def __init__(
        self,
        endpoint: Endpoint,
        key_source: Callable[[], str],
        *,
        clock: Clock,
        deadlines: Deadlines,
        retry: RetryPolicy,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.endpoint = endpoint
        self.deadlines = deadlines
        self.retry = retry
        self._clock = clock
        self._auth = _BearerAuth(key_source)
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._http_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"DashScopeAPI(host={self.endpoint.host!r})"

    @property
    def host(self) -> str:
        return self.endpoint.host

    @property
    def region(self) -> str:
        return self.endpoint.region

    def http(self) -> httpx.AsyncClient:
        """The httpx client of the running loop (a new loop gets its own). It carries no
        key by itself: API calls add it, uploads and downloads go without."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._http_loop is not loop or self._http.is_closed:
            d = self.deadlines
            self._http = httpx.AsyncClient(
                transport=self._transport,
                timeout=httpx.Timeout(d.read, connect=d.connect),
                trust_env=True,
                headers={"User-Agent": "wanvace-widgets"},
            )
            self._http_loop = loop
        return self._http

    async def aclose(self) -> None:
        if self._http is not None and not self._http.is_closed:
            await self._http.aclose()

    # -- one exchange ----------------------------------------------------------------------

    async def _exchange(
        self, method: str, path: str, total: float, **kwargs: Any
    ) -> tuple[httpx.Response, bytes]:
        """Send one request and read its answer (at most MAX_ANSWER_BYTES) within ``total``
        seconds. No answer raises APIConnectionError with ``sent`` telling whether the
        request may have reached the server."""
        url = self.endpoint.url(path)
        failure: tuple[str, bool] | None = None
        try:
            return await asyncio.wait_for(self._send(method, url, **kwargs), total)
        except asyncio.TimeoutError:
            failure = (f"no complete answer within {total:g} s", True)
        except _NEVER_SENT as exc:
            failure = (f"connection failed ({type(exc).__name__})", False)
        except httpx.HTTPError as exc:
            failure = (f"connection failed ({type(exc).__name__})", True)
        # raised here, outside the except blocks: nothing chains httpx's request (and key)
        message, sent = failure
        timed_out = message.startswith("no complete")
        error_class = APITimeoutError if timed_out else APIConnectionError
        error = error_class(message, host=self.host, region=self.region)
        error.sent = sent
        raise error

    async def _send(self, method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, bytes]:
        http = self.http()
        async with http.stream(method, url, auth=self._auth, **kwargs) as response:
            content = bytearray()
            async for chunk in response.aiter_bytes():
                content += chunk
                if len(content) > MAX_ANSWER_BYTES:
                    break
            return response, bytes(content)

    def _status_error(self, response: httpx.Response, content: bytes) -> APIStatusError:
        try:
            body = decode_json(content)
        except MalformedAnswerError:
            body = None
        error = api_error_from_response(
            response.status_code, body, host=self.host, region=self.region
        )
        error.retry_after = self._retry_after(response)
        return error

    def _retry_after(self, response: httpx.Response) -> float | None:
        return parse_retry_after(response.headers.get("retry-after"), self._clock.now())

    # -- the routes ----------------------------------------------------------------------------

    async def submit(self, payload: dict[str, Any], oss: bool) -> SubmitAnswer:
        """POST the task; troubles as ``troubles.RULES`` says for the submit.

        DashScope's own refusal raises its APIStatusError (nothing was created), and so does
        a 429 (RateLimitError: the scheduler waits for the server's slots, taking a submit
        permit for each try). Anything that leaves the outcome open raises
        SubmitUnconfirmedError. Only a connection that was never made is sent again here.
        """
        body = encode_payload(payload)
        headers = {c.ASYNC_HEADER: "enable", "Content-Type": "application/json"}
        if oss:
            headers[c.OSS_RESOLVE_HEADER] = "enable"
        attempt = 0
        while True:
            error: APIError
            try:
                response, content = await self._exchange(
                    "POST", c.SUBMIT_PATH, self.deadlines.submit, content=body, headers=headers
                )
            except APIConnectionError as failure:
                error = failure
            else:
                if 200 <= response.status_code < 300:
                    try:
                        return read_submit_answer(decode_json(content))
                    except MalformedAnswerError as unreadable:
                        error = unreadable
                else:
                    error = self._status_error(response, content)
            todo = action(Route.SUBMIT, error)
            if todo is Action.AGAIN and attempt < self.retry.max_retries:
                await self._clock.sleep(self.retry.delay(attempt, error.retry_after))
                attempt += 1
                continue
            if todo is Action.UNCONFIRMED:
                raise self._unconfirmed(error.message, error.request_id) from None
            raise error from None

    def _unconfirmed(self, what: str, request_id: str | None) -> SubmitUnconfirmedError:
        return SubmitUnconfirmedError(
            f"the submit got no usable answer: {what}",
            code="SubmitUnconfirmed",
            request_id=request_id,
            host=self.host,
            region=self.region,
        )

    async def query(self, task_id: str) -> StatusAnswer:
        """One status query, no retry: the follower asks again as ``troubles.RULES`` says."""
        response, content = await self._exchange(
            "GET", f"{c.TASKS_PATH}/{task_id}", self.deadlines.query
        )
        if response.status_code != 200:
            raise self._status_error(response, content)
        return read_status_answer(decode_json(content), task_id)

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """Cancel, list or the upload policy: its JSON object answer, sent again with backoff
        (up to ``RetryPolicy.max_retries`` times) on the troubles ``troubles.RULES`` says."""
        attempt = 0
        while True:
            error: APIError
            try:
                response, content = await self._exchange(
                    method, path, self.deadlines.query, **kwargs
                )
            except APIConnectionError as failure:
                error = failure
            else:
                if response.status_code == 200:
                    try:
                        return _object(content)
                    except MalformedAnswerError as unreadable:
                        error = unreadable
                else:
                    error = self._status_error(response, content)
            if action(Route.CALL, error) is not Action.AGAIN or attempt >= self.retry.max_retries:
                raise error from None
            await self._clock.sleep(self.retry.delay(attempt, error.retry_after))
            attempt += 1


def _object(content: bytes) -> dict[str, Any]:
    """An answer that must be a JSON object (an empty body counts as ``{}``)."""
    body = decode_json(content) if content.strip() else {}
    if not isinstance(body, dict):
        raise MalformedAnswerError(f"the answer is a {type(body).__name__}")
    return body
