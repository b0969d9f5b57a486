"""An API server that cannot be reached is a temporary error (issue 15, item 11).

The adapter's calls on real sockets (a closed port, a server that never answers, one that
answers 503) with the real Kubernetes client; the engine's batch when single writes fail (a
fake of our own port); and `extsecrets run` through a restart of the real kube-apiserver.
"""

from __future__ import annotations

import base64
import http.server
import json
import logging
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_kit import external_secret, ref, store
from kubernetes import client as k8s
from operator_kit import wait_for

from extsecrets.cluster.apicalls import Reachability
from extsecrets.cluster.kube import KubeCluster
from extsecrets.cluster.local import LocalCluster
from extsecrets.cluster.objects import (
    Condition,
    ExternalSecretStatus,
    ObjectRef,
    SecretObject,
    StoreStatus,
)
from extsecrets.cluster.port import ClusterUnavailableError
from extsecrets.errors import TemporaryError
from extsecrets.model import ClusterSecretStore, ExternalSecret, SecretStore
from extsecrets.plugins import PluginHost

REFUSED = "the API server is unreachable (connection refused)"


def closed_port() -> int:
    """A port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cluster_at(url: str, host: PluginHost | None = None) -> KubeCluster:
    configuration = k8s.Configuration()
    configuration.host = url
    configuration.verify_ssl = False
    return KubeCluster(k8s.ApiClient(configuration), host or PluginHost.from_plugins({}))


def shut(cluster: KubeCluster) -> None:
    cluster.stop()
    cluster.api.close()  # its pooled connections


@pytest.fixture
def closed() -> Iterator[KubeCluster]:
    cluster = cluster_at(f"https://127.0.0.1:{closed_port()}")
    yield cluster
    shut(cluster)


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [r for r in caplog.records if r.exc_info] == []


def test_a_closed_port_is_a_temporary_error_naming_the_call(closed, caplog) -> None:
    raw_es = {"metadata": {"namespace": "app", "name": "e", "resourceVersion": "1"}}
    calls = {
        "read secret app/creds": lambda: closed.get_secret("app", "creds"),
        "read serviceaccount app/sa": lambda: closed.get_service_account("app", "sa"),
        "request a token for serviceaccount app/sa": lambda: closed.request_token(
            "app", "sa", ["sts.amazonaws.com"], 600
        ),
        "create secret app/s": lambda: closed.create_secret(
            SecretObject("app", "s", {"k": b"v"}), "m", frozenset({"k"})
        ),
        "update secret app/s": lambda: closed.update_secret(
            SecretObject("app", "s", {"k": b"v"}, resource_version="3"), "m", frozenset({"k"})
        ),
        "delete secret app/s": lambda: closed.delete_secret("app", "s", "3"),
        "write the status of ExternalSecret app/e": lambda: closed.patch_external_secret_status(
            raw_es["metadata"], ExternalSecretStatus()
        ),
        "update the finalizers of ExternalSecret app/e": lambda: closed.set_finalizers(
            raw_es, ["f"]
        ),
        "write the status of SecretStore app/st": lambda: closed.write_ready(
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "SecretStore",
                "metadata": {"namespace": "app", "name": "st"},
            },
            Condition("Ready", "False", "InvalidProviderConfig", "x"),
        ),
    }
    for what, call in calls.items():
        with pytest.raises(ClusterUnavailableError) as caught:
            call()
        assert isinstance(caught.value, TemporaryError)
        # the client's text (pool repr, URL, object addresses) stays out
        assert str(caught.value) == f"could not {what}: {REFUSED}"
    no_traceback(caplog)


def test_store_statuses_through_a_closed_port(fake_plugin) -> None:
    host, _ = fake_plugin
    cluster = cluster_at(f"https://127.0.0.1:{closed_port()}", host)
    try:
        for kind, namespace, where in (
            ("SecretStore", "app", "app/st"),
            ("ClusterSecretStore", None, "st"),
        ):
            doc = store("st", namespace, kind)
            model = cluster.checked(doc).obj
            assert isinstance(model, SecretStore | ClusterSecretStore)
            with pytest.raises(ClusterUnavailableError) as caught:
                cluster.write_store_status(model, StoreStatus())
            assert str(caught.value) == f"could not write the status of {kind} {where}: {REFUSED}"
    finally:
        shut(cluster)


def test_events_through_a_closed_port_say_it_once(closed, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="extsecrets")
    for n in range(3):
        closed.record_event(ObjectRef("v1", "Secret", f"s{n}", "app"), "Normal", "R", "m")
    assert closed.events.flush(timeout=30)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"events not recorded: could not record an event: {REFUSED}; retrying"]
    no_traceback(caplog)


def test_a_watch_of_a_closed_port_retries_without_a_traceback(closed, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="extsecrets")
    informer = closed.external_secrets
    informer.start()
    try:
        # it retries (how often by now depends on the machine: the count is not the point)
        wait_for(lambda: informer._outage.failures >= 2, 30, "a second failed list")
    finally:
        informer.stop()
        # a refused connection never blocks: the loop sees the flag and ends
        assert informer._thread is not None
        informer._thread.join(timeout=30)
        assert not informer._thread.is_alive()
    line = f"informer externalsecrets: could not list externalsecrets: {REFUSED}"
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.getMessage().startswith(line)]
    # every failed attempt is said exactly once: a warning for the first, DEBUG for the others
    assert said == [(logging.WARNING, f"{line}; retrying")] + [(logging.DEBUG, line)] * (
        informer._outage.failures - 1
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [f"{line}; retrying"]
    assert not informer.synced.is_set()
    no_traceback(caplog)


class _Answer(http.server.BaseHTTPRequestHandler):
    """Every request: 503 with a Kubernetes Status body and Retry-After, as an API server
    that is starting or overloaded answers."""

    def do_GET(self) -> None:
        body = json.dumps(
            {"kind": "Status", "message": "the server is currently unable to handle the request"}
        ).encode()
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Retry-After", "1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_503_is_temporary_with_the_servers_hint() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cluster = cluster_at(f"http://127.0.0.1:{server.server_address[1]}")
    try:
        # (urllib3 itself retries a 503 with Retry-After three times, waiting as told)
        with pytest.raises(ClusterUnavailableError) as caught:
            cluster.get_secret("app", "creds")
    finally:
        server.shutdown()
        server.server_close()
        shut(cluster)
    assert str(caught.value) == (
        "could not read secret app/creds: the API server answered 503: "
        "the server is currently unable to handle the request"
    )
    assert caught.value.retry_after == 1.0


def test_an_api_server_that_never_answers_times_out(monkeypatch) -> None:
    from extsecrets.cluster import apicalls

    monkeypatch.setattr(apicalls, "REQUEST_TIMEOUT", (2.0, 0.5))
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # accepts connections, never answers
        cluster = cluster_at(f"http://127.0.0.1:{listener.getsockname()[1]}")
        try:
            with pytest.raises(ClusterUnavailableError) as caught:
                cluster.get_secret("app", "creds")
        finally:
            shut(cluster)
    assert str(caught.value) == (
        "could not read secret app/creds: the API server is unreachable (timed out)"
    )


def test_reachability_says_once_that_it_failed_and_once_that_it_is_back(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="t")
    outage = Reachability(logging.getLogger("t"), "thing")
    outage.succeeded()
    for _ in range(3):
        outage.failed(ClusterUnavailableError("down"))
    outage.succeeded()
    outage.succeeded()
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "thing: down; retrying"),
        ("DEBUG", "thing: down"),
        ("DEBUG", "thing: down"),
        ("INFO", "thing: working again after 3 failed attempt(s)"),
    ]


# --- the engine: one write that fails never costs the others their sync ----------------------


class Unreachable:
    """The local cluster, but the API server "goes away" for the calls named in ``failing``:
    (method, object name) pairs. A fake of our own port, not of the Kubernetes client."""

    def __init__(self, inner: LocalCluster, failing: set[tuple[str, str]]) -> None:
        self._inner = inner
        self.failing = failing

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _check(self, method: str, name: str, what: str) -> None:
        if (method, name) in self.failing:
            raise ClusterUnavailableError(f"could not {what}: {REFUSED}")

    def write_status(self, es: ExternalSecret, status: ExternalSecretStatus) -> None:
        self._check("write_status", es.metadata.name, f"write the status of {es.metadata.name}")
        self._inner.write_status(es, status)

    def create_secret(self, secret: SecretObject, *args: Any) -> SecretObject:
        self._check("create_secret", secret.name, f"create secret {secret.name}")
        return self._inner.create_secret(secret, *args)

    def get_secret(self, namespace: str, name: str, **kwargs: Any) -> SecretObject | None:
        self._check("get_secret", name, f"read secret {name}")
        return self._inner.get_secret(namespace, name, **kwargs)

    def write_store_status(self, store_obj: Any, status: StoreStatus) -> None:
        name = store_obj.metadata.name
        self._check("write_store_status", name, f"write the status of {name}")
        self._inner.write_store_status(store_obj, status)


def test_one_failed_write_fails_only_its_external_secret(world, caplog) -> None:
    names = ["status-fails", "create-fails", "read-fails", "fine"]
    w = world(
        store(data={"k": "v"}),
        *(external_secret(n, data=[ref("a", "k")]) for n in names[:2]),
        external_secret("read-fails", data=[ref("a", "gone")], target={"deletionPolicy": "Delete"}),
        external_secret("fine", data=[ref("a", "k")]),
    )
    local = w.cluster
    flaky = Unreachable(
        local,
        {
            ("write_status", "status-fails"),
            ("create_secret", "create-fails"),
            ("get_secret", "read-fails"),
        },
    )
    w.engine.cluster = flaky
    inputs = local.external_secrets()
    batch = w.engine.sync(inputs)
    assert [r.name for r in batch] == [es.metadata.name for es in inputs]  # one each, in order
    assert sorted(r.name for r in batch) == sorted(names)
    results = {r.name: r for r in batch}
    # the Secret was written, its status was not: failed, retried soon
    assert (results["status-fails"].ok, results["status-fails"].retry) == (False, True)
    assert results["status-fails"].error == (
        f"could not write the status of status-fails: {REFUSED}"
    )
    assert w.data("status-fails") == {"a": "v"}
    assert ("app", "status-fails") not in local.statuses
    # the create failed: failed with the reason, retried, status says so
    assert (results["create-fails"].ok, results["create-fails"].retry) == (False, True)
    assert results["create-fails"].error == f"could not create secret create-fails: {REFUSED}"
    assert w.secret("create-fails") is None
    assert local.statuses[("app", "create-fails")].condition("Ready").message == (
        "could not update secret"
    )
    # a read outside the guarded steps (deletionPolicy Delete, nothing found)
    assert (results["read-fails"].ok, results["read-fails"].retry) == (False, True)
    assert results["read-fails"].error == f"could not read secret read-fails: {REFUSED}"
    # and the others of the batch went on
    assert results["fine"].ok
    assert w.data("fine") == {"a": "v"}
    no_traceback(caplog)

    # the API server is back: the retry completes each of them
    flaky.failing.clear()
    again = {r.name: r for r in w.engine.sync(local.external_secrets())}
    assert all(r.ok for r in again.values()), again
    assert local.statuses[("app", "status-fails")].condition("Ready").reason == "SecretSynced"


def test_one_failed_store_status_fails_only_that_store(world, caplog) -> None:
    w = world(store("one", data={}), store("two", data={}))
    flaky = Unreachable(w.cluster, {("write_store_status", "one")})
    w.engine.cluster = flaky
    stores = [w.cluster.get_secret_store("app", n) for n in ("one", "two")]
    results = {r.name: r for r in w.engine.validate_stores(stores)}
    assert results["one"].unwritten == f"could not write the status of one: {REFUSED}"
    assert results["two"].unwritten is None
    assert results["one"].ok
    assert results["two"].ok
    assert list(w.cluster.store_statuses) == [("SecretStore", "app", "two")]
    no_traceback(caplog)


# --- the operator through a restart of the real kube-apiserver --------------------------------


def _secret_value(kube: Any, namespace: str, name: str) -> str | None:
    secret = kube.secret(namespace, name)
    if secret is None or not secret.data or "password" not in secret.data:
        return None
    return base64.b64decode(secret.data["password"]).decode()


def _es(namespace: str, name: str, key: str) -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "secretStoreRef": {"name": "store"},
            "refreshInterval": "5s",
            "data": [{"secretKey": "password", "remoteRef": {"key": key, "property": "password"}}],
        },
    }


@pytest.mark.kube
def test_the_operator_rides_out_an_api_server_restart(kube, kube_server, aws, run_operator) -> None:
    from aws_kit import client
    from operator_kit import SCRIPT

    folder = Path(kube_server).parent
    if not (folder / "pids").exists():
        pytest.skip("the API server was not started by tests/kube/apiserver.sh in a folder")
    sm = client(aws, "secretsmanager")
    for key in ("outage/one", "outage/two"):
        sm.create_secret(Name=key, SecretString=json.dumps({"password": "before"}))
    ns = kube.namespace("outage")
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "awssm-secret", "namespace": ns},
            "data": {
                "access-key": base64.b64encode(b"AKIAOPERATOR00000001").decode(),
                "secret-access-key": base64.b64encode(b"s").decode(),
            },
        }
    )
    auth = {
        "secretRef": {
            "accessKeyIDSecretRef": {"name": "awssm-secret", "key": "access-key"},
            "secretAccessKeySecretRef": {"name": "awssm-secret", "key": "secret-access-key"},
        }
    }
    kube.apply(
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "SecretStore",
            "metadata": {"name": "store", "namespace": ns},
            "spec": {
                "provider": {
                    "aws": {"service": "SecretsManager", "region": "eu-central-1", "auth": auth}
                }
            },
        }
    )
    kube.apply(_es(ns, "one", "outage/one"))
    kube.apply(_es(ns, "two", "outage/two"))
    operator = run_operator("--namespace", ns)
    for name in ("one", "two"):
        wait_for(lambda n=name: _secret_value(kube, ns, n) == "before", 60, f"{name} synced")

    def run_script(command: str) -> None:
        subprocess.run(["bash", str(SCRIPT), command, str(folder)], check=True, timeout=180)

    run_script("stop-apiserver")
    try:
        # AWS changes while the API server is away
        for key in ("outage/one", "outage/two"):
            sm.put_secret_value(SecretId=key, SecretString=json.dumps({"password": "after"}))
        # the operator notices (a watch, and a sync that could not read its credentials) ...
        wait_for(
            lambda: "informer externalsecrets: could not" in operator.logs(),
            60,
            "the watch to fail",
        )
        wait_for(
            lambda: (
                f"could not read secret {ns}/awssm-secret: the API server is unreachable"
                in operator.logs()
            ),
            60,
            "a sync to fail",
        )
        # ... and keeps running
        assert operator.process.poll() is None
    finally:
        run_script("start-apiserver")

    # back: the change made meanwhile is synced, and the watches list again
    for name in ("one", "two"):
        wait_for(lambda n=name: _secret_value(kube, ns, n) == "after", 90, f"{name} after")
        wait_for(lambda n=name: kube.ready(ns, n), 30, f"the Ready of {name}")
        assert kube.ready(ns, name) == ("True", "SecretSynced", "secret synced")
    kube.apply(_es(ns, "three", "outage/one"))
    wait_for(
        lambda: _secret_value(kube, ns, "three") == "after", 90, "an ExternalSecret made after"
    )
    assert operator.process.poll() is None

    logs = operator.logs()
    records = [json.loads(line) for line in logs.splitlines() if line.strip()]
    assert "Traceback" not in logs
    assert [r for r in records if r["level"] in ("ERROR", "CRITICAL")] == []
    # the client's own text (pool repr, URL) never reaches a line
    assert "ConnectionPool" not in logs
    assert "Max retries" not in logs
    # each watch said once that it failed (not once per attempt), and that it works again
    said = [r for r in records if r["message"].startswith("informer externalsecrets:")]
    assert len(said) == 2, said
    assert said[0]["level"] == "WARNING"
    assert said[0]["message"].startswith(
        "informer externalsecrets: could not watch externalsecrets: the API server is unreachable ("
    )
    assert said[0]["message"].endswith("; retrying")
    assert said[1]["level"] == "INFO"
    assert said[1]["message"].startswith("informer externalsecrets: working again after ")
