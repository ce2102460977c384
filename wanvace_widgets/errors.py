"""Every error wanvace-widgets raises, in one tree.

::

    VaceError
    ├── ConfigurationError (also ValueError)    no API key, unknown region, bad base URL
    ├── ValidationError (also ValueError)       a request the API would reject; nothing was sent
    ├── UploadError                             a local file could not be put in temporary storage
    ├── BudgetExceededError                     the user's daily budget would be exceeded; not sent
    ├── QuotaStoreError                         the shared quota store failed; nothing was sent
    ├── InternalError                           a bug of ours in background work; the task is kept
    ├── JobInProgressError (also RuntimeError)  this widget's job is still live; nothing was sent
    ├── JobInterruptedError                     its process stopped before the submit; not sent
    ├── APIError                                the server answered with an error, or did not answer
    │   ├── APIConnectionError                  no HTTP answer (refused, reset, DNS)
    │   │   └── APITimeoutError (also TimeoutError)
    │   ├── MalformedAnswerError                an unreadable answer (HTML, cut short, bad types)
    │   ├── SubmitUnconfirmedError              the submit may have created a task; never re-sent
    │   ├── SubmitNotCreatedError               the task list shows that a lost submit made nothing
    │   ├── DownloadError                       the video could not be saved; it stays on the server
    │   └── APIStatusError                      an HTTP error answer: status_code, code, request_id
    │       │                                   (itself: a page that is not DashScope's, code None)
    │       ├── BadRequestError                 400 InvalidParameter and friends
    │       │   └── ContentModerationError      400 DataInspectionFailed: the server's content check
    │       ├── AuthenticationError             401 InvalidApiKey (often: key of the other region)
    │       ├── PermissionDeniedError           403 AccessDenied, model not activated
    │       ├── NotFoundError                   404 ModelNotFound
    │       ├── RateLimitError                  429 Throttling*: transient, clears on its own
    │       ├── QuotaError                      billing: Arrearage, free tier used up
    │       └── ServerError                     5xx
    └── TaskError                               a task ended without a video: task_id, status
        ├── TaskFailedError                     FAILED, with the server's code and message
        ├── TaskCanceledError                   CANCELED
        ├── TaskUnknownError                    UNKNOWN: the id is unknown or older than 24 h
        ├── TaskDetachedError                   no longer followed here; still resumable
        └── WaitTimeoutError (also TimeoutError) our wait gave up; the task may still be running

Each message says what to do next. No error ever holds the API key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .jobs.http.troubles import Trouble

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "ConfigurationError",
    "ContentModerationError",
    "DownloadError",
    "InternalError",
    "JobInProgressError",
    "JobInterruptedError",
    "MalformedAnswerError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaError",
    "QuotaStoreError",
    "RateLimitError",
    "ServerError",
    "SubmitNotCreatedError",
    "SubmitUnconfirmedError",
    "TaskCanceledError",
    "TaskDetachedError",
    "TaskError",
    "TaskFailedError",
    "TaskUnknownError",
    "UploadError",
    "ValidationError",
    "VaceError",
    "WaitTimeoutError",
    "api_error_from_response",
]


class VaceError(Exception):
    """Base of every error raised by wanvace-widgets."""


class ConfigurationError(VaceError, ValueError):
    """The client cannot be set up as asked (no key, unknown region, bad base URL)."""


class ValidationError(VaceError, ValueError):
    """A request that the API would reject; raised before anything is sent or paid for.

    ``field`` is the request's attribute name, ``api_field`` the API's name for it.
    """

    def __init__(self, field: str, value: Any, rule: str, *, api_field: str | None = None):
        self.field = field
        self.value = value
        self.rule = rule
        self.api_field = api_field or field
        super().__init__(f"{field}={_short(value)}: {rule}")


class UploadError(VaceError):
    """A local file could not be put in DashScope's temporary storage."""


class BudgetExceededError(VaceError):
    """The user's daily budget (``WANVACE_DAILY_BUDGET_USD``) would be exceeded by this job;
    nothing was sent."""


class QuotaStoreError(VaceError):
    """A shared quota store could not be used (unreachable, damaged, locked). From a job
    waiting for its slot it means nothing was submitted. The message names the store (never
    a password) and what to do."""


class InternalError(VaceError):
    """Background work met an error that is a bug of ours. The task keeps its last known
    state (and stays resumable when the server may still run it); please report it."""


class JobInProgressError(VaceError, RuntimeError):
    """A widget's job is still live, so another submit was refused: one click pays once.
    Nothing was sent. ``submit(again=True)`` (the "Generate again" button) starts a second,
    separately paid variation on purpose."""

    def __init__(self, task_id: str | None, status: str):
        self.task_id = task_id
        self.status = status
        which = f"task {task_id}" if task_id else "a job not yet submitted"
        super().__init__(
            f"this widget's job ({which}, {status}) is still live, so nothing was sent: wait for "
            "it, or use 'Generate again' (submit(again=True)) for a second, paid variation"
        )


