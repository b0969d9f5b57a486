"""Helpers of the reliability scenarios that restart or kill things: an API server of the test
module's own (tests/kube/apiserver.sh in a folder of its own, with the audit log on, so the test
can stop and start it without touching the session's), `extsecrets run` processes, a world of
ExternalSecrets over the AWS emulator, and the audit log read back as a write log.

The audit log (level Metadata: no object body, so no secret value) records every write to a
Secret, Lease or ExternalSecret with its answer code and the writer's User-Agent; the operator
sends ``extsecrets/<version> (<identity>)``, one identity per process, so two replicas are told
apart by it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import signal
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from operator_kit import SCRIPT, Kube, OperatorProcess, install_crds, wait_for

LONG = os.environ.get("EXTSECRETS_RELIABILITY", "") == "long"
ESO = ("external-secrets.io", "v1")
OPERATOR_AGENT = re.compile(r"^extsecrets/\S+ \((?P<identity>[^)]+)\)")
#: syncedResourceVersion of an ExternalSecret of generation 1 without labels or annotations, as
#: ESO computes it: generation, then the SHA3-224 of Go's print of both maps
FIRST_SYNCED_VERSION = "1-" + hashlib.sha3_224(b"map[annotations:map[] labels:map[]]").hexdigest()


def scale(short: int, long: int) -> int:
    """``short`` in ``make test``, ``long`` in ``make reliability``."""
    return long if LONG else short


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Write:
    """One write request, as the API server's audit log has it."""

    verb: str
    resource: str  # secrets, leases, externalsecrets, externalsecrets/status
    namespace: str
    name: str
    code: int
    agent: str
    received: dt.datetime
    answered: dt.datetime

    @property
    def identity(self) -> str | None:
        """The operator process that made it (``None``: not an operator)."""
        found = OPERATOR_AGENT.match(self.agent)
        return found["identity"] if found else None

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300


