"""Run a coroutine to completion from plain code: in a script, or in a notebook cell.

With no event loop running, a fresh loop runs it. Inside a running loop (a notebook
cell), nest-asyncio is applied to that loop, here and only here, never at import; it
cannot be undone, so the loop stays re-entrant from the first blocking call on.
Prefer ``await`` in notebooks: while a blocking call runs, the cell is busy, and on
ipykernel 6 clicks on other widgets (Cancel included) wait until it returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["run_blocking"]

T = TypeVar("T")


def run_blocking(make: Callable[[], Awaitable[T]]) -> T:
    """Run the awaitable ``make()`` returns, and return its result."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_as_coroutine(make))
    import nest_asyncio

    nest_asyncio.apply(loop)
    return loop.run_until_complete(_as_coroutine(make))


async def _as_coroutine(make: Callable[[], Awaitable[T]]) -> T:
    return await make()
