"""When a provider read is due (spec §6.1), and the operator's delay queue."""

from __future__ import annotations

import datetime as dt
import time

import attrs
import pytest
import yaml

from extsecrets.cluster.objects import ExternalSecretStatus, SecretObject
from extsecrets.model import ExternalSecret, structure
from extsecrets.operator.scheduler import Scheduler
from extsecrets.sync.keys import data_hash
from extsecrets.sync.schedule import (
    REFRESH_BY_ANNOTATION,
    RENEW_FLOOR,
    annotated_refresh_by,
    grid_point,
    periodic,
    refresh_by,
    refresh_period,
    renew_delay,
    store_fraction,
    store_group,
    sync_needed,
    target_valid,
    with_refresh_by,
)
from extsecrets.sync.status import synced_resource_version

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def es(**spec: object) -> ExternalSecret:
    doc = yaml.safe_load(
        """
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: e, namespace: app, generation: 3, labels: {a: b}}
spec:
  secretStoreRef: {name: s}
  data: [{secretKey: k, remoteRef: {key: k}}]
"""
    )
    doc["spec"].update(spec)
    obj, problems = structure(doc, ExternalSecret)
    assert obj is not None, problems
    return obj


def synced(e: ExternalSecret, minutes_ago: float) -> ExternalSecretStatus:
    return ExternalSecretStatus(
        refresh_time=NOW - dt.timedelta(minutes=minutes_ago),
        synced_resource_version=synced_resource_version(e),
    )


def test_periodic_refresh() -> None:
    e = es(refreshInterval="1h")
    assert sync_needed(e, ExternalSecretStatus(), NOW)  # never synced
    assert not sync_needed(e, synced(e, 30), NOW)  # otherwise, when the grid says
    last = synced(e, 30).refresh_time
    assert last is not None
    at = periodic(e, last.timestamp(), 0.25)
    assert at is not None
    assert last.timestamp() < at <= last.timestamp() + 3600.25
    assert refresh_period(e) == 3600


def test_a_metadata_change_forces_a_refresh() -> None:
    e = es(refreshInterval="1h")
    status = synced(e, 1)
    touched = attrs.evolve(
        e, metadata=attrs.evolve(e.metadata, annotations={"external-secrets.io/force-sync": "1"})
    )
    assert sync_needed(touched, status, NOW)


def test_refresh_interval_zero_fetches_once_even_after_spec_edits() -> None:
    e = es(refreshInterval="0s")
    status = synced(e, 600)
    edited = attrs.evolve(e, metadata=attrs.evolve(e.metadata, generation=4))
    assert not sync_needed(edited, status, NOW)
    assert periodic(e, NOW.timestamp(), 0.25) is None


@pytest.mark.parametrize(
    ("policy", "edited", "due"),
    [("CreatedOnce", True, False), ("OnChange", True, True), ("OnChange", False, False)],
)
def test_refresh_policies(policy: str, edited: bool, due: bool) -> None:
    e = es(refreshPolicy=policy)
    status = synced(e, 6000)
    current = attrs.evolve(e, metadata=attrs.evolve(e.metadata, generation=9)) if edited else e
    assert sync_needed(current, status, NOW) is due
    assert refresh_period(current) is None  # no periodic refresh


def test_target_validity() -> None:
    e = es()
    good = SecretObject(
        "app",
        "e",
        {"k": b"v"},
        labels={"reconcile.external-secrets.io/managed": "true"},
        annotations={"reconcile.external-secrets.io/data-hash": data_hash({"k": b"v"})},
    )
    assert target_valid(e, good)
    assert not target_valid(e, None)
    assert not target_valid(e, attrs.evolve(good, data={"k": b"edited by hand"}))
    assert not target_valid(e, attrs.evolve(good, labels={}))
    assert target_valid(es(target={"creationPolicy": "Orphan"}), None)


def test_scheduler_keeps_the_earliest_time_and_returns_due_keys_in_order() -> None:
    queue = Scheduler()
    now = time.monotonic()
    queue.schedule("b", now - 1)
    queue.schedule("a", now - 2)
    queue.schedule("later", now + 60)
    queue.schedule("later", now - 3)  # earlier wins
    queue.schedule("a", now + 100)  # later is ignored
    assert queue.take(10, wait=0) == ["later", "a", "b"]
    assert queue.take(10, wait=0.05) == []
    assert len(queue) == 0


# --- the store grid, expiring values, the queue's window -----------------------------------------

STORE = ("SecretStore", "app", "s")


