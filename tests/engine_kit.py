"""Shared set-up for the engine tests: the fake plugin loaded through its installed entry point,
manifests built as dicts, and a local cluster plus engine driven by a hand-moved clock."""

from __future__ import annotations

import base64
import datetime as dt
import importlib.metadata
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from extsecrets.cluster.local import LocalCluster
from extsecrets.cluster.objects import ExternalSecretStatus, SecretObject
from extsecrets.plugins import ENTRY_POINT_GROUP, PluginHost
from extsecrets.sync.engine import Engine, SyncResult

ESO = "external-secrets.io/v1"
GENERATORS = "generators.external-secrets.io/v1alpha1"


def install_into(target: Path, *dists: Path) -> None:
    """Install distributions from their source folders with pip into ``target`` alone, so
    they are visible only to code that puts that folder on its path."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            *(str(d) for d in dists),
        ],
        check=True,
    )


def load_fake(plugin_dir: Path) -> tuple[PluginHost, ModuleType]:
    """A plugin host holding only the fake plugin, found through its installed entry point."""
    entry_points = [
        ep
        for dist in importlib.metadata.distributions(path=[str(plugin_dir)])
        for ep in dist.entry_points
        if ep.group == ENTRY_POINT_GROUP
    ]
    sys.path.insert(0, str(plugin_dir))
    try:
        host = PluginHost.load(entry_points=entry_points, strict=True, disabled=())
    finally:
        sys.path.remove(str(plugin_dir))
    return host, sys.modules["extsecrets_fake.plugin"]


# --- manifests ---------------------------------------------------------------------------------


def store(
    name: str = "s", namespace: str | None = "app", kind: str = "SecretStore", **fake: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None and kind == "SecretStore":
        meta["namespace"] = namespace
    spec: dict[str, Any] = {"provider": {"fake": fake}}
    if "conditions" in fake:
        spec["conditions"] = fake.pop("conditions")
    return {"apiVersion": ESO, "kind": kind, "metadata": meta, "spec": spec}


def external_secret(
    name: str = "e",
    namespace: str = "app",
    store_name: str | None = "s",
    store_kind: str = "SecretStore",
    data: Iterable[Mapping[str, Any]] = (),
    data_from: Iterable[Mapping[str, Any]] = (),
    target: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = dict(spec)
    if store_name is not None:
        body["secretStoreRef"] = {"name": store_name, "kind": store_kind}
    if data:
        body["data"] = list(data)
    if data_from:
        body["dataFrom"] = list(data_from)
    if target is not None:
        body["target"] = dict(target)
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = dict(labels)
    return {"apiVersion": ESO, "kind": "ExternalSecret", "metadata": meta, "spec": body}


def ref(secret_key: str, key: str, **remote: Any) -> dict[str, Any]:
    return {"secretKey": secret_key, "remoteRef": {"key": key, **remote}}


def secret(
    name: str, namespace: str = "app", data: Mapping[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    meta.update(extra.pop("metadata", {}))
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta,
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in (data or {}).items()},
        **extra,
    }


def generator(name: str = "gen", namespace: str = "app", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": GENERATORS,
        "kind": "FakeToken",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


# --- running -----------------------------------------------------------------------------------


class Clock:
    """A clock the test moves by hand. It starts at the real time, because the fake plugin
    stamps expiry times with the real clock."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class World:
    """A local cluster with the fake plugin, an engine over it, and what the plugin saw."""

    def __init__(
        self, host: PluginHost, plugin: ModuleType, docs: Iterable[Mapping[str, Any]], **engine: Any
    ) -> None:
        self.host = host
        self.plugin = plugin
        self.clock = Clock()
        self.cluster = LocalCluster.from_documents(docs, host)
        for checked in self.cluster.checked:
            assert checked.ok, [p.line(checked.ident) for p in checked.problems]
        self.engine = Engine(host, self.cluster, clock=self.clock, **engine)

    def apply(self, *docs: Mapping[str, Any]) -> None:
        for doc in docs:
            checked = self.cluster.apply(doc)
            assert checked.ok, [p.line(checked.ident) for p in checked.problems]

    def sync(self) -> dict[str, SyncResult]:
        results = self.engine.sync(self.cluster.external_secrets())
        return {f"{r.namespace}/{r.name}": r for r in results}

    def secret(self, name: str, namespace: str = "app") -> SecretObject | None:
        return self.cluster.get_secret(namespace, name)

    def data(self, name: str, namespace: str = "app") -> dict[str, str]:
        found = self.secret(name, namespace)
        assert found is not None, f"no Secret {namespace}/{name}"
        return {k: v.decode() for k, v in found.data.items()}

    def status(self, name: str = "e", namespace: str = "app") -> ExternalSecretStatus:
        return self.cluster.statuses[(namespace, name)]

    def events(self, reason: str | None = None) -> list[str]:
        return [e.message for e in self.cluster.events if reason is None or e.reason == reason]

    def calls(self, hook: str) -> list[dict[str, Any]]:
        return [c for c in self.plugin.CALLS if c["hook"] == hook]
