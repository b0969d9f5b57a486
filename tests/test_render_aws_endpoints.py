"""`extsecrets render` with an endpoint variable Go's url.Parse refuses: the spec's text on
stderr, nothing sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_kit import ENV_KEY_ID, PS_STORE, SM_STORE

READ_K = """
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: e, namespace: app}
spec:
  secretStoreRef: {name: s}
  data:
  - {secretKey: a, remoteRef: {key: k}}
"""
KEYS = {"AWS_ACCESS_KEY_ID": ENV_KEY_ID, "AWS_SECRET_ACCESS_KEY": "env-secret"}


def test_render_names_an_unparsable_ssm_endpoint_on_stderr(
    aws: Any, extsecrets_cmd: Any, tmp_path: Path
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(PS_STORE % "" + READ_K)
    result = extsecrets_cmd(
        "render", "-f", str(path), env={**KEYS, "AWS_SSM_ENDPOINT": "http://[::1"}
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "app/e: error processing spec.data[0] (key: k), err: failed to parse ssm endpoint "
        """http://[::1: parse "http://[::1": missing ']' in host"""
    ]
    assert aws.requests() == []


def test_render_names_an_unparsable_secretsmanager_port_on_stderr(
    aws: Any, extsecrets_cmd: Any, tmp_path: Path
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(SM_STORE % "" + READ_K)
    value = "http://localhost:port-not-a-number"
    result = extsecrets_cmd(
        "render", "-f", str(path), env={**KEYS, "AWS_SECRETSMANAGER_ENDPOINT": value}
    )
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "app/e: error processing spec.data[0] (key: k), err: failed to parse "
        f'secretsmanager endpoint {value}: parse "{value}": invalid port ":port-not-a-number" '
        "after host"
    ]
    assert aws.requests() == []
