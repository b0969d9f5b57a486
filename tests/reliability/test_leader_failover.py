"""Scenario 4 (docs/reliability.md): two replicas with ``--leader-elect``; the leader is lost in
the middle of the first sync of many ExternalSecrets.

Both replicas use the same field managers (one per ExternalSecret), so managedFields cannot
tell them apart. Each process sends its own identity (the one it puts in the Lease) in its
User-Agent, ``extsecrets/<version> (<identity>)``, and the API server's audit log records the
User-Agent of every write: that log is the write log checked here. The writes of the old leader
all come before the first write of the new one; every Secret is created exactly once over both.

- killed (SIGKILL): the standby takes the lease once it has not been renewed for its
  leaseDurationSeconds (never earlier: checked on the Lease's own times), within a wait bounded
  by the lease settings, and finishes the sync;
- frozen (SIGSTOP, as a process starved or paused), then thawed once the other leads and wrote:
  the old leader's batch was half done, yet it starts no write any more (every write first
  checks that the lease was renewed within the renew deadline) and exits 1 (lost lease). A
  check on the client cannot stop a write that had passed it when the process froze: at most
  one per engine worker may still arrive (counted, and bounded by --concurrency).

Runs on an API server of this module's own, whose audit log is on.
"""

from __future__ import annotations

import datetime as dt
import signal
import time
from collections import Counter
from typing import Any

import pytest
from aws_kit import client
from kubernetes import client as k8s
from operator_kit import wait_for
from reliability import kube_scenarios
from reliability.kube_scenarios import (
    Operators,
    World,
    identity_of,
    parse_time,
    scale,
    secret_writes,
)

from extsecrets.operator.leader import LEASE_DURATION, RETRY_PERIOD

own_cluster = pytest.fixture(scope="module")(kube_scenarios.own_cluster)
operators = pytest.fixture(kube_scenarios.operators)

CONCURRENCY = 4
ARGS = ("--batch-size", "25", "--concurrency", str(CONCURRENCY))
#: the standby retries every RETRY_PERIOD and may take a lease not renewed for LEASE_DURATION:
#: from the kill, at most one renewal period passed since the last renewal, so it takes over
#: within LEASE_DURATION + 2 * RETRY_PERIOD; the wait allows twice that on a busy machine
TAKEOVER_WAIT = 2 * (LEASE_DURATION + 2 * RETRY_PERIOD)


def _lease(kube: Any, ns: str) -> Any:
    return k8s.CoordinationV1Api(kube.api).read_namespaced_lease("lease", ns).spec


def _leader_mid_sync(world: World, operators: Operators) -> tuple[Any, Any, str, str]:
    """Two replicas: the first leads (its identity holds the lease), the second waits; then the
    ExternalSecrets are made, and a quarter of them synced."""
    args = (
        "--namespace",
        world.ns,
        "--leader-elect",
        "--leader-election-namespace",
        world.ns,
        "--lease-name",
        "lease",
        *ARGS,
    )
    leader = operators.start(*args)
    leader_id = identity_of(leader)
    assert _lease(world.kube, world.ns).holder_identity == leader_id
    standby = operators.start(*args, wait=False)
    standby_id = identity_of(standby)
    wait_for(lambda: standby.get("/healthz")[0] == 200, 60, "the standby's health endpoint")
    assert standby.get("/readyz") == (503, "not ready")
    world.create_external_secrets()
    world.wait_part_synced()
    return leader, standby, leader_id, standby_id


def _world(own_cluster: Any, aws: Any, n: int) -> World:
    return World(own_cluster.kube, client(aws, "secretsmanager"), n).create(external_secrets=False)


def _writes_by(world: World, cluster: Any, *identities: str) -> dict[str, list[Any]]:
    """Every write of the namespace by an operator (Secrets, ExternalSecrets and their
    status, the Lease), by identity; no other operator wrote."""
    out: dict[str, list[Any]] = {i: [] for i in identities}
    for write in cluster.writes(world.ns):
        if write.identity is not None:
            out[write.identity].append(write)
    return out


def _not_interleaved(old: list[Any], new: list[Any], resources: set[str]) -> None:
    old = [w for w in old if w.resource in resources and w.ok]
    new = [w for w in new if w.resource in resources and w.ok]
    assert old
    assert new
    assert max(w.answered for w in old) < min(w.received for w in new)


WRITES = {"secrets", "externalsecrets", "externalsecrets/status"}


