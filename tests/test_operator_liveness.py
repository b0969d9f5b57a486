"""`/healthz` tells a wedged reconcile loop (issue 17: it stayed 200 while a plugin's admission
check hung in the controller thread, so the kubelet never restarted the process).

An in-memory plugin whose admission check blocks on an Event, the in-process Operator on the
real API server, and its real HTTP endpoints."""

from __future__ import annotations

import logging
import threading
import types
from typing import Any

import attrs
import pytest
from operator_inprocess import get, operator_in_process
from operator_kit import Kube, wait_for

import extsecrets
from extsecrets.operator.run import Options, liveness_limit
from extsecrets.plugins import PluginHost
from extsecrets.types import ProviderService, Registration

ENTERED, GATE = threading.Event(), threading.Event()


@attrs.frozen
class StuckProvider:
    block: bool = False

    def admission_problems(self, context: Any) -> list[Any]:
        if self.block:
            ENTERED.set()
            GATE.wait(120)
        return []


def _stuck_plugin() -> types.ModuleType:
    module = types.ModuleType("stuck_plugin")

    @extsecrets.hookimpl
    def extsecrets_register() -> Registration:
        return Registration(
            providers=[ProviderService(provider="stuck", config_type=StuckProvider)]
        )

    @extsecrets.hookimpl
    def extsecrets_fetch(store: Any, refs: Any) -> Any:
        return {ref: extsecrets.NotFoundError() for ref in refs}

    module.extsecrets_register = extsecrets_register  # type: ignore[attr-defined]
    module.extsecrets_fetch = extsecrets_fetch  # type: ignore[attr-defined]
    return module


def _store(namespace: str, name: str, block: bool) -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "SecretStore",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"provider": {"stuck": {"block": block}}},
    }


def _store_ready(kube: Kube, namespace: str, name: str) -> bool:
    found = kube.custom.get_namespaced_custom_object(
        "external-secrets.io", "v1", namespace, "secretstores", name
    )
    conditions = (found.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" for c in conditions)


def test_healthz_fails_while_an_iteration_is_stuck_and_recovers(
    kube: Kube, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="extsecrets")
    host = PluginHost.from_plugins({"stuck": _stuck_plugin()})
    namespace = kube.namespace("alive")
    ENTERED.clear()
    GATE.clear()
    limit = 1.0
    try:
        with operator_in_process(
            host, kube.kubeconfig, namespace, liveness_timeout=limit
        ) as operator:
            # an iteration that ends, then the loop idles for longer than the limit: alive
            kube.apply(_store(namespace, "fine", block=False))
            wait_for(lambda: _store_ready(kube, namespace, "fine"), 60, "the store validated")
            wait_for(lambda: operator.controller.cycles >= 1, 30, "a cycle")  # type: ignore[union-attr]
            ends = operator.controller.cycles  # type: ignore[union-attr]
            wait_for(lambda: operator.controller.busy_for() == 0.0, 30, "the loop idle")  # type: ignore[union-attr]
            threading.Event().wait(3 * limit)
            assert operator.controller.cycles == ends  # type: ignore[union-attr]  # (idle)
            assert get(operator, "/healthz") == (200, "ok")

            kube.apply(_store(namespace, "stuck", block=True))
            assert ENTERED.wait(60), "the admission check was never called"
            wait_for(lambda: get(operator, "/healthz")[0] == 503, 30, "/healthz 503")
            status, body = get(operator, "/healthz")
            assert status == 503
            assert body.startswith("not alive: the reconcile loop has been in one iteration for ")
            assert body.endswith("s (liveness limit 1s)")
            # readiness is about caches and leadership: still ready
            assert get(operator, "/readyz") == (200, "ok")

            GATE.set()
            wait_for(lambda: get(operator, "/healthz") == (200, "ok"), 30, "/healthz 200 again")
            wait_for(lambda: _store_ready(kube, namespace, "stuck"), 60, "the store validated")
    finally:
        GATE.set()
    # said once (not at every probe), with where the loop was stuck
    (stuck,) = [r for r in caplog.records if r.getMessage() == "reconcile loop stuck"]
    assert stuck.levelno == logging.ERROR
    assert str(stuck.at).startswith("wait (threading.py:")  # type: ignore[attr-defined]
    assert "admission_problems (test_operator_liveness.py:" in stuck.at  # type: ignore[attr-defined]


def test_the_default_limit_follows_the_plugin_time_limit() -> None:
    assert liveness_limit(Options()) == 360.0
    assert liveness_limit(Options(plugin_timeout=10.0)) == 110.0
    assert liveness_limit(Options(plugin_timeout=10.0, liveness_timeout=42.0)) == 42.0
