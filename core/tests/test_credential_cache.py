"""The credential cache renews ahead of expiry and stays bounded."""

from __future__ import annotations

import datetime as dt

from extsecrets.sync.credentials import CredentialCache
from extsecrets.types import Credentials

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def test_entries_are_renewed_a_margin_before_expiry() -> None:
    clock = Clock()
    cache = CredentialCache(clock=clock)
    creds = Credentials("c", expires_at=T0 + dt.timedelta(hours=1))
    cache.put("k", creds)
    clock.now = T0 + dt.timedelta(minutes=54)
    assert cache.get("k") is creds
    clock.now = T0 + dt.timedelta(minutes=55)
    assert cache.get("k") is None


def test_short_lived_credentials_are_kept_for_half_their_life() -> None:
    clock = Clock()
    cache = CredentialCache(clock=clock)
    cache.put("k", Credentials("c", expires_at=T0 + dt.timedelta(minutes=4)))
    clock.now = T0 + dt.timedelta(minutes=1, seconds=59)
    assert cache.get("k") is not None
    clock.now = T0 + dt.timedelta(minutes=2)
    assert cache.get("k") is None


def test_credentials_without_expiry_stay_and_the_cache_is_bounded() -> None:
    cache = CredentialCache(max_entries=2, clock=Clock())
    for key in "abc":
        cache.put(key, Credentials(key))
    assert cache.get("a") is None
    assert cache.get("b") is not None
    assert cache.get("c") is not None
    assert len(cache) == 2
