"""ExternalSecret (``external-secrets.io/v1``): the fields of spec §1.3, templates excepted.

``target.template`` and ``target.manifest`` are read (so a manifest using them gets a clear
"not supported yet" from admission rather than "unknown field") but not modelled.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import attrs

from extsecrets.model.converter import Duration
from extsecrets.model.meta import ObjectMeta, ResourceName, SecretKey
from extsecrets.types import FrozenMap

__all__ = [
    "ConversionStrategy",
    "DataFromSource",
    "DecodingStrategy",
    "ExternalSecret",
    "ExternalSecretData",
    "ExternalSecretSpec",
    "Find",
    "FindName",
    "GeneratorRef",
    "RemoteRefSpec",
    "Rewrite",
    "RewriteMerge",
    "RewriteRegexp",
    "RewriteTransform",
    "SecretStoreRef",
    "StoreSourceRef",
    "SyncWindow",
    "SyncWindows",
    "Target",
]

ConversionStrategy: TypeAlias = Literal["Default", "Unicode"]
DecodingStrategy: TypeAlias = Literal["Auto", "Base64", "Base64URL", "None"]
NullBytePolicy: TypeAlias = Literal["Ignore", "Fail"]
GENERATORS_V1ALPHA1 = "generators.external-secrets.io/v1alpha1"


@attrs.frozen
class SecretStoreRef:
    name: ResourceName | None = None
    kind: Literal["SecretStore", "ClusterSecretStore"] = "SecretStore"


@attrs.frozen
class GeneratorRef:
    kind: str
    name: ResourceName
    api_version: str = GENERATORS_V1ALPHA1


@attrs.frozen
class StoreSourceRef:
    """``data[].sourceRef`` and ``dataFrom[].sourceRef``."""

    store_ref: SecretStoreRef | None = None
    generator_ref: GeneratorRef | None = None


@attrs.frozen
class RemoteRefSpec:
    """``data[].remoteRef`` and ``dataFrom[].extract``."""

    key: str
    property: str = ""
    version: str = ""
    metadata_policy: Literal["None", "Fetch"] = "None"
    conversion_strategy: ConversionStrategy = "Default"
    decoding_strategy: DecodingStrategy = "None"
    null_byte_policy: NullBytePolicy = "Ignore"


@attrs.frozen
class ExternalSecretData:
    secret_key: SecretKey
    remote_ref: RemoteRefSpec
    source_ref: StoreSourceRef | None = None


@attrs.frozen
class FindName:
    regexp: str = ""


@attrs.frozen
class Find:
    path: str | None = None
    name: FindName | None = None
    tags: FrozenMap | None = None
    conversion_strategy: ConversionStrategy = "Default"
    decoding_strategy: DecodingStrategy = "None"
    null_byte_policy: NullBytePolicy = "Ignore"


@attrs.frozen
class RewriteRegexp:
    source: str
    target: str


@attrs.frozen
class RewriteTransform:
    template: str


@attrs.frozen
class RewriteMerge:
    into: str = ""
    priority: tuple[str, ...] = ()
    priority_policy: Literal["IgnoreNotFound", "Strict"] = "Strict"
    conflict_policy: Literal["Ignore", "Error"] = "Error"
    strategy: Literal["Extract", "JSON"] = "Extract"


@attrs.frozen
class Rewrite:
    """Exactly one of the three (checked by admission)."""

    regexp: RewriteRegexp | None = None
    transform: RewriteTransform | None = None
    merge: RewriteMerge | None = None


@attrs.frozen
class DataFromSource:
    extract: RemoteRefSpec | None = None
    find: Find | None = None
    rewrite: tuple[Rewrite, ...] = ()
    source_ref: StoreSourceRef | None = None


@attrs.frozen
class Target:
    name: ResourceName | None = None
    creation_policy: Literal["Owner", "Orphan", "Merge", "None", "CreateOrMerge"] = "Owner"
    deletion_policy: Literal["Delete", "Merge", "Retain"] = "Retain"
    immutable: bool = False
    template: Any = attrs.field(default=None, eq=False, repr=False)
    manifest: Any = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class SyncWindow:
    schedule: str
    duration: Duration


@attrs.frozen
class SyncWindows:
    kind: Literal["allow", "deny"]
    windows: tuple[SyncWindow, ...]


@attrs.frozen
class ExternalSecretSpec:
    secret_store_ref: SecretStoreRef | None = None
    target: Target = Target()
    refresh_policy: Literal["CreatedOnce", "Periodic", "OnChange"] | None = None
    refresh_interval: Duration = Duration("1h", 3600.0)
    sync_windows: SyncWindows | None = None
    data: tuple[ExternalSecretData, ...] = ()
    data_from: tuple[DataFromSource, ...] = ()


@attrs.frozen
class ExternalSecret:
    api_version: Literal["external-secrets.io/v1"]
    kind: Literal["ExternalSecret"]
    metadata: ObjectMeta
    spec: ExternalSecretSpec
    status: Any = attrs.field(default=None, eq=False, repr=False)
