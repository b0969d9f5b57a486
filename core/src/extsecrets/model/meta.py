"""Kubernetes metadata and the selector types ESO shares between providers (meta/v1)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import attrs

from extsecrets.model.converter import FieldError, Pattern
from extsecrets.types import FrozenMap

__all__ = [
    "DNS_LABEL",
    "DNS_SUBDOMAIN",
    "KEY",
    "LabelSelector",
    "LabelSelectorRequirement",
    "Namespace",
    "ObjectMeta",
    "ResourceName",
    "SecretKey",
    "SecretKeySelector",
    "ServiceAccountSelector",
    "secret_key_problem",
]

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_LABEL = Pattern(_LABEL, max_len=63, min_len=1)
DNS_SUBDOMAIN = Pattern(rf"{_LABEL}(\.{_LABEL})*", max_len=253, min_len=1)


def secret_key_problem(key: str) -> str | None:
    """Why Kubernetes refuses ``key`` as a key of a Secret's data (``IsConfigMapKey``, with
    its texts), or ``None``. ESO's own key check lets through Unicode letters and the names
    ``.``, ``..`` and ``..x``, which a mounted Secret volume reserves."""
    if not key:
        return "must not be empty"
    if len(key) > 253:
        return "must be no more than 253 characters"
    if not re.fullmatch(r"[-._a-zA-Z0-9]+", key):
        return (
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
            "(regex used for validation is '[-._a-zA-Z0-9]+')"
        )
    if key in (".", ".."):
        return f"must not be '{key}'"
    if key.startswith(".."):
        return "must not start with '..'"
    return None


@attrs.frozen
class _SecretDataKey(Pattern):
    """A key of a Secret's data, as Kubernetes accepts it."""

    def check(self, value: str) -> None:
        super().check(value)
        problem = secret_key_problem(value)
        if problem is not None:
            raise FieldError(problem)


KEY = _SecretDataKey(r"[-._a-zA-Z0-9]+", max_len=253, min_len=1)

Namespace = Annotated[str, DNS_LABEL]
ResourceName = Annotated[str, DNS_SUBDOMAIN]
SecretKey = Annotated[str, KEY]


@attrs.frozen
class ObjectMeta:
    """``metadata``. The server-managed fields are accepted (objects read back from a cluster
    carry them) but take no part in equality."""

    name: ResourceName
    namespace: Namespace | None = None
    labels: FrozenMap = FrozenMap()
    annotations: FrozenMap = FrozenMap()
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    finalizers: tuple[str, ...] = ()
    generate_name: Any = attrs.field(default=None, eq=False)
    creation_timestamp: Any = attrs.field(default=None, eq=False)
    deletion_timestamp: Any = attrs.field(default=None, eq=False)
    deletion_grace_period_seconds: Any = attrs.field(default=None, eq=False)
    owner_references: Any = attrs.field(default=None, eq=False)
    managed_fields: Any = attrs.field(default=None, eq=False)
    self_link: Any = attrs.field(default=None, eq=False)


@attrs.frozen
class SecretKeySelector:
    """A key of a Kubernetes Secret; ``namespace`` only counts for cluster-scoped referrers."""

    name: ResourceName | None = None
    key: SecretKey | None = None
    namespace: Namespace | None = None


@attrs.frozen
class ServiceAccountSelector:
    """A ServiceAccount, and extra audiences for the tokens requested for it."""

    name: ResourceName
    namespace: Namespace | None = None
    audiences: tuple[str, ...] = ()


@attrs.frozen
class LabelSelectorRequirement:
    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: tuple[str, ...] = ()


@attrs.frozen
class LabelSelector:
    """``metav1.LabelSelector``: all of ``matchLabels`` and all of ``matchExpressions``."""

    match_labels: FrozenMap = FrozenMap()
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()
