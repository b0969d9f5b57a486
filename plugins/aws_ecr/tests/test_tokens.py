"""ECRAuthorizationToken through the core: private ECR on the emulator, ECR Public on the local
responder, the token formats that must fail, and the refresh before expiry."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from aws_kit import AuthWorld, data_of, secret_doc, synced

GENERATOR = """
apiVersion: generators.external-secrets.io/v1alpha1
kind: ECRAuthorizationToken
metadata: {name: ecr, namespace: app}
spec:
  region: eu-west-1
"""


def uses(generator: str = "ecr", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "pull", "namespace": "app"},
        "spec": {
            "refreshInterval": "24h",
            "dataFrom": [
                {
                    "sourceRef": {
                        "generatorRef": {"kind": "ECRAuthorizationToken", "name": generator}
                    }
                }
            ],
            **spec,
        },
    }


def test_private_ecr_token(aws) -> None:
    world = AuthWorld(GENERATOR, uses())
    result = synced(world)["app/pull"]
    assert result.ok, result.error
    data = data_of(world, "pull")
    assert data["username"] == b"AWS"
    assert data["password"] == b"123456789012-auth-token"
    assert data["proxy_endpoint"] == b"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    # moto's token expired on 2015-01-01: its Unix time, and an immediate refresh
    assert (
        data["expires_at"] == str(int(dt.datetime(2015, 1, 1, tzinfo=dt.UTC).timestamp())).encode()
    )
    assert result.refresh_after == 0
    (call,) = aws.requests("ecr", "GetAuthorizationToken")
    assert call["region"] == "eu-west-1"


def test_public_ecr_token(aws, ecr_public) -> None:
    world = AuthWorld(GENERATOR + "  scope: public\n", uses())
    result = synced(world)["app/pull"]
    assert result.ok, result.error
    assert data_of(world, "pull") == {
        "username": b"AWS",
        "password": b"public-token",
        "expires_at": str(int(ecr_public.expires_at)).encode(),
    }
    assert ecr_public.requests == [
        {"region": "us-east-1", "target": "SpencerFrontendService.GetAuthorizationToken"}
    ]
    # refreshed five minutes before the 12 hours are up, not after refreshInterval (24h)
    assert result.refresh_after == pytest.approx(12 * 3600 - 300, abs=60)


@pytest.mark.parametrize("scope", ["private", "Public", ""])
def test_only_exactly_public_selects_ecr_public(aws, scope: str) -> None:
    world = AuthWorld(GENERATOR + f"  scope: '{scope}'\n", uses())
    assert synced(world)["app/pull"].ok
    assert len(aws.requests("ecr", "GetAuthorizationToken")) == 1


def token(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (
            {"authorizationData": []},
            "unexpected number of authorization tokens. expected 1, found 0",
        ),
        (
            {
                "authorizationData": [
                    {"authorizationToken": token("AWS:a"), "expiresAt": 1, "proxyEndpoint": "x"},
                    {"authorizationToken": token("AWS:b"), "expiresAt": 1, "proxyEndpoint": "y"},
                ]
            },
            "unexpected number of authorization tokens. expected 1, found 2",
        ),
        (
            {"authorizationData": [{"authorizationToken": token("no-colon"), "expiresAt": 1}]},
            "unexpected token format",
        ),
        (
            {"authorizationData": [{"authorizationToken": token("a:b:c"), "expiresAt": 1}]},
            "unexpected token format",
        ),
        (
            {"authorizationData": [{"authorizationToken": "!!not base64", "expiresAt": 1}]},
            "illegal base64 data",
        ),
    ],
)
def test_answers_that_must_fail(aws, answer: dict[str, Any], error: str) -> None:
    aws.answer("ecr", "GetAuthorizationToken", answer, count=-1)
    world = AuthWorld(GENERATOR, uses())
    assert synced(world)["app/pull"].error == (
        "error processing spec.dataFrom[0].sourceRef.generatorRef, err: error using generator: "
        + error
    )


def test_public_token_format_must_have_two_parts(aws, ecr_public) -> None:
    ecr_public.token = "no-colon"
    world = AuthWorld(GENERATOR + "  scope: public\n", uses())
    assert synced(world)["app/pull"].error == (
        "error processing spec.dataFrom[0].sourceRef.generatorRef, err: error using generator: "
        "unexpected token format"
    )


def test_a_refused_call_is_named(aws) -> None:
    aws.fail("ecr", "GetAuthorizationToken", "AccessDeniedException", message="nope", count=-1)
    world = AuthWorld(GENERATOR, uses())
    assert synced(world)["app/pull"].error == (
        "error processing spec.dataFrom[0].sourceRef.generatorRef, err: error using generator: "
        "unable to get authorization token: An error occurred (AccessDeniedException) when "
        "calling the GetAuthorizationToken operation: nope"
    )


def test_role_and_static_keys_from_the_callers_namespace(aws) -> None:
    generator = (
        GENERATOR
        + """  role: puller
  auth:
    secretRef:
      accessKeyIDSecretRef: {name: keys, key: id}
      secretAccessKeySecretRef: {name: keys, key: secret}
"""
    )
    world = AuthWorld(
        generator, uses(), secret_doc("keys", "app", id="AKIAECRKEYS000000001", secret="s")
    )
    assert synced(world)["app/pull"].ok
    sts = aws.requests("sts")
    assert [r["access_key_id"] for r in sts] == ["AKIAECRKEYS000000001"] * 2
    assert sts[1]["params"]["RoleArn"] == "arn:aws:iam::123456789012:role/puller"
    (call,) = aws.requests("ecr")
    assert call["access_key_id"] not in ("AKIAECRKEYS000000001", None)


def test_a_service_account_without_a_role_is_the_seed_error(aws) -> None:
    generator = GENERATOR + "  auth: {jwt: {serviceAccountRef: {name: puller}}}\n"
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "puller", "namespace": "app"},
    }
    world = AuthWorld(generator, uses(), account)
    assert synced(world)["app/pull"].error == (
        "error processing spec.dataFrom[0].sourceRef.generatorRef, err: error using generator: "
        "unable to create aws session: an IAM role must be associated with service account "
        "puller (namespace: app)"
    )


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ({"authorizationToken": token("AWS:a")}, "malformed answer: no expiresAt"),
        (
            {"authorizationToken": 12345, "expiresAt": 1},
            "malformed answer: authorizationData, authorizationToken or expiresAt is not of "
            "the expected type",
        ),
    ],
)
def test_a_malformed_answer_names_the_field_not_an_exception_class(
    aws, entry: dict[str, Any], error: str
) -> None:
    aws.answer("ecr", "GetAuthorizationToken", {"authorizationData": [entry]}, count=-1)
    world = AuthWorld(GENERATOR, uses())
    assert synced(world)["app/pull"].error == (
        "error processing spec.dataFrom[0].sourceRef.generatorRef, err: error using generator: "
        + error
    )


def test_an_unreachable_ecr_is_named_and_not_a_type_error(aws, monkeypatch) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("AWS_ECR_ENDPOINT", endpoint)
    try:
        world = AuthWorld(GENERATOR, uses())
        error = synced(world)["app/pull"].error
    finally:
        sock.close()
    assert error == (
        "error processing spec.dataFrom[0].sourceRef.generatorRef, err: error using generator: "
        f'unable to get authorization token: Could not connect to the endpoint URL: "{endpoint}/"'
    )