def test_leader_killed_mid_sync(own_cluster, aws, operators, figures) -> None:
    n = scale(200, 1000)
    world = _world(own_cluster, aws, n)
    try:
        leader, standby, leader_id, standby_id = _leader_mid_sync(world, operators)
        leader.stop(signal.SIGKILL)
        killed_at = dt.datetime.now(dt.UTC)
        done_at_kill = len(world.secrets())
        assert done_at_kill < n, "the kill must fall in the middle of the first sync"
        last_renewal = parse_time(_lease(world.kube, world.ns).renew_time.isoformat())
        wait_for(
            lambda: _lease(world.kube, world.ns).holder_identity == standby_id,
            TAKEOVER_WAIT,
            "the standby to take the lease",
        )
        taken = _lease(world.kube, world.ns)
        standby.wait_ready(60)
        wait_for(lambda: world.problems() == [], 300, "the new leader's sync", interval=0.5)
        converged_at = dt.datetime.now(dt.UTC)
    finally:
        operators.stop_all()

    acquired = parse_time(taken.acquire_time.isoformat())
    # never before the old lease expired, by the Lease's own times
    assert acquired >= last_renewal + dt.timedelta(seconds=taken.lease_duration_seconds)
    assert taken.lease_duration_seconds == LEASE_DURATION
    writes = _writes_by(world, own_cluster, leader_id, standby_id)
    _not_interleaved(writes[leader_id], writes[standby_id], WRITES)
    assert min(w.received for w in writes[standby_id] if w.resource in WRITES) >= acquired
    secrets = [w for ws in writes.values() for w in ws if w.resource == "secrets"]
    assert secret_writes(secrets) == {world.name(i): 1 for i in range(n)}
    figures("externalsecrets", n)
    figures("lease_duration_s", LEASE_DURATION)
    figures("retry_period_s", RETRY_PERIOD)
    figures("secrets_at_kill", done_at_kill)
    figures("takeover_after_kill_s", round((acquired - killed_at).total_seconds(), 1))
    figures("takeover_after_last_renewal_s", round((acquired - last_renewal).total_seconds(), 1))
    figures("converged_after_takeover_s", round((converged_at - acquired).total_seconds(), 1))
    figures(
        "secrets_written_by_old_and_new_leader",
        (
            sum(1 for w in secrets if w.ok and w.identity == leader_id),
            sum(1 for w in secrets if w.ok and w.identity == standby_id),
        ),
    )
    # refused writes (a conflict, the API server too busy), retried: by who, verb and answer
    figures(
        "secret_writes_refused",
        sorted(
            Counter(
                ("old" if w.identity == leader_id else "new", w.verb, w.code)
                for w in secrets
                if not w.ok
            ).items()
        ),
    )


def test_a_frozen_leader_writes_nothing_once_thawed(own_cluster, aws, operators, figures) -> None:
    n = scale(200, 400)
    world = _world(own_cluster, aws, n)
    try:
        leader, _standby, leader_id, standby_id = _leader_mid_sync(world, operators)
        leader.process.send_signal(signal.SIGSTOP)
        frozen = time.monotonic()
        done_at_freeze = len(world.secrets())
        assert done_at_freeze < n
        wait_for(
            lambda: _lease(world.kube, world.ns).holder_identity == standby_id,
            TAKEOVER_WAIT,
            "the standby to take the lease",
        )
        # the new leader writes ...
        wait_for(
            lambda: any(
                w.resource == "secrets" and w.ok
                for w in _writes_by(world, own_cluster, leader_id, standby_id)[standby_id]
            ),
            120,
            "the new leader's first Secret",
        )
        # ... and the old one wakes up in the middle of its batch
        leader.process.send_signal(signal.SIGCONT)
        thawed = time.monotonic()
        assert leader.process.wait(60) == 1
        wait_for(lambda: world.problems() == [], 300, "the new leader's sync", interval=0.5)
    finally:
        operators.stop_all()

    assert "lost the leader lease" in leader.logs()
    assert "Traceback" not in leader.logs()
    writes = _writes_by(world, own_cluster, leader_id, standby_id)
    old = [w for w in writes[leader_id] if w.ok]
    first_new = min(w.received for w in writes[standby_id] if w.ok)
    # A write already past its check when the process froze goes out when it thaws: at most one
    # per engine worker. Nothing else: no renewal, no new batch, no status.
    late = [w for w in old if w.answered > first_new]
    assert len(late) <= CONCURRENCY
    assert {w.resource for w in late} <= WRITES
    secrets = [w for ws in writes.values() for w in ws if w.resource == "secrets"]
    assert secret_writes(secrets) == {world.name(i): 1 for i in range(n)}
    figures("externalsecrets", n)
    figures("secrets_at_freeze", done_at_freeze)
    figures("frozen_s", round(thawed - frozen, 1))
    figures("writes_in_flight_at_freeze_answered_late", len(late))
    figures("writes_refused_after_thaw", leader.logs().count("does not hold the leader lease"))
