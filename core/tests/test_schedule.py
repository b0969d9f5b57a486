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
from extsecrets.sync.schedule import next_refresh, refresh_due, target_valid
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
    assert refresh_due(e, ExternalSecretStatus(), NOW)  # never synced
    assert not refresh_due(e, synced(e, 30), NOW)
    assert refresh_due(e, synced(e, 60), NOW)
    assert next_refresh(e, synced(e, 30), NOW) == NOW + dt.timedelta(minutes=30)


def test_a_metadata_change_forces_a_refresh() -> None:
    e = es(refreshInterval="1h")
    status = synced(e, 1)
    touched = attrs.evolve(
        e, metadata=attrs.evolve(e.metadata, annotations={"external-secrets.io/force-sync": "1"})
    )
    assert refresh_due(touched, status, NOW)


def test_refresh_interval_zero_fetches_once_even_after_spec_edits() -> None:
    e = es(refreshInterval="0s")
    status = synced(e, 600)
    edited = attrs.evolve(e, metadata=attrs.evolve(e.metadata, generation=4))
    assert not refresh_due(edited, status, NOW)
    assert next_refresh(e, status, NOW) is None


@pytest.mark.parametrize(
    ("policy", "edited", "due"),
    [("CreatedOnce", True, False), ("OnChange", True, True), ("OnChange", False, False)],
)
def test_refresh_policies(policy: str, edited: bool, due: bool) -> None:
    e = es(refreshPolicy=policy)
    status = synced(e, 6000)
    current = attrs.evolve(e, metadata=attrs.evolve(e.metadata, generation=9)) if edited else e
    assert refresh_due(current, status, NOW) is due


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
