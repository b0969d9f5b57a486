"""The operator's metrics are exposed under ESO's exact names."""

from __future__ import annotations

from prometheus_client import generate_latest

import extsecrets
from extsecrets.operator.metrics import OperatorMetrics
from extsecrets.plugins import PluginHost


class Counting:
    @extsecrets.hookimpl
    def extsecrets_register(self) -> extsecrets.Registration:
        return extsecrets.Registration()

    @extsecrets.hookimpl
    def extsecrets_api_calls(self) -> dict[tuple[str, str, str], int]:
        return {("AWS/SecretsManager", "BatchGetSecretValue", "success"): 3}


def test_eso_metric_names() -> None:
    metrics = OperatorMetrics(PluginHost.from_plugins({"c": Counting()}))
    metrics.synced("app", "e", ok=True, ready="True")
    metrics.synced("app", "e", ok=False, ready="False")
    text = generate_latest(metrics.registry).decode()
    lines = set(text.splitlines())
    assert 'externalsecret_sync_calls_total{name="e",namespace="app"} 2.0' in lines
    assert 'externalsecret_sync_calls_error{name="e",namespace="app"} 1.0' in lines
    assert (
        'externalsecret_status_condition{condition="Ready",name="e",namespace="app",status="False"} 1.0'
        in lines
    )
    assert (
        'externalsecret_status_condition{condition="Ready",name="e",namespace="app",status="True"} 0.0'
        in lines
    )
    assert (
        'externalsecret_provider_api_calls_count{call="BatchGetSecretValue",'
        'provider="AWS/SecretsManager",status="success"} 3.0' in lines
    )


def test_a_deleted_external_secret_leaves_no_series() -> None:
    metrics = OperatorMetrics(PluginHost.from_plugins({"c": Counting()}))
    metrics.synced("app", "gone", ok=False, ready="False")
    metrics.synced("app", "kept", ok=True, ready="True")
    metrics.forget("app", "gone")
    text = generate_latest(metrics.registry).decode()
    assert 'name="gone"' not in text
    assert 'externalsecret_sync_calls_total{name="kept",namespace="app"} 1.0' in text
