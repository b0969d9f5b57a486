"""Remembering, per identity, that a batch API is denied, so the plugins fall back to
one-by-one reads without asking again every cycle (and say so once)."""

from __future__ import annotations

import logging
import threading
import time

from extsecrets_aws_auth.metrics import FALLBACKS

__all__ = ["DeniedBatches"]

log = logging.getLogger(__name__)


class DeniedBatches:
    """Identities denied a batch operation, forgotten after ``ttl`` seconds (permissions change)."""

    def __init__(self, service: str, operation: str, hint: str, ttl: float = 3600.0) -> None:
        self._service = service
        self._operation = operation
        self._hint = hint
        self._ttl = ttl
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def denied(self, principal: str) -> bool:
        with self._lock:
            until = self._until.get(principal)
            if until is None:
                return False
            if time.monotonic() >= until:
                del self._until[principal]
                return False
            return True

    def remember(self, principal: str) -> None:
        with self._lock:
            first = principal not in self._until
            self._until[principal] = time.monotonic() + self._ttl
        if first:
            FALLBACKS.add(self._service, self._operation, "fallback")
            log.warning(
                "%s is denied for %s: reading one by one instead for the next %d minutes (%s)",
                self._operation,
                principal,
                self._ttl // 60,
                self._hint,
            )
