"""The operator on the real API server when AWS cannot be reached (issue 15, item 10): the
ExternalSecret says why in its status and event (botocore's text, not an exception class
name), the failed call is counted on /metrics, and the Secret synced before is kept."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest
from operator_kit import wait_for
from test_operator import external_secret, keys_secret, store, value
from test_operator import sm as sm  # the fixture

pytestmark = pytest.mark.kube


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sample(metrics: str, metric: str, **labels: str) -> float | None:
    for line in metrics.splitlines():
        if not line.startswith(metric + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.index("}")]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def update_failed(kube: Any, namespace: str, name: str) -> list[str]:
    return [
        e.message or ""
        for e in kube.core.list_namespaced_event(namespace).items
        if e.involved_object.name == name and e.reason == "UpdateFailed"
    ]


def test_unreachable_secrets_manager_is_a_named_counted_error(
    kube, aws, sm, run_operator, monkeypatch
) -> None:
    ns = kube.namespace()
    kube.apply(keys_secret(ns))
    kube.apply(store(ns))
    kube.apply(external_secret(ns))
    # this namespace only: ExternalSecrets that earlier tests left in the session's API server
    # would fail against the closed port too and add to the call counts
    first = run_operator("--namespace", ns)
    wait_for(lambda: value(kube, ns, "app", "password") == "s3cret-one", 60, "the first sync")
    first.stop()

    # AWS goes away: the operator that starts now finds nothing listening
    port = closed_port()
    monkeypatch.setenv("AWS_SECRETSMANAGER_ENDPOINT", f"http://127.0.0.1:{port}")
    # a change the operator must try to sync (the Secret does not match the spec any more)
    data = [
        {"secretKey": "password", "remoteRef": {"key": "app/db", "property": "password"}},
        {"secretKey": "again", "remoteRef": {"key": "app/db", "property": "password"}},
    ]
    kube.custom.patch_namespaced_custom_object(
        "external-secrets.io", "v1", ns, "externalsecrets", "app", {"spec": {"data": data}}
    )
    operator = run_operator("--namespace", ns)
    wait_for(lambda: (kube.ready(ns, "app") or ("",))[0] == "False", 60, "Ready=False")
    assert kube.ready(ns, "app") == (
        "False",
        "SecretSyncedError",
        "could not get secret data from provider",
    )
    messages = wait_for(lambda: update_failed(kube, ns, "app"), 30, "an UpdateFailed event")
    assert messages[0] == (
        "error processing spec.data[0] (key: app/db), err: "
        f'Could not connect to the endpoint URL: "http://127.0.0.1:{port}/"'
    )
    # every failed sync made exactly one counted failed call, seen in the same scrape
    metrics = operator.scrape()
    errors = sample(
        metrics,
        "externalsecret_provider_api_calls_count",
        provider="AWS/SecretsManager",
        call="BatchGetSecretValue",
        status="error",
    )
    failed_syncs = sample(metrics, "externalsecret_sync_calls_error", name="app", namespace=ns)
    assert failed_syncs is not None
    assert failed_syncs >= 1
    assert errors == failed_syncs
    assert (
        sample(
            metrics,
            "externalsecret_provider_api_calls_count",
            provider="AWS/SecretsManager",
            call="BatchGetSecretValue",
            status="success",
        )
        is None
    )
    # the Secret synced before keeps its data; the log names the failure, no exception class
    assert value(kube, ns, "app", "password") == "s3cret-one"
    logs = operator.logs()
    assert "Could not connect to the endpoint URL" in logs
    assert "TypeError" not in logs
    assert "Traceback" not in logs
