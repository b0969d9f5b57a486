"""Helpers of the operator tests: the real API server (tests/kube/apiserver.sh), CRDs, objects
created with the official client, and `extsecrets run` as a real process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException

SCRIPT = Path(__file__).parent / "kube" / "apiserver.sh"
CRDS = Path(__file__).parent.parent / "core" / "src" / "extsecrets" / "deploy" / "crds.yaml"
T = TypeVar("T")


def api_for(kubeconfig: str) -> k8s.ApiClient:
    configuration = k8s.Configuration()
    k8s_config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    return k8s.ApiClient(configuration)


def install_crds(api: k8s.ApiClient) -> None:
    ext = k8s.ApiextensionsV1Api(api)
    for doc in yaml.safe_load_all(CRDS.read_text()):
        if not doc:
            continue
        try:
            ext.create_custom_resource_definition(doc)
        except ApiException as exc:
            if exc.status != 409:
                raise
    for doc in yaml.safe_load_all(CRDS.read_text()):
        if doc:
            wait_for(lambda d=doc: _established(ext, d["metadata"]["name"]), 30, "CRDs established")


def _established(ext: k8s.ApiextensionsV1Api, name: str) -> bool:
    crd = ext.read_custom_resource_definition(name)
    return any(c.type == "Established" and c.status == "True" for c in crd.status.conditions or [])


def wait_for(check: Callable[[], T], timeout: float, what: str, interval: float = 0.2) -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except ApiException as exc:
            last = exc
            if exc.status not in (404, 409):
                raise
        if last and not isinstance(last, Exception):
            return last  # type: ignore[no-any-return]
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Kube:
    """Objects in the test API server, through the official client."""

    def __init__(self, kubeconfig: str) -> None:
        self.kubeconfig = kubeconfig
        self.api = api_for(kubeconfig)
        self.core = k8s.CoreV1Api(self.api)
        self.custom = k8s.CustomObjectsApi(self.api)

    def namespace(self, prefix: str = "t", labels: dict[str, str] | None = None) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.core.create_namespace({"metadata": {"name": name, "labels": labels or {}}})
        return name

    def apply(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Create one object (ESO kinds, generators, or core v1 Secret/ServiceAccount)."""
        kind, meta = doc["kind"], doc["metadata"]
        group, _, version = doc["apiVersion"].rpartition("/")
        if not group:
            creator = {
                "Secret": self.core.create_namespaced_secret,
                "ServiceAccount": self.core.create_namespaced_service_account,
            }[kind]
            return creator(meta["namespace"], doc).to_dict()  # type: ignore[no-any-return]
        plural = kind.lower() + "s"
        if kind == "ClusterSecretStore":
            return self.custom.create_cluster_custom_object(group, version, plural, doc)  # type: ignore[no-any-return]
        return self.custom.create_namespaced_custom_object(  # type: ignore[no-any-return]
            group, version, meta["namespace"], plural, doc
        )

    def external_secret(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return self.custom.get_namespaced_custom_object(  # type: ignore[no-any-return]
                "external-secrets.io", "v1", namespace, "externalsecrets", name
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def ready(self, namespace: str, name: str) -> tuple[str, str, str] | None:
        es = self.external_secret(namespace, name) or {}
        for cond in (es.get("status") or {}).get("conditions") or []:
            if cond.get("type") == "Ready":
                return cond["status"], cond["reason"], cond["message"]
        return None

    def requests_served(self) -> Counter[str]:
        """The API server's own ``apiserver_request_total``, summed by
        ``VERB resource[/subresource]`` (e.g. ``PATCH externalsecrets/status``)."""
        host = self.api.configuration.host
        text = self.api.rest_client.pool_manager.request("GET", f"{host}/metrics").data.decode()
        out: Counter[str] = Counter()
        for line in text.splitlines():
            if not line.startswith("apiserver_request_total{"):
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
            what = labels.get("resource", "")
            if labels.get("subresource"):
                what += "/" + labels["subresource"]
            out[f"{labels.get('verb')} {what}"] += int(float(line.rsplit(" ", 1)[1]))
        return out

    def secret(self, namespace: str, name: str) -> k8s.V1Secret | None:
        try:
            return self.core.read_namespaced_secret(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise


class OperatorProcess:
    """`extsecrets run` in a process of its own, as it runs in a Pod."""

    def __init__(self, kubeconfig: str, log_path: Path, *args: str) -> None:
        self.health = free_port()
        self.metrics = free_port()
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXTSECRETS_")}
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "extsecrets",
                "run",
                "--kubeconfig",
                kubeconfig,
                "--health-addr",
                f"127.0.0.1:{self.health}",
                "--metrics-addr",
                f"127.0.0.1:{self.metrics}",
                *args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def get(self, path: str, port: int | None = None) -> tuple[int, str]:
        url = f"http://127.0.0.1:{port or self.health}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    def wait_ready(self, timeout: float = 60) -> None:
        wait_for(lambda: self.get("/readyz")[0] == 200, timeout, "the operator to be ready")

    def scrape(self) -> str:
        return self.get("/metrics", self.metrics)[1]

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        return int(self.process.returncode)