def test_a_store_s_refreshes_fall_on_one_grid_never_later_than_the_interval() -> None:
    e = es(refreshInterval="60s")
    start = NOW.timestamp()
    plans = {periodic(e, start + i * 0.5, 0.25) for i in range(119)}  # syncs over one minute
    # two grid points at most (before and after the one the minute straddles), the same floats
    assert len(plans) <= 2
    for i in range(119):
        synced_at = start + i * 0.5
        at = periodic(e, synced_at, 0.25)
        assert at is not None
        assert synced_at + 0.25 < at <= synced_at + 60.25
        assert at == grid_point(at, 60, STORE)
    # once on the grid, exactly one interval apart
    on = periodic(e, start, 0.25)
    assert on is not None
    assert periodic(e, on, 0.25) == on + 60


def test_stores_have_their_own_grids() -> None:
    a = grid_point(NOW.timestamp(), 3600, ("SecretStore", "app", "a"))
    b = grid_point(NOW.timestamp(), 3600, ("SecretStore", "app", "b"))
    assert a != b
    assert 0 <= store_fraction(("SecretStore", "app", "a")) < 1


def test_the_store_an_external_secret_reads() -> None:
    assert store_group(es()) == STORE
    cluster = es(secretStoreRef={"kind": "ClusterSecretStore", "name": "c"})
    assert store_group(cluster) == ("ClusterSecretStore", "", "c")
    per_entry = es(
        secretStoreRef=None,
        data=[
            {"secretKey": "k", "remoteRef": {"key": "k"}, "sourceRef": {"storeRef": {"name": "x"}}}
        ],
    )
    assert store_group(per_entry) == ("SecretStore", "app", "x")
    generated = es(
        secretStoreRef=None,
        data=[],
        dataFrom=[{"sourceRef": {"generatorRef": {"kind": "ECRAuthorizationToken", "name": "g"}}}],
    )
    assert store_group(generated) == ("ExternalSecret", "app", "e")


@pytest.mark.parametrize(
    ("life", "delay"),
    [(12 * 3600, 12 * 3600 - 300), (600, 300), (60, 30), (0, 0), (-100, 0)],
)
def test_renewal_comes_5_minutes_or_half_the_remaining_life_before_expiry(
    life: float, delay: float
) -> None:
    assert renew_delay(NOW + dt.timedelta(seconds=life), NOW) == delay


def test_renewal_respects_the_floor_and_the_refresh_policy() -> None:
    t = NOW.timestamp()
    assert refresh_by(es(), t, t + 30) == t + 30
    assert refresh_by(es(), t, t) == t + RENEW_FLOOR  # arrived expired: not in a loop
    assert refresh_by(es(), t, None) is None
    assert refresh_by(es(refreshPolicy="CreatedOnce"), t, t + 30) is None


def test_a_sync_is_needed_whatever_the_time_when_new_or_changed() -> None:
    e = es(refreshInterval="1h")
    assert not sync_needed(e, synced(e, 6000), NOW)  # only overdue: that is the grid's call
    edited = attrs.evolve(e, metadata=attrs.evolve(e.metadata, generation=4))
    assert sync_needed(edited, synced(e, 1), NOW)
    assert sync_needed(e, synced(e, -5), NOW)  # refreshTime in the future: clock skew, as ESO


def test_the_refresh_by_annotation() -> None:
    e = es(refreshInterval="24h")
    secret = SecretObject("app", "e", {"k": b"v"}, annotations={"other": "kept"})
    marked = with_refresh_by(secret, e, 3300.0, NOW)
    assert marked.annotations == {"other": "kept", REFRESH_BY_ANNOTATION: "2026-06-01T12:55:00Z"}
    assert annotated_refresh_by(marked) == (NOW + dt.timedelta(seconds=3300)).timestamp()
    # the interval, not an expiry: no annotation, and an old one goes
    assert with_refresh_by(secret, e, 86400.0, NOW) is secret
    assert with_refresh_by(marked, e, 86400.0, NOW).annotations == {"other": "kept"}
    assert annotated_refresh_by(secret) is None
    assert (
        annotated_refresh_by(attrs.evolve(secret, annotations={REFRESH_BY_ANNOTATION: "x"})) is None
    )


def test_the_queue_takes_what_falls_due_within_its_window_once_one_key_is_due() -> None:
    clock = [100.0]
    queue = Scheduler(lambda: clock[0], window=0.25)
    queue.schedule("a", 101.0)
    queue.schedule("b", 101.2)
    queue.schedule("c", 101.3)
    assert queue.next_due() == 101.0
    assert queue.take(10, wait=0) == []  # nothing due yet: nothing taken early
    clock[0] = 101.0
    assert queue.take(10, wait=0) == ["a", "b"]
    queue.forget("c")
    assert queue.next_due() is None
    assert len(queue) == 0
