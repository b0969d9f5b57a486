"""A delay queue keyed by object: each key is due once, at the earliest time asked for."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Hashable

__all__ = ["Scheduler"]


class Scheduler:
    """``schedule(key, at)`` keeps the earliest time per key; ``take`` returns the keys due.

    ``clock`` is the monotonic clock times are read on (a test or a benchmark may drive its
    own). Once a key is due, ``take`` also returns the keys due within ``window`` seconds after
    it: keys meant for about the same instant go out in one batch.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, window: float = 0.0) -> None:
        self._clock = clock
        self.window = window
        self._heap: list[tuple[float, int, Hashable]] = []
        self._due: dict[Hashable, float] = {}
        self._seq = itertools.count()
        self._cond = threading.Condition()

    def now(self) -> float:
        return self._clock()

    def schedule(self, key: Hashable, at: float | None = None) -> None:
        """Due at monotonic time ``at`` (now when ``None``), unless already due earlier."""
        when = self._clock() if at is None else at
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

    def due_at(self, key: Hashable) -> float | None:
        with self._cond:
            return self._due.get(key)

    def next_due(self) -> float | None:
        """When the earliest key falls due (``None``: nothing is scheduled)."""
        with self._cond:
            self._drop_stale()
            return self._heap[0][0] if self._heap else None

    def take(self, limit: int, wait: float) -> list[Hashable]:
        """Up to ``limit`` keys that are due, oldest first; waits up to ``wait`` seconds for one."""
        deadline = self._clock() + wait
        with self._cond:
            while True:
                now = self._clock()
                self._drop_stale()
                out: list[Hashable] = []
                if self._heap and self._heap[0][0] <= now:
                    # what falls due within the window goes along
                    while self._heap and self._heap[0][0] <= now + self.window and len(out) < limit:
                        when, _, key = heapq.heappop(self._heap)
                        if self._due.get(key) == when:
                            del self._due[key]
                            out.append(key)
                if out or now >= deadline:
                    return out
                next_at = self._heap[0][0] if self._heap else deadline
                self._cond.wait(max(0.0, min(next_at, deadline) - now))

    def _drop_stale(self) -> None:
        """Heap entries of keys since rescheduled or forgotten (called with the lock held)."""
        while self._heap and self._due.get(self._heap[0][2]) != self._heap[0][0]:
            heapq.heappop(self._heap)

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._due)
