"""The per-secret ``Errors`` of a BatchGetSecretValue answer (AWS reads up to 20 secrets in one
call and fails some of them alone): the error fails exactly the reference to that secret, with a
clear message, and everything else read in the same call keeps its value.

The emulator answers the batch call with a made-up answer (``EmulatorClient.answer``): moto never
returns such errors by itself. What the engine made of it is read from the sync results and the
Secrets it wrote; what was asked from AWS from the emulator's recorded requests.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import ENV_KEY_ID, SM_STORE, AuthWorld, client, data_of, external_secret, synced

NAMES = ("app/a", "app/b", "app/c")


@pytest.fixture
def sm(aws: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Three secrets; the engine's identity from the environment. Returns name -> ARN."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    sm = client(aws, "secretsmanager")
    arns = {}
    for name in NAMES:
        arns[name] = sm.create_secret(Name=name, SecretString=f"first {name}")["ARN"]
    return arns


def _answer(arns: dict[str, str], failed: str, code: str) -> dict[str, Any]:
    """AWS's answer to a batch of the three: two values, and ``failed`` in ``Errors``."""
    return {
        "SecretValues": [
            {
                "ARN": arn,
                "Name": name,
                "SecretString": f"second {name}",
                "VersionId": "00000000-0000-0000-0000-000000000002",
                "VersionStages": ["AWSCURRENT"],
            }
            for name, arn in arns.items()
            if name != failed
        ],
        "Errors": [
            {"SecretId": failed, "ErrorCode": code, "Message": f"{code} for this secret (test)"}
        ],
    }


def _world() -> AuthWorld:
    """``both`` reads a and c, ``failing`` reads b, ``mixed`` reads a and b."""
    return AuthWorld(
        SM_STORE % "",
        external_secret(
            "both",
            data=[
                {"secretKey": "a", "remoteRef": {"key": "app/a"}},
                {"secretKey": "c", "remoteRef": {"key": "app/c"}},
            ],
        ),
        external_secret("failing", data=[{"secretKey": "b", "remoteRef": {"key": "app/b"}}]),
        external_secret(
            "mixed",
            data=[
                {"secretKey": "a", "remoteRef": {"key": "app/a"}},
                {"secretKey": "b", "remoteRef": {"key": "app/b"}},
            ],
        ),
    )


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("ResourceNotFoundException", "Secret does not exist"),
        (
            "DecryptionFailure",
            "DecryptionFailure: DecryptionFailure for this secret (test)",
        ),
        (
            "InternalServiceError",
            "InternalServiceError: InternalServiceError for this secret (test)",
        ),
        (
            "SomethingNewFromAWS",
            "SomethingNewFromAWS: SomethingNewFromAWS for this secret (test)",
        ),
    ],
)
def test_an_error_entry_fails_exactly_its_reference(
    aws: Any, sm: dict[str, str], code: str, error: str
) -> None:
    world = _world()
    first = synced(world)
    assert all(r.ok for r in first.values()), {k: r.error for k, r in first.items()}

    aws.clear_requests()
    aws.answer("secretsmanager", "BatchGetSecretValue", _answer(sm, "app/b", code))
    results = synced(world)

    # one call for the three secrets, and nothing asked again one by one
    calls = [
        (r["operation"], sorted(r["params"]["SecretIdList"]))
        for r in aws.requests("secretsmanager")
    ]
    assert calls == [("BatchGetSecretValue", list(NAMES))]
    # the reference to app/b fails, with the code and AWS's message; no other does
    assert results["app/both"].ok
    assert data_of(world, "both") == {"a": b"second app/a", "c": b"second app/c"}
    for name, index in (("failing", 0), ("mixed", 1)):
        result = results[f"app/{name}"]
        assert result.error == f"error processing spec.data[{index}] (key: app/b), err: {error}"
        (ready,) = [c for c in result.status.conditions if c.type == "Ready"]
        assert (ready.status, ready.reason) == ("False", "SecretSyncedError")
    # a failed sync writes nothing: the Secrets keep the values of the last good sync
    assert data_of(world, "failing") == {"b": b"first app/b"}
    assert data_of(world, "mixed") == {"a": b"first app/a", "b": b"first app/b"}
