"""The local cluster behaves like an API server where the engine can tell."""

from __future__ import annotations

import base64

import jwt
import pytest

from extsecrets.cluster.local import LocalCluster
from extsecrets.cluster.objects import SecretObject
from extsecrets.cluster.port import ClusterError, ConflictError
from extsecrets.plugins import PluginHost


@pytest.fixture
def cluster() -> LocalCluster:
    docs = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "data": {"a": base64.b64encode(b"1").decode()},
            "stringData": {"b": "2"},
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "robot", "namespace": "app", "uid": "u-1"},
        },
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "app", "labels": {"x": "y"}},
        },
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bad"}, "data": {"a": "!!"}},
    ]
    return LocalCluster.from_documents(docs, PluginHost.from_plugins({}))


def test_manifest_secrets_are_stored_as_the_api_server_would(cluster: LocalCluster) -> None:
    stored = cluster.get_secret("default", "s")
    assert stored is not None
    assert dict(stored.data) == {"a": b"1", "b": b"2"}
    assert stored.resource_version
    assert cluster.get_secret("default", "bad") is None
    bad = next(c for c in cluster.checked if c.ident.name == "bad")
    assert [p.path for p in bad.problems] == ["data.a"]


def test_namespaces_carry_their_name_label(cluster: LocalCluster) -> None:
    app = cluster.get_namespace("app")
    assert app is not None
    assert dict(app.labels) == {"x": "y", "kubernetes.io/metadata.name": "app"}
    implicit = cluster.get_namespace("elsewhere")
    assert implicit is not None
    assert dict(implicit.labels) == {"kubernetes.io/metadata.name": "elsewhere"}


def test_writes_use_optimistic_concurrency(cluster: LocalCluster) -> None:
    current = cluster.get_secret("default", "s")
    assert current is not None
    with pytest.raises(ConflictError):
        cluster.create_secret(SecretObject("default", "s"), "m", frozenset())
    updated = cluster.update_secret(
        SecretObject("default", "s", {"a": b"9"}, resource_version=current.resource_version),
        "m",
        frozenset({"a"}),
    )
    assert updated.resource_version != current.resource_version
    with pytest.raises(ConflictError):
        cluster.update_secret(current, "m", frozenset())  # stale version
    with pytest.raises(ConflictError):
        cluster.delete_secret("default", "s", current.resource_version)
    cluster.delete_secret("default", "s", updated.resource_version)
    assert cluster.get_secret("default", "s") is None


def test_field_managers_keep_what_they_wrote(cluster: LocalCluster) -> None:
    created = cluster.create_secret(
        SecretObject("app", "t", {"mine": b"1", "theirs": b"2"}), "me", frozenset({"mine"})
    )
    assert created.managed_keys == {"me": frozenset({"mine"})}
    updated = cluster.update_secret(
        SecretObject(
            "app", "t", {"theirs": b"2", "new": b"3"}, resource_version=created.resource_version
        ),
        "me",
        frozenset({"new"}),
    )
    assert updated.managed_keys["me"] == frozenset({"new"})


def test_immutable_secret_data_cannot_change(cluster: LocalCluster) -> None:
    created = cluster.create_secret(
        SecretObject("app", "i", {"a": b"1"}, immutable=True), "me", frozenset({"a"})
    )
    with pytest.raises(ClusterError, match="immutable"):
        cluster.update_secret(
            SecretObject(
                "app", "i", {"a": b"2"}, immutable=True, resource_version=created.resource_version
            ),
            "me",
            frozenset({"a"}),
        )


def test_service_account_tokens_are_signed_jwts_with_kubernetes_claims(
    cluster: LocalCluster,
) -> None:
    token = cluster.request_token("app", "robot", ["sts.amazonaws.com"], 3600)
    claims = jwt.decode(
        token.token,
        cluster.token_issuer.public_key_pem,
        algorithms=["RS256"],
        audience="sts.amazonaws.com",
    )
    assert claims["sub"] == "system:serviceaccount:app:robot"
    assert claims["iss"] == cluster.token_issuer.issuer
    assert claims["aud"] == ["sts.amazonaws.com"]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["kubernetes.io"] == {
        "namespace": "app",
        "serviceaccount": {"name": "robot", "uid": "u-1"},
    }
    assert token.token not in repr(token)
    with pytest.raises(ClusterError, match='serviceaccounts "ghost" not found'):
        cluster.request_token("app", "ghost", ["x"], 600)


def test_secret_reprs_never_show_values(cluster: LocalCluster) -> None:
    stored = cluster.get_secret("default", "s")
    assert "1" not in repr(stored.data)
    assert "MQ==" not in repr(stored)
