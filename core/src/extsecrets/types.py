"""Types that cross the plugin boundary.

All are frozen attrs classes, hashable, so the engine can use them as keys when it deduplicates
the references of a whole cycle. Secret material only ever travels inside ``SecretBytes`` (and
``Credentials``), whose ``repr``/``str`` never show it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal, TypeAlias, TypeVar

import attrs

from extsecrets.errors import ExtSecretsError

__all__ = [
    "AuthScheme",
    "Credentials",
    "ExtractRef",
    "FetchOutcome",
    "FetchRef",
    "FindRef",
    "FrozenMap",
    "Generated",
    "GeneratorKind",
    "GeneratorView",
    "ProviderService",
    "Registration",
    "RemoteRef",
    "RetrySettings",
    "SecretBytes",
    "SecretMap",
    "StoreKind",
    "StoreView",
    "provider_label",
]

StoreKind: TypeAlias = Literal["SecretStore", "ClusterSecretStore"]


V = TypeVar("V")


class _FrozenMapping(Mapping[str, V]):
    """An immutable, hashable mapping with string keys, so specs and refs stay hashable."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, V] | None = None) -> None:
        self._data: dict[str, V] = dict(data or {})
        self._hash: int | None = None

    def __getitem__(self, key: str) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented


class FrozenMap(_FrozenMapping[str]):
    """An immutable ``str -> str`` mapping (labels, annotations, tags)."""

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


# --- secret material ------------------------------------------------------------------------


@attrs.frozen(repr=False)
class SecretBytes:
    """Secret bytes. ``repr`` and ``str`` show the length only, never the content."""

    value: bytes

    def __repr__(self) -> str:
        return f"SecretBytes(<{len(self.value)} bytes>)"

    __str__ = __repr__


class SecretMap(_FrozenMapping[SecretBytes]):
    """Several named secret values (the answer to an extract or a find); its repr names the
    keys only."""

    def __repr__(self) -> str:
        return f"SecretMap(<keys {sorted(self._data)}>)"

    __str__ = __repr__


@attrs.frozen(repr=False)
class Credentials:
    """What an authenticate hook returns; opaque to the core.

    ``value`` is whatever the auth plugin's fetch-side partners understand (for AWS, a botocore
    credential object). ``expires_at`` (aware UTC) lets the engine's cache renew them shortly
    before they expire; ``None`` means they do not expire.
    """

    value: Any
    expires_at: dt.datetime | None = None

    def __repr__(self) -> str:
        return f"Credentials(<hidden>, expires_at={self.expires_at!r})"

    __str__ = __repr__


# --- what a store is asked for --------------------------------------------------------------


@attrs.frozen
class RetrySettings:
    """``spec.retrySettings`` of a store: total attempts and an optional fixed delay (seconds)."""

    max_retries: int = 3
    retry_interval: float | None = None


@attrs.frozen
class StoreView:
    """One SecretStore or ClusterSecretStore, as a plugin sees it.

    ``config`` is the plugin's own config type, structured from ``spec.provider.<provider>``.
    ``namespace`` is ``None`` for a ClusterSecretStore.
    """

    kind: StoreKind
    name: str
    namespace: str | None
    provider: str
    service: str | None
    config: Any
    retry: RetrySettings | None = None


@attrs.frozen
class _KeyRef:
    key: str
    property: str = ""
    version: str = ""
    metadata_policy: Literal["None", "Fetch"] = "None"


@attrs.frozen
class RemoteRef(_KeyRef):
    """One value to read (``spec.data[].remoteRef``): the answer is ``SecretBytes``."""


@attrs.frozen
class ExtractRef(_KeyRef):
    """One JSON object to spread into keys (``spec.dataFrom[].extract``): answer ``SecretMap``.

    A ``RemoteRef`` and an ``ExtractRef`` with the same fields are different requests.
    """


@attrs.frozen
class FindRef:
    """Every secret matching a query (``spec.dataFrom[].find``): the answer is ``SecretMap``.

    ``tags`` is ``None`` when the manifest has no ``tags``; an empty map is kept distinct.
    """

    name_regexp: str | None = None
    tags: FrozenMap | None = None
    path: str | None = None


FetchRef: TypeAlias = RemoteRef | ExtractRef | FindRef
FetchOutcome: TypeAlias = SecretBytes | SecretMap | ExtSecretsError


@attrs.frozen
class GeneratorView:
    """One generator object (e.g. an ECRAuthorizationToken) as its plugin sees it."""

    api_version: str
    kind: str
    name: str
    namespace: str
    config: Any


@attrs.frozen(repr=False)
class Generated:
    """A generator's output: keys and values, and when they stop being valid (aware UTC)."""

    data: Mapping[str, SecretBytes]
    expires_at: dt.datetime | None = None

    def __repr__(self) -> str:
        return f"Generated(<keys {sorted(self.data)}>, expires_at={self.expires_at!r})"

    __str__ = __repr__


# --- registration ---------------------------------------------------------------------------


@attrs.frozen
class ProviderService:
    """A plugin serves fetch for ``spec.provider.<provider>`` (with ``service`` when given).

    ``service`` is matched against the block's ``service`` field; ``None`` claims the whole
    provider. ``config_type`` is the attrs class the block is structured into; ``auth`` names the
    auth scheme whose plugin authenticates for it (``None``: no credentials needed).
    """

    provider: str
    config_type: type[Any]
    service: str | None = None
    auth: str | None = None

    @property
    def label(self) -> str:
        return provider_label(self.provider, self.service)


def provider_label(provider: str, service: str | None) -> str:
    """``aws/SecretsManager``, or ``vault`` for a provider without services."""
    return provider if service is None else f"{provider}/{service}"


@attrs.frozen
class GeneratorKind:
    """A plugin serves generate for ``kind`` (in ``api_version``); ``spec`` → ``config_type``."""

    kind: str
    api_version: str
    config_type: type[Any]
    auth: str | None = None


@attrs.frozen
class AuthScheme:
    """A plugin serves authenticate for the providers and generators naming this scheme."""

    name: str


def _providers(items: Iterable[ProviderService]) -> tuple[ProviderService, ...]:
    return tuple(items)


def _generators(items: Iterable[GeneratorKind]) -> tuple[GeneratorKind, ...]:
    return tuple(items)


def _schemes(items: Iterable[AuthScheme]) -> tuple[AuthScheme, ...]:
    return tuple(items)


@attrs.frozen
class Registration:
    """What one plugin serves; returned by ``extsecrets_register`` (lists or tuples)."""

    providers: tuple[ProviderService, ...] = attrs.field(default=(), converter=_providers)
    generators: tuple[GeneratorKind, ...] = attrs.field(default=(), converter=_generators)
    auth_schemes: tuple[AuthScheme, ...] = attrs.field(default=(), converter=_schemes)
