"""A working third-party plugin: serves ``spec.provider.inline`` from values in the store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

import extsecrets
from extsecrets.types import FrozenMap, ProviderService, Registration, RemoteRef, SecretBytes


@attrs.frozen
class InlineProvider:
    values: FrozenMap = FrozenMap()


@extsecrets.hookimpl
def extsecrets_register() -> Registration:
    return Registration(providers=[ProviderService(provider="inline", config_type=InlineProvider)])


@extsecrets.hookimpl
def extsecrets_fetch(store: Any, refs: Sequence[Any]) -> dict[Any, Any]:
    values = store.config.values
    return {
        ref: SecretBytes(values[ref.key].encode())
        if isinstance(ref, RemoteRef) and ref.key in values
        else extsecrets.NotFoundError()
        for ref in refs
    }
