"""Scenario 3 (docs/reliability.md): the operator is killed (SIGKILL) in the middle of the first
sync of many ExternalSecrets, then started again.

Once the new process has converged, every Secret holds exactly what its ExternalSecret asks for
(every key, every value), and every ExternalSecret is Ready with the syncedResourceVersion of its
spec and a refreshTime: nothing was lost, half written or left stuck. The API server's audit log
shows each Secret created exactly once over both processes (the second one creates only those the
first did not, and rewrites none of those).

Runs on an API server of this module's own, whose audit log is on.
"""

from __future__ import annotations

import signal
import time

import pytest
from aws_kit import client
from operator_kit import wait_for
from reliability import kube_scenarios
from reliability.kube_scenarios import World, identity_of, scale, secret_writes

own_cluster = pytest.fixture(scope="module")(kube_scenarios.own_cluster)
operators = pytest.fixture(kube_scenarios.operators)

#: small batches spread the first sync over time, so the kill falls in the middle of it
ARGS = ("--batch-size", "25", "--concurrency", "4")


def test_operator_killed_mid_sync(own_cluster, aws, operators, figures) -> None:
    n = scale(200, 1000)
    world = World(own_cluster.kube, client(aws, "secretsmanager"), n).create()
    try:
        first = operators.start("--namespace", world.ns, *ARGS)
        started = time.monotonic()
        # the kill falls once a quarter of the Secrets exist
        world.wait_part_synced()
        first.stop(signal.SIGKILL)
        killed = time.monotonic()
        done_at_kill = len(world.secrets())
        not_ready_at_kill = sum(1 for p in world.problems() if "Ready" in p)
        assert 0 < done_at_kill < n, "the kill must fall in the middle of the first sync"

        second = operators.start("--namespace", world.ns, *ARGS)
        restarted = time.monotonic()
        wait_for(lambda: world.problems() == [], 300, "convergence", interval=0.5)
        converged = time.monotonic()
        first_identity, second_identity = identity_of(first), identity_of(second)
    finally:
        operators.stop_all()

    writes = world.operator_writes(own_cluster)
    assert secret_writes(writes) == {world.name(i): 1 for i in range(n)}
    by_first = {w.name for w in writes if w.ok and w.identity == first_identity}
    by_second = {w.name for w in writes if w.ok and w.identity == second_identity}
    assert len(by_first) >= done_at_kill
    assert by_first | by_second == set(world.values)
    assert by_first & by_second == set()
    assert [w for w in writes if not w.ok] == []
    figures("externalsecrets", n)
    figures("first_sync_before_kill_s", round(killed - started, 1))
    figures("secrets_at_kill", done_at_kill)
    figures("secrets_created_by_the_killed_process", len(by_first))
    figures("externalsecrets_not_ready_at_kill", not_ready_at_kill)
    figures("converged_after_restart_s", round(converged - restarted, 1))
