"""Helpers for testing plugins and manifests; opt-in, nothing here runs in production.

- ``check_yaml`` runs the same checks as ``extsecrets validate`` on YAML text and returns the
  lines it would print (keys written twice and documents beyond a YAML limit included), so a
  plugin's admission rules can be tested as users see them;
- ``pytest_plugins = ["extsecrets.testing"]`` in a ``conftest.py`` brings the fixtures of
  :mod:`extsecrets.testing.fixtures` (``extsecrets_host``, ``local_cluster``,
  ``fake_credentials``);
- :class:`extsecrets.testing.conformance.ProviderConformance` is the suite a provider plugin
  subclasses.
"""

from __future__ import annotations

import attrs

from extsecrets.manifests import ManifestError, is_kubernetes_object, read_text
from extsecrets.model import Catalog, CheckedObject, check_document
from extsecrets.testing.fixtures import extsecrets_host, fake_credentials, local_cluster

__all__ = [
    "check_yaml",
    "checked_objects",
    "extsecrets_host",
    "fake_credentials",
    "local_cluster",
]


def _check(text: str, catalog: Catalog) -> tuple[list[CheckedObject], list[ManifestError]]:
    docs, errors = read_text(text, "<text>")
    checked = []
    for doc in docs:
        if is_kubernetes_object(doc.body):
            obj = check_document(doc.body, catalog)
            # what is wrong with the document as YAML (a key written twice) comes first, as
            # ``extsecrets validate`` prints it
            checked.append(attrs.evolve(obj, problems=(*doc.problems, *obj.problems)))
    return checked, errors


def checked_objects(text: str, catalog: Catalog) -> list[CheckedObject]:
    """Every Kubernetes object in ``text`` (multi-document YAML), read and checked as
    ``extsecrets validate`` reads and checks them: the problems of the document as YAML (keys
    written twice) first, then the object's. A document that cannot be read (invalid YAML,
    beyond a limit of :mod:`extsecrets.yaml_limits`) raises :class:`ManifestError`."""
    checked, errors = _check(text, catalog)
    if errors:
        raise errors[0]
    return checked


def check_yaml(text: str, catalog: Catalog) -> list[str]:
    """The lines ``extsecrets validate`` would print for ``text``: ``error: ...`` for each
    document it could not read (invalid YAML, beyond a YAML limit; the others are still
    checked), then each object's problems."""
    checked, errors = _check(text, catalog)
    lines = [f"error: {err}" for err in errors]
    return lines + [p.line(obj.ident) for obj in checked for p in obj.problems]
