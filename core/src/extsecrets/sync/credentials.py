"""Credentials kept across sync cycles until shortly before they expire (spec §0.8).

The key comes from the auth plugin (``extsecrets_credentials_key``) and holds everything that
shapes the credentials, so a rotated static key or a changed role makes a new entry rather than
reusing a stale one. Entries are renewed ahead of expiry by ``margin`` (at most half their
lifetime, so short-lived credentials are still reused for a while).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from extsecrets.types import Credentials

__all__ = ["CredentialCache", "NoCredentialCache"]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CredentialCache:
    """A bounded LRU map from credential key to credentials that are still fresh."""

    def __init__(
        self,
        *,
        margin: dt.timedelta = dt.timedelta(minutes=5),
        max_entries: int = 4096,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.margin = margin
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Credentials, dt.datetime]] = OrderedDict()

    def get(self, key: Hashable) -> Credentials | None:
        """Credentials under ``key`` if they are not yet due for renewal."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            creds, stored_at = entry
            if creds.expires_at is not None:
                margin = min(self.margin, (creds.expires_at - stored_at) / 2)
                if self._clock() >= creds.expires_at - margin:
                    del self._entries[key]
                    return None
            self._entries.move_to_end(key)
            return creds

    def put(self, key: Hashable, credentials: Credentials) -> None:
        with self._lock:
            self._entries[key] = (credentials, self._clock())
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class NoCredentialCache(CredentialCache):
    """Keeps nothing: every sync authenticates anew (how ESO builds credentials on each
    reconcile; used by the benchmark's model of ESO)."""

    def get(self, key: Hashable) -> Credentials | None:
        return None

    def put(self, key: Hashable, credentials: Credentials) -> None:
        return None
