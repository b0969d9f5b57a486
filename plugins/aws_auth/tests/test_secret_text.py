"""Nothing secret reaches text: credentials that are not UTF-8 are named by their key, never
shown; a JSON secret that cannot be read is named without its bytes or their offsets; the
credential cache key holds no credential in clear."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aws_kit import ENV_KEY_ID, SM_STORE, AuthWorld, client, external_secret, synced

from extsecrets.types import StoreView

STATIC = """
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: s, namespace: app}
spec:
  provider:
    aws:
      service: SecretsManager
      region: eu-central-1
      auth:
        secretRef:
          accessKeyIDSecretRef: {name: keys, key: id}
          secretAccessKeySecretRef: {name: keys, key: secret}
          sessionTokenSecretRef: {name: keys, key: token}
"""
READ_K = external_secret("e", data=[{"secretKey": "a", "remoteRef": {"key": "k"}}])


def keys(**values: bytes) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "keys", "namespace": "app"},
        "data": {k: base64.b64encode(v).decode() for k, v in values.items()},
    }


@pytest.mark.parametrize(
    ("broken", "label"), [("secret", "SecretAccessKey"), ("token", "SessionToken")]
)
def test_a_credential_that_is_not_utf8_is_named_by_its_key(
    aws: Any, broken: str, label: str
) -> None:
    values = {"id": b"AKIASTATIC0000000001", "secret": b"s3cr3t", "token": b"t0k3n"}
    values[broken] = b"s3cr3t\xff\xfepart"
    world = AuthWorld(STATIC, keys(**values), READ_K)
    error = synced(world)["app/e"].error
    assert error == (
        "error processing spec.data[0] (key: k), err: unable to create session: could not fetch "
        f'{label} secret: key "{broken}" of Kubernetes secret "keys" in namespace "app" is not '
        "valid UTF-8"
    )
    for leak in ("s3cr3t", "0xff", "\\xff", "position", "codec"):
        assert leak not in error
    assert aws.requests() == []


SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "secret-key-value-1",
    "AWS_SESSION_TOKEN": "session-token-value-1",
    "AWS_SECURITY_TOKEN": "security-token-value-1",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-token-value-1",
}


def default_chain_key(world: AuthWorld) -> Any:
    (store,) = world.stores()
    view = StoreView("SecretStore", "s", "app", "aws", "SecretsManager", store.spec.provider.config)
    return world.host.credentials_key(view, "app", world.cluster)


def test_the_cache_key_hashes_every_secret_of_the_default_chain(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    world = AuthWorld(SM_STORE % "")
    key = default_chain_key(world)
    assert default_chain_key(world) == key
    for value in SECRETS.values():
        assert value not in repr(key)
        assert value not in str(key)
    seen = {key}
    # each of them, changed alone, gives credentials of their own
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value.replace("-1", "-2"))
        changed = default_chain_key(world)
        assert changed not in seen, name
        assert value.replace("-1", "-2") not in repr(changed)
        seen.add(changed)


def test_the_cache_key_of_static_keys_holds_no_value(aws: Any) -> None:
    values = {"id": b"AKIASTATIC0000000001", "secret": b"static-secret", "token": b"static-tok"}
    world = AuthWorld(STATIC, keys(**values))
    (store,) = world.stores()
    view = StoreView("SecretStore", "s", "app", "aws", "SecretsManager", store.spec.provider.config)
    key = world.host.credentials_key(view, "app", world.cluster)
    assert "static-secret" not in repr(key)
    assert "static-tok" not in repr(key)


def test_a_json_secret_that_cannot_be_read_is_named_without_its_bytes(
    aws: Any, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    sm = client(aws, "secretsmanager")
    sm.create_secret(Name="binary", SecretBinary=b'{"password": "hunter2\xff\xfe"}')
    sm.create_secret(Name="text", SecretString='{"password": hunter2}')
    world = AuthWorld(
        SM_STORE % "",
        external_secret("bin", dataFrom=[{"extract": {"key": "binary"}}]),
        external_secret("txt", dataFrom=[{"extract": {"key": "text"}}]),
    )
    results = synced(world)
    assert results["app/bin"].error == (
        "error processing spec.dataFrom[0].extract, err: unable to unmarshal secret binary: "
        "the value is not valid UTF-8"
    )
    assert results["app/txt"].error == (
        "error processing spec.dataFrom[0].extract, err: unable to unmarshal secret text: "
        "Expecting value"
    )
    for result in results.values():
        for leak in ("hunter2", "char", "column", "position", "0xff"):
            assert leak not in str(result.error)
