"""Role chains, external id, session tags and their precedence, as they reached STS."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import ENV_KEY_ID, AuthWorld, params_list, params_tags

import extsecrets
from extsecrets.plugins import PluginHost
from extsecrets.types import StoreView


@pytest.fixture(autouse=True)
def env_identity(aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")


def store(namespace: str = "team-b", kind: str = "SecretStore", **aws: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "team-b-store"}
    if kind == "SecretStore":
        meta["namespace"] = namespace
    provider = {"service": "SecretsManager", "region": "eu-central-1", **aws}
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": kind,
        "metadata": meta,
        "spec": {"provider": {"aws": provider}},
    }


def assumes(aws) -> list[dict[str, Any]]:
    return [r for r in aws.requests("sts") if r["operation"] == "AssumeRole"]


def test_the_chain_assumes_additional_roles_in_order_then_role_with_external_id(aws) -> None:
    world = AuthWorld(
        "",
        store(
            additionalRoles=["arn:aws:iam::111111111111:role/first", "second"],
            role="arn:aws:iam::222222222222:role/final",
            externalID="ext-123",
            sessionTagsPolicy="Simple",
            transitiveTagKeys=["esoNamespace"],
        ),
    )
    (result,) = world.validate().values()
    assert result.ok, result.error
    calls = assumes(aws)
    assert [c["params"]["RoleArn"] for c in calls] == [
        "arn:aws:iam::111111111111:role/first",
        # a bare name resolves in the account of the credentials assuming it: the first hop's
        "arn:aws:iam::111111111111:role/second",
        "arn:aws:iam::222222222222:role/final",
    ]
    # each hop is signed by the previous one's credentials
    assert calls[0]["access_key_id"] == ENV_KEY_ID
    assert calls[1]["access_key_id"] != ENV_KEY_ID
    assert calls[2]["access_key_id"] not in (ENV_KEY_ID, calls[1]["access_key_id"])
    # external id, tags and transitive keys only on the final role
    for hop in calls[:2]:
        assert "ExternalId" not in hop["params"]
        assert params_tags(hop["params"]) == {}
        assert params_list(hop["params"], "TransitiveTagKeys") == []
    final = calls[2]["params"]
    assert final["ExternalId"] == "ext-123"
    assert params_list(final, "TransitiveTagKeys") == ["esoNamespace"]
    # no GetCallerIdentity was needed: the first hop's ARN told the account
    assert [r["operation"] for r in aws.requests("sts")] == ["AssumeRole"] * 3


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, {}),
        ({"sessionTags": [{"key": "team", "value": "b"}]}, {"team": "b"}),
        (
            {"sessionTagsPolicy": "Simple", "sessionTags": [{"key": "team", "value": "b"}]},
            {
                "team": "b",
                "esoNamespace": "team-b",
                "esoStoreName": "team-b-store",
                "esoStoreKind": "SecretStore",
            },
        ),
        (
            {
                "sessionTagsPolicy": "Custom",
                "customSessionTags": {"env": "production", "team": "platform", "empty": ""},
                "sessionTags": [{"key": "team", "value": "manual"}, {"key": "cost", "value": "1"}],
            },
            {
                "env": "production",
                "team": "platform",  # customSessionTags beat sessionTags
                "cost": "1",
                "esoNamespace": "team-b",
                "esoStoreName": "team-b-store",
                "esoStoreKind": "SecretStore",
            },
        ),
    ],
)
def test_session_tags_per_policy(aws, settings: dict[str, Any], expected: dict[str, str]) -> None:
    world = AuthWorld("", store(role="team-b", **settings))
    world.validate()
    (call,) = assumes(aws)
    assert params_tags(call["params"]) == expected


def test_transitive_tag_keys_are_only_sent_with_tags(aws) -> None:
    world = AuthWorld("", store(role="team-b", transitiveTagKeys=["team"]))
    world.validate()
    (call,) = assumes(aws)
    assert params_list(call["params"], "TransitiveTagKeys") == []


class TagPlugin:
    """Another plugin contributing session tags through the core's hook."""

    @extsecrets.hookimpl
    def extsecrets_register(self) -> extsecrets.Registration:
        return extsecrets.Registration()

    @extsecrets.hookimpl
    def extsecrets_session_tags(self, subject: StoreView, namespace: str) -> dict[str, str]:
        return {"cluster": "prod-eu", "esoNamespace": "spoofed", "team": "from-plugin"}


def test_contributed_tags_sit_below_the_stores_own_and_never_beat_the_built_ins(aws) -> None:
    world = AuthWorld(
        "",
        store(
            role="team-b",
            sessionTagsPolicy="Custom",
            customSessionTags={"team": "platform"},
        ),
    )
    from extsecrets_aws_auth import plugin as auth_plugin
    from extsecrets_aws_secretsmanager import plugin as sm_plugin

    world.host = PluginHost.from_plugins(
        {"aws-auth": auth_plugin, "aws-secretsmanager": sm_plugin, "tags": TagPlugin()}
    )
    world.engine.host = world.host
    world.validate()
    (call,) = assumes(aws)
    assert params_tags(call["params"]) == {
        "cluster": "prod-eu",
        "team": "platform",
        "esoNamespace": "team-b",
        "esoStoreName": "team-b-store",
        "esoStoreKind": "SecretStore",
    }


def test_a_cluster_store_tags_the_namespace_it_is_used_from(aws) -> None:
    world = AuthWorld(
        "", store(kind="ClusterSecretStore", role="team-b", sessionTagsPolicy="Simple")
    )
    (view,) = [
        StoreView(
            "ClusterSecretStore",
            "team-b-store",
            None,
            "aws",
            "SecretsManager",
            c.obj.spec.provider.config,
        )
        for c in world.cluster.checked
    ]
    world.host.authenticate(view, "team-x", world.cluster)
    (call,) = assumes(aws)
    assert params_tags(call["params"])["esoNamespace"] == "team-x"
    assert params_tags(call["params"])["esoStoreKind"] == "ClusterSecretStore"


def test_access_denied_on_assume_role_is_an_auth_error(aws) -> None:
    aws.fail("sts", "AssumeRole", "AccessDenied", status=403, message="not authorized to assume")
    world = AuthWorld("", store(role="arn:aws:iam::123456789012:role/nope"))
    (result,) = world.validate().values()
    assert result.error == (
        "unable to create session: AssumeRole arn:aws:iam::123456789012:role/nope: An error "
        "occurred (AccessDenied) when calling the AssumeRole operation: not authorized to assume"
    )
    assert len(assumes(aws)) == 1  # access denied is not retried
