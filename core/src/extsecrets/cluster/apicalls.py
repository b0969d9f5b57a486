"""Calls to the API server with their failures sorted: an API server that cannot be reached
(connection refused or reset, a timeout, a TLS failure) or that answers "try later" (429, 5xx)
is a :class:`ClusterUnavailableError`, a temporary error the engine retries with backoff, with a
short message that names what was being done and why it failed; every other answer is left to
the caller as the client's ``ApiException``.

The client's own exceptions (urllib3's ``MaxRetryError`` and the like) carry the request URL and
object reprs: their text never reaches a message, only what :func:`cause` makes of them.
"""

from __future__ import annotations

import errno
import http.client
import json
import logging
import os
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any

from kubernetes.client.rest import ApiException
from urllib3 import exceptions as u3

from extsecrets.cluster.port import ClusterUnavailableError

__all__ = [
    "REQUEST_TIMEOUT",
    "Reachability",
    "api_call",
    "api_message",
    "cause",
    "is_unavailable",
    "unavailable",
]

#: (connect, read) seconds for one request: a hung API server must fail a call, not hold the
#: reconcile loop (or a watch) forever
REQUEST_TIMEOUT = (10.0, 60.0)

#: answers that mean "the API server cannot serve this now"
_BUSY = frozenset({429, 500, 502, 503, 504})

#: what a network failure is in a message: errno names Python spells out differently per OS
_ERRNO_TEXT = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "timed out",
}


class _NoRetryWarnings(logging.Filter):
    """urllib3 logs a WARNING, with the URL, for each of its own retries of a request; the
    adapter reports the failure once the request has failed, sanitised (see :class:`Reachability`),
    so these would only repeat it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Retrying (")


_pool_log = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, _NoRetryWarnings) for f in _pool_log.filters):
    _pool_log.addFilter(_NoRetryWarnings())


def cause(exc: BaseException) -> str:
    """A short, fixed-vocabulary reason for a network failure (no URL, no object repr)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, u3.MaxRetryError) and current.reason is not None:
            current = current.reason
            continue
        if isinstance(current, u3.NameResolutionError | socket.gaierror):
            return "host name not resolved"
        if isinstance(current, u3.SSLError | ssl.SSLError):
            return "TLS failure"
        if isinstance(current, u3.NewConnectionError):
            # urllib3 raises it "from" the socket's OSError
            inner = current.__cause__ or current.__context__
            if inner is None:
                return "connection failed"
            current = inner
            continue
        if isinstance(current, u3.TimeoutError | TimeoutError | socket.timeout):
            return "timed out"
        if isinstance(current, http.client.RemoteDisconnected):
            return "connection closed by the server"
        if isinstance(current, u3.ProtocolError):
            inner = next((a for a in current.args if isinstance(a, BaseException)), None)
            if inner is None:
                return "connection broken"
            current = inner
            continue
        if isinstance(current, OSError) and current.errno is not None:
            return _ERRNO_TEXT.get(current.errno) or os.strerror(current.errno).lower()
        if isinstance(current, http.client.HTTPException | u3.HTTPError | OSError):
            return "connection broken"
        current = current.__cause__ or current.__context__
    return "connection failed"


def unavailable(what: str, exc: BaseException) -> ClusterUnavailableError:
    """The temporary error for a failed call doing ``what`` (``read secret ns/name``)."""
    if isinstance(exc, ApiException) and exc.status:
        retry_after = _retry_after(exc)
        message = api_message(exc)
        answer = f"{exc.status}: {message}" if message else str(exc.status)
        return ClusterUnavailableError(
            f"could not {what}: the API server answered {answer}", retry_after=retry_after
        )
    reason = "TLS failure" if isinstance(exc, ApiException) else cause(exc)
    return ClusterUnavailableError(f"could not {what}: the API server is unreachable ({reason})")


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, ApiException):
        # status 0: the client turned a TLS failure into an ApiException
        return exc.status in _BUSY or (not exc.status and "SSLError" in str(exc.reason))
    return isinstance(exc, u3.HTTPError | OSError | http.client.HTTPException)


def api_call(what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the client without its model classes (plain JSON is faster and keeps every field);
    see the module docstring for what is raised."""
    kwargs.setdefault("_request_timeout", REQUEST_TIMEOUT)
    try:
        response = call(*args, _preload_content=False, **kwargs)
        return json.loads(response.data or b"null")
    except Exception as exc:
        if is_unavailable(exc):
            raise unavailable(what, exc) from None
        raise


def api_message(exc: ApiException) -> str:
    try:
        return str(json.loads(exc.body or b"{}").get("message") or exc.reason or "")
    except (ValueError, AttributeError):
        return str(exc.reason or "")


def _retry_after(exc: ApiException) -> float | None:
    headers = exc.headers or {}
    try:
        value = float(headers.get("Retry-After") or "")
    except ValueError:
        return None
    return value if value > 0 else None


class Reachability:
    """Says once that the API server went away and once that it is back, rather than a line
    for every call that fails meanwhile."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._log = logger
        self._what = what
        self._lock = threading.Lock()
        self.failures = 0

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self.failures += 1
            first = self.failures == 1
        if first:
            self._log.warning("%s: %s; retrying", self._what, error)
        else:
            self._log.debug("%s: %s", self._what, error)

    def succeeded(self) -> None:
        with self._lock:
            failures, self.failures = self.failures, 0
        if failures:
            self._log.info("%s: working again after %d failed attempt(s)", self._what, failures)
