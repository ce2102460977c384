"""The Voilà server of ``wanvace app``: Voilà with every route behind its token.

Voilà checks the token on its page, kernels and APIs, but serves its file route
(``/voila/files/``, where the results play from), its static assets, templates, themes
and extensions to anyone. Here every route but the login page asks for the token, or the
login cookie a request with the token sets. ``wanvace app`` runs this module in place of
``python -m voila`` (``voila_app.py``); it takes Voilà's own options.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.login import LoginFormHandler
from jupyter_server.auth.logout import LogoutHandler
from jupyter_server.base.handlers import JupyterHandler
from tornado import web
from voila.app import Voila

__all__ = ["TokenVoila", "guarded", "main"]


class _TokenRequired:
    """Refuses a request that brings neither the token nor the login cookie (403), where
    jupyter_server's own check lets it through."""

    async def prepare(self) -> None:
        handler: Any = self
        await super().prepare()  # type: ignore[misc]
        if handler.current_user is None and not handler._finished:
            raise web.HTTPError(403, "this app needs its token")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """tornado's plain error page: jupyter_server's template needs settings that Voilà
        does not set (its static path)."""
        web.RequestHandler.write_error(self, status_code, **kwargs)  # type: ignore[arg-type]


def _lets_anyone_in(handler: type) -> bool:
    return any(
        getattr(getattr(handler, method, None), "__allow_unauthenticated", False)
        for method in ("get", "head")
    )


def guarded(handler: type) -> type:
    """``handler`` behind the token. A jupyter_server handler already is unless it lets
    anyone in (static assets); a plain tornado one (Voilà's file route) learns who asks
    from jupyter_server's JupyterHandler, which asks for the token."""
    if issubclass(handler, (LoginFormHandler, LogoutHandler)):
        return handler  # where the token is given
    if issubclass(handler, JupyterHandler) and not _lets_anyone_in(handler):
        return handler
    bases = (handler,) if issubclass(handler, JupyterHandler) else (JupyterHandler, handler)
    return type(f"Guarded{handler.__name__}", (_TokenRequired, *bases), {})


class TokenVoila(Voila):
    """Voilà whose every route asks for the token."""

    def init_handlers(self) -> list:
        return [(route[0], guarded(route[1]), *route[2:]) for route in super().init_handlers()]


def main() -> None:
    TokenVoila.launch_instance()


if __name__ == "__main__":
    main()
