"""Remembering, per session, that a batch API is denied, so the plugins fall back to
one-by-one reads without asking again every cycle (and say so once).

The memory belongs to the :class:`~extsecrets_aws_auth.session.AWSSession` that was denied
(held weakly: it goes with the session). A session is what one engine's credential cache holds
for one identity, so two engines (two operators, two tests, two ``render`` runs in one process)
never share a denial, and new credentials (a refresh, changed permissions) ask again.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref

from extsecrets_aws_auth.metrics import FALLBACKS
from extsecrets_aws_auth.session import AWSSession

__all__ = ["DeniedBatches"]

log = logging.getLogger(__name__)


class DeniedBatches:
    """Sessions denied a batch operation, forgotten after ``ttl`` seconds (permissions change)
    or with the session."""

    def __init__(self, service: str, operation: str, hint: str, ttl: float = 3600.0) -> None:
        self._service = service
        self._operation = operation
        self._hint = hint
        self._ttl = ttl
        self._lock = threading.Lock()
        self._until: weakref.WeakKeyDictionary[AWSSession, float] = weakref.WeakKeyDictionary()

    def denied(self, session: AWSSession) -> bool:
        with self._lock:
            until = self._until.get(session)
            if until is None:
                return False
            if time.monotonic() >= until:
                del self._until[session]
                return False
            return True

    def remember(self, session: AWSSession) -> None:
        with self._lock:
            first = session not in self._until
            self._until[session] = time.monotonic() + self._ttl
        if first:
            FALLBACKS.add(self._service, self._operation, "fallback")
            log.warning(
                "%s is denied for %s: reading one by one instead for the next %d minutes (%s)",
                self._operation,
                session.principal,
                self._ttl // 60,
                self._hint,
            )