class APIError(VaceError):
    """The server answered with an error, or did not answer at all.

    ``host`` and ``region`` say where the request went, so a wrong-region key is easy to spot.
    ``retry_after`` is how long the server asked us to wait (its Retry-After header).
    """

    retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        host: str | None = None,
        region: str | None = None,
    ):
        self.message = message
        self.code = code
        self.request_id = request_id
        self.host = host
        self.region = region
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"{self.code}: {self.message}" if self.code else self.message]
        if self.host:
            region = f", region {self.region}" if self.region else ""
            parts.append(f"(host {self.host}{region})")
        if self.request_id:
            parts.append(f"[request_id {self.request_id}]")
        hint = self.hint()
        if hint:
            parts.append(f"— {hint}")
        return " ".join(parts)

    def hint(self) -> str:
        """One line on what to do next; empty when there is nothing useful to say."""
        return ""


class APIConnectionError(APIError):
    """No HTTP answer: the connection was refused, reset or never made.

    ``sent`` is False only when the request certainly never reached the server.
    """

    sent: bool = True

    def hint(self) -> str:
        return "check the network or the base URL; polling retries this by itself"


class APITimeoutError(APIConnectionError, TimeoutError):
    """The server did not answer in time."""


class MalformedAnswerError(APIError):
    """The server answered, but with something we cannot read: not JSON, cut short, or a
    value of the wrong type. Status queries treat it as passing and keep polling."""


class SubmitUnconfirmedError(APIError):
    """The submit may have reached the server, but its answer was lost or unreadable.

    The task may exist (and be billed) or not; it was **not** sent again. The client looks
    for it on the server's task list by itself and follows it, or ends the job with
    :class:`SubmitNotCreatedError`; when several tasks could be it (code
    ``ReconcileAmbiguous``), ``task.candidates`` lists them and ``task.adopt(task_id)``
    follows the one that is it. ``task.reconcile()`` searches again at once.
    """

    def hint(self) -> str:
        if self.code == "ReconcileAmbiguous":
            return (
                "it was not sent again and nothing was guessed: check task.candidates in the "
                "Model Studio console, then await task.adopt(task_id) follows yours"
            )
        return (
            "the task may or may not have been created, so it was not sent again: the "
            "client looks for it on the server's task list by itself (about 3 minutes after "
            "the submit), and await task.reconcile() looks again at once"
        )


class SubmitNotCreatedError(APIError):
    """A submit whose answer was lost did not create a task: the server's task list shows
    none for it once a task made then would be listed. Nothing was created or billed."""

    def hint(self) -> str:
        return "nothing was created or billed: submit it again"


class JobInterruptedError(VaceError):
    """The process running this job stopped before its submit was sent (while it waited for
    a slot or uploaded its files): nothing was sent, created or billed. Submit it again."""


class DownloadError(APIError):
    """The finished video could not be saved locally (the URL failed, the file was cut
    short, is not a video or is larger than the cap, or the results folder cannot be
    written). The result stays on the server for 24 hours: ``await task.download()`` or
    ``client.resume()`` tries again. ``final`` is True when trying again cannot help (the
    URL expired, or the server sends more than the cap); ``trouble`` is the kind of trouble
    (``troubles.Trouble``), None when the results folder failed."""

    final: bool = False
    trouble: Trouble | None = None

    def hint(self) -> str:
        return "the video is still on the server for 24 h: await task.download() tries again"


class APIStatusError(APIError):
    """An HTTP error answer with DashScope's body (code, message, request_id)."""

    def __init__(self, message: str, *, status_code: int, **kwargs: Any):
        self.status_code = status_code
        super().__init__(message, **kwargs)


class BadRequestError(APIStatusError):
    """400: the server rejected a parameter."""

    def hint(self) -> str:
        return "fix the named parameter; nothing was billed"


class ContentModerationError(BadRequestError):
    """400 DataInspectionFailed: the server's content check refused the prompt or media."""

    def hint(self) -> str:
        return (
            "the server's content check refused the prompt or one of the images/videos; "
            "it runs server-side and says no more; change the input rather than resubmitting it"
        )


class AuthenticationError(APIStatusError):
    """401 InvalidApiKey: no key, a wrong key, or a key of the other region."""

    def hint(self) -> str:
        other = {"intl": "cn", "cn": "intl"}.get(self.region or "")
        if other:
            return (
                f"keys are bound to a region: if this key was made for region {other!r}, "
                f"use VaceClient(region={other!r})"
            )
        return "check DASHSCOPE_API_KEY and that the key belongs to this host's region"


class PermissionDeniedError(APIStatusError):
    """403 AccessDenied: the model is not activated for the account, or access is refused."""

    def hint(self) -> str:
        return "activate the model for this account in Model Studio, or check the workspace"


