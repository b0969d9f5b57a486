"""Counts of the AWS (and TokenRequest) calls made, by service, operation and status.

Every client the AWS plugins use comes from :class:`extsecrets_aws_auth.session.AWSSession`,
which counts each API call here; the operator exposes the counts as ESO's
``externalsecret_provider_api_calls_count`` metric, and :data:`FALLBACKS` as
``extsecrets_provider_batch_fallbacks_total``.

botocore emits an event after a call that was sent (``after-call``) or failed on the way
(``after-call-error``), but none when it refuses a call before sending it (parameter
validation, endpoint resolution). So each call is noted as *prepared* on its thread; being sent
clears the note, and a note still there when the call's failure is classified, or when the
thread prepares its next call, is counted as an error: ESO counts such calls as errors too.
"""

from __future__ import annotations

import threading
from collections import Counter

__all__ = [
    "API_CALLS",
    "FALLBACKS",
    "CallCounter",
    "call_prepared",
    "call_sent",
    "unsent_call_failed",
]


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

_pending = threading.local()


def call_prepared(counter: CallCounter, service: str, operation: str) -> None:
    """A call is being built on this thread; it counts only once sent, or as failed."""
    unsent_call_failed()
    _pending.call = (counter, service, operation)


def call_sent() -> None:
    """The prepared call went out: ``after-call`` or ``after-call-error`` counts it."""
    _pending.call = None


def unsent_call_failed() -> None:
    """The call prepared on this thread, if botocore refused it before sending: an error."""
    call: tuple[CallCounter, str, str] | None = getattr(_pending, "call", None)
    if call is not None:
        _pending.call = None
        counter, service, operation = call
        counter.add(service, operation, "error")
