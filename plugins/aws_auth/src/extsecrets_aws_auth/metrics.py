"""Counts of the AWS (and TokenRequest) calls made, by service, operation and status.

Every client the AWS plugins use comes from :class:`extsecrets_aws_auth.session.AWSSession`,
which counts each API call here; the operator exposes the counts as ESO's
``externalsecret_provider_api_calls_count`` metric.
"""

from __future__ import annotations

import threading
from collections import Counter

__all__ = ["API_CALLS", "FALLBACKS", "CallCounter"]


class CallCounter:
    """A thread-safe counter keyed by ``(service, operation, status)``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, str]] = Counter()

    def add(self, service: str, operation: str, status: str) -> None:
        with self._lock:
            self._counts[(service, operation, status)] += 1

    def snapshot(self) -> dict[tuple[str, str, str], int]:
        with self._lock:
            return dict(self._counts)

    def total(self, service: str | None = None, operation: str | None = None) -> int:
        with self._lock:
            return sum(
                n
                for (svc, op, _), n in self._counts.items()
                if (service is None or svc == service) and (operation is None or op == operation)
            )


#: the process-wide counter
API_CALLS = CallCounter()

#: batch APIs an identity was denied, so reads went one by one: ``(service, operation,
#: "fallback")``, counted once per identity each time the fallback is (re)decided
FALLBACKS = CallCounter()