class NotFoundError(APIStatusError):
    """404 ModelNotFound: the model does not exist in this region."""

    def hint(self) -> str:
        return "wan2.1-vace-plus is served in region 'intl', wanx2.1-vace-plus in region 'cn'"


class RateLimitError(APIStatusError):
    """429 Throttling: too many requests or tasks at once; it clears on its own."""

    def hint(self) -> str:
        return "wait a little; the account allows 2 submits per second and 2 running tasks"


class QuotaError(APIStatusError):
    """Billing: the account is in arrears or its free quota is used up."""

    def hint(self) -> str:
        return "top up the account or turn off 'free tier only' in Model Studio"


class ServerError(APIStatusError):
    """5xx: the server failed."""

    def hint(self) -> str:
        return "a server-side failure; try again later"


class TaskError(VaceError):
    """A task ended without a video.

    ``status`` is the final status the server reported; ``code`` and ``message`` are the
    server's, when it gave them.
    """

    def __init__(
        self,
        task_id: str | None,
        status: str,
        *,
        code: str | None = None,
        message: str | None = None,
        request_id: str | None = None,
    ):
        self.task_id = task_id
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"task {self.task_id} ended {self.status}"
        details = ": ".join(part for part in (self.code, self.message) if part)
        if details:
            text += f": {details}"
        return text


class TaskFailedError(TaskError):
    """FAILED: the server could not make the video (failed tasks are not billed)."""


class TaskCanceledError(TaskError):
    """CANCELED: the task was cancelled while PENDING."""


class TaskUnknownError(TaskError):
    """UNKNOWN: the server does not know the id, or it is older than 24 hours."""

    def _describe(self) -> str:
        return (
            f"task {self.task_id} is UNKNOWN to the server: the id is wrong, belongs to another "
            "region, or is older than 24 hours (results are kept for 24 hours)"
        )


class TaskDetachedError(TaskError):
    """This client stopped following the task (``stop_watching()``, or its follow deadline
    passed while the server could not be reached). The task may still run on the server."""

    def _describe(self) -> str:
        text = (
            f"task {self.task_id} is no longer followed here while it was {self.status}; it "
            f"may still be running on the server: client.attach({self.task_id!r}) follows it again"
        )
        return f"{text} (last trouble: {self.message})" if self.message else text


class WaitTimeoutError(TaskError, TimeoutError):
    """Our wait gave up. The task itself may still be running on the server."""

    def __init__(self, task_id: str | None, status: str, timeout: float):
        self.timeout = timeout
        super().__init__(task_id, status)

    def _describe(self) -> str:
        return (
            f"stopped waiting for task {self.task_id} after {self.timeout:g} s while it was "
            f"{self.status}; it may still be running on the server: resume with "
            f"client.attach({self.task_id!r}) and wait again"
        )


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}

_QUOTA_CODES = ("Arrearage", "AllocationQuota.FreeTierOnly", "Throttling.AllocationQuota")
_MODERATION_CODES = ("DataInspectionFailed", "data_inspection_failed")


def api_error_from_response(
    status_code: int,
    body: Any,
    *,
    host: str | None = None,
    region: str | None = None,
) -> APIStatusError:
    """The error for an HTTP error answer, picked by status and DashScope ``code``.

    ``body`` is the decoded JSON (or anything else, when the server sent no JSON).
    """
    data = body if isinstance(body, dict) else {}
    code = server_text(data.get("code"), 100)
    message = server_text(data.get("message"), 500) or server_text(data.get("msg"), 500)
    request_id = server_text(data.get("request_id"), 100)
    if code is None and status_code != 429:
        # not DashScope's own answer (troubles.py): say so, and keep its status class vague
        what = "an unexpected redirect" if 300 <= status_code < 400 else "not DashScope's answer"
        message = f"HTTP {status_code}, {what} (a proxy, gateway or login page answered)" + (
            f": {message}" if message else ""
        )
    message = message or f"HTTP {status_code}"
    if code and any(code.startswith(q) for q in _QUOTA_CODES):
        cls: type[APIStatusError] = QuotaError
    elif code and any(m in code for m in _MODERATION_CODES):
        cls = ContentModerationError
    elif status_code >= 500:
        cls = ServerError
    elif code is None and status_code != 429:
        cls = APIStatusError
    else:
        cls = _BY_STATUS.get(status_code, APIStatusError)
    return cls(
        message,
        status_code=status_code,
        code=code,
        request_id=request_id,
        host=host,
        region=region,
    )


def server_text(value: Any, limit: int) -> str | None:
    """A server-given text made safe to keep and show: strings and numbers only, control
    characters dropped, at most ``limit`` characters; None for anything else or empty."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = "".join(ch for ch in str(value) if ch.isprintable())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text or None


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
