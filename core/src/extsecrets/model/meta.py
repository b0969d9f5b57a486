"""Kubernetes metadata and the selector types ESO shares between providers (meta/v1)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import attrs

from extsecrets.model.converter import Pattern
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
]

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_LABEL = Pattern(_LABEL, max_len=63, min_len=1)
DNS_SUBDOMAIN = Pattern(rf"{_LABEL}(\.{_LABEL})*", max_len=253, min_len=1)
KEY = Pattern(r"[-._a-zA-Z0-9]+", max_len=253, min_len=1)

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
