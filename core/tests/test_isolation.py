"""Isolated plugin calls: errors become values, a hung call is abandoned, the rest go on."""

from __future__ import annotations

import threading

from extsecrets.errors import NotFoundError, PluginError
from extsecrets.sync.isolation import run_isolated


def test_results_errors_and_timeouts_are_kept_apart() -> None:
    release = threading.Event()

    def hang() -> str:
        release.wait(10)
        return "late"

    def secret_error() -> str:
        raise ValueError("password=hunter2")

    def not_found() -> str:
        raise NotFoundError()

    try:
        results = run_isolated(
            {"ok": lambda: "value", "hang": hang, "boom": secret_error, "missing": not_found},
            timeout=0.3,
            workers=2,
            on_timeout=lambda key: PluginError(f"{key} timed out"),
        )
    finally:
        release.set()
    assert results["ok"] == "value"
    assert str(results["hang"]) == "hang timed out"
    assert isinstance(results["missing"], NotFoundError)
    assert isinstance(results["boom"], PluginError)
    assert "hunter2" not in str(results["boom"])


def test_a_hung_worker_is_replaced_so_the_queue_still_drains() -> None:
    release, hang_returned = threading.Event(), threading.Event()

    def hang() -> None:
        release.wait(60)
        hang_returned.set()

    tasks = {"hang": hang} | {n: (lambda n=n: n) for n in range(20)}
    try:
        results = run_isolated(
            tasks, timeout=0.3, workers=1, on_timeout=lambda key: PluginError("timeout")
        )
        # every other task ran and the runner returned while the hung call was still blocked:
        # it was abandoned to its thread, not waited for
        hung_at_return = not hang_returned.is_set()
    finally:
        release.set()
    assert hung_at_return
    assert [results[n] for n in range(20)] == list(range(20))
    assert isinstance(results["hang"], PluginError)


def test_no_tasks_no_threads() -> None:
    assert run_isolated({}, timeout=1, workers=4, on_timeout=lambda k: PluginError("x")) == {}
