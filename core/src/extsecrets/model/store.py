"""SecretStore and ClusterSecretStore (``external-secrets.io/v1``), the provider-neutral part.

``spec.provider`` holds exactly one block; the plugin serving it owns that block's type, so it is
kept raw here and structured by :mod:`extsecrets.model.documents` with the plugin's config type.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from extsecrets.model.converter import Duration, FieldError, expect
from extsecrets.model.meta import LabelSelector, Namespace, ObjectMeta
from extsecrets.model.problems import shorten

__all__ = [
    "ClusterSecretStore",
    "ClusterSecretStoreCondition",
    "ProviderConfig",
    "RefreshInterval",
    "RetrySettingsSpec",
    "SecretStore",
    "SecretStoreSpec",
]


@attrs.frozen
class ProviderConfig:
    """``spec.provider``: its single key, the block's ``service`` (when it has one) and the
    block structured by the serving plugin's config type (``None`` until resolved)."""

    name: str
    raw: Any = attrs.field(eq=False, repr=False)
    service: str | None = None
    config: Any = None

    @classmethod
    def from_wire(cls, value: Any, _: Any = None) -> ProviderConfig:
        if not isinstance(value, dict) or not value:
            raise FieldError("storeSpec is missing provider")
        if len(value) != 1:
            raise FieldError(
                f"secret stores must only have exactly one backend specified, found {len(value)}"
            )
        ((name, block),) = value.items()
        service = block.get("service") if isinstance(block, dict) else None
        return cls(str(name), block, service if isinstance(service, str) else None)


@attrs.frozen
class RefreshInterval:
    """Store ``spec.refreshInterval``: integer seconds or a Go duration string."""

    text: str
    seconds: float

    @classmethod
    def from_wire(cls, value: Any, _: Any = None) -> RefreshInterval:
        expect(value, (int, str), 'integer seconds or a duration string such as "5m"')
        if isinstance(value, int):
            return cls(str(value), float(value))
        try:
            return cls(value, Duration.parse(value).seconds)
        except FieldError as exc:
            raise FieldError(f'invalid refreshInterval "{shorten(value)}": {exc.message}') from None


@attrs.frozen
class RetrySettingsSpec:
    """``spec.retrySettings``: ``maxRetries`` counts attempts (3 when the block is present)."""

    max_retries: int = 3
    retry_interval: str | None = None


@attrs.frozen
class ClusterSecretStoreCondition:
    """Which namespaces may use a ClusterSecretStore; any one matching part admits."""

    namespace_selector: LabelSelector | None = None
    namespaces: tuple[Namespace, ...] = ()
    namespace_regexes: tuple[str, ...] = ()


@attrs.frozen
class SecretStoreSpec:
    provider: ProviderConfig
    controller: str = ""
    retry_settings: RetrySettingsSpec | None = None
    refresh_interval: RefreshInterval | None = None
    conditions: tuple[ClusterSecretStoreCondition, ...] = ()


@attrs.frozen
class SecretStore:
    api_version: Literal["external-secrets.io/v1"]
    kind: Literal["SecretStore"]
    metadata: ObjectMeta
    spec: SecretStoreSpec
    status: Any = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class ClusterSecretStore:
    api_version: Literal["external-secrets.io/v1"]
    kind: Literal["ClusterSecretStore"]
    metadata: ObjectMeta
    spec: SecretStoreSpec
    status: Any = attrs.field(default=None, eq=False, repr=False)
