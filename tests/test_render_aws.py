"""`extsecrets render` against the AWS emulator with the seed page's SecretStores: real values
through the real plugins, found only through the endpoint variables."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml
from aws_kit import ENV_KEY_ID, client, seed

# The seed page's stores verbatim (02 to 04, all in "default"), its first example (01, which
# shares 02's name) as the session-tag examples place it, in namespace team-b, and
# ExternalSecrets reading through them.
SEED_STORES = (
    seed("02-secret-ref", "03-service-account", "04-jwt")
    + """
---
apiVersion: v1
kind: Secret
metadata: {name: awssm-secret}
stringData: {access-key: AKIASTATICKEY0000001, secret-access-key: s}
"""
)
MANIFESTS = (
    SEED_STORES
    + """
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: team-b-store, namespace: team-b}
spec:
  provider:
    aws: {service: SecretsManager, region: eu-central-1, role: team-b}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app, namespace: team-b}
spec:
  secretStoreRef: {name: team-b-store}
  data:
  - secretKey: username
    remoteRef: {key: team-b/db, property: username}
  - secretKey: previous-password
    remoteRef: {key: team-b/db, property: password, version: AWSPREVIOUS}
  dataFrom:
  - extract: {key: team-b/db}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: found}
spec:
  secretStoreRef: {name: team-b-store}
  dataFrom:
  - find: {name: {regexp: "^team-b/api-"}}
  - find: {tags: {owner: team-b}}
  - find: {path: team-b/cfg, name: {regexp: "-eu$"}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: irsa}
spec:
  secretStoreRef: {name: secretstore-sample}
  data:
  - secretKey: token
    remoteRef: {key: shared/token}
"""
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def seeded(aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    sm = client(aws, "secretsmanager")
    sm.create_secret(
        Name="team-b/db", SecretString=json.dumps({"username": "b", "password": "old"})
    )
    sm.put_secret_value(
        SecretId="team-b/db", SecretString=json.dumps({"username": "b", "password": "new"})
    )
    sm.create_secret(Name="team-b/api-key", SecretString="k1")
    sm.create_secret(
        Name="team-b/tagged", SecretString="t1", Tags=[{"Key": "owner", "Value": "team-b"}]
    )
    sm.create_secret(Name="team-b/cfg-eu", SecretString="eu")
    sm.create_secret(Name="team-b/cfg-us", SecretString="us")
    sm.create_secret(Name="shared/token", SecretString="tok")
    aws.clear_requests()


def test_render_syncs_the_seed_stores_from_the_emulator(
    aws, seeded, extsecrets_cmd, tmp_path: Path
) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(MANIFESTS)
    result = extsecrets_cmd("render", "-f", str(path))
    assert result.returncode == 0, result.stderr
    secrets = {
        (d["metadata"]["namespace"], d["metadata"]["name"]): d["data"]
        for d in yaml.safe_load_all(result.stdout)
    }
    assert secrets == {
        ("default", "irsa"): {"token": b64("tok")},
        ("team-b", "app"): {
            "username": b64("b"),
            "password": b64("new"),
            "previous-password": b64("old"),
        },
        ("default", "found"): {
            "team-b_api-key": b64("k1"),
            "team-b_tagged": b64("t1"),
            "team-b_cfg-eu": b64("eu"),
        },
    }
    calls = [(r["service"], r["operation"]) for r in aws.requests()]
    # one batch per store for the current values, one read for the versioned one
    assert calls.count(("secretsmanager", "GetSecretValue")) == 1
    assert calls.count(("sts", "AssumeRoleWithWebIdentity")) == 1
    signers = {r["access_key_id"] for r in aws.requests("sts", "GetCallerIdentity")}
    assert signers == {ENV_KEY_ID, "AKIASTATICKEY0000001"}
    assert "new" not in result.stderr


# "If you are using Parameter Store replace service: SecretsManager with service:
# ParameterStore in all examples below." (the seed page)
PS_MANIFESTS = (
    SEED_STORES.replace("SecretsManager", "ParameterStore")
    + """
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: params}
spec:
  secretStoreRef: {name: team-b-store}
  data:
  - {secretKey: user, remoteRef: {key: /team-b/db, property: user}}
  - {secretKey: first, remoteRef: {key: /team-b/db, property: user, version: "1"}}
  - {secretKey: labelled, remoteRef: {key: /team-b/db, property: user, version: stable}}
  dataFrom:
  - extract: {key: /team-b/db}
  - find: {name: {regexp: "^/team-b/flags/"}}
  - find: {tags: {owner: team-b}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: irsa}
