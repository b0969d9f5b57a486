"""Running plugin calls so that one misbehaving plugin fails only the work that needed it.

Each call runs on a daemon worker thread. A call that raises becomes an error value; a call
that outlives its time limit is abandoned (Python cannot stop a thread): its result becomes a
timeout error, a fresh worker takes its place, and whatever it returns later is ignored. Daemon
threads keep a hung plugin from holding the process at exit.

An abandoned call still holds its thread, and a cycle waited the whole time limit for it.
Calls are grouped in *lanes* (the engine's: one store with one set of credentials, one generator
object...), and :class:`SlowLanes` remembers, across cycles, the lanes whose last call outlived
its limit:

- while such a call has not returned, the lane is not called again: its tasks fail at once;
- once it has returned, the lane's next call runs in the background, not waited for (its tasks
  fail at once, saying so); a background call that answers within the limit makes the lane
  waited for again, one that does not leaves it slow.

So a plugin that hangs for good costs one thread per lane, not one per cycle, and a plugin that
is slow makes a cycle wait for it once, not at every retry: the other stores' syncs are late by
at most one time limit when a lane turns slow.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

from extsecrets.errors import ExtSecretsError, PluginError

__all__ = ["SlowLanes", "run_isolated"]

log = logging.getLogger(__name__)

#: a lane not called for this long is forgotten as slow (a store deleted, or edited into a new
#: lane, leaves nothing behind for ever); it is waited for again, once
FORGET_SLOW = 3600.0

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class SlowLanes:
    """The lanes whose last call outlived its time limit; kept across cycles."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: lane -> what the call is, for the lanes with a call past its limit or in the
        #: background (each holds a thread)
        self._running: dict[Hashable, str] = {}
        #: lane -> when it was last found slow (monotonic seconds)
        self._slow: dict[Hashable, float] = {}
        #: calls abandoned at their time limit since the start
        self.abandoned = 0
        #: calls started in the background since the start
        self.background = 0
        #: abandoned or background calls that have returned
        self.returned = 0

    def __len__(self) -> int:
        """Calls running past their limit or in the background (each holds a thread)."""
        with self._lock:
            return len(self._running)

    def _state(self, lane: Hashable) -> str:
        with self._lock:
            if lane in self._running:
                return "running"
            return "slow" if lane in self._slow else ""

    def _abandon(self, lane: Hashable, what: str) -> int:
        with self._lock:
            self._running[lane] = what
            self._mark(lane)
            self.abandoned += 1
            return len(self._running)

    def _start(self, lane: Hashable, what: str) -> None:
        with self._lock:
            self._running[lane] = what
            self.background += 1

    def _returned(self, lane: Hashable, in_time: bool) -> str | None:
        with self._lock:
            what = self._running.pop(lane, None)
            if what is not None:
                self.returned += 1
            if in_time:
                self._slow.pop(lane, None)
            else:
                self._mark(lane)
            return what

    def _mark(self, lane: Hashable) -> None:
        """``lane`` is slow as of now; lanes not found slow for :data:`FORGET_SLOW` go (called
        with the lock held)."""
        now = time.monotonic()
        self._slow = {k: t for k, t in self._slow.items() if now - t < FORGET_SLOW}
        self._slow[lane] = now


def run_isolated(
    tasks: Mapping[K, Callable[[], T]],
    *,
    timeout: float,
    workers: int,
    on_timeout: Callable[[K], ExtSecretsError],
    lanes: SlowLanes | None = None,
    lane: Callable[[K], Hashable] | None = None,
) -> dict[K, T | ExtSecretsError]:
    """Run every task, at most ``workers`` at once; each gets ``timeout`` seconds from its start.

    Exceptions of the error hierarchy are returned as they are; any other exception becomes a
    :class:`PluginError` naming its type only (its message may hold secret material).

    With ``lanes``, a task of a slow lane (``lane(key)``, else the key itself) is not waited
    for: see the module's text.
    """
    results: dict[K, T | ExtSecretsError] = {}
    if not tasks:
        return results
    lane_of: Callable[[K], Hashable] = lane or (lambda key: key)
    lock = threading.Condition()
    pending: deque[tuple[K, Callable[[], T]]] = deque()
    for key, task in tasks.items():
        state = lanes._state(lane_of(key)) if lanes is not None else ""
        if not state:
            pending.append((key, task))
            continue
        error = on_timeout(key)
        if state == "running":
            message = (
                f"{error.message}; it has not returned yet and is not called again until it does"
            )
        else:
            assert lanes is not None
            _in_background(task, lanes, lane_of(key), error.message, timeout)
            message = (
                f"{error.message} last time; called again in the background, not waited for "
                "until a call answers in time"
            )
        results[key] = PluginError(message)
    if not pending:
        return results
    started: dict[K, float] = {}
    abandoned: set[K] = set()

    def worker() -> None:
        while True:
            with lock:
                if not pending:
                    return
                key, task = pending.popleft()
                started[key] = time.monotonic()
            value: T | ExtSecretsError
            try:
                value = task()
            except ExtSecretsError as exc:
                value = exc
            except BaseException as exc:  # (SystemExit too: it would end this thread silently)
                value = PluginError(f"unexpected {type(exc).__name__}")
            with lock:
                results.setdefault(key, value)
                lock.notify_all()
                if key in abandoned:  # a replacement worker has taken over
                    if lanes is not None:
                        what = lanes._returned(lane_of(key), in_time=False)
                        log.info(
                            "an abandoned plugin call returned",
                            extra={"call": what, "after": time.monotonic() - started[key]},
                        )
                    return

    def spawn() -> None:
        threading.Thread(target=worker, name="extsecrets-plugin-call", daemon=True).start()

    for _ in range(min(workers, len(pending))):
        spawn()
    with lock:
        while len(results) < len(tasks):
            now = time.monotonic()
            next_deadline: float | None = None
            for key, began in list(started.items()):
                if key in results:
                    continue
                if now - began >= timeout:
                    error = results[key] = on_timeout(key)
                    abandoned.add(key)
                    if lanes is not None:
                        running = lanes._abandon(lane_of(key), error.message)
                        log.warning(
                            "plugin call abandoned",
                            extra={"call": error.message, "abandoned_calls_running": running},
                        )
                    spawn()
                else:
                    deadline = began + timeout
                    next_deadline = (
                        deadline if next_deadline is None else min(next_deadline, deadline)
                    )
            if len(results) < len(tasks):
                lock.wait(timeout=(next_deadline - now) if next_deadline is not None else timeout)
    return results


def _in_background(
    task: Callable[[], object], lanes: SlowLanes, lane: Hashable, what: str, timeout: float
) -> None:
    """Call ``task`` on a thread of its own, not waited for; its answer is dropped, its
    duration decides whether ``lane`` is waited for again."""
    lanes._start(lane, what)
    log.debug("plugin call started in the background", extra={"call": what})

    def run() -> None:
        began = time.monotonic()
        with contextlib.suppress(BaseException):  # (its answer, whatever it is, is dropped)
            task()
        took = time.monotonic() - began
        lanes._returned(lane, in_time=took < timeout)
        message = (
            "a slow plugin call answered in time again"
            if took < timeout
            else "a plugin call in the background returned, past its time limit"
        )
        log.info(message, extra={"call": what, "after": took})

    threading.Thread(target=run, name="extsecrets-plugin-call-background", daemon=True).start()
