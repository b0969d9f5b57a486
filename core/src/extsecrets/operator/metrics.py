"""Prometheus metrics with ESO's names, so ESO dashboards and alerts keep working.

- ``externalsecret_sync_calls_total{name,namespace}``: syncs attempted;
- ``externalsecret_sync_calls_error{name,namespace}``: syncs that failed;
- ``externalsecret_status_condition{name,namespace,condition,status}``: 1 for the Ready
  status an ExternalSecret has, 0 for the other;
- ``externalsecret_provider_api_calls_count{provider,call,status}``: backend calls, from every
  plugin's ``extsecrets_api_calls``;
- ``extsecrets_provider_batch_fallbacks_total{provider,call}`` (ours, ESO has no batches):
  batch calls given up for one-by-one reads, from every plugin's ``extsecrets_batch_fallbacks``.

Ours, of plugin calls that outlived their time limit (:mod:`extsecrets.sync.isolation`,
:class:`LaneMetrics`):

- ``extsecrets_plugin_calls_abandoned_total``: calls abandoned at their time limit;
- ``extsecrets_plugin_calls_background_total``: calls of a slow lane run in the background,
  not waited for;
- ``extsecrets_plugin_calls_late_returned_total``: abandoned or background calls that returned;
- ``extsecrets_plugin_threads_held``: abandoned or background calls still running, each holding
  a thread (a plugin that hangs for good holds one per lane: this stays up).

The names are exposed exactly (no ``_total`` appended where ESO has none).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from extsecrets.plugins import PluginHost
from extsecrets.sync.isolation import SlowLanes

__all__ = ["LaneMetrics", "OperatorMetrics"]


class OperatorMetrics(Collector):
    def __init__(self, host: PluginHost) -> None:
        self._host = host
        self._lock = threading.Lock()
        self._syncs: dict[tuple[str, str], int] = {}
        self._errors: dict[tuple[str, str], int] = {}
        self._ready: dict[tuple[str, str], str] = {}
        self.registry = CollectorRegistry()
        self.registry.register(self)
        ProcessCollector(registry=self.registry)

    def synced(self, namespace: str, name: str, ok: bool, ready: str) -> None:
        key = (name, namespace)
        with self._lock:
            self._syncs[key] = self._syncs.get(key, 0) + 1
            if not ok:
                self._errors[key] = self._errors.get(key, 0) + 1
            self._ready[key] = ready

    def forget(self, namespace: str, name: str) -> None:
        """A deleted ExternalSecret's series go, as ESO removes them."""
        with self._lock:
            for series in (self._syncs, self._errors, self._ready):
                series.pop((name, namespace), None)

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            syncs, errors, ready = dict(self._syncs), dict(self._errors), dict(self._ready)
        calls = Metric("externalsecret_sync_calls", "Syncs of an ExternalSecret", "counter")
        for (name, namespace), value in syncs.items():
            calls.add_sample(
                "externalsecret_sync_calls_total", {"name": name, "namespace": namespace}, value
            )
        yield calls
        failed = Metric("externalsecret_sync_calls_error", "Failed syncs", "counter")
        for (name, namespace), value in errors.items():
            failed.add_sample(
                "externalsecret_sync_calls_error", {"name": name, "namespace": namespace}, value
            )
        yield failed
        condition = Metric(
            "externalsecret_status_condition", "The Ready condition of an ExternalSecret", "gauge"
        )
        for (name, namespace), current in ready.items():
            for status in ("True", "False"):
                labels = {"name": name, "namespace": namespace, "condition": "Ready"}
                condition.add_sample(
                    "externalsecret_status_condition",
                    {**labels, "status": status},
                    1.0 if current == status else 0.0,
                )
        yield condition
        api = Metric(
            "externalsecret_provider_api_calls_count", "Calls made to the providers", "counter"
        )
        for (provider, call, outcome), count in sorted(self._host.api_calls().items()):
            api.add_sample(
                "externalsecret_provider_api_calls_count",
                {"provider": provider, "call": call, "status": outcome},
                count,
            )
        yield api
        fallbacks = Metric(
            "extsecrets_provider_batch_fallbacks",
            "Batch calls given up for one-by-one reads (the batch call was denied)",
            "counter",
        )
        for (provider, call), count in sorted(self._host.batch_fallbacks().items()):
            fallbacks.add_sample(
                "extsecrets_provider_batch_fallbacks_total",
                {"provider": provider, "call": call},
                count,
            )
        yield fallbacks


class LaneMetrics(Collector):
    """The engine's plugin calls past their time limit (see the module's text)."""

    def __init__(self, lanes: SlowLanes) -> None:
        self._lanes = lanes

    def collect(self) -> Iterator[Metric]:
        lanes = self._lanes
        counters = (
            ("abandoned", "Plugin calls abandoned at their time limit", lanes.abandoned),
            ("background", "Plugin calls of a slow lane run in the background", lanes.background),
            (
                "late_returned",
                "Abandoned or background plugin calls that have returned",
                lanes.returned,
            ),
        )
        for name, text, value in counters:
            metric = Metric(f"extsecrets_plugin_calls_{name}", text, "counter")
            metric.add_sample(f"extsecrets_plugin_calls_{name}_total", {}, float(value))
            yield metric
        held = Metric(
            "extsecrets_plugin_threads_held",
            "Abandoned or background plugin calls still running (each holds a thread)",
            "gauge",
        )
        held.add_sample("extsecrets_plugin_threads_held", {}, float(len(lanes)))
        yield held
