"""Every auth example of the seed page, driven through the core against the AWS emulator,
asserting on the requests that reached it."""

from __future__ import annotations

import jwt
import pytest
from aws_kit import ENV_KEY_ID, AuthWorld, params_tags, secret_doc, seed

ROLE_NAME_STORE = seed("01-pod-identity-assume-role")


@pytest.fixture
def env_identity(aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")


def test_pod_identity_with_a_bare_role_name(aws, env_identity) -> None:
    world = AuthWorld(ROLE_NAME_STORE)
    (result,) = world.validate().values()
    assert result.ok, result.error
    whoami, assume = aws.requests("sts")
    assert (whoami["operation"], whoami["access_key_id"]) == ("GetCallerIdentity", ENV_KEY_ID)
    assert assume["operation"] == "AssumeRole"
    assert assume["access_key_id"] == ENV_KEY_ID
    assert assume["params"]["RoleArn"] == "arn:aws:iam::123456789012:role/team-b"
    assert assume["params"]["RoleSessionName"] == "external-secrets-provider-aws"
    assert assume["region"] == "eu-central-1"
    assert "ExternalId" not in assume["params"]
    assert params_tags(assume["params"]) == {}


def test_a_second_validation_makes_no_sts_call(aws, env_identity) -> None:
    world = AuthWorld(ROLE_NAME_STORE)
    world.validate()
    before = len(aws.requests("sts"))
    world.validate()
    assert len(aws.requests("sts")) == before == 2


SECRET_REF_STORE = seed("02-secret-ref")


def test_secret_ref_keys_sign_the_role_assumption(aws) -> None:
    world = AuthWorld(
        SECRET_REF_STORE,
        secret_doc(
            "awssm-secret",
            "default",
            **{"access-key": "AKIASTATIC0000000001", "secret-access-key": "s"},
        ),
    )
    (result,) = world.validate().values()
    assert result.ok, result.error
    assert [(r["operation"], r["access_key_id"]) for r in aws.requests("sts")] == [
        ("GetCallerIdentity", "AKIASTATIC0000000001"),
        ("AssumeRole", "AKIASTATIC0000000001"),
    ]


def test_secret_ref_missing_secret_and_key_use_esos_texts(aws) -> None:
    world = AuthWorld(SECRET_REF_STORE)
    (result,) = world.validate().values()
    assert result.error == (
        "unable to create session: could not fetch SecretAccessKey secret: cannot get Kubernetes "
        'secret "awssm-secret" from namespace "default": secrets "awssm-secret" not found'
    )
    assert (result.reason, result.message) == ("InvalidProviderConfig", "unable to create client")
    world = AuthWorld(
        SECRET_REF_STORE, secret_doc("awssm-secret", "default", **{"access-key": "A"})
    )
    (result,) = world.validate().values()
    assert result.error == (
        "unable to create session: could not fetch SecretAccessKey secret: cannot find secret "
        'data for key: "secret-access-key"'
    )
    assert aws.requests() == []


JWT = seed("03-service-account", "04-jwt")


def test_service_account_token_is_exchanged_for_the_annotated_role(aws) -> None:
    world = AuthWorld(JWT)
    (result,) = world.validate().values()
    assert result.ok, result.error
    (call,) = aws.requests("sts")
    assert call["operation"] == "AssumeRoleWithWebIdentity"
    assert call["params"]["RoleArn"] == "arn:aws:iam::123456789012:role/team-a"
    assert call["params"]["RoleSessionName"] == "external-secrets-provider-aws"
    claims = jwt.decode(
        call["params"]["WebIdentityToken"],
        world.cluster.token_issuer.public_key_pem,
        algorithms=["RS256"],
        audience="sts.amazonaws.com",
    )
    assert claims["sub"] == "system:serviceaccount:default:my-serviceaccount"
    assert claims["aud"] == ["sts.amazonaws.com"]


def test_audiences_come_from_the_annotation_then_the_ref(aws) -> None:
    world = AuthWorld(
        """
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
  namespace: app
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/team-a
    eks.amazonaws.com/audience: my-aud
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: s, namespace: app}
spec:
  provider:
    aws:
      service: SecretsManager
      region: eu-central-1
      auth: {jwt: {serviceAccountRef: {name: sa, audiences: [extra]}}}
"""
    )
    world.validate()
    (call,) = aws.requests("sts")
    claims = jwt.decode(call["params"]["WebIdentityToken"], options={"verify_signature": False})
    assert claims["aud"] == ["my-aud", "extra"]


def test_pod_identity_with_service_account_ref_prints_the_seed_error(aws) -> None:
    text = JWT.replace(
        "    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/team-a\n", "    {}\n"
    ).replace("  annotations:\n    {}\n", "")
    world = AuthWorld(text)
    (result,) = world.validate().values()
    assert result.error == (
        "unable to create session: an IAM role must be associated with service account "
        "my-serviceaccount (namespace: default)"
    )
    assert aws.requests() == []


POD_IDENTITY_STORE = seed("05-eks-pod-identity")


def test_no_auth_and_no_identity_fails_clearly(aws) -> None:
    world = AuthWorld(POD_IDENTITY_STORE)
    (result,) = world.validate().values()
    assert result.error is not None
    assert result.error.startswith("unable to create session: no credentials in the default chain")


@pytest.mark.parametrize(
    ("example", "extra"),
    [
        ("06-session-tags-simple", {}),
        ("07-session-tags-custom", {"env": "production", "team": "platform"}),
    ],
)
def test_the_seed_session_tag_examples(aws, env_identity, example: str, extra: dict) -> None:
    world = AuthWorld(seed(example))
    (result,) = world.validate().values()
    assert result.ok, result.error
    (assume,) = aws.requests("sts", "AssumeRole")
    assert params_tags(assume["params"]) == {
        "esoNamespace": "team-b",
        "esoStoreName": "team-b-store",
        "esoStoreKind": "SecretStore",
        **extra,
    }