spec:
  secretStoreRef: {name: secretstore-sample}
  data:
  - {secretKey: token, remoteRef: {key: /shared/token}}
"""
)


def test_render_syncs_parameter_store_values(
    aws, extsecrets_cmd, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    ssm = client(aws, "ssm")
    ssm.put_parameter(
        Name="/team-b/db", Value=json.dumps({"user": "one", "port": 1}), Type="SecureString"
    )
    ssm.put_parameter(
        Name="/team-b/db",
        Value=json.dumps({"user": "two", "port": 2}),
        Type="SecureString",
        Overwrite=True,
    )
    ssm.label_parameter_version(Name="/team-b/db", ParameterVersion=1, Labels=["stable"])
    ssm.put_parameter(Name="/team-b/flags/a", Value="on", Type="String")
    ssm.put_parameter(
        Name="/team-b/tagged", Value="t", Type="String", Tags=[{"Key": "owner", "Value": "team-b"}]
    )
    ssm.put_parameter(Name="/shared/token", Value="tok", Type="SecureString")
    aws.clear_requests()
    path = tmp_path / "ps.yaml"
    path.write_text(PS_MANIFESTS)
    result = extsecrets_cmd("render", "-f", str(path))
    assert result.returncode == 0, result.stderr
    secrets = {d["metadata"]["name"]: d["data"] for d in yaml.safe_load_all(result.stdout)}
    assert secrets == {
        "irsa": {"token": b64("tok")},
        "params": {
            "user": b64("two"),
            "first": b64("one"),
            "labelled": b64("one"),
            "port": b64("2"),
            "_team-b_flags_a": b64("on"),
            "_team-b_tagged": b64("t"),
        },
    }
    operations = [r["operation"] for r in aws.requests("ssm")]
    assert "GetParameter" not in operations


ECR_MANIFESTS = """
apiVersion: generators.external-secrets.io/v1alpha1
kind: ECRAuthorizationToken
metadata: {name: private-ecr, namespace: ci}
spec: {region: eu-central-1}
---
apiVersion: generators.external-secrets.io/v1alpha1
kind: ECRAuthorizationToken
metadata: {name: public-ecr, namespace: ci}
spec: {region: eu-central-1, scope: public}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: private-pull, namespace: ci}
spec:
  dataFrom:
  - sourceRef:
      generatorRef: {apiVersion: generators.external-secrets.io/v1alpha1, kind: ECRAuthorizationToken, name: private-ecr}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: public-pull, namespace: ci}
spec:
  dataFrom:
  - sourceRef:
      generatorRef: {kind: ECRAuthorizationToken, name: public-ecr}
"""


def test_render_runs_the_ecr_generators(aws, extsecrets_cmd, tmp_path: Path, monkeypatch) -> None:
    from ecr_public import EcrPublic

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    responder = EcrPublic().start()
    try:
        monkeypatch.setenv("AWS_ECR_PUBLIC_ENDPOINT", responder.url)
        path = tmp_path / "ecr.yaml"
        path.write_text(ECR_MANIFESTS)
        result = extsecrets_cmd("render", "-f", str(path))
    finally:
        responder.stop()
    assert result.returncode == 0, result.stderr
    secrets = {d["metadata"]["name"]: d["data"] for d in yaml.safe_load_all(result.stdout)}
    assert set(secrets) == {"private-pull", "public-pull"}
    assert set(secrets["private-pull"]) == {"username", "password", "proxy_endpoint", "expires_at"}
    assert base64.b64decode(secrets["private-pull"]["proxy_endpoint"]) == (
        b"https://123456789012.dkr.ecr.eu-central-1.amazonaws.com"
    )
    assert base64.b64decode(secrets["public-pull"]["password"]) == b"public-token"
    assert set(secrets["public-pull"]) == {"username", "password", "expires_at"}
    assert len(responder.requests) == 1
