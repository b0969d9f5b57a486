"""Shared set-up for the engine tests: the fake plugin loaded through its entry point, and a
local cluster built from YAML text."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from extsecrets.cluster.local import LocalCluster
from extsecrets.plugins import ENTRY_POINT_GROUP, PluginHost
from extsecrets.sync.engine import Engine


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


def cluster_from(yaml_text: str, host: PluginHost) -> LocalCluster:
    return LocalCluster.from_documents([d for d in yaml.safe_load_all(yaml_text) if d], host)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: Any) -> None:
        self.now += dt.timedelta(**delta)


def engine_for(cluster: LocalCluster, host: PluginHost, **options: Any) -> Engine:
    return Engine(host, cluster, **options)
