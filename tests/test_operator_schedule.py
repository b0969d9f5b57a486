"""When the operator refreshes: the controller and the engine on a clock the test moves, with the
fake plugin (whose calls are the provider calls). A store's ExternalSecrets stay in one batch
whatever their start and however they failed; generated values are renewed before they expire,
also after a restart."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from engine_kit import external_secret, generator, ref, store
from schedule_kit import Operator, new_operator

from extsecrets.sync.schedule import REFRESH_BY_ANNOTATION, grid_point, store_fraction

KEYS = [f"k{i}" for i in range(5)]
VALUES = {k: f"value-of-{k}" for k in KEYS}
# a fixed start, on a whole minute of the wall clock, for the tests that vary the phase
_MINUTE_START = float(int(dt.datetime.now(dt.UTC).timestamp()) // 60 * 60)


def es(n: int, store_name: str = "s", interval: str = "60s") -> dict[str, Any]:
    return external_secret(
        f"e{n}",
        store_name=store_name,
        refreshInterval=interval,
        data=[ref("v", KEYS[n % len(KEYS)])],
    )


@pytest.fixture(autouse=True)
def _real_clock_after(fake_plugin: tuple[Any, Any]) -> Iterator[None]:
    """The fake plugin is shared by the session: give it back the wall clock."""
    yield
    fake_plugin[1].CLOCK = fake_plugin[1]._wall_clock


@pytest.fixture
def op(fake_plugin: tuple[Any, Any]) -> Operator:
    host, plugin = fake_plugin
    plugin.CALLS.clear()
    return new_operator(host, plugin)


def rounds(op: Operator, start: float, count: int, interval: float = 60.0) -> list[list[Any]]:
    """The fetch calls of each of ``count`` intervals from ``start``."""
    op.run_until(start + count * interval)
    return [
        [c for _, c in op.fetches(start + i * interval, start + (i + 1) * interval)]
        for i in range(count)
    ]


def test_external_secrets_created_apart_are_refreshed_in_one_batch(op: Operator) -> None:
    op.added(store(data=VALUES))
    t0 = op.clock.t
    for n in range(20):  # one every 7 s: each first sync is a call of its own
        op.added(es(n))
        op.run_until(op.clock.t + 7)
    # within one interval every one of them is on the store's grid: one call a round, reading
    # all five keys for all twenty
    later = t0 + 20 * 7 + 60
    for calls in rounds(op, later, 8):
        assert [c["keys"] for c in calls] == [KEYS]
    times = {op.view.status("app", f"e{n}").refresh_time for n in range(20)}
    assert len(times) == 1


def test_a_batch_stays_one_batch_through_an_outage(op: Operator) -> None:
    op.added(store(data=VALUES))
    for n in range(20):
        op.added(es(n))
    t0 = op.clock.t
    # (the first refresh joins the store's grid: from then on one call a round)
    for calls in rounds(op, t0 + 60.5, 3):
        assert [c["keys"] for c in calls] == [KEYS]

    # the provider fails for five minutes: retried with backoff, still one call per retry
    outage = op.clock.t
    op.view.add(store(data=VALUES, fail="temporary"))
    op.run_until(outage + 300)
    failed = op.fetches(outage, outage + 300)
    assert all(c["keys"] == KEYS for _, c in failed)
    # 5 s doubling (±10 %), but no later than the store's next batch (a grid point)
    assert len(failed) >= 6
    for i, ((a, _), (b, _)) in enumerate(itertools.pairwise(failed)):
        backoff = 5 * 2**i
        on_grid = grid_point(b, 60, ("SecretStore", "app", "s")) == b
        assert b - a <= 1.1 * backoff
        assert b - a >= 0.9 * backoff or on_grid
    assert {op.view.status("app", f"e{n}").condition("Ready").status for n in range(20)} == {
        "False"
    }

    # recovered: back to one call a round, within one interval
    op.view.add(store(data=VALUES))
    recovered = op.clock.t
    op.run_until(recovered + 66)
    for calls in rounds(op, recovered + 66, 6):
        assert [c["keys"] for c in calls] == [KEYS]
    assert {op.view.status("app", f"e{n}").condition("Ready").status for n in range(20)} == {"True"}


def test_stores_refresh_at_different_times_and_spread_after_a_restart(
    op: Operator, fake_plugin: tuple[Any, Any]
) -> None:
    for name in ("alpha", "beta"):
        op.added(store(name, data=VALUES))
    for n in range(20):
        op.added(es(n, store_name="alpha" if n < 10 else "beta"))
    t0 = op.clock.t
    op.run_until(t0 + 600)
    # each store on its own grid: its calls one interval apart, at its own offset
    for name in ("alpha", "beta"):
        times = [t for t, c in op.fetches(t0 + 1) if c["store"] == name]
        group = ("SecretStore", "app", name)
        assert times
        assert all(grid_point(t, 60, group) == t for t in times)
    alpha = grid_point(t0 + 600, 60, ("SecretStore", "app", "alpha"))
    beta = grid_point(t0 + 600, 60, ("SecretStore", "app", "beta"))
    assert alpha != beta

    # the operator was down for ten minutes: a new one sees everything overdue and refreshes
    # each store's ExternalSecrets together, the stores at their own share of 6 s
    host, plugin = fake_plugin
    down = op.clock.t + 600
    again = Operator(host, plugin, op.view, op.clock, seed=8)
    op.clock.t = down
    again.start()
    again.run_until(down + 30)
    for name in ("alpha", "beta"):
        t, call = next((t, c) for t, c in again.fetches(down) if c["store"] == name)
        assert t == pytest.approx(down + store_fraction(("SecretStore", "app", name)) * 6)
        assert call["keys"] == KEYS


def test_generated_values_are_renewed_before_they_expire_also_after_a_restart(
    op: Operator, fake_plugin: tuple[Any, Any]
) -> None:
    op.added(generator(ttlSeconds=3600, values={"token": "t"}))
    op.added(
        external_secret(
            "pull",
            store_name=None,
            refreshInterval="24h",
            dataFrom=[{"sourceRef": {"generatorRef": {"kind": "FakeToken", "name": "gen"}}}],
        )
    )
    t0 = op.clock.t
    op.run_until(t0 + 1)
    assert len(op.generates()) == 1
    # renewed 5 minutes before the hour is up, not after 24 hours
    secret = op.view.get_secret("app", "pull")
    assert secret is not None
    stamped = dt.datetime.fromisoformat(secret.annotations[REFRESH_BY_ANNOTATION])
    assert stamped.timestamp() == pytest.approx(t0 + 3300, abs=2)

    # a restarted operator knows it from the annotation
    host, plugin = fake_plugin
    op.clock.t = t0 + 100
    again = Operator(host, plugin, op.view, op.clock)
    again.start()
    again.run_until(t0 + 3290)
    assert again.generates() == []
    again.run_until(t0 + 3305)
    assert len(again.generates()) == 1


def test_values_that_arrive_expired_are_fetched_again_every_10_s(op: Operator) -> None:
    op.added(generator(ttlSeconds=0, values={"token": "t"}))
    op.added(
        external_secret(
            "pull",
            store_name=None,
            refreshInterval="1h",
            dataFrom=[{"sourceRef": {"generatorRef": {"kind": "FakeToken", "name": "gen"}}}],
        )
    )
    t0 = op.clock.t
    op.run_until(t0 + 60.5)
    assert [round(t - t0) for t in op.generates()] == [0, 10, 20, 30, 40, 50, 60]


def test_a_status_write_does_not_reschedule(op: Operator) -> None:
    op.added(store(data=VALUES))
    op.added(es(0))
    op.run_until(op.clock.t + 1)
    key = ("es", "app", "e0")
    planned = op.controller.scheduler.due_at(key)
    assert planned is not None
    assert planned > op.clock.t
    raw = op.view.raw("app", "e0")
    assert raw is not None
    before = {**raw, "status": {}}
    op.controller.on_external_secret("MODIFIED", before, raw)
    assert op.controller.scheduler.due_at(key) == planned
    # a label change does
    touched = {**raw, "metadata": {**raw["metadata"], "labels": {"a": "b"}}}
    op.controller.on_external_secret("MODIFIED", raw, touched)
    assert op.controller.scheduler.due_at(key) == op.clock.t


def test_after_an_outage_longer_intervals_rejoin_the_store_s_batch_within_a_round(
    op: Operator,
) -> None:
    """ExternalSecrets of 1 and 5 minutes on one store: the 5-minute ones back off longer, yet
    they are retried no later than the store's next batch, so one round after the fault the
    store is read once a round again."""
    op.added(store(data=VALUES))
    for n in range(20):
        op.added(es(n, interval="300s" if n % 2 else "60s"))
    t0 = op.clock.t
    op.run_until(t0 + 600)
    for calls in rounds(op, op.clock.t, 5):
        assert len(calls) == 1
    op.view.add(store(data=VALUES, fail="temporary"))
    op.run_until(op.clock.t + 400)
    op.view.add(store(data=VALUES))
    recovered = op.clock.t
    op.run_until(recovered + 60)
    for calls in rounds(op, recovered + 60, 10):
        assert len(calls) == 1


@pytest.mark.parametrize("phase", [0.0, 17.3, 41.9])
@pytest.mark.parametrize("skew", [-0.9, 0.9, -30.0])
def test_a_wall_clock_that_moves_does_not_make_a_loop(
    fake_plugin: tuple[Any, Any], skew: float, phase: float
) -> None:
    """Refreshes are planned on the wall clock and scheduled on the monotonic one: when the
    wall clock moves (a little, or a step), each refresh still runs once, wherever the start
    falls between two points of the store's grid."""
    host, plugin = fake_plugin
    plugin.CALLS.clear()
    op = new_operator(host, plugin, start=_MINUTE_START + phase)
    op.added(store(data=VALUES))
    for n in range(5):
        op.added(es(n))
    t0 = op.clock.t
    op.run_until(t0 + 120)
    op.clock.skew = skew
    start = op.clock.t
    cycles = op.cycles
    op.run_until(start + 600)
    # one fetch a minute; the step itself may shift one refresh by up to the skew (a wall clock
    # set back 30 s reaches the planned time 30 s later), whatever the phase of the start
    times = [t for t, _ in op.fetches(start, start + 600)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) >= 9
    assert all(60 - abs(skew) - 1.5 <= gap <= 60 + abs(skew) + 1.5 for gap in gaps), gaps
    assert sum(1 for gap in gaps if abs(gap - 60) > 1.5) <= 1, gaps
    assert op.cycles - cycles <= 12