class OwnCluster:
    """etcd + kube-apiserver + controller manager of one test module, audit log on."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.kubeconfig = str(folder / "kubeconfig")

    def start(self) -> OwnCluster:
        env = {**os.environ, "EXTSECRETS_KUBE_AUDIT": "1"}
        self._script("start", env=env, timeout=1800)
        install_crds(Kube(self.kubeconfig).api)
        self.kube = Kube(self.kubeconfig)
        return self

    def _script(
        self, command: str, *, env: dict[str, str] | None = None, timeout: float = 180
    ) -> None:
        subprocess.run(
            ["bash", str(SCRIPT), command, str(self.folder)],
            check=True,
            timeout=timeout,
            env=env,
            stdout=subprocess.DEVNULL,
        )

    def stop_apiserver(self) -> None:
        self._script("stop-apiserver")

    def start_apiserver(self) -> None:
        self._script("start-apiserver")

    def start_extra_apiserver(self) -> Kube:
        """A second API server over the same etcd: the cluster as seen by others meanwhile."""
        self._script("start-extra-apiserver")
        return Kube(str(self.folder / "kubeconfig-extra"))

    def stop_extra_apiserver(self) -> None:
        self._script("stop-extra-apiserver")

    def stop(self) -> None:
        subprocess.run(["bash", str(SCRIPT), "stop", str(self.folder)], check=False, timeout=120)

    def writes(self, namespace: str | None = None) -> list[Write]:
        """Every write the API servers answered (of both, in the order answered)."""
        out = []
        for path in sorted(self.folder.glob("audit*.log")):
            for line in path.read_text().splitlines():
                event = json.loads(line)
                ref = event.get("objectRef") or {}
                if namespace is not None and ref.get("namespace") != namespace:
                    continue
                resource = ref.get("resource", "")
                if ref.get("subresource"):
                    resource += "/" + ref["subresource"]
                out.append(
                    Write(
                        event["verb"],
                        resource,
                        ref.get("namespace", ""),
                        ref.get("name", ""),
                        int((event.get("responseStatus") or {}).get("code") or 0),
                        event.get("userAgent", ""),
                        parse_time(event["requestReceivedTimestamp"]),
                        parse_time(event["stageTimestamp"]),
                    )
                )
        out.sort(key=lambda w: w.answered)
        return out


def own_cluster(tmp_path_factory: Any) -> Iterator[OwnCluster]:
    """The body of a module-scoped fixture: ``own_cluster = pytest.fixture(scope="module")(
    kube_scenarios.own_cluster)``."""
    from leak_scan import harvest_kube

    cluster = OwnCluster(tmp_path_factory.mktemp("own-kube")).start()
    try:
        yield cluster
        harvest_kube(cluster.kube.api)  # its Secrets' values, events and statuses: the leak scan
    finally:
        cluster.stop()


class Operators:
    """`extsecrets run` processes of one test against one cluster, each stopped at the end. As
    the ``run_operator`` fixture's, they log at DEBUG, and their logs and last /metrics page go
    to the leak scan (tests/leak_scan.py)."""

    def __init__(self, kubeconfig: str, folder: Path, where: str) -> None:
        self.kubeconfig = kubeconfig
        self.folder = folder
        self.where = where
        self.started: list[OperatorProcess] = []
        self._scanned: set[int] = set()

    def start(self, *args: str, wait: bool = True) -> OperatorProcess:
        process = OperatorProcess(
            self.kubeconfig,
            self.folder / f"operator-{len(self.started)}.log",
            "--log-level",
            "debug",
            *args,
        )
        self.started.append(process)
        if wait:
            process.wait_ready(120)
        return process

    def stop_all(self) -> None:
        from leak_scan import LEAKS

        for process in self.started:
            name = process.log_path.name
            if process.process.poll() is None:
                LEAKS.text(f"{self.where}: {name} /metrics", process.scrape())
            process.stop(signal.SIGTERM)
            if id(process) not in self._scanned:
                self._scanned.add(id(process))
                LEAKS.text(f"{self.where}: {name}", process.logs())


def operators(own_cluster: OwnCluster, tmp_path: Path, request: Any) -> Iterator[Operators]:
    """The body of a fixture: ``operators = pytest.fixture(kube_scenarios.operators)``."""
    started = Operators(own_cluster.kubeconfig, tmp_path, request.node.nodeid)
    try:
        yield started
    finally:
        started.stop_all()


def identity_of(process: OperatorProcess) -> str:
    """The identity a process logged at start (as its User-Agent carries it)."""

    def find() -> str | None:
        for line in process.logs().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("identity"):
                    return str(record["identity"])
        return None

    return wait_for(find, 60, "the operator's identity in its log")


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a Prometheus text exposition (an AssertionError when the
    page has no such sample: a missing metric is not a zero)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name}{labels} in /metrics")


# --- a world of ExternalSecrets ---------------------------------------------------------------


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class World:
    """``n`` ExternalSecrets in namespace ``ns``, each reading two properties of its own
    Secrets Manager secret ``<prefix>/<i>`` (through one SecretStore with static keys)."""

    def __init__(
        self, kube: Kube, sm: Any, n: int, *, refresh: str = "1h", prefix: str = ""
    ) -> None:
        self.kube = kube
        self.sm = sm
        self.n = n
        self.refresh = refresh
        self.ns = kube.namespace("rel")
        self.prefix = prefix or self.ns
        self.values: dict[str, dict[str, str]] = {}

    def name(self, i: int) -> str:
        return f"es-{i:04d}"

    def remote(self, i: int) -> str:
        return f"{self.prefix}/{i:04d}"

    def put_value(self, i: int, password: str, *, create: bool = False) -> None:
        value = {"user": f"user-{i}", "password": password}
        text = json.dumps(value)
        if create:
            self.sm.create_secret(Name=self.remote(i), SecretString=text)
        else:
            self.sm.put_secret_value(SecretId=self.remote(i), SecretString=text)
        self.values[self.name(i)] = value

    def create(self, *, external_secrets: bool = True) -> World:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: self.put_value(i, f"pw-{i}-0", create=True), range(self.n)))
        self.kube.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "aws-keys", "namespace": self.ns},
                "data": {"access-key": b64("AKIARELIABILITY00001"), "secret-access-key": b64("s")},
            }
        )
        keys = {"name": "aws-keys"}
        auth = {
            "secretRef": {
                "accessKeyIDSecretRef": {**keys, "key": "access-key"},
                "secretAccessKeySecretRef": {**keys, "key": "secret-access-key"},
            }
        }
        self.kube.apply(
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "SecretStore",
                "metadata": {"name": "store", "namespace": self.ns},
                "spec": {
                    "provider": {
                        "aws": {"service": "SecretsManager", "region": "eu-central-1", "auth": auth}
                    }
                },
            }
        )
        if external_secrets:
            self.create_external_secrets()
        return self

    def create_external_secrets(self) -> None:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: self.kube.apply(self.external_secret(i)), range(self.n)))

    def external_secret(self, i: int) -> dict[str, Any]:
        return {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": self.name(i), "namespace": self.ns},
            "spec": {
                "refreshInterval": self.refresh,
                "secretStoreRef": {"name": "store", "kind": "SecretStore"},
                "target": {"name": self.name(i)},
                "data": [
                    {"secretKey": key, "remoteRef": {"key": self.remote(i), "property": key}}
                    for key in ("user", "password")
                ],
            },
        }

    # --- what is in the cluster -------------------------------------------------------------

    def secrets(self) -> dict[str, dict[str, str]]:
        """The managed Secrets of the namespace: name -> decoded data."""
        listed = self.kube.core.list_namespaced_secret(
            self.ns, label_selector="reconcile.external-secrets.io/managed=true"
        )
        return {
            s.metadata.name: {k: base64.b64decode(v).decode() for k, v in (s.data or {}).items()}
            for s in listed.items
        }

    def external_secrets(self) -> list[dict[str, Any]]:
        return self.kube.custom.list_namespaced_custom_object(  # type: ignore[no-any-return]
            *ESO, self.ns, "externalsecrets"
        )["items"]

    def wait_part_synced(self, fraction: float = 0.25) -> int:
        """Wait until ``fraction`` of the Secrets exist (a first sync under way); how many do."""
        wait_for(
            lambda: len(self.secrets()) >= self.n * fraction,
            300,
            f"{fraction:.0%} of the Secrets",
            interval=0.05,
        )
        return len(self.secrets())

    def synced(self) -> bool:
        """Every Secret holds exactly what its ExternalSecret asks for."""
        return self.secrets() == self.values

    def problems(self, since: dt.datetime | None = None) -> list[str]:
        """What is not as a finished sync leaves it: a Secret missing, with a key missing or a
        value not the one asked for; an ExternalSecret not Ready, with another
        syncedResourceVersion, or no refreshTime (or one before ``since``)."""
        out = []
        secrets = self.secrets()
        for name, value in self.values.items():
            if secrets.get(name) != value:
                out.append(f"Secret {name}: keys {sorted(secrets.get(name) or {})}, not as asked")
        for es in self.external_secrets():
            name, status = es["metadata"]["name"], es.get("status") or {}
            ready = [c for c in status.get("conditions") or [] if c.get("type") == "Ready"]
            if [(c["status"], c["reason"]) for c in ready] != [("True", "SecretSynced")]:
                out.append(f"ExternalSecret {name}: Ready {ready}")
            if status.get("syncedResourceVersion") != FIRST_SYNCED_VERSION:
                out.append(f"ExternalSecret {name}: synced {status.get('syncedResourceVersion')}")
            refreshed = status.get("refreshTime")
            if not refreshed or (since is not None and parse_time(refreshed) < since):
                out.append(f"ExternalSecret {name}: refreshTime {refreshed}")
        return out

    def operator_writes(self, cluster: OwnCluster) -> list[Write]:
        """Writes to this namespace's Secrets by an operator process."""
        return [
            w
            for w in cluster.writes(self.ns)
            if w.resource == "secrets" and w.identity is not None and w.name != "aws-keys"
        ]


def secret_writes(writes: list[Write]) -> Counter[str]:
    """Successful writes per Secret name."""
    return Counter(w.name for w in writes if w.ok)


def wait_quiet(check: Callable[[], bool], timeout: float, what: str) -> None:
    wait_for(check, timeout, what, interval=0.5)
