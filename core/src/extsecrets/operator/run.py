"""``extsecrets run``: wire the Kubernetes adapter, the engine, the controller, leader election,
health and metrics together, and stop them all cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from extsecrets import __version__
from extsecrets.cluster.kube import KubeCluster
from extsecrets.operator.controller import Controller
from extsecrets.operator.http import Endpoints, parse_address
from extsecrets.operator.leader import LeaderElector
from extsecrets.operator.metrics import LaneMetrics, OperatorMetrics
from extsecrets.plugins import PluginHost
from extsecrets.sync.engine import Engine

__all__ = [
    "SYNC_WAIT",
    "ClusterMetrics",
    "Operator",
    "Options",
    "api_client",
    "liveness_limit",
]

log = logging.getLogger(__name__)

#: how long the watches may take to list before the operator says it is still waiting
#: (it keeps waiting: an API server that is down at start is an outage, not a crash)
SYNC_WAIT = 60.0


@attrs.frozen
class Options:
    kubeconfig: str | None = None
    namespace: str | None = None
    concurrency: int = 16
    batch_size: int = 500
    metrics_addr: str = ":8080"
    health_addr: str = ":8081"
    leader_elect: bool = False
    lease_namespace: str | None = None
    lease_name: str = "extsecrets-leader"
    plugin_timeout: float = 60.0
    controller_class: str = ""
    #: seconds one iteration of the reconcile loop may run before ``/healthz`` fails (0: the
    #: default, :func:`liveness_limit`)
    liveness_timeout: float = 0.0


#: a cycle waits for plugin calls in a few rounds (store validation, authentication, reads),
#: each at most one plugin time limit, plus its Kubernetes calls
LIVENESS_ROUNDS = 5
LIVENESS_MARGIN = 60.0


def liveness_limit(options: Options) -> float:
    """How long one iteration of the reconcile loop may run before the process counts as
    stuck: ``--liveness-timeout``, else 5 plugin time limits plus 60 s (360 s by default)."""
    if options.liveness_timeout > 0:
        return options.liveness_timeout
    return LIVENESS_ROUNDS * options.plugin_timeout + LIVENESS_MARGIN


def api_client(kubeconfig: str | None) -> k8s.ApiClient:
    """From ``kubeconfig`` (or ``$KUBECONFIG``), else the in-cluster service account."""
    path = kubeconfig or os.environ.get("KUBECONFIG")
    configuration = k8s.Configuration()
    if path:
        k8s_config.load_kube_config(config_file=path, client_configuration=configuration)
    else:
        k8s_config.load_incluster_config(client_configuration=configuration)
    # writes go out several at once (one per engine worker), plus the watches
    configuration.connection_pool_maxsize = 32
    return k8s.ApiClient(configuration)


class ClusterMetrics(Collector):
    """What the API server made the operator do again (ours, ESO has none):

    - ``extsecrets_kube_write_conflicts_total{object}``: writes refused because the object
      changed since it was read (409), retried on a fresh read;
    - ``extsecrets_kube_lists_total{informer}``: lists of each watched kind, the first one and
      every relist (after the API server was away, or a watch expired).
    """

    def __init__(self, cluster: KubeCluster) -> None:
        self._cluster = cluster

    def collect(self) -> Iterator[Metric]:
        conflicts = Metric(
            "extsecrets_kube_write_conflicts",
            "Writes refused by the API server as conflicting (retried)",
            "counter",
        )
        counts = {"finalizers": 0, "secret": 0, **self._cluster.conflicts}
        for what, count in sorted(counts.items()):
            conflicts.add_sample(
                "extsecrets_kube_write_conflicts_total", {"object": what}, float(count)
            )
        yield conflicts
        lists = Metric(
            "extsecrets_kube_lists", "Lists of a watched kind (relists included)", "counter"
        )
        for informer in self._cluster.informers:
            lists.add_sample(
                "extsecrets_kube_lists_total", {"informer": informer.name}, float(informer.lists)
            )
        yield lists


class Operator:
    def __init__(
        self, host: PluginHost, options: Options, api: k8s.ApiClient | None = None
    ) -> None:
        self.host = host
        self.options = options
        self.api = api or api_client(options.kubeconfig)
        #: this process, in the lease and in the User-Agent of every request it makes (the API
        #: server's audit log tells two replicas apart by it)
        self.identity = f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"
        self.api.user_agent = f"extsecrets/{__version__} ({self.identity})"
        self.metrics = OperatorMetrics(host)
        self.controller: Controller | None = None
        generator_kinds = [
            (g.kind, g.api_version)
            for p in host.plugins
            if p.status == "active"
            for g in p.registration.generators
        ]
        self.cluster = KubeCluster(
            self.api,
            host,
            namespace=options.namespace,
            on_change={
                "ExternalSecret": self._on("on_external_secret"),
                "SecretStore": self._on("on_store"),
                "ClusterSecretStore": self._on("on_store"),
                # generators are checked as stores are (admission, Ready, events)
                "Generator": self._on("on_store"),
                "Secret": self._on("on_secret"),
            },
            generator_kinds=generator_kinds,
        )
        self.engine = Engine(
            host,
            self.cluster,
            plugin_timeout=options.plugin_timeout,
            workers=options.concurrency,
            controller_class=options.controller_class,
        )
        self.controller = Controller(
            self.engine, self.cluster, self.metrics, batch_size=options.batch_size
        )
        self.metrics.registry.register(ClusterMetrics(self.cluster))
        self.metrics.registry.register(LaneMetrics(self.engine.lanes))
        self.endpoints = Endpoints(self.metrics.registry, self.ready, self.alive)
        self._stuck_said = False
        self.elector: LeaderElector | None = None
        self._done = threading.Event()
        self._stopping = threading.Event()
        #: set when the process must exit non-zero (the lease was lost, the controller failed)
        self.failed = False
        self._synced = False
        self._thread: threading.Thread | None = None
        self.addresses: dict[str, tuple[str, int]] = {}

    def _on(self, method: str) -> Any:
        def handler(*args: Any) -> None:
            if self.controller is not None:
                getattr(self.controller, method)(*args)

        return handler

    def ready(self) -> bool:
        return self._synced

    def alive(self) -> str | None:
        """``None`` while the reconcile loop works or waits for work; what is wrong when one
        iteration has run longer than :func:`liveness_limit` (a plugin's admission check that
        never returns, say: only a restart frees the loop). Said once in the log, with where
        the loop is stuck."""
        limit = liveness_limit(self.options)
        busy = self.controller.busy_for() if self.controller is not None else 0.0
        if busy <= limit:
            self._stuck_said = False
            return None
        problem = (
            f"the reconcile loop has been in one iteration for {busy:.0f}s "
            f"(liveness limit {limit:g}s)"
        )
        if not self._stuck_said:
            self._stuck_said = True
            log.error("reconcile loop stuck", extra={"problem": problem, "at": self._where()})
        return problem

    def _where(self) -> str:
        """Where the controller thread is, as function names and lines (no values)."""
        thread = self._thread
        frame = sys._current_frames().get(thread.ident or -1) if thread is not None else None
        stack = traceback.extract_stack(frame)[-8:] if frame is not None else []
        return " <- ".join(f"{f.name} ({Path(f.filename).name}:{f.lineno})" for f in stack[::-1])

    def serve_endpoints(self) -> None:
        metrics, health = self.options.metrics_addr, self.options.health_addr
        if metrics == health and metrics != "0":
            self.addresses["metrics"] = self.addresses["health"] = self.endpoints.serve(
                parse_address(metrics), {"metrics", "health"}
            )
            return
        if metrics != "0":
            self.addresses["metrics"] = self.endpoints.serve(parse_address(metrics), {"metrics"})
        if health != "0":
            self.addresses["health"] = self.endpoints.serve(parse_address(health), {"health"})

    def run(self) -> None:
        """Serve health and metrics, wait for leadership when asked to, then reconcile until
        :meth:`shutdown`."""
        self.serve_endpoints()
        if self.options.leader_elect:
            namespace = self.options.lease_namespace or os.environ.get("POD_NAMESPACE") or "default"
            self.elector = LeaderElector(
                self.api, namespace, self.options.lease_name, self.identity
            )
            # a write goes out only while the lease is ours (a frozen leader finds out here)
            self.cluster.may_write = self.elector.holds_lease
            log.info("waiting for the leader lease", extra={"identity": self.identity})
            self.elector.run(on_started=self._lead, on_lost=self._lost)
        else:
            log.info("starting", extra={"identity": self.identity})
            self._lead()
        # Wait in slices: the kernel may deliver SIGTERM to any thread, and Python runs its
        # handler only when the main thread runs again; an untimed wait could sleep through it.
        while not self._done.wait(timeout=0.5):
            pass
        if self.failed:
            raise SystemExit(1)

    def _lost(self) -> None:
        """The lease went to another replica: stop writing at once, and exit non-zero so that a
        fresh process competes again."""
        self.failed = True
        self.shutdown()

    def _lead(self) -> None:
        self._thread = threading.Thread(target=self._reconcile, name="controller", daemon=True)
        self._thread.start()

    def _reconcile(self) -> None:
        try:
            self.cluster.start_watching()
            if not self._wait_synced():
                return
            self._synced = True
            log.info("caches synced; reconciling")
            assert self.controller is not None
            self.controller.run()
        except Exception:
            log.exception("the controller stopped")
            self.failed = True
        finally:
            self._done.set()

    def _wait_synced(self) -> bool:
        """Wait until every watch has listed once, saying every :data:`SYNC_WAIT` seconds which
        have not (the API server may be down: the watches keep trying, and the operator stays
        not ready meanwhile). ``False`` when shut down first."""
        waited = 0.0
        while not self._stopping.is_set():
            waiting = self.cluster.wait_synced(0.5)
            if not waiting:
                return True
            waited += 0.5
            if waited >= SYNC_WAIT:
                waited = 0.0
                log.warning(
                    "caches not synced yet; still waiting",
                    extra={"waiting_for": ", ".join(waiting), "seconds": SYNC_WAIT},
                )
        return False

    def shutdown(self, *_: Any) -> None:
        """Graceful stop: finish the current batch, hand back the lease, stop the watches."""
        log.info("shutting down")
        self._stopping.set()
        if self.controller is not None:
            self.controller.stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        if self.elector is not None:
            self.elector.stop()
        self.cluster.stop()
        self.endpoints.stop()
        self._done.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.shutdown)
        signal.signal(signal.SIGINT, self.shutdown)
