"""Running plugin calls so that one misbehaving plugin fails only the work that needed it.

Each call runs on a daemon worker thread. A call that raises becomes an error value; a call
that outlives its time limit is abandoned (Python cannot stop a thread): its result becomes a
timeout error, a fresh worker takes its place, and whatever it returns later is ignored. Daemon
threads keep a hung plugin from holding the process at exit.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

from extsecrets.errors import ExtSecretsError, PluginError

__all__ = ["run_isolated"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def run_isolated(
    tasks: Mapping[K, Callable[[], T]],
    *,
    timeout: float,
    workers: int,
    on_timeout: Callable[[K], ExtSecretsError],
) -> dict[K, T | ExtSecretsError]:
    """Run every task, at most ``workers`` at once; each gets ``timeout`` seconds from its start.

    Exceptions of the error hierarchy are returned as they are; any other exception becomes a
    :class:`PluginError` naming its type only (its message may hold secret material).
    """
    results: dict[K, T | ExtSecretsError] = {}
    if not tasks:
        return results
    lock = threading.Condition()
    pending = deque(tasks.items())
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
            except Exception as exc:
                value = PluginError(f"unexpected {type(exc).__name__}")
            with lock:
                results.setdefault(key, value)
                lock.notify_all()
                if key in abandoned:  # a replacement worker has taken over
                    return

    def spawn() -> None:
        threading.Thread(target=worker, name="extsecrets-plugin-call", daemon=True).start()

    for _ in range(min(workers, len(tasks))):
        spawn()
    with lock:
        while len(results) < len(tasks):
            now = time.monotonic()
            next_deadline: float | None = None
            for key, began in list(started.items()):
                if key in results:
                    continue
                if now - began >= timeout:
                    results[key] = on_timeout(key)
                    abandoned.add(key)
                    spawn()
                else:
                    deadline = began + timeout
                    next_deadline = (
                        deadline if next_deadline is None else min(next_deadline, deadline)
                    )
            if len(results) < len(tasks):
                lock.wait(timeout=(next_deadline - now) if next_deadline is not None else timeout)
    return results
