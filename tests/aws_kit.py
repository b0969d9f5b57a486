"""Helpers of the AWS plugin tests: manifests in, the installed plugins, a local cluster and an
engine out; recorded requests read back."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from extsecrets.cluster.local import LocalCluster
from extsecrets.plugins import PluginHost
from extsecrets.sync.engine import Engine
from extsecrets.testing.conformance import ProviderConformance

ENV_KEY_ID = "AKIAENVIRONMENT00001"
SEED = Path(__file__).parent / "fixtures" / "seed"
# A Secrets Manager (Parameter Store) store in namespace "app"; %s is its prefix.
SM_STORE = """
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: s, namespace: app}
spec:
  provider:
    aws: {service: SecretsManager, region: eu-central-1, prefix: "%s"}
"""


PS_STORE = SM_STORE.replace("SecretsManager", "ParameterStore")


def seed(*names: str) -> str:
    """Manifests of the seed page, verbatim (tests/fixtures/seed), as one YAML text."""
    return "\n---\n".join((SEED / f"{n}.yaml").read_text() for n in names)


def params_tags(params: dict[str, Any]) -> dict[str, str]:
    """Session tags of a recorded (query-protocol) AssumeRole, as a dict."""
    out = {}
    n = 1
    while f"Tags.member.{n}.Key" in params:
        out[params[f"Tags.member.{n}.Key"]] = params[f"Tags.member.{n}.Value"]
        n += 1
    return out


def params_list(params: dict[str, Any], name: str) -> list[str]:
    out = []
    n = 1
    while f"{name}.member.{n}" in params:
        out.append(params[f"{name}.member.{n}"])
        n += 1
    return out


def secret_doc(name: str, namespace: str, **values: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
    }


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class AuthWorld:
    """The installed plugins (through their entry points), a local cluster and an engine."""

    def __init__(self, text: str, *docs: dict[str, Any]) -> None:
        self.host = PluginHost.load(strict=True, disabled=())
        all_docs = [d for d in yaml.safe_load_all(text) if d] + list(docs)
        self.cluster = LocalCluster.from_documents(all_docs, self.host)
        for checked in self.cluster.checked:
            assert checked.ok, [p.line(checked.ident) for p in checked.problems]
        self.clock = Clock()
        self.engine = Engine(self.host, self.cluster, clock=self.clock)

    def stores(self) -> list[Any]:
        return [c.obj for c in self.cluster.checked if c.ident.kind.endswith("SecretStore")]

    def validate(self) -> dict[str, Any]:
        return {v.name: v for v in self.engine.validate_stores(self.stores())}


def client(aws: Any, service: str, region: str = "eu-central-1") -> Any:
    """A boto3 client on the emulator with keys of its own, to seed data (not the code under
    test, which finds the emulator through the endpoint variables only)."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=aws.url,
        region_name=region,
        aws_access_key_id="AKIASEEDER0000000001",
        aws_secret_access_key="seeder",
    )


def synced(world: AuthWorld) -> dict[str, Any]:
    """One sync of every ExternalSecret; results by ``namespace/name``."""
    results = world.engine.sync(world.cluster.external_secrets())
    return {f"{r.namespace}/{r.name}": r for r in results}


def data_of(world: AuthWorld, name: str, namespace: str = "app") -> dict[str, bytes]:
    secret = world.cluster.get_secret(namespace, name)
    assert secret is not None, f"no Secret {namespace}/{name}"
    return dict(secret.data)


def external_secret(name: str, namespace: str = "app", **spec: Any) -> dict[str, Any]:
    """An ExternalSecret reading store ``s``."""
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"secretStoreRef": {"name": "s"}, **spec},
    }


class AWSProviderConformance(ProviderConformance):
    """What the AWS service plugins' conformance classes share: a region, static keys that
    cannot be read, and throttling of the one operation that reads values (``throttle``)."""

    throttle: tuple[str, str] = ("", "")  # (service, operation)
    aws: Any

    def store_config(self) -> dict[str, Any]:
        return {"region": "eu-central-1"}

    def failing_auth_config(self) -> dict[str, Any]:
        missing = {"name": "no-such-secret", "key": "k"}
        return {
            "region": "eu-central-1",
            "auth": {
                "secretRef": {"accessKeyIDSecretRef": missing, "secretAccessKeySecretRef": missing}
            },
        }

    @contextlib.contextmanager
    def throttled(self) -> Iterator[None]:
        self.aws.fail(*self.throttle, "ThrottlingException", count=-1)
        try:
            yield
        finally:
            self.aws.reset_faults()
