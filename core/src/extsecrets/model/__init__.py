"""Strict models of External Secrets Operator's manifests, and their admission rules.

``check_document`` is the entry point: one parsed YAML document in, a :class:`CheckedObject`
out, with every problem carrying the field path as written in the manifest.
"""

from extsecrets.model.converter import Duration, FieldError, Pattern, structure, wire
from extsecrets.model.documents import (
    ESO_API_VERSION,
    Catalog,
    CheckedObject,
    ObjectId,
    SelfChecking,
    check_document,
)
from extsecrets.model.external_secret import ExternalSecret
from extsecrets.model.generator import Generator
from extsecrets.model.meta import (
    ObjectMeta,
    SecretKeySelector,
    ServiceAccountSelector,
)
from extsecrets.model.problems import AdmissionContext, Problem, render_path
from extsecrets.model.store import ClusterSecretStore, SecretStore

__all__ = [
    "ESO_API_VERSION",
    "AdmissionContext",
    "Catalog",
    "CheckedObject",
    "ClusterSecretStore",
    "Duration",
    "ExternalSecret",
    "FieldError",
    "Generator",
    "ObjectId",
    "ObjectMeta",
    "Pattern",
    "Problem",
    "SecretKeySelector",
    "SecretStore",
    "SelfChecking",
    "ServiceAccountSelector",
    "check_document",
    "render_path",
    "structure",
    "wire",
]
