"""The operator's controller on a clock the test moves, over the local cluster: what the
controller reads of the Kubernetes adapter (the ExternalSecret cache, checks, finalizers,
status, Secrets), kept in memory, and a loop that jumps to the next due time instead of waiting.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import uuid
from collections.abc import Mapping
from typing import Any

from extsecrets.cluster.local import LocalCluster
from extsecrets.cluster.objects import ExternalSecretStatus, ObjectRef, SecretObject
from extsecrets.model import CheckedObject, ExternalSecret
from extsecrets.model.documents import check_document
from extsecrets.operator.controller import Controller
from extsecrets.operator.metrics import OperatorMetrics
from extsecrets.plugins import PluginHost
from extsecrets.sync.engine import Engine
from extsecrets.sync.status import parse_status, to_wire


class VirtualTime:
    """One clock for everything: UTC seconds, as the wall clock and as the monotonic one."""

    def __init__(self, start: float) -> None:
        self.t = start
        #: how far the wall clock is off the monotonic one (a test sets it: NTP, a hand edit)
        self.skew = 0.0

    def mono(self) -> float:
        return self.t

    def wall(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.t + self.skew, dt.UTC)


class _ExternalSecretCache:
    def __init__(self, view: ControllerView) -> None:
        self._view = view

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._view.raw(namespace, name)


class ControllerView:
    """What the controller uses of ``KubeCluster``, over a :class:`LocalCluster` (which the
    engine writes to, as the cluster port)."""

    def __init__(self, local: LocalCluster, host: PluginHost) -> None:
        self.local = local
        self.host = host
        self.external_secrets = _ExternalSecretCache(self)
        self._docs: dict[tuple[str, str], dict[str, Any]] = {}
        self._finalizers: dict[tuple[str, str], list[str]] = {}

    def add(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """Apply a manifest; an ExternalSecret gets a uid and generation as the API server
        would give it. Returns the object as the cache would hold it."""
        doc = copy.deepcopy(dict(doc))
        if doc["kind"] == "ExternalSecret":
            meta = doc["metadata"]
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("generation", 1)
            self._docs[(meta["namespace"], meta["name"])] = doc
        checked = self.local.apply(doc)
        assert checked.ok, [p.line(checked.ident) for p in checked.problems]
        return doc

    def raw(self, namespace: str, name: str) -> dict[str, Any] | None:
        doc = self._docs.get((namespace, name))
        if doc is None:
            return None
        out = copy.deepcopy(doc)
        out["metadata"]["finalizers"] = list(self._finalizers.get((namespace, name), []))
        status = self.local.statuses.get((namespace, name))
        if status is not None:
            out["status"] = to_wire(status)
        return out

    def status(self, namespace: str, name: str) -> ExternalSecretStatus:
        return parse_status((self.raw(namespace, name) or {}).get("status"))

    # --- what the controller calls ---------------------------------------------------------------

    def checked(self, raw: Mapping[str, Any]) -> CheckedObject:
        return check_document(raw, self.host)

    def set_finalizers(self, raw: Mapping[str, Any], finalizers: list[str]) -> None:
        meta = raw["metadata"]
        self._finalizers[(meta["namespace"], meta["name"])] = list(finalizers)

    def get_secret(
        self, namespace: str, name: str, *, managed_only: bool = False
    ) -> SecretObject | None:
        return self.local.get_secret(namespace, name)

    def patch_external_secret_status(
        self, meta: Mapping[str, Any], status: ExternalSecretStatus
    ) -> None:
        self.local.statuses[(str(meta["namespace"]), str(meta["name"]))] = status

    def write_status(self, es: ExternalSecret, status: ExternalSecretStatus) -> None:
        self.local.write_status(es, status)

    def record_event(self, regarding: ObjectRef, type: Any, reason: str, message: str) -> None:
        self.local.record_event(regarding, type, reason, message)

    def informer_for(self, kind: str) -> None:
        return None


class Operator:
    """A controller and an engine over a :class:`ControllerView`, on a :class:`VirtualTime`.
    ``calls`` collects the fake plugin's calls, each with the virtual time of its cycle."""

    def __init__(
        self, host: PluginHost, plugin: Any, view: ControllerView, clock: VirtualTime, seed: int = 7
    ) -> None:
        self.view = view
        self.clock = clock
        self.plugin = plugin
        plugin.CLOCK = clock.wall  # generated values expire on the virtual clock
        self.engine = Engine(host, view.local, clock=clock.wall, workers=1)
        self.controller = Controller(
            self.engine,
            view,  # type: ignore[arg-type]
            OperatorMetrics(host),
            clock=clock.wall,
            monotonic=clock.mono,
            rng=random.Random(seed),
        )
        self.calls: list[tuple[float, dict[str, Any]]] = []
        self._seen = len(plugin.CALLS)
        self.cycles = 0

    def start(self) -> None:
        """The informers' first list: every ExternalSecret is seen as added."""
        for namespace, name in list(self.view._docs):
            self.controller.on_external_secret("ADDED", None, self.view.raw(namespace, name))

    def added(self, doc: Mapping[str, Any]) -> None:
        raw = self.view.add(doc)
        if raw["kind"] == "ExternalSecret":
            meta = raw["metadata"]
            self.controller.on_external_secret(
                "ADDED", None, self.view.raw(meta["namespace"], meta["name"])
            )

    def run_until(self, end: float, max_cycles: int = 10_000) -> None:
        """Run every cycle due up to ``end``, jumping over the idle time between them."""
        scheduler = self.controller.scheduler
        while True:
            keys = scheduler.take(self.controller.batch_size, wait=0)
            if keys:
                self.controller.process(keys)
                self.cycles += 1
                assert self.cycles < max_cycles, "the controller loops"
                new = self.plugin.CALLS[self._seen :]
                self._seen += len(new)
                self.calls += [(self.clock.t, c) for c in new]
                continue
            next_at = scheduler.next_due()
            if next_at is None or next_at > end:
                self.clock.t = max(self.clock.t, end)
                return
            self.clock.t = max(self.clock.t, next_at)

    def fetches(self, start: float = 0.0, end: float = float("inf")) -> list[tuple[float, Any]]:
        return [(t, c) for t, c in self.calls if c["hook"] == "fetch" and start <= t < end]

    def generates(self, start: float = 0.0, end: float = float("inf")) -> list[float]:
        return [t for t, c in self.calls if c["hook"] == "generate" and start <= t < end]


def new_operator(host: PluginHost, plugin: Any, start: float | None = None) -> Operator:
    clock = VirtualTime(start if start is not None else dt.datetime.now(dt.UTC).timestamp())
    return Operator(host, plugin, ControllerView(LocalCluster(host), host), clock)
