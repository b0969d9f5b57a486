"""The plugin authors' kit (``extsecrets.testing``) reads YAML as ``extsecrets validate`` and
``render`` do: keys written twice and documents beyond a YAML limit are reported, dates stay
strings."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from extsecrets.cluster.local import LocalCluster
from extsecrets.manifests import ManifestError
from extsecrets.plugins import PluginHost
from extsecrets.testing import check_yaml, checked_objects
from extsecrets.testing.fixtures import local_cluster as local_cluster_fixture

DUPLICATED = """\
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: store
  namespace: app
spec:
  provider:
    fake:
      service: One
      service: Two
"""

NESTED = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: " + "[" * 150 + "\n"

FINE = """\
apiVersion: v1
kind: Secret
metadata: {name: fine, namespace: app}
stringData: {a: b}
"""


def test_check_yaml_reports_a_key_written_twice(host: PluginHost) -> None:
    assert check_yaml(DUPLICATED, host) == [
        "SecretStore app/store: spec.provider.fake.service: key defined more than once: "
        "at line 9 and at line 10"
    ]
    (obj,) = checked_objects(DUPLICATED, host)
    assert not obj.ok


def test_check_yaml_reports_a_document_beyond_a_yaml_limit_and_checks_the_others(
    host: PluginHost,
) -> None:
    text = FINE + "---\n" + NESTED + "---\n" + DUPLICATED
    assert check_yaml(text, host) == [
        "error: <text> (document 2, line 5): nested deeper than 100 levels (line 9); not read",
        "SecretStore app/store: spec.provider.fake.service: key defined more than once: "
        "at line 19 and at line 20",
    ]
    with pytest.raises(ManifestError, match="nested deeper than 100 levels"):
        checked_objects(text, host)


@pytest.fixture
def build(host: PluginHost) -> Callable[..., LocalCluster]:
    fixture = local_cluster_fixture.__wrapped__  # type: ignore[attr-defined]
    return fixture(host)  # type: ignore[no-any-return]


def test_local_cluster_keeps_a_timestamp_as_written(build: Callable[..., LocalCluster]) -> None:
    cluster = build(FINE.replace("{a: b}", "{at: 2024-01-31T10:00:00}"))
    secret = cluster.get_secret("app", "fine")
    assert secret is not None
    assert dict(secret.data) == {"at": b"2024-01-31T10:00:00"}


def test_local_cluster_refuses_a_key_written_twice(build: Callable[..., LocalCluster]) -> None:
    with pytest.raises(ManifestError, match="key defined more than once: at line 9 and"):
        build(DUPLICATED)


def test_local_cluster_refuses_a_document_beyond_a_yaml_limit(
    build: Callable[..., LocalCluster],
) -> None:
    with pytest.raises(ManifestError, match="nested deeper than 100 levels"):
        build(NESTED)
