"""A delay queue keyed by object: each key is due once, at the earliest time asked for."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Hashable

__all__ = ["Scheduler"]


class Scheduler:
    """``schedule(key, at)`` keeps the earliest time per key; ``take`` returns the keys due."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Hashable]] = []
        self._due: dict[Hashable, float] = {}
        self._seq = itertools.count()
        self._cond = threading.Condition()

    def schedule(self, key: Hashable, at: float | None = None) -> None:
        """Due at monotonic time ``at`` (now when ``None``), unless already due earlier."""
        when = time.monotonic() if at is None else at
        with self._cond:
            current = self._due.get(key)
            if current is not None and current <= when:
                return
            self._due[key] = when
            heapq.heappush(self._heap, (when, next(self._seq), key))
            self._cond.notify_all()

    def forget(self, key: Hashable) -> None:
        with self._cond:
            self._due.pop(key, None)

    def take(self, limit: int, wait: float) -> list[Hashable]:
        """Up to ``limit`` keys that are due, oldest first; waits up to ``wait`` seconds for one."""
        deadline = time.monotonic() + wait
        with self._cond:
            while True:
                now = time.monotonic()
                out: list[Hashable] = []
                while self._heap and self._heap[0][0] <= now and len(out) < limit:
                    when, _, key = heapq.heappop(self._heap)
                    if self._due.get(key) == when:
                        del self._due[key]
                        out.append(key)
                if out or now >= deadline:
                    return out
                next_at = self._heap[0][0] if self._heap else deadline
                self._cond.wait(max(0.0, min(next_at, deadline) - now))

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._due)
