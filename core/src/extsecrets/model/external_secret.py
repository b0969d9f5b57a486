"""ExternalSecret (``external-secrets.io/v1``): the fields of spec §1.3 and ``target.template``.

``target.manifest`` is read (so a manifest using it gets a clear "not supported" from admission
rather than "unknown field") but not modelled. The template's defaults are the CRD's, which a
reader of manifest files must apply itself (templates spec §0): ``engineVersion: v2``,
``mergePolicy: Replace``, ``templateFrom[].target: Data``, ``items[].templateAs: Values``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

import attrs

from extsecrets.model.converter import Duration, Pattern
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
    "TemplateFrom",
    "TemplateMetadata",
    "TemplateRef",
    "TemplateRefItem",
    "TemplateScope",
    "TargetTemplate",
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


TemplateScope: TypeAlias = Literal["Values", "KeysAndValues"]
# A key of a ConfigMap or Secret (the CRD's pattern for templateFrom items)
_ITEM_KEY = Pattern(r"[-._a-zA-Z0-9]+", max_len=253, min_len=1)


@attrs.frozen
class TemplateRefItem:
    """One key of a templateFrom ConfigMap or Secret, used as a template."""

    key: Annotated[str, _ITEM_KEY]
    template_as: TemplateScope = "Values"


@attrs.frozen
class TemplateRef:
    """``templateFrom[].configMap`` / ``.secret``: read from the ExternalSecret's namespace."""

    name: ResourceName
    items: tuple[TemplateRefItem, ...]


@attrs.frozen
class TemplateFrom:
    """One ``templateFrom`` entry: ConfigMap items, then Secret items, then ``literal``.

    ``target`` is compared case-insensitively; ESO's CRD defaults it to ``Data`` (an explicit
    empty string is taken as ``Data`` too).
    """

    config_map: TemplateRef | None = None
    secret: TemplateRef | None = None
    target: str = "Data"
    literal: str | None = None
    values_decoding_strategy: DecodingStrategy = "None"


@attrs.frozen
class TemplateMetadata:
    """Label and annotation values are templates (keys are literal); finalizers are not."""

    annotations: FrozenMap = FrozenMap()
    labels: FrozenMap = FrozenMap()
    finalizers: tuple[str, ...] = ()


@attrs.frozen
class TargetTemplate:
    """``spec.target.template`` (ESO's ``ExternalSecretTemplate``)."""

    type: str = ""
    engine_version: str = "v2"
    metadata: TemplateMetadata = TemplateMetadata()
    merge_policy: Literal["Replace", "Merge"] = "Replace"
    data: FrozenMap = FrozenMap()
    template_from: tuple[TemplateFrom, ...] = ()


@attrs.frozen
class Target:
    name: ResourceName | None = None
    creation_policy: Literal["Owner", "Orphan", "Merge", "None", "CreateOrMerge"] = "Owner"
    deletion_policy: Literal["Delete", "Merge", "Retain"] = "Retain"
    immutable: bool = False
    template: TargetTemplate | None = None
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
