"""``extsecrets run``: wire the Kubernetes adapter, the engine, the controller, leader election,
health and metrics together, and stop them all cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from typing import Any

import attrs
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from extsecrets.cluster.kube import KubeCluster
from extsecrets.operator.controller import Controller
from extsecrets.operator.http import Endpoints, parse_address
from extsecrets.operator.leader import LeaderElector
from extsecrets.operator.metrics import OperatorMetrics
from extsecrets.plugins import PluginHost
from extsecrets.sync.engine import Engine

__all__ = ["Options", "Operator", "api_client"]

log = logging.getLogger(__name__)


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


class Operator:
    def __init__(
        self, host: PluginHost, options: Options, api: k8s.ApiClient | None = None
    ) -> None:
        self.host = host
        self.options = options
        self.api = api or api_client(options.kubeconfig)
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
        self.endpoints = Endpoints(self.metrics.registry, self.ready)
        self.elector: LeaderElector | None = None
        self._done = threading.Event()
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
            identity = f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"
            self.elector = LeaderElector(self.api, namespace, self.options.lease_name, identity)
            log.info("waiting for the leader lease", extra={"identity": identity})
            self.elector.run(on_started=self._lead, on_lost=self.shutdown)
        else:
            self._lead()
        # Wait in slices: the kernel may deliver SIGTERM to any thread, and Python runs its
        # handler only when the main thread runs again; an untimed wait could sleep through it.
        while not self._done.wait(timeout=0.5):
            pass

    def _lead(self) -> None:
        self._thread = threading.Thread(target=self._reconcile, name="controller", daemon=True)
        self._thread.start()

    def _reconcile(self) -> None:
        try:
            self.cluster.start()
            self._synced = True
            log.info("caches synced; reconciling")
            assert self.controller is not None
            self.controller.run()
        except Exception:
            log.exception("the controller stopped")
        finally:
            self._done.set()

    def shutdown(self, *_: Any) -> None:
        """Graceful stop: finish the current batch, hand back the lease, stop the watches."""
        log.info("shutting down")
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
