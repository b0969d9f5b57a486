"""`extsecrets render` as a user runs it: a folder of manifests, the fake plugin installed as a
distribution, the Secrets on stdout and failures on stderr."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml

MANIFESTS = """
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: store, namespace: app}
spec:
  provider:
    fake:
      data:
        foo: bar
        app/db: '{"user": "admin", "password": "pw-SENTINEL"}'
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: shared}
spec:
  provider:
    fake:
      data: {greeting: hello}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: zeta, namespace: app}
spec:
  secretStoreRef: {name: store}
  target: {name: z-out}
  data:
  - secretKey: foo
    remoteRef: {key: foo}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: alpha, namespace: app, uid: 0b5e3c1e-7a0e-4a4e-9d59-6d2b5d0f4d11}
spec:
  secretStoreRef: {name: store}
  dataFrom:
  - extract: {key: app/db}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: hello}
spec:
  secretStoreRef: {name: shared, kind: ClusterSecretStore}
  data:
  - secretKey: msg
    remoteRef: {key: greeting}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: broken, namespace: app}
spec:
  secretStoreRef: {name: store}
  data:
  - secretKey: db
    remoteRef: {key: app/db-missing}
---
apiVersion: v1
kind: Secret
metadata: {name: input-only, namespace: app}
stringData: {k: v}
"""


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    folder = tmp_path / "manifests"
    (folder / "nested").mkdir(parents=True)
    docs = MANIFESTS.split("\n---\n")
    (folder / "stores.yaml").write_text("\n---\n".join(docs[:2]))
    (folder / "nested" / "rest.yml").write_text("\n---\n".join(docs[2:]))
    return folder


@pytest.fixture
def render(extsecrets_cmd, fake_plugin_dir: Path):
    def run(*args: str):
        return extsecrets_cmd("render", *args, env={"PYTHONPATH": str(fake_plugin_dir)})

    return run


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_render_prints_the_synced_secrets_in_order(render, manifests: Path) -> None:
    result = render("-f", str(manifests))
    assert result.returncode == 1, result.stderr
    docs = list(yaml.safe_load_all(result.stdout))
    assert [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs] == [
        ("app", "alpha"),
        ("app", "z-out"),
        ("default", "hello"),
    ]
    alpha, z_out, hello = docs
    assert alpha["data"] == {"password": b64("pw-SENTINEL"), "user": b64("admin")}
    assert alpha["type"] == "Opaque"
    assert alpha["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "name": "alpha",
            "uid": "0b5e3c1e-7a0e-4a4e-9d59-6d2b5d0f4d11",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    # the ExternalSecret had no uid: an invented one must not reach an applied Secret
    assert "ownerReferences" not in z_out["metadata"]
    assert z_out["data"] == {"foo": b64("bar")}
    assert z_out["metadata"]["labels"]["reconcile.external-secrets.io/managed"] == "true"
    assert (
        z_out["metadata"]["annotations"]["reconcile.external-secrets.io/data-hash"]
        == "f2a604b87eb0cf673761e8cfea850f901fe73a3d1b2f338802107f36"
    )
    assert hello["data"] == {"msg": b64("hello")}


def test_render_reports_each_failure_on_stderr_with_the_full_error(render, manifests) -> None:
    result = render("-f", str(manifests))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "app/broken: error processing spec.data[0] (key: app/db-missing), err: Secret does not exist"
    ]
    assert "SENTINEL" not in result.stderr


def test_render_json_is_a_v1_list(render, manifests) -> None:
    result = render("-f", str(manifests), "-o", "json")
    listing = json.loads(result.stdout)
    assert listing["apiVersion"] == "v1"
    assert listing["kind"] == "List"
    assert [i["metadata"]["name"] for i in listing["items"]] == ["alpha", "z-out", "hello"]


def test_render_status_lists_every_external_secret(render, manifests) -> None:
    result = render("-f", str(manifests), "--status")
    entries = yaml.safe_load(result.stdout)
    summary = {
        (e["namespace"], e["name"]): (e["conditions"][0]["status"], e["conditions"][0]["message"])
        for e in entries
    }
    assert summary == {
        ("app", "alpha"): ("True", "secret synced"),
        ("app", "broken"): ("False", "could not get secret data from provider"),
        ("app", "zeta"): ("True", "secret synced"),
        ("default", "hello"): ("True", "secret synced"),
    }
    assert "SENTINEL" not in result.stdout + result.stderr


def test_render_all_good_exits_zero(render, tmp_path: Path) -> None:
    docs = MANIFESTS.split("\n---\n")
    path = tmp_path / "good.yaml"
    path.write_text("\n---\n".join(docs[:3]))
    result = render("-f", str(path))
    assert result.returncode == 0, result.stderr
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(result.stdout)] == ["z-out"]


def test_render_reports_invalid_manifests_and_unreadable_files(render, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n"
        "metadata: {name: e, namespace: app}\nspec: {secretStoreRef: {name: s}}\n"
    )
    result = render("-f", str(path), "-f", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "app/e: invalid manifest: spec: either data or dataFrom should be specified" in (
        result.stderr.splitlines()
    )
    assert any(
        "nope.yaml: no such file or directory" in line for line in result.stderr.splitlines()
    )
