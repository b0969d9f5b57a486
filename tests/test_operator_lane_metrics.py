"""/metrics exports the plugin calls that outlived their time limit (issue 17): calls
abandoned, the threads they still hold, calls run in the background, calls that returned late.

The fake plugin's store told to hang, the in-process Operator (plugin time limit 1 s) on the
real API server, its real /metrics page scraped."""

from __future__ import annotations

from typing import Any

from engine_kit import external_secret, ref, store
from operator_inprocess import get, operator_in_process, sample
from operator_kit import Kube, wait_for

NAMES = (
    "extsecrets_plugin_calls_abandoned_total",
    "extsecrets_plugin_threads_held",
    "extsecrets_plugin_calls_background_total",
    "extsecrets_plugin_calls_late_returned_total",
)


def _lanes(operator: Any) -> tuple[float | None, ...]:
    status, page = get(operator, "/metrics")
    assert status == 200
    return tuple(sample(page, name) for name in NAMES)


def test_a_hung_call_shows_in_the_metrics_until_it_returns(
    kube: Kube, fake_plugin: tuple[Any, Any]
) -> None:
    host, plugin = fake_plugin
    namespace = kube.namespace("lanes")
    plugin.RELEASE.clear()
    try:
        with operator_in_process(host, kube.kubeconfig, namespace, plugin_timeout=1.0) as operator:
            assert _lanes(operator) == (0.0, 0.0, 0.0, 0.0)
            kube.apply(store("hangs", namespace, fail="hang", data={"k": "v"}))
            kube.apply(external_secret("e", namespace, "hangs", data=[ref("k", "k")]))
            wait_for(lambda: (kube.ready(namespace, "e") or ("",))[0] == "False", 60, "Ready False")
            # one call abandoned; its thread is still held (the lane is not called again)
            assert _lanes(operator) == (1.0, 1.0, 0.0, 0.0)

            plugin.RELEASE.set()  # the hung call returns: its thread is free
            wait_for(lambda: _lanes(operator)[1] == 0.0, 30, "the thread given back")
            # the next retry calls the lane in the background; it answers in time, so the one
            # after is waited for again and syncs
            wait_for(lambda: (kube.ready(namespace, "e") or ("",))[0] == "True", 90, "Ready True")
            assert _lanes(operator) == (1.0, 0.0, 1.0, 2.0)
    finally:
        plugin.RELEASE.set()
