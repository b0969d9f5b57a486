"""Events go to the API server in the background, as client-go's event broadcaster sends them.

An Event is a record for people, not part of a sync: a sync should not wait for it, and a
slow or failing Events API must not slow syncs down. Events wait in a bounded queue and a few
threads send them; when the queue is full (the API server far behind) new events are dropped
and counted, as client-go drops them, rather than holding memory without bound.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["EventSender"]

log = logging.getLogger(__name__)

Send = Callable[[str, Mapping[str, Any]], None]


class EventSender:
    """``send(namespace, body)`` returns at once; ``threads`` threads post the events."""

    def __init__(self, post: Send, *, threads: int = 2, capacity: int = 10000) -> None:
        self._post = post
        self._queue: queue.Queue[tuple[str, Mapping[str, Any]]] = queue.Queue(capacity)
        self._threads = [
            threading.Thread(target=self._run, name=f"extsecrets-events-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()
        #: events not sent because the queue was full
        self.dropped = 0

    def send(self, namespace: str, body: Mapping[str, Any]) -> None:
        try:
            self._queue.put_nowait((namespace, body))
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("event queue full: %d events dropped so far", self.dropped)

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until every queued event was posted."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def _run(self) -> None:
        while True:
            namespace, body = self._queue.get()
            try:
                self._post(namespace, body)
            except Exception as exc:  # an event is best effort: never let it stop the sender
                log.warning("event not recorded: %s", type(exc).__name__)
            finally:
                self._queue.task_done()
