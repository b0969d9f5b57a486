"""The batch fallbacks (spec §0.14: BatchGetSecretValue or GetParametersByPath denied, reads go
one by one) on the operator's /metrics, as ``extsecrets_provider_batch_fallbacks_total``, with
the installed plugins against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import PS_STORE, SM_STORE, AuthWorld, client, external_secret, synced
from prometheus_client import generate_latest

from extsecrets.operator.metrics import OperatorMetrics


def fallbacks(world: AuthWorld) -> dict[str, float]:
    """The ``extsecrets_provider_batch_fallbacks_total`` samples of a scrape."""
    text = generate_latest(OperatorMetrics(world.host).registry).decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("extsecrets_provider_batch_fallbacks_total{"):
            series, _, value = line.rpartition(" ")
            out[series] = float(value)
    return out


def identity(monkeypatch: pytest.MonkeyPatch, key_id: str) -> None:
    # an identity of this test's own: denials are remembered per identity for an hour
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fallback-secret")


SM_SERIES = (
    'extsecrets_provider_batch_fallbacks_total{call="BatchGetSecretValue",'
    'provider="AWS/SecretsManager"}'
)
PS_SERIES = (
    'extsecrets_provider_batch_fallbacks_total{call="GetParametersByPath",'
    'provider="AWS/ParameterStore"}'
)


def test_a_denied_batch_get_secret_value_is_on_the_metrics_page(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity(monkeypatch, "AKIAFALLBACKMETRIC01")
    sm = client(aws, "secretsmanager")
    sm.create_secret(Name="a", SecretString="1")
    sm.create_secret(Name="b", SecretString="2")
    aws.fail("secretsmanager", "BatchGetSecretValue", "AccessDeniedException", count=-1)
    world = AuthWorld(
        SM_STORE % "",
        external_secret(
            "e",
            data=[
                {"secretKey": "a", "remoteRef": {"key": "a"}},
                {"secretKey": "b", "remoteRef": {"key": "b"}},
            ],
        ),
    )
    before = fallbacks(world)
    result = synced(world)["app/e"]
    assert result.ok, result.error
    after = fallbacks(world)
    assert after[SM_SERIES] == before.get(SM_SERIES, 0.0) + 1
    # a second cycle reads one by one without asking again: no new fallback
    assert synced(world)["app/e"].ok
    assert fallbacks(world) == after
    denied = aws.requests("secretsmanager", "BatchGetSecretValue")
    assert [r["status"] for r in denied] == [400]
    assert len(aws.requests("secretsmanager", "GetSecretValue")) == 4


def test_a_denied_get_parameters_by_path_is_on_the_metrics_page(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity(monkeypatch, "AKIAFALLBACKMETRIC02")
    ssm = client(aws, "ssm")
    ssm.put_parameter(Name="/app/a", Value="1", Type="String")
    aws.fail("ssm", "GetParametersByPath", "AccessDeniedException", count=-1)
    world = AuthWorld(
        PS_STORE % "", external_secret("e", dataFrom=[{"find": {"name": {"regexp": "^/app/"}}}])
    )
    before = fallbacks(world)
    assert synced(world)["app/e"].ok
    after = fallbacks(world)
    assert after[PS_SERIES] == before.get(PS_SERIES, 0.0) + 1
    assert {k: v for k, v in after.items() if k != PS_SERIES} == {
        k: v for k, v in before.items() if k != PS_SERIES
    }
