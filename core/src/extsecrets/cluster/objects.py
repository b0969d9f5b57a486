"""The Kubernetes objects the engine reads and writes, reduced to the fields it uses.

Secret data travels as ``bytes`` inside :class:`SecretObject`, whose ``repr`` names the keys
only, so a Secret can be logged or put in an assertion message without leaking a value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal, TypeAlias

import attrs

from extsecrets.types import FrozenMap

__all__ = [
    "ConfigMapObject",
    "Condition",
    "EventType",
    "ExternalSecretStatus",
    "NamespaceObject",
    "ObjectRef",
    "OwnerReference",
    "RecordedEvent",
    "SecretData",
    "SecretObject",
    "ServiceAccountObject",
    "ServiceAccountToken",
    "StoreStatus",
]

EventType: TypeAlias = Literal["Normal", "Warning"]


class SecretData(Mapping[str, bytes]):
    """An immutable ``str -> bytes`` map whose ``repr`` shows keys and sizes, never values."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, bytes] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> bytes:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"SecretData(<keys {sorted(self._data)}>)"

    __str__ = __repr__


def _secret_data(value: Mapping[str, bytes] | None) -> SecretData:
    return value if isinstance(value, SecretData) else SecretData(value)


def _owners(value: Iterable[OwnerReference]) -> tuple[OwnerReference, ...]:
    return tuple(value)


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _frozen_map(value: Mapping[str, str] | None) -> FrozenMap:
    return value if isinstance(value, FrozenMap) else FrozenMap(value)


@attrs.frozen
class ObjectRef:
    """Which object an event or an owner reference is about."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = None
    uid: str | None = None

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


@attrs.frozen
class OwnerReference:
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool = False
    block_owner_deletion: bool = False


@attrs.frozen
class SecretObject:
    """A v1 Secret. ``managed_keys`` maps a field manager to the data keys it last wrote (what
    the API server records in ``managedFields``), so a Merge target can drop the keys an
    ExternalSecret no longer produces without touching the ones it never wrote;
    ``managed_labels`` and ``managed_annotations`` do the same for metadata. ``deleting``: the
    Secret has a deletion timestamp (finalizers are then no longer added)."""

    namespace: str
    name: str
    data: SecretData = attrs.field(factory=SecretData, converter=_secret_data)
    type: str = "Opaque"
    labels: FrozenMap = attrs.field(factory=FrozenMap, converter=_frozen_map)
    annotations: FrozenMap = attrs.field(factory=FrozenMap, converter=_frozen_map)
    owner_references: tuple[OwnerReference, ...] = attrs.field(default=(), converter=_owners)
    immutable: bool = False
    finalizers: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    managed_keys: Mapping[str, frozenset[str]] = attrs.field(factory=dict, eq=False)
    managed_labels: Mapping[str, frozenset[str]] = attrs.field(factory=dict, eq=False)
    managed_annotations: Mapping[str, frozenset[str]] = attrs.field(factory=dict, eq=False)
    resource_version: str | None = attrs.field(default=None, eq=False)
    uid: str | None = attrs.field(default=None, eq=False)
    deleting: bool = attrs.field(default=False, eq=False)

    @property
    def controller(self) -> OwnerReference | None:
        return next((o for o in self.owner_references if o.controller), None)


@attrs.frozen
class ConfigMapObject:
    """A v1 ConfigMap: its ``data`` (``binaryData`` is not read: templates come from ``data``)."""

    namespace: str
    name: str
    data: FrozenMap = attrs.field(factory=FrozenMap, converter=_frozen_map)


@attrs.frozen
class ServiceAccountObject:
    namespace: str
    name: str
    annotations: FrozenMap = attrs.field(factory=FrozenMap, converter=_frozen_map)
    uid: str | None = None


@attrs.frozen
class NamespaceObject:
    name: str
    labels: FrozenMap = attrs.field(factory=FrozenMap, converter=_frozen_map)


@attrs.frozen(repr=False)
class ServiceAccountToken:
    """A token issued for a ServiceAccount (TokenRequest); ``repr`` hides the token."""

    token: str
    expires_at: dt.datetime

    def __repr__(self) -> str:
        return f"ServiceAccountToken(<hidden>, expires_at={self.expires_at!r})"

    __str__ = __repr__


@attrs.frozen
class Condition:
    """A status condition (only ``Ready`` is used on ExternalSecrets)."""

    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str
    last_transition_time: dt.datetime | None = attrs.field(default=None, eq=False)


@attrs.frozen
class ExternalSecretStatus:
    """``status`` of an ExternalSecret, as ESO writes it."""

    conditions: tuple[Condition, ...] = ()
    refresh_time: dt.datetime | None = None
    synced_resource_version: str = ""
    binding_name: str | None = None

    def condition(self, type_: str = "Ready") -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)


@attrs.frozen
class StoreStatus:
    """``status`` of a SecretStore or ClusterSecretStore, as ESO's store controller writes it."""

    conditions: tuple[Condition, ...] = ()
    capabilities: str = "ReadWrite"

    def condition(self, type_: str = "Ready") -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)


@attrs.frozen
class RecordedEvent:
    """An event as recorded through the port (the Kubernetes adapter turns it into an Event)."""

    regarding: ObjectRef
    type: EventType
    reason: str
    message: str
