"""Kubernetes metadata and the selector types ESO shares between providers (meta/v1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
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
    "annotations_size_problem",
    "finalizer_problem",
    "label_value_problem",
    "qualified_name_problem",
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


_NAME_PART = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_NAME_PART_TEXT = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    f"alphanumeric character (regex used for validation is '{_NAME_PART}')"
)
_SUBDOMAIN = rf"{_LABEL}(\.{_LABEL})*"
_STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
MAX_ANNOTATIONS_SIZE = 256 * 1024


def qualified_name_problem(key: str) -> str | None:
    """Why Kubernetes refuses ``key`` as a label or annotation key (``IsQualifiedName``: an
    optional DNS subdomain prefix and ``/``, then a name of at most 63 characters), or ``None``.
    """
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "prefix part must be non-empty"
    if prefix:
        if len(prefix) > 253:
            return "prefix part must be no more than 253 characters"
        if not re.fullmatch(_SUBDOMAIN, prefix):
            return (
                "prefix part a lowercase RFC 1123 subdomain must consist of lower case "
                "alphanumeric characters, '-' or '.', and must start and end with an "
                "alphanumeric character"
            )
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not re.fullmatch(_NAME_PART, name):
        return f"name part {_NAME_PART_TEXT}"
    return None


def label_value_problem(value: str) -> str | None:
    """Why Kubernetes refuses ``value`` as a label value (the text never quotes it)."""
    if len(value) > 63:
        return "must be no more than 63 characters"
    if value and not re.fullmatch(_NAME_PART, value):
        return f"a valid label value {_NAME_PART_TEXT}"
    return None


def annotations_size_problem(annotations: Mapping[str, str]) -> str | None:
    """Kubernetes' limit on the total size of an object's annotations (keys and values)."""
    size = sum(
        len(k.encode()) + len(v.encode("utf-8", "surrogateescape")) for k, v in annotations.items()
    )
    if size > MAX_ANNOTATIONS_SIZE:
        return f"may not have more than {MAX_ANNOTATIONS_SIZE} bytes, got {size}"
    return None


def finalizer_problem(name: str) -> str | None:
    """Why Kubernetes refuses ``name`` as a finalizer: a qualified name, with a domain unless
    it is one of Kubernetes' own."""
    problem = qualified_name_problem(name)
    if problem is not None:
        return problem
    if "/" not in name and name not in _STANDARD_FINALIZERS:
        return "name is neither a standard finalizer name nor is it fully qualified"
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
