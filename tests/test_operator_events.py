"""Repeated events are counted on one Event object (issue 17: an AWS outage made one Event
object per ExternalSecret per failed cycle), as client-go's event correlator counts them.

Against the real API server: the objects stored are what is asserted."""

from __future__ import annotations

import json
from typing import Any

from operator_kit import Kube, wait_for

from extsecrets.cluster.kube import KubeCluster
from extsecrets.cluster.objects import ObjectRef
from extsecrets.plugins import PluginHost


def _events(kube: Kube, namespace: str) -> list[dict[str, Any]]:
    answer = kube.core.list_namespaced_event(namespace, _preload_content=False)
    items: list[dict[str, Any]] = json.loads(answer.data)["items"]
    return sorted(items, key=lambda e: (e["message"], e["metadata"]["name"]))


def _cluster(kube: Kube) -> KubeCluster:
    return KubeCluster(kube.api, PluginHost.from_plugins({}))


def test_identical_events_are_one_object_with_their_count(kube: Kube) -> None:
    namespace = kube.namespace("events")
    cluster = _cluster(kube)
    es = ObjectRef("external-secrets.io/v1", "ExternalSecret", "app", namespace, "uid-1")
    other = ObjectRef("external-secrets.io/v1", "ExternalSecret", "other", namespace, "uid-2")
    failed = "could not read db/password: the provider answered 503"
    try:
        for _ in range(7):
            cluster.record_event(es, "Warning", "UpdateFailed", failed)
            assert cluster.events.flush(timeout=30)
        # another message, another reason, another object: each an Event of its own
        cluster.record_event(es, "Warning", "UpdateFailed", "throttled")
        cluster.record_event(es, "Normal", "Updated", failed)
        cluster.record_event(other, "Warning", "UpdateFailed", failed)
        # repeats recorded faster than they are sent still count, once each
        for _ in range(50):
            cluster.record_event(es, "Warning", "UpdateFailed", "throttled")
        assert cluster.events.flush(timeout=30)
    finally:
        cluster.stop()
    stored = _events(kube, namespace)
    summary = sorted(
        (e["involvedObject"]["name"], e["type"], e["reason"], e["message"], e["count"])
        for e in stored
    )
    assert summary == [
        ("app", "Normal", "Updated", failed, 1),
        ("app", "Warning", "UpdateFailed", failed, 7),
        ("app", "Warning", "UpdateFailed", "throttled", 51),
        ("other", "Warning", "UpdateFailed", failed, 1),
    ]
    counted = next(e for e in stored if e["count"] == 7)
    assert counted["firstTimestamp"] <= counted["lastTimestamp"]
    assert counted["source"] == {"component": "extsecrets"}
    assert counted["involvedObject"]["uid"] == "uid-1"


def test_an_event_deleted_meanwhile_is_created_again(kube: Kube) -> None:
    """The API server drops Events after its event TTL: a repeat then makes a new object."""
    namespace = kube.namespace("events")
    cluster = _cluster(kube)
    es = ObjectRef("external-secrets.io/v1", "ExternalSecret", "app", namespace, "uid-1")
    try:
        for _ in range(3):
            cluster.record_event(es, "Warning", "UpdateFailed", "down")
        assert cluster.events.flush(timeout=30)
        (first,) = _events(kube, namespace)
        kube.core.delete_namespaced_event(first["metadata"]["name"], namespace)
        wait_for(lambda: not _events(kube, namespace), 30, "the Event deleted")
        cluster.record_event(es, "Warning", "UpdateFailed", "down")
        assert cluster.events.flush(timeout=30)
    finally:
        cluster.stop()
    (again,) = _events(kube, namespace)
    assert again["metadata"]["name"] != first["metadata"]["name"]
    # the count is that of every occurrence this process saw
    assert again["count"] == 4
