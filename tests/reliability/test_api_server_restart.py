"""Scenario 2 (docs/reliability.md): the kube-apiserver stops and starts again, etcd kept.

The operator talks to one API server. While it is stopped, the cluster changes through a second
API server over the same etcd (as in a cluster with several), and AWS changes: a synced Secret is
edited by hand, another one's AWS value changes. Once the first API server is back the operator
lists again (every watch: ``extsecrets_kube_lists_total`` goes from 1 to exactly 2), repairs the
edit and writes the new value, and nothing else: the API server's audit log counts the writes per
Secret (exactly one create each, one more for each of the two changed) and the conflicts it
answered, which ``extsecrets_kube_write_conflicts_total`` must equal.

Runs on an API server of this module's own (tests/kube/apiserver.sh in a folder of its own), as
it stops it. An operator started while that API server is away waits (not ready, no traceback)
and syncs once it is back.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any

import pytest
from aws_kit import client
from operator_kit import wait_for
from reliability import kube_scenarios
from reliability.kube_scenarios import World, b64, metric, scale, secret_writes

own_cluster = pytest.fixture(scope="module")(kube_scenarios.own_cluster)
operators = pytest.fixture(kube_scenarios.operators)

#: short enough that the AWS change is read soon after the API server is back
REFRESH = 10
#: how long the API server stays away at least (the long variant: past the 60 s after which
#: an operator started meanwhile used to give up)
DOWN = scale(5, 75)
INFORMERS = (
    "externalsecrets",
    "secretstores",
    "clustersecretstores",
    "managed-secrets",
    "namespaces",
)


def test_api_server_restart(own_cluster, aws, operators, monkeypatch, caplog, figures) -> None:
    n = scale(20, 200)
    cluster = own_cluster
    sm = client(aws, "secretsmanager")
    world = World(cluster.kube, sm, n, refresh=f"{REFRESH}s").create()
    # ExternalSecrets of an operator that starts while the API server is away
    later = World(cluster.kube, sm, 3).create()
    try:
        operator = operators.start("--namespace", world.ns)
        wait_for(lambda: world.problems() == [], 120, "the first sync", interval=0.5)
        assert _lists(operator) == dict.fromkeys(INFORMERS, 1.0)
        edited, changed = world.name(0), world.name(1)

        cluster.stop_apiserver()
        stopped = time.monotonic()
        try:
            late = operators.start("--namespace", later.ns, wait=False)
            _waits_for_the_caches_in_process(cluster, monkeypatch, caplog)
            wait_for(
                lambda: "informer managed-secrets: could not" in operator.logs(),
                60,
                "the operator to see its watch fail",
            )
            other = cluster.start_extra_apiserver()
            other.core.patch_namespaced_secret(
                edited, world.ns, {"data": {"password": b64("edited by hand")}}
            )
            world.put_value(1, "pw-1-1")
            cluster.stop_extra_apiserver()
            _not_ready_meanwhile(late, stopped + DOWN)
            assert operator.process.poll() is None
        finally:
            restarting = time.monotonic()
            cluster.start_apiserver()
        back = time.monotonic()
        back_at = dt.datetime.now(dt.UTC)

        wait_for(world.synced, 120, "the edit repaired and the new value written", interval=0.5)
        repaired = time.monotonic()
        wait_for(lambda: world.problems() == [], 60, "every ExternalSecret Ready", interval=0.5)
        # one more refresh of everything: it reads AWS again and must write nothing
        wait_for(
            lambda: world.problems(since=back_at + dt.timedelta(seconds=REFRESH)) == [],
            120,
            "a refresh after the restart",
            interval=0.5,
        )
        scrape = operator.scrape()
        conflicts = metric(scrape, "extsecrets_kube_write_conflicts_total", object="secret")
        lists = _lists(operator)
        # the operator started meanwhile syncs once the API server is back
        late.wait_ready(120)
        wait_for(lambda: later.problems() == [], 120, "the late operator's sync", interval=0.5)
    finally:
        operators.stop_all()

    writes = world.operator_writes(cluster)
    expected = {world.name(i): 1 for i in range(n)} | {edited: 2, changed: 2}
    assert secret_writes(writes) == expected
    assert [w for w in writes if not w.ok and w.code != 409] == []
    answered_conflicts = sum(1 for w in writes if w.code == 409)
    assert conflicts == answered_conflicts
    # the hand edit was the only other write to those Secrets
    others = [w for w in cluster.writes(world.ns) if w.resource == "secrets" and w.identity is None]
    assert [(w.verb, w.name) for w in others if w.name in world.values] == [("patch", edited)]
    # every watch listed again, once
    assert lists == dict.fromkeys(INFORMERS, 2.0)
    # the late operator waited without a traceback (it used to give up after 60 s)
    assert late.process.returncode == 0
    assert "Traceback" not in late.logs()
    if DOWN > 60:
        assert "caches not synced yet; still waiting" in late.logs()
    figures("externalsecrets", n)
    figures("api_server_away_s", round(restarting - stopped, 1))
    figures("api_server_start_s", round(back - restarting, 1))
    figures("repaired_after_api_server_start_s", round(repaired - restarting, 1))
    figures("secret_writes_by_operator", sum(secret_writes(writes).values()))
    figures("conflicts_retried", int(conflicts))
    figures("relists_per_watch", 1)


def _lists(operator: Any) -> dict[str, float]:
    scrape = operator.scrape()
    return {i: metric(scrape, "extsecrets_kube_lists_total", informer=i) for i in INFORMERS}


def _not_ready_meanwhile(late: Any, until: float) -> None:
    """`extsecrets run` started with the API server down serves its health, keeps waiting and
    is not ready, until ``until`` (monotonic)."""
    wait_for(lambda: late.get("/healthz")[0] == 200, 60, "the late operator's health endpoint")
    while True:
        assert late.get("/readyz") == (503, "not ready")
        assert late.process.poll() is None
        if time.monotonic() >= until:
            return
        time.sleep(1)


def _waits_for_the_caches_in_process(cluster: Any, monkeypatch: Any, caplog: Any) -> None:
    """Regression, in this process with the 60 s made 1 s: the watches not listed in time are a
    warning naming them, again every wait, never a traceback, and a shutdown meanwhile stops it
    (the API server is down)."""
    from extsecrets.operator import run
    from extsecrets.plugins import PluginHost

    monkeypatch.setattr(run, "SYNC_WAIT", 1.0)
    options = run.Options(kubeconfig=cluster.kubeconfig, metrics_addr="0", health_addr="0")
    in_process = run.Operator(PluginHost.from_plugins({}), options)
    thread = threading.Thread(target=in_process.run, daemon=True)
    with caplog.at_level(logging.INFO):
        thread.start()
        wait_for(
            lambda: caplog.text.count("caches not synced yet; still waiting") >= 2,
            30,
            "two warnings",
        )
        assert not in_process.ready()
        in_process.shutdown()
        thread.join(30)
    assert not thread.is_alive()
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    waiting = {getattr(r, "waiting_for", "") for r in caplog.records if "still" in r.getMessage()}
    assert waiting == {", ".join(INFORMERS)}


def test_a_conflict_is_counted_and_the_next_attempt_writes_over_the_server_copy(
    own_cluster,
) -> None:
    """Regression: the cache of managed Secrets is older than the API server (an edit its
    watch has not delivered: here, no watch runs). The update conflicts and is counted; the
    adapter then reads the Secret, so the engine's next attempt, which reads the cache, writes
    over the server's copy (it used to read the same stale copy and conflict on every attempt,
    failing the sync)."""
    from prometheus_client import CollectorRegistry, generate_latest

    from extsecrets.cluster.kube import KubeCluster
    from extsecrets.cluster.objects import SecretObject
    from extsecrets.cluster.port import ConflictError
    from extsecrets.operator.run import ClusterMetrics
    from extsecrets.plugins import PluginHost
    from extsecrets.sync.target import MANAGED_LABEL

    kube = own_cluster.kube
    ns = kube.namespace("conflict")
    cluster = KubeCluster(kube.api, PluginHost.from_plugins({}))
    labels = {MANAGED_LABEL: "true"}
    created = cluster.create_secret(
        SecretObject(ns, "s", {"a": b"1"}, labels=labels), "test", frozenset({"a"})
    )
    kube.core.patch_namespaced_secret("s", ns, {"data": {"a": b64("by hand")}})
    cached = cluster.get_secret(ns, "s")
    assert cached is not None
    assert cached.resource_version == created.resource_version
    with pytest.raises(ConflictError):
        cluster.update_secret(
            SecretObject(
                ns, "s", {"a": b"2"}, labels=labels, resource_version=created.resource_version
            ),
            "test",
            frozenset({"a"}),
        )
    assert cluster.conflicts == {"secret": 1}
    registry = CollectorRegistry()
    registry.register(ClusterMetrics(cluster))
    page = generate_latest(registry).decode()
    assert metric(page, "extsecrets_kube_write_conflicts_total", object="secret") == 1
    assert metric(page, "extsecrets_kube_write_conflicts_total", object="finalizers") == 0
    fresh = cluster.get_secret(ns, "s")
    assert fresh is not None
    assert fresh.data == {"a": b"by hand"}
    server = kube.core.read_namespaced_secret("s", ns)
    assert fresh.resource_version == server.metadata.resource_version
    stored = cluster.update_secret(
        SecretObject(ns, "s", {"a": b"2"}, labels=labels, resource_version=fresh.resource_version),
        "test",
        frozenset({"a"}),
    )
    assert stored.data == {"a": b"2"}
    assert cluster.conflicts == {"secret": 1}
