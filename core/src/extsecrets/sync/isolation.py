"""Running plugin calls so that one misbehaving plugin fails only the work that needed it.

Each call runs on a daemon worker thread. A call that raises becomes an error value; a call
that outlives its time limit is abandoned (Python cannot stop a thread): its result becomes a
timeout error, a fresh worker takes its place, and whatever it returns later is ignored. Daemon
threads keep a hung plugin from holding the process at exit.

An abandoned call still holds its thread. Calls are grouped in *lanes* (the engine's: one store
with one set of credentials, one generator object...); while an abandoned call of a lane has not
returned, later calls of that lane are not started but fail at once (:class:`StuckCalls`). So a
plugin that hangs for good costs one thread per lane, not one per cycle, and a cycle waits for
it once, not every time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

from extsecrets.errors import ExtSecretsError, PluginError

__all__ = ["StuckCalls", "run_isolated"]

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class StuckCalls:
    """The lanes whose abandoned call has not returned yet; kept across cycles."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[Hashable, str] = {}
        #: calls abandoned since the start
        self.abandoned = 0
        #: abandoned calls that returned later
        self.returned = 0

    def __len__(self) -> int:
        """Abandoned calls still running (each holds a thread)."""
        with self._lock:
            return len(self._running)

    def __contains__(self, lane: Hashable) -> bool:
        with self._lock:
            return lane in self._running

    def _abandon(self, lane: Hashable, what: str) -> int:
        with self._lock:
            self._running[lane] = what
            self.abandoned += 1
            return len(self._running)

    def _returned(self, lane: Hashable) -> str | None:
        with self._lock:
            what = self._running.pop(lane, None)
            if what is not None:
                self.returned += 1
            return what


def run_isolated(
    tasks: Mapping[K, Callable[[], T]],
    *,
    timeout: float,
    workers: int,
    on_timeout: Callable[[K], ExtSecretsError],
    stuck: StuckCalls | None = None,
    lane: Callable[[K], Hashable] | None = None,
) -> dict[K, T | ExtSecretsError]:
    """Run every task, at most ``workers`` at once; each gets ``timeout`` seconds from its start.

    Exceptions of the error hierarchy are returned as they are; any other exception becomes a
    :class:`PluginError` naming its type only (its message may hold secret material).

    With ``stuck``, a task whose lane (``lane(key)``, else the key itself) has an abandoned call
    still running is not started: its result is the timeout error, saying so.
    """
    results: dict[K, T | ExtSecretsError] = {}
    if not tasks:
        return results
    lane_of: Callable[[K], Hashable] = lane or (lambda key: key)
    lock = threading.Condition()
    pending: deque[tuple[K, Callable[[], T]]] = deque()
    for key, task in tasks.items():
        if stuck is not None and lane_of(key) in stuck:
            error = on_timeout(key)
            results[key] = PluginError(
                f"{error.message}; it has not returned yet and is not called again until it does"
            )
        else:
            pending.append((key, task))
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
                    if stuck is not None:
                        what = stuck._returned(lane_of(key))
                        if what is not None:
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
                    if stuck is not None:
                        running = stuck._abandon(lane_of(key), error.message)
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
