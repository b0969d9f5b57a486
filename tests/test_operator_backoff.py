"""How the operator backs off while a store fails (docs/operator.md, "Retries per store"): the
controller and the engine on a clock the test moves, with the fake plugin, whose fetch calls are
the provider calls. Regression tests of the defects the AWS outage scenario exposed
(tests/reliability/test_aws_outage.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from engine_kit import external_secret, ref, store
from schedule_kit import ControllerView, Operator, VirtualTime

from extsecrets.cluster.local import LocalCluster
from extsecrets.operator.controller import MIN_PAUSE

KEYS = [f"k{i}" for i in range(4)]
VALUES = {k: f"value-of-{k}" for k in KEYS}
START = 1_700_000_000.0


@pytest.fixture(autouse=True)
def _real_clock_after(fake_plugin: tuple[Any, Any]) -> Iterator[None]:
    """The fake plugin is shared by the session: give it back the wall clock."""
    yield
    fake_plugin[1].CLOCK = fake_plugin[1]._wall_clock


def operator(fake_plugin: tuple[Any, Any], start: float, seed: int = 7) -> Operator:
    host, plugin = fake_plugin
    plugin.CALLS.clear()
    view = ControllerView(LocalCluster(host), host)
    return Operator(host, plugin, view, VirtualTime(start), seed=seed)


def synced(op: Operator, interval: str, count: int = len(KEYS)) -> None:
    op.added(store(data=VALUES))
    for n in range(count):
        op.added(
            external_secret(
                f"e{n}", store_name="s", refreshInterval=interval, data=[ref("v", KEYS[n])]
            )
        )
    op.run_until(op.clock.t + 60)
    assert ready(op, count) == {"True"}


def ready(op: Operator, count: int = len(KEYS)) -> set[str]:
    return {op.view.status("app", f"e{n}").condition("Ready").status for n in range(count)}


def slow_failures(op: Operator, seconds: float) -> list[tuple[float, float]]:
    """From now on each sync takes ``seconds`` of the test's clock (a throttled provider:
    botocore waits between attempts, chunk after chunk). Returns the (start, end) of each."""
    cycles: list[tuple[float, float]] = []
    sync = op.engine.sync

    def slow(items: Any) -> Any:
        began = op.clock.t
        out = sync(items)
        op.clock.t += seconds
        cycles.append((began, op.clock.t))
        return out

    op.engine.sync = slow  # type: ignore[method-assign]
    return cycles


def test_a_failing_cycle_longer_than_the_interval_is_followed_by_a_pause(fake_plugin) -> None:
    """A failed cycle that outlasted refreshInterval (10 s here, the cycle 12 s) was retried
    at the store's next grid point, already past: the next cycle began the moment the last
    ended, for as long as the outage lasted (a retry storm against a throttling AWS)."""
    op = operator(fake_plugin, START)
    synced(op, "10s")
    cycles = slow_failures(op, 12.0)
    op.view.add(store(data=VALUES, fail="temporary"))
    outage = op.clock.t
    op.run_until(outage + 120, max_cycles=op.cycles + 100)
    assert len(cycles) >= 5
    pauses = [b[0] - a[1] for a, b in itertools.pairwise(cycles)]
    assert min(pauses) >= MIN_PAUSE, pauses
    # at least the backoff's pause after each cycle: at most 120 / (12 + 4.5) + 1 cycles
    assert len(cycles) <= int(120 // (12 + MIN_PAUSE)) + 1
    assert ready(op) == {"False"}


@pytest.mark.parametrize("seed", [9, 22, 29])
def test_a_retry_just_before_a_grid_point_is_not_followed_by_another_on_it(
    fake_plugin, seed: int
) -> None:
    """With refreshInterval 15 s the second retry (5 s, then 10 s, ±10 %) can fall just
    before the store's next grid point; the retry after it was capped at that grid point and
    came a fraction of a second later: two reads of the whole store 0.26 s apart. These
    seeds and start times gave 0.26, 0.26 and 0.29 s."""
    op = operator(fake_plugin, START + seed * 0.37, seed=seed)
    synced(op, "15s")
    op.run_until(op.clock.t + (seed % 17) * 1.13)
    op.view.add(store(data=VALUES, fail="temporary"))
    outage = op.clock.t
    op.run_until(outage + 200)
    failed = [t for t, _ in op.fetches(outage)]
    assert len(failed) >= 10
    gaps = [b - a for a, b in itertools.pairwise(failed)]
    assert min(gaps) >= MIN_PAUSE, gaps


def test_an_external_secret_failing_for_hours_is_still_retried(fake_plugin) -> None:
    """The backoff was ``5 * 2 ** (failures - 1)`` before taking the minimum with 5 min: at
    the 1,025th failure in a row 2**1024 did not fit a float and the OverflowError ended the
    reconcile loop (a store failing for 1.5 h under a 5 s refreshInterval; 85 h otherwise)."""
    op = operator(fake_plugin, START)
    synced(op, "5s", count=1)
    op.view.add(store(data=VALUES, fail="permanent"))
    outage = op.clock.t
    # retried on the store's next grid point at least 4.5 s away: every 5 s
    op.run_until(outage + 1_100 * 5, max_cycles=op.cycles + 2_000)
    failed = [t for t, _ in op.fetches(outage)]
    assert len(failed) > 1_025
    # and still on the same rhythm at the end
    gaps = [b - a for a, b in itertools.pairwise(failed[-10:])]
    assert all(MIN_PAUSE <= g <= 10.0 for g in gaps), gaps
    assert ready(op, 1) == {"False"}
