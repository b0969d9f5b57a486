"""The hooks of the jsonfile provider.

The file holds ``{"token": "...", "secrets": {name: value}}`` and, to let tests see retries,
``"throttle": true`` makes every read fail as a throttled backend would.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

import extsecrets
from extsecrets.errors import AuthError, NotFoundError, PermanentError, TemporaryError
from extsecrets.model import SecretKeySelector
from extsecrets.properties import keyed_answer
from extsecrets.types import (
    AuthScheme,
    Credentials,
    ExtractRef,
    FetchOutcome,
    FetchRef,
    FindRef,
    ProviderService,
    Registration,
    RemoteRef,
    SecretBytes,
    SecretMap,
    StoreView,
)

SCHEME = "jsonfile-token"


@attrs.frozen
class JsonFileProvider:
    """``spec.provider.jsonfile``: the file, and the Secret holding its token."""

    path: str
    token_secret_ref: SecretKeySelector | None = None


def _read(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise PermanentError(f"no such file: {path}") from None
    except ValueError as exc:
        raise PermanentError(f"{path} is not JSON: {exc.msg}") from None
    if data.get("throttle"):
        raise TemporaryError("the file is busy, try again")
    return data


@extsecrets.hookimpl
def extsecrets_register() -> Registration:
    return Registration(
        providers=[ProviderService("jsonfile", JsonFileProvider, auth=SCHEME)],
        auth_schemes=[AuthScheme(SCHEME)],
    )


def _token_location(subject: StoreView, namespace: str) -> tuple[str, str, str]:
    ref = subject.config.token_secret_ref
    if ref is None:
        raise AuthError("tokenSecretRef is required to read the file")
    return subject.namespace or ref.namespace or namespace, ref.name or "", ref.key or ""


# The auth hooks receive the store as ``subject`` (they also serve generators).
@extsecrets.hookimpl
def extsecrets_credentials_key(subject: StoreView, namespace: str, cluster: Any) -> Hashable:
    where = _token_location(subject, namespace)
    secret = cluster.get_secret(where[0], where[1])
    return (subject.config.path, *where, secret.resource_version if secret else None)


@extsecrets.hookimpl
def extsecrets_authenticate(subject: StoreView, namespace: str, cluster: Any) -> Credentials:
    ns, name, key = _token_location(subject, namespace)
    secret = cluster.get_secret(ns, name)
    if secret is None or key not in secret.data:
        raise AuthError(f'cannot read the token: secret "{name}" or its key "{key}" is missing')
    token = bytes(secret.data[key]).decode()
    if token != _read(subject.config.path).get("token"):
        raise AuthError("the token does not open this file")
    return Credentials(token)


@extsecrets.hookimpl
def extsecrets_fetch(
    store: StoreView, credentials: Credentials | None, refs: Sequence[FetchRef]
) -> Mapping[FetchRef, FetchOutcome]:
    secrets: dict[str, str] = _read(store.config.path).get("secrets", {})
    answers: dict[FetchRef, FetchOutcome] = {}
    for ref in refs:
        if isinstance(ref, FindRef):
            answers[ref] = SecretMap({k: SecretBytes(v.encode()) for k, v in secrets.items()})
        elif ref.version:
            answers[ref] = PermanentError("jsonfile keeps no versions")
        elif ref.key not in secrets:
            answers[ref] = NotFoundError()
        else:
            assert isinstance(ref, (RemoteRef, ExtractRef))
            answers[ref] = keyed_answer(ref, secrets[ref.key].encode())
    return answers
