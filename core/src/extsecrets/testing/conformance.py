"""A conformance suite for provider plugins, to subclass (in the style of fsspec's abstract
tests).

    from extsecrets.testing.conformance import ProviderConformance

    class TestMyProvider(ProviderConformance):
        entry_point = "my-provider"          # the name in the "extsecrets" entry-point group
        provider = "my"                       # the key under spec.provider
        batch_size = 50                       # the backend's largest batch, if it has one

        def store_config(self):               # the spec.provider.my block of a working store
            return {"endpoint": "..."}

        def seed(self, key, value, version=None):   # write a secret into the backend
            ...

Every test goes through the core (plugin host, local cluster, engine), as users' manifests do.
Override ``failing_auth_config`` (a store block whose authentication fails) and
``throttled`` (a context manager in which the backend throttles) for the auth and temporary
error tests; ``supports_versions = False`` and ``supports_properties = False`` turn off the
tests of features a backend does not have (they then check that the plugin says so with an
error rather than answering wrongly).
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from typing import Any

import pytest
import yaml

from extsecrets.cluster.local import LocalCluster
from extsecrets.errors import AuthError, ExtSecretsError, NotFoundError, TemporaryError
from extsecrets.plugins import PluginHost
from extsecrets.sync.engine import Engine
from extsecrets.types import ExtractRef, RemoteRef, SecretBytes, SecretMap, StoreView

__all__ = ["AuthSchemeConformance", "GeneratorConformance", "ProviderConformance"]

NAMESPACE = "conformance"


class ProviderConformance:
    """Subclass as ``Test...``; fill in the attributes and methods marked below."""

    # --- to fill in ---------------------------------------------------------------------------
    entry_point: str = ""
    provider: str = ""
    service: str | None = None
    batch_size: int = 20
    supports_versions: bool = True
    supports_properties: bool = True

    def store_config(self) -> dict[str, Any]:
        raise NotImplementedError

    def seed(self, key: str, value: str | bytes, version: str | None = None) -> str | None:
        """Write ``value`` under ``key``; return how to name that version in ``remoteRef.version``
        when ``version`` is asked (backends number or label versions their own way)."""
        raise NotImplementedError

    def failing_auth_config(self) -> dict[str, Any] | None:
        return None

    def throttled(self) -> contextlib.AbstractContextManager[None]:
        """A context manager in which the backend answers with throttling errors."""
        raise NotImplementedError("override throttled()")

    # --- helpers ------------------------------------------------------------------------------

    def store_doc(self, config: dict[str, Any] | None = None) -> dict[str, Any]:
        block = dict(config if config is not None else self.store_config())
        if self.service is not None:
            block.setdefault("service", self.service)
        return {
            "apiVersion": "external-secrets.io/v1",
            "kind": "SecretStore",
            "metadata": {"name": "store", "namespace": NAMESPACE},
            "spec": {"provider": {self.provider: block}},
        }

    def cluster(self, *docs: dict[str, Any]) -> tuple[PluginHost, LocalCluster]:
        host = PluginHost.load(strict=True, disabled=())
        return host, LocalCluster.from_documents(list(docs), host)

    def fetch(self, refs: list[Any], config: dict[str, Any] | None = None) -> dict[Any, Any]:
        host, cluster = self.cluster(self.store_doc(config))
        store = cluster.get_secret_store(NAMESPACE, "store")
        assert store is not None, [p.message for c in cluster.checked for p in c.problems]
        provider = store.spec.provider
        view = StoreView(
            "SecretStore", "store", NAMESPACE, provider.name, provider.service, provider.config
        )
        credentials = host.authenticate(view, NAMESPACE, cluster)
        return dict(host.fetch(view, credentials, refs))

    @staticmethod
    def key() -> str:
        return f"conformance/{uuid.uuid4().hex[:10]}"

    # --- the suite ----------------------------------------------------------------------------

    def test_discovered_through_its_entry_point(self) -> None:
        host = PluginHost.load(strict=True, disabled=())
        info = next((p for p in host.plugins if p.name == self.entry_point), None)
        assert info is not None, f"no plugin named {self.entry_point} in the extsecrets group"
        assert info.status == "active", info.reason
        assert info.distribution, "a plugin is found through an installed distribution"
        assert host.provider(self.provider, self.service) is not None

    def test_config_is_strict_and_names_the_field(self) -> None:
        config = {**self.store_config(), "noSuchField": "x"}
        _, cluster = self.cluster(self.store_doc(config))
        problems = [p for c in cluster.checked for p in c.problems if p.is_error]
        assert any(p.path == f"spec.provider.{self.provider}.noSuchField" for p in problems), (
            problems
        )

    def test_config_round_trip(self) -> None:
        _, first = self.cluster(self.store_doc())
        _, second = self.cluster(self.store_doc())
        a, b = (
            first.get_secret_store(NAMESPACE, "store"),
            second.get_secret_store(NAMESPACE, "store"),
        )
        assert a is not None
        assert b is not None
        assert a.spec.provider.config == b.spec.provider.config
        assert hash(a.spec.provider.config) == hash(b.spec.provider.config)

    def test_fetch_a_value(self) -> None:
        key = self.key()
        self.seed(key, "plain value")
        answer = self.fetch([RemoteRef(key)])[RemoteRef(key)]
        assert answer == SecretBytes(b"plain value")

    def test_fetch_a_property_and_an_extract(self) -> None:
        key = self.key()
        self.seed(key, json.dumps({"user": "admin", "nested": {"port": 5432}}))
        refs = [
            RemoteRef(key, property="user"),
            RemoteRef(key, property="nested.port"),
            ExtractRef(key),
        ]
        answers = self.fetch(refs)
        if not self.supports_properties:
            assert all(isinstance(a, ExtSecretsError) for a in answers.values())
            return
        assert answers[refs[0]] == SecretBytes(b"admin")
        assert answers[refs[1]] == SecretBytes(b"5432")
        assert isinstance(answers[refs[2]], SecretMap)
        assert answers[refs[2]]["user"] == SecretBytes(b"admin")

    def test_fetch_a_version(self) -> None:
        key = self.key()
        first = self.seed(key, "version one", version="first")
        self.seed(key, "version two")
        if not self.supports_versions:
            answer = self.fetch([RemoteRef(key, version="1")])[RemoteRef(key, version="1")]
            assert isinstance(answer, ExtSecretsError)
            return
        assert first, "seed() must say how to name the version it wrote"
        refs = [RemoteRef(key), RemoteRef(key, version=first)]
        answers = self.fetch(refs)
        assert answers[refs[0]] == SecretBytes(b"version two")
        assert answers[refs[1]] == SecretBytes(b"version one")

    def test_a_missing_secret_is_not_found(self) -> None:
        missing = RemoteRef(self.key())
        assert isinstance(self.fetch([missing])[missing], NotFoundError)

    def test_batches_larger_than_the_backends(self) -> None:
        keys = [self.key() for _ in range(self.batch_size * 2 + 1)]
        for n, key in enumerate(keys):
            self.seed(key, f"value {n}")
        answers = self.fetch([RemoteRef(k) for k in keys])
        assert [answers[RemoteRef(k)] for k in keys] == [
            SecretBytes(f"value {n}".encode()) for n in range(len(keys))
        ]

    def test_an_auth_failure_is_an_auth_error(self) -> None:
        config = self.failing_auth_config()
        assert config is not None, "override failing_auth_config() with a store that cannot log in"
        with pytest.raises(AuthError):
            self.fetch([RemoteRef(self.key())], config)

    def test_throttling_is_a_temporary_error(self) -> None:
        key = self.key()
        self.seed(key, "x")
        answer: object
        with self.throttled():
            try:  # a throttled backend may fail the whole call (authentication included)
                answer = self.fetch([RemoteRef(key)])[RemoteRef(key)]
            except ExtSecretsError as exc:
                answer = exc
        assert isinstance(answer, TemporaryError), answer

    def test_no_secret_value_in_errors_events_or_logs(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        sentinel = f"S3NTINEL-{uuid.uuid4().hex}"
        key = self.key()
        self.seed(key, json.dumps({"password": sentinel}))
        es = {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "es", "namespace": NAMESPACE},
            "spec": {
                "secretStoreRef": {"name": "store"},
                "data": [
                    {"secretKey": "ok", "remoteRef": {"key": key, "property": "password"}},
                    {"secretKey": "bad", "remoteRef": {"key": key, "property": "nope"}},
                ],
            },
        }
        host, cluster = self.cluster(self.store_doc(), es)
        with caplog.at_level(logging.DEBUG):
            (result,) = Engine(host, cluster).sync(cluster.external_secrets())
        assert not result.ok
        seen = [result.error or "", repr(result), *(e.message for e in cluster.events)]
        seen += [r.getMessage() for r in caplog.records]
        seen += [yaml.safe_dump(str(cluster.statuses))]
        leaks = [text for text in seen if sentinel in text]
        leaking = [r.name for r in caplog.records if sentinel in r.getMessage()]
        assert not leaks, f"secret value in: {leaking or 'errors, events or statuses'}"


class GeneratorConformance:
    """The suite of a generator plugin: subclass as ``Test...`` and fill in the attributes.

    ``spec()`` is a working generator spec; ``keys`` the keys ``generate`` must produce.
    """

    entry_point: str = ""
    kind: str = ""
    api_version: str = "generators.external-secrets.io/v1alpha1"
    keys: frozenset[str] = frozenset()

    def spec(self) -> dict[str, Any]:
        raise NotImplementedError

    def generator_doc(self, spec: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "metadata": {"name": "gen", "namespace": NAMESPACE},
            "spec": spec if spec is not None else self.spec(),
        }

    def test_discovered_through_its_entry_point(self) -> None:
        host = PluginHost.load(strict=True, disabled=())
        info = next((p for p in host.plugins if p.name == self.entry_point), None)
        assert info is not None, f"no plugin named {self.entry_point} in the extsecrets group"
        assert info.status == "active", info.reason
        claim = host.generator(self.kind)
        assert claim is not None
        assert claim.api_version == self.api_version

    def test_spec_is_strict_and_names_the_field(self) -> None:
        host = PluginHost.load(strict=True, disabled=())
        cluster = LocalCluster.from_documents(
            [self.generator_doc({**self.spec(), "noSuchField": 1})], host
        )
        problems = [p for c in cluster.checked for p in c.problems if p.is_error]
        assert any(p.path == "spec.noSuchField" for p in problems), problems

    def test_generates_the_documented_keys_and_hides_them_in_reprs(self) -> None:
        es = {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "es", "namespace": NAMESPACE},
            "spec": {
                "dataFrom": [{"sourceRef": {"generatorRef": {"kind": self.kind, "name": "gen"}}}]
            },
        }
        host = PluginHost.load(strict=True, disabled=())
        cluster = LocalCluster.from_documents([self.generator_doc(), es], host)
        (result,) = Engine(host, cluster).sync(cluster.external_secrets())
        assert result.ok, result.error
        assert result.secret is not None
        assert set(result.secret.data) == set(self.keys)
        for value in result.secret.data.values():
            if len(value) > 3:
                assert value.decode(errors="replace") not in repr(result)


class AuthSchemeConformance:
    """The suite of an auth plugin: it is found and serves its scheme."""

    entry_point: str = ""
    scheme: str = ""

    def test_discovered_and_serving_its_scheme(self) -> None:
        host = PluginHost.load(strict=True, disabled=())
        info = next((p for p in host.plugins if p.name == self.entry_point), None)
        assert info is not None, f"no plugin named {self.entry_point} in the extsecrets group"
        assert info.status == "active", info.reason
        assert self.scheme in [a.name for a in info.registration.auth_schemes]
