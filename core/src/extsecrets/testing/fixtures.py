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

from extsecrets.cluster.local import LocalCluster
from extsecrets.manifests import ManifestError, read_text
from extsecrets.plugins import PluginHost
from extsecrets.types import Credentials

__all__ = ["extsecrets_host", "fake_credentials", "local_cluster"]


@pytest.fixture
def extsecrets_host() -> PluginHost:
    return PluginHost.load(strict=True, disabled=())


@pytest.fixture
def local_cluster(extsecrets_host: PluginHost) -> Callable[..., LocalCluster]:
    """``local_cluster(yaml_text, *documents)``: a local cluster holding those objects.

    The text is read as ``extsecrets render`` reads manifests (a date stays a string, the YAML
    limits apply); a document that cannot be read, or has a key written twice, raises
    :class:`~extsecrets.manifests.ManifestError` (test those with ``check_yaml``)."""

    def build(text: str = "", *documents: dict[str, Any]) -> LocalCluster:
        docs, errors = read_text(text, "<text>")
        errors += [ManifestError(p.line(doc.where)) for doc in docs for p in doc.problems]
        if errors:
            raise errors[0]
        bodies = [doc.body for doc in docs] + list(documents)
        return LocalCluster.from_documents(bodies, extsecrets_host)

    return build


@pytest.fixture
def fake_credentials() -> Credentials:
    return Credentials("fake-credentials", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
