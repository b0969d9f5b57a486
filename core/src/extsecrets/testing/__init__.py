"""Helpers for testing plugins and manifests; opt-in, nothing here runs in production.

- ``check_yaml`` runs the same checks as ``extsecrets validate`` on YAML text and returns the
  lines it would print, so a plugin's admission rules can be tested as users see them;
- ``pytest_plugins = ["extsecrets.testing"]`` in a ``conftest.py`` brings the fixtures of
  :mod:`extsecrets.testing.fixtures` (``extsecrets_host``, ``local_cluster``,
  ``fake_credentials``);
- :class:`extsecrets.testing.conformance.ProviderConformance` is the suite a provider plugin
  subclasses.
"""

from __future__ import annotations

from extsecrets.manifests import is_kubernetes_object, parse_documents
from extsecrets.model import Catalog, CheckedObject, check_document
from extsecrets.testing.fixtures import extsecrets_host, fake_credentials, local_cluster

__all__ = [
    "check_yaml",
    "checked_objects",
    "extsecrets_host",
    "fake_credentials",
    "local_cluster",
]


def checked_objects(text: str, catalog: Catalog) -> list[CheckedObject]:
    """Every Kubernetes object in ``text`` (multi-document YAML), read and checked as
    ``extsecrets validate`` reads and checks them."""
    return [
        check_document(doc.body, catalog)
        for doc in parse_documents(text, "<text>")
        if is_kubernetes_object(doc.body)
    ]


def check_yaml(text: str, catalog: Catalog) -> list[str]:
    """The problem lines ``extsecrets validate`` would print for ``text``."""
    return [p.line(obj.ident) for obj in checked_objects(text, catalog) for p in obj.problems]
