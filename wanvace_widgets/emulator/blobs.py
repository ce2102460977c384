"""Bytes kept by key within a budget, so the emulator's memory stays bounded.

Result videos and uploaded files would otherwise pile up for the whole 24 h / 48 h they
are documented to live: a long benchmark run grew the emulator past 3 GB. Past the budget
the oldest bytes are forgotten first (``docs/api-contract.md`` §15).
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["Blobs"]


class Blobs:
    """Bytes by key, at most ``max_bytes`` in all; adding past the budget drops the oldest."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.total = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()

    def put(self, key: str, data: bytes) -> list[str]:
        """Keep ``data`` under ``key``; return the keys dropped to stay within budget."""
        self.discard(key)
        self._items[key] = data
        self.total += len(data)
        dropped = []
        while self.total > self.max_bytes:
            old, old_data = self._items.popitem(last=False)
            self.total -= len(old_data)
            dropped.append(old)
        return dropped

    def get(self, key: str) -> bytes | None:
        return self._items.get(key)

    def discard(self, key: str) -> None:
        data = self._items.pop(key, None)
        if data is not None:
            self.total -= len(data)

    def __len__(self) -> int:
        return len(self._items)
