"""What each route does with each kind of trouble: one table, followed by every route.

``docs/lifecycle.md`` prints the same table (a test keeps the two equal). A trouble is
named by what it tells about the server, never by the route that met it:

* only an answer in the server's own words (DashScope: a JSON body with a ``code``; the
  storage host: a 403/404/410 for a result URL) can refuse something or end something;
* an answer that is not its own (an HTML page, a redirect, an empty body, JSON without a
  ``code``: a proxy, a gateway or a login page answered) says nothing about the task, so
  it is passing trouble, like no answer at all;
* a 429 certainly created nothing.

The actions: ``again`` (send it again after a backoff that honours ``Retry-After``),
``wait`` (a submit's 429: wait for the server's slots, then again, within
``Deadlines.throttled``), ``unconfirmed`` (a submit that may have created a task: never
sent again) and ``end`` (raise: ERROR for a submit, stop following for a status query,
the error for cancel/list/upload policy, a final ``DownloadError`` for a download).
"""

from __future__ import annotations

from enum import Enum

from ...errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    DownloadError,
    MalformedAnswerError,
    RateLimitError,
)

__all__ = ["RULES", "Action", "Route", "Trouble", "action", "trouble_of"]


class Trouble(Enum):
    """One kind of trouble with one exchange (the table's rows)."""

    NEVER_SENT = "no connection was made"
    NO_ANSWER = "sent, no whole answer in time"
    THROTTLED = "429 throttling"
    FOREIGN = "not the server's own answer"
    SERVER_ERROR = "the server's own 5xx"
    REFUSED = "the server's own refusal"
    UNREADABLE = "a 2xx we cannot read"
    TOO_LARGE = "larger than the cap"


class Route(Enum):
    """The routes (the table's columns)."""

    SUBMIT = "submit"
    QUERY = "status query"
    CALL = "cancel, list, upload policy"
    DOWNLOAD = "download"


class Action(Enum):
    AGAIN = "again"
    WAIT = "wait"
    UNCONFIRMED = "unconfirmed"
    END = "end"


_A, _W, _U, _E = Action.AGAIN, Action.WAIT, Action.UNCONFIRMED, Action.END
_T = Trouble

#: a request that cannot cost money: everything but the server's own refusal passes
_HARMLESS = {_T.NEVER_SENT: _A, _T.NO_ANSWER: _A, _T.THROTTLED: _A, _T.FOREIGN: _A}
_HARMLESS |= {_T.SERVER_ERROR: _A, _T.REFUSED: _E, _T.UNREADABLE: _A}

#: RULES[route][trouble]: what the route does; a trouble a route cannot meet is left out
RULES: dict[Route, dict[Trouble, Action]] = {
    # a submit may create a paid task: sent again only when nothing was created
    Route.SUBMIT: {
        _T.NEVER_SENT: _A,
        _T.NO_ANSWER: _U,
        _T.THROTTLED: _W,
        _T.FOREIGN: _U,
        _T.SERVER_ERROR: _E,
        _T.REFUSED: _E,
        _T.UNREADABLE: _U,
    },
    Route.QUERY: _HARMLESS,
    Route.CALL: _HARMLESS,
    Route.DOWNLOAD: _HARMLESS | {_T.TOO_LARGE: _E},
}


def trouble_of(error: APIError) -> Trouble | None:
    """The kind of trouble ``error`` reports; None for an error that is no exchange's
    (a results folder that cannot be written, say)."""
    if isinstance(error, DownloadError):
        return error.trouble
    if isinstance(error, APIConnectionError):
        return Trouble.NO_ANSWER if error.sent else Trouble.NEVER_SENT
    if isinstance(error, MalformedAnswerError):
        return Trouble.UNREADABLE
    if isinstance(error, RateLimitError):
        return Trouble.THROTTLED
    if isinstance(error, APIStatusError):
        if error.code is None:
            return Trouble.FOREIGN
        return Trouble.SERVER_ERROR if error.status_code >= 500 else Trouble.REFUSED
    return None


def action(route: Route, error: APIError) -> Action:
    """What ``route`` does with ``error``; an error of no known kind ends it."""
    trouble = trouble_of(error)
    return RULES[route].get(trouble, Action.END) if trouble is not None else Action.END
