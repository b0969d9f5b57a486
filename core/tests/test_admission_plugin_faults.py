"""A plugin's own admission code (its attrs validators, its ``admission_problems``) that raises
fails only the block it checks: a problem at that block naming the plugin and the exception's
type, never its message (it may carry a secret), and the other objects are still checked."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
import pytest

import extsecrets
from extsecrets.cluster.local import LocalCluster
from extsecrets.cluster.port import StoreLookupError
from extsecrets.model import AdmissionContext, Problem, check_document
from extsecrets.plugins import PluginHost
from extsecrets.sync.engine import Engine
from extsecrets.types import (
    Credentials,
    FetchOutcome,
    FetchRef,
    GeneratorKind,
    ProviderService,
    Registration,
    SecretBytes,
    StoreView,
)

PLANTED = "pl4nted-s3cret-in-an-exception"


def _refuse_raising(instance: Any, attribute: Any, value: str) -> None:
    if value == "validator":
        raise RuntimeError(f"validator saw {PLANTED}")


@attrs.frozen
class FaultyConfig:
    """``spec.provider.faulty``: ``mode`` says which of its checks raises."""

    mode: str = attrs.field(default="fine", validator=_refuse_raising)

    def admission_problems(self, context: AdmissionContext) -> Iterator[Problem]:
        if self.mode == "admission":
            raise LookupError(f"admission saw {PLANTED}")
        if self.mode == "garbage":
            yield PLANTED  # type: ignore[misc]


@attrs.frozen
class FaultyGeneratorSpec:
    mode: str = attrs.field(default="fine", validator=_refuse_raising)


class FaultyPlugin:
    @extsecrets.hookimpl
    def extsecrets_register(self) -> Registration:
        return Registration(
            providers=[ProviderService("faulty", FaultyConfig)],
            generators=[
                GeneratorKind(
                    "Faulty", "generators.external-secrets.io/v1alpha1", FaultyGeneratorSpec
                )
            ],
        )

    @extsecrets.hookimpl
    def extsecrets_fetch(
        self, store: StoreView, credentials: Credentials | None, refs: Sequence[FetchRef]
    ) -> Mapping[FetchRef, FetchOutcome]:
        return {ref: SecretBytes(b"value of " + ref.key.encode()) for ref in refs}


@pytest.fixture
def faulty_host() -> PluginHost:
    return PluginHost.from_plugins({"faulty": FaultyPlugin()})


def store(name: str, mode: str) -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "SecretStore",
        "metadata": {"name": name, "namespace": "app"},
        "spec": {"provider": {"faulty": {"mode": mode}}},
    }


def external_secret(name: str, store_name: str) -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": "app"},
        "spec": {
            "secretStoreRef": {"name": store_name},
            "data": [{"secretKey": "k", "remoteRef": {"key": "db"}}],
        },
    }


@pytest.mark.parametrize(
    ("mode", "step", "error"),
    [
        ("admission", "admission_problems", "LookupError"),
        ("validator", "structuring", "RuntimeError"),
        ("garbage", "admission_problems", "TypeError"),
    ],
)
def test_a_raising_plugin_check_is_a_problem_naming_the_plugin_and_type_only(
    faulty_host: PluginHost,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    step: str,
    error: str,
) -> None:
    with caplog.at_level(logging.DEBUG):
        checked = check_document(store("broken", mode), faulty_host)
    assert not checked.ok
    assert checked.obj is None
    assert [p.line(checked.ident) for p in checked.problems] == [
        f"SecretStore app/broken: spec.provider.faulty: plugin faulty failed in {step}: "
        f"{error} (its message is not shown)"
    ]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        f"SecretStore app/broken: plugin faulty failed in {step}: {error}"
    ]
    assert all(PLANTED not in r.getMessage() for r in caplog.records)
    assert all(r.exc_info is None for r in caplog.records)


def test_a_raising_generator_validator_is_a_problem_of_its_spec(faulty_host: PluginHost) -> None:
    doc = {
        "apiVersion": "generators.external-secrets.io/v1alpha1",
        "kind": "Faulty",
        "metadata": {"name": "gen", "namespace": "app"},
        "spec": {"mode": "validator"},
    }
    checked = check_document(doc, faulty_host)
    assert [p.line(checked.ident) for p in checked.problems] == [
        "Faulty app/gen: spec: plugin faulty failed in structuring: RuntimeError "
        "(its message is not shown)"
    ]


def test_a_raising_plugin_check_fails_only_its_store_in_a_local_cluster(
    faulty_host: PluginHost,
) -> None:
    docs = [
        store("broken", "admission"),
        store("good", "fine"),
        external_secret("uses-broken", "broken"),
        external_secret("uses-good", "good"),
    ]
    cluster = LocalCluster.from_documents(docs, faulty_host)
    with pytest.raises(StoreLookupError) as refused:
        cluster.get_secret_store("app", "broken")
    assert PLANTED not in str(refused.value)
    assert cluster.get_secret_store("app", "good") is not None
    lines = [p.line(c.ident) for c in cluster.checked for p in c.problems]
    assert lines == [
        "SecretStore app/broken: spec.provider.faulty: plugin faulty failed in "
        "admission_problems: LookupError (its message is not shown)"
    ]
    results = {r.name: r for r in Engine(faulty_host, cluster).sync(cluster.external_secrets())}
    assert sorted(results) == ["uses-broken", "uses-good"]
    assert results["uses-good"].ok, results["uses-good"].error
    assert results["uses-good"].secret is not None
    assert dict(results["uses-good"].secret.data) == {"k": b"value of db"}
    assert not results["uses-broken"].ok
    assert PLANTED not in (results["uses-broken"].error or "")
    assert all(PLANTED not in e.message for e in cluster.events)
    assert PLANTED not in repr(cluster.statuses)
