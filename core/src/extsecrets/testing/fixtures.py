"""pytest fixtures for plugin authors; enable with ``pytest_plugins = ["extsecrets.testing"]``.

- ``extsecrets_host``: a fresh :class:`~extsecrets.plugins.PluginHost` with every installed
  plugin, loaded strictly (a plugin that fails to load fails the test);
- ``local_cluster``: builds a :class:`~extsecrets.cluster.local.LocalCluster` from YAML text;
- ``fake_credentials``: credentials that expire in an hour, for calling a fetch hook directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from extsecrets.cluster.local import LocalCluster
from extsecrets.plugins import PluginHost
from extsecrets.types import Credentials

__all__ = ["extsecrets_host", "fake_credentials", "local_cluster"]


@pytest.fixture
def extsecrets_host() -> PluginHost:
    return PluginHost.load(strict=True, disabled=())


@pytest.fixture
def local_cluster(extsecrets_host: PluginHost) -> Callable[..., LocalCluster]:
    """``local_cluster(yaml_text, *documents)``: a local cluster holding those objects."""

    def build(text: str = "", *documents: dict[str, Any]) -> LocalCluster:
        docs = [d for d in yaml.safe_load_all(text) if d] + list(documents)
        return LocalCluster.from_documents(docs, extsecrets_host)

    return build


@pytest.fixture
def fake_credentials() -> Credentials:
    return Credentials("fake-credentials", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
