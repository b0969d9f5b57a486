"""Events go to the API server in the background, as client-go's event broadcaster sends them,
and repeated ones are counted on one Event object, as client-go's event correlator does.

An Event is a record for people, not part of a sync: a sync should not wait for it, and a
slow or failing Events API must not slow syncs down. Events wait in a bounded queue and a few
threads send them; when the queue is full (the API server far behind) new events are dropped
and counted, as client-go drops them, rather than holding memory without bound.

A failing store fails every cycle, and each failure records the same Warning on the same
ExternalSecret: one Event object each time would be thousands of objects an hour in etcd.
:class:`EventRecorder` keeps the recent events (an LRU of :data:`CACHE_SIZE` entries, as
client-go's) by what makes two of them the same (the object they are about, type, reason,
message and source); a repeat PATCHes the Event already stored (``count`` + 1, a new
``lastTimestamp``) instead of creating another, and creates one again only when that Event is
gone (expired by the API server's event TTL) or was forgotten by the LRU.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

__all__ = ["CACHE_SIZE", "EventRecorder", "EventSender"]

log = logging.getLogger(__name__)

#: recent events remembered to count repeats on one object (client-go's LRU holds as many)
CACHE_SIZE = 4096

T = TypeVar("T")


class EventSender(Generic[T]):
    """``send(namespace, item)`` returns at once; ``threads`` threads post the items."""

    def __init__(
        self, post: Callable[[str, T], None], *, threads: int = 2, capacity: int = 10000
    ) -> None:
        self._post = post
        self._queue: queue.Queue[tuple[str, T]] = queue.Queue(capacity)
        self._threads = [
            threading.Thread(target=self._run, name=f"extsecrets-events-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()
        #: events not sent because the queue was full
        self.dropped = 0

    def send(self, namespace: str, item: T) -> bool:
        """Queue ``item``; ``False`` when the queue was full and it was dropped."""
        try:
            self._queue.put_nowait((namespace, item))
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("event queue full: %d events dropped so far", self.dropped)
            return False
        return True

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
            namespace, item = self._queue.get()
            try:
                self._post(namespace, item)
            except Exception as exc:  # an event is best effort: never let it stop the sender
                log.warning("event not recorded: %s", type(exc).__name__)
            finally:
                self._queue.task_done()


#: ``create(namespace, body)``: the name of the Event created, ``None`` when it failed
Create = Callable[[str, Mapping[str, Any]], "str | None"]
#: ``patch(namespace, name, patch)``: ``True`` done, ``False`` no such Event, ``None`` failed
Patch = Callable[[str, str, Mapping[str, Any]], "bool | None"]


class _Seen:
    """One distinct event: how often it happened, and the Event object that counts it."""

    __slots__ = ("body", "count", "last", "name", "queued", "sent")

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        self.count = 1
        self.last = body.get("lastTimestamp")
        #: the Event object on the API server (once created)
        self.name: str | None = None
        #: the count the API server has
        self.sent = 0
        #: whether a post of this entry is queued or running (at most one at a time, so a
        #: repeat never creates a second object while the first is being created)
        self.queued = False


def event_key(namespace: str, body: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes two events the same one (client-go's ``getEventKey``)."""
    regarding = body.get("involvedObject") or {}
    source = body.get("source") or {}
    return (
        namespace,
        source.get("component"),
        source.get("host"),
        *(regarding.get(k) for k in ("apiVersion", "kind", "namespace", "name", "uid")),
        regarding.get("fieldPath"),
        body.get("type"),
        body.get("reason"),
        body.get("message"),
    )


class EventRecorder:
    """Records events through an :class:`EventSender`, counting repeats on one Event object."""

    def __init__(
        self,
        create: Create,
        patch: Patch,
        *,
        threads: int = 2,
        capacity: int = 10000,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self._create = create
        self._patch = patch
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._seen: OrderedDict[tuple[Any, ...], _Seen] = OrderedDict()
        self._sender: EventSender[_Seen] = EventSender(
            self._post, threads=threads, capacity=capacity
        )
        #: repeats counted on an existing Event rather than a new object
        self.repeats = 0

    @property
    def dropped(self) -> int:
        return self._sender.dropped

    def __len__(self) -> int:
        """Distinct events remembered."""
        with self._lock:
            return len(self._seen)

    def record(self, namespace: str, body: Mapping[str, Any]) -> None:
        """Record ``body`` (a core/v1 Event with count 1); returns at once."""
        key = event_key(namespace, body)
        with self._lock:
            seen = self._seen.get(key)
            if seen is None:
                seen = self._seen[key] = _Seen(body)
                while len(self._seen) > self._cache_size:
                    self._seen.popitem(last=False)
            else:
                self._seen.move_to_end(key)
                seen.count += 1
                seen.last = body.get("lastTimestamp")
                self.repeats += 1
            if seen.queued:
                return  # the post queued or running sends this repeat too (see _post)
            seen.queued = True
        if not self._sender.send(namespace, seen):
            with self._lock:
                seen.queued = False

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until every recorded event was posted."""
        return self._sender.flush(timeout)

    def _post(self, namespace: str, seen: _Seen) -> None:
        done: bool | None = None
        try:
            with self._lock:
                name, count, last = seen.name, seen.count, seen.last
            done = False
            if name is not None:
                done = self._patch(namespace, name, {"count": count, "lastTimestamp": last})
            if done is False:  # never created, or gone since (the event TTL): create it
                name = self._create(namespace, {**seen.body, "count": count, "lastTimestamp": last})
                done = name is not None
            if done:
                with self._lock:
                    seen.name, seen.sent = name, count
        finally:
            with self._lock:
                # repeats recorded meanwhile go out now; after a failure, with the next repeat
                again = bool(done) and seen.count > seen.sent
                seen.queued = again
            if again and not self._sender.send(namespace, seen):
                with self._lock:
                    seen.queued = False
