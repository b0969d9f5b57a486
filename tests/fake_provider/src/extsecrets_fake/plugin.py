"""The fake plugin: provider ``fake``, generator kind ``FakeToken``, auth scheme ``fake``.

A store holds its secrets in ``spec.provider.fake.data`` (``versions`` for ``key#version``),
and can be told to misbehave (``fail``: raise, hang, temporary, permanent, crash;
``failKeys``: a per-reference error). Every hook call is recorded in ``CALLS`` and, when
``EXTSECRETS_FAKE_LOG`` names a file, appended to it as a JSON line, so tests see what the
plugin was asked, in process or from a subprocess.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Literal

import attrs

import extsecrets
from extsecrets.errors import (
    AuthError,
    NotFoundError,
    PermanentError,
    TemporaryError,
)
from extsecrets.model import SecretKeySelector
from extsecrets.regex import compile_user_regex
from extsecrets.types import (
    AuthScheme,
    Credentials,
    ExtractRef,
    FetchOutcome,
    FetchRef,
    FindRef,
    FrozenMap,
    Generated,
    GeneratorKind,
    GeneratorView,
    ProviderService,
    Registration,
    RemoteRef,
    SecretBytes,
    SecretMap,
    StoreView,
)

CALLS: list[dict[str, Any]] = []
#: set by tests to let a hanging call return
RELEASE = threading.Event()
_LOCK = threading.Lock()


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


#: the clock expiries are computed from; a test on virtual time sets it to its own clock, so
#: an expiry is relative to the time the operator sees, not to how long the test really ran
CLOCK: Callable[[], dt.datetime] = _wall_clock

Failure = Literal["", "raise", "hang", "temporary", "permanent", "crash"]


@attrs.frozen
class FakeAuth:
    secret_ref: SecretKeySelector | None = None


@attrs.frozen
class FakeProvider:
    data: FrozenMap = FrozenMap()
    versions: FrozenMap = FrozenMap()
    tags: FrozenMap = FrozenMap()  # key -> "tag=value,tag2=value2"
    fail: Failure = ""
    fail_auth: bool = False
    fail_keys: tuple[str, ...] = ()
    credentials_ttl: int = 3600
    auth: FakeAuth | None = None


@attrs.frozen
class FakeToken:
    values: FrozenMap = FrozenMap()
    ttl_seconds: int | None = None
    fail: Failure = ""
    auth: FakeAuth | None = None


def _record(**call: Any) -> None:
    with _LOCK:
        CALLS.append(call)
        path = os.environ.get("EXTSECRETS_FAKE_LOG")
        if path:
            with open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(call) + "\n")


def _misbehave(fail: Failure) -> None:
    if fail == "raise":
        raise RuntimeError("the fake plugin exploded with password=hunter2")
    if fail == "crash":
        raise KeyError("hunter2")
    if fail == "hang":
        RELEASE.wait(float(os.environ.get("EXTSECRETS_FAKE_HANG", "30")))
    if fail == "temporary":
        raise TemporaryError("fake backend is throttling (RequestId: 1234-abcd)")
    if fail == "permanent":
        raise PermanentError("fake backend refused the request")


@extsecrets.hookimpl
def extsecrets_register() -> Registration:
    return Registration(
        providers=[ProviderService(provider="fake", config_type=FakeProvider, auth="fake")],
        generators=[
            GeneratorKind(
                kind="FakeToken",
                api_version="generators.external-secrets.io/v1alpha1",
                config_type=FakeToken,
                auth="fake",
            )
        ],
        auth_schemes=[AuthScheme("fake")],
    )


def _auth_secret(
    subject: StoreView | GeneratorView, namespace: str, cluster: Any
) -> tuple[str, str, str] | None:
    """(namespace, name, key) of the Secret holding the fake password, if any."""
    auth = subject.config.auth
    if auth is None or auth.secret_ref is None:
        return None
    ref = auth.secret_ref
    if isinstance(subject, StoreView) and subject.namespace is not None:
        ns = subject.namespace
    else:
        ns = ref.namespace or namespace
    return ns, ref.name or "", ref.key or ""


@extsecrets.hookimpl
def extsecrets_credentials_key(
    subject: StoreView | GeneratorView, namespace: str, cluster: Any
) -> Hashable | None:
    where = _auth_secret(subject, namespace, cluster)
    if where is None:
        return ("anonymous", subject.name)
    secret = cluster.get_secret(where[0], where[1])
    return ("secret", *where, secret.resource_version if secret is not None else None)


@extsecrets.hookimpl
def extsecrets_authenticate(
    subject: StoreView | GeneratorView, namespace: str, cluster: Any
) -> Credentials:
    _record(hook="authenticate", subject=subject.name, namespace=namespace)
    if isinstance(subject, StoreView) and subject.config.fail_auth:
        raise AuthError("unable to create session: the fake backend refused the password")
    where = _auth_secret(subject, namespace, cluster)
    value = "anonymous"
    if where is not None:
        secret = cluster.get_secret(where[0], where[1])
        if secret is None or where[2] not in secret.data:
            raise AuthError(
                f'could not fetch password secret: cannot find secret data for key: "{where[2]}"'
            )
        value = secret.data[where[2]].decode()
    ttl = subject.config.credentials_ttl if isinstance(subject, StoreView) else 3600
    return Credentials(value, CLOCK() + dt.timedelta(seconds=ttl))


def _value(config: FakeProvider, ref: RemoteRef | ExtractRef) -> str:
    if ref.key in config.fail_keys:
        raise PermanentError(f"fake backend cannot read {ref.key}")
    if ref.metadata_policy == "Fetch":
        if ref.key not in config.data:
            raise NotFoundError()
        tags = dict(t.split("=", 1) for t in config.tags.get(ref.key, "").split(",") if t)
        return json.dumps(tags, sort_keys=True)
    name = f"{ref.key}#{ref.version}" if ref.version else ref.key
    source = config.versions if ref.version else config.data
    if name not in source:
        raise NotFoundError()
    value = source[name]
    if not ref.property:
        return value
    parsed = json.loads(value)
    if ref.property not in parsed:
        raise PermanentError(f"key {ref.property} does not exist in secret {ref.key}")
    item = parsed[ref.property]
    return item if isinstance(item, str) else json.dumps(item)


def _as_map(raw: str, key: str) -> SecretMap:
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise PermanentError(f"unable to unmarshal secret {key}: {exc}") from None
    if not isinstance(parsed, dict):
        raise PermanentError(f"unable to unmarshal secret {key}: not an object")
    return SecretMap(
        {
            k: SecretBytes((v if isinstance(v, str) else json.dumps(v)).encode())
            for k, v in parsed.items()
        }
    )


def _find(config: FakeProvider, ref: FindRef) -> SecretMap:
    pattern = compile_user_regex(ref.name_regexp) if ref.name_regexp else None
    found = {}
    for key, value in config.data.items():
        if ref.path and not key.startswith(ref.path):
            continue
        if pattern is not None and not pattern.search(key):
            continue
        if ref.tags is not None:
            tags = dict(t.split("=", 1) for t in config.tags.get(key, "").split(",") if t)
            if any(tags.get(k) != v for k, v in ref.tags.items()):
                continue
        found[key] = SecretBytes(value.encode())
    return SecretMap(found)


@extsecrets.hookimpl
def extsecrets_fetch(
    store: StoreView, credentials: Credentials | None, refs: Sequence[FetchRef]
) -> Mapping[FetchRef, FetchOutcome]:
    _record(
        hook="fetch",
        store=store.name,
        refs=len(refs),
        keys=sorted(getattr(r, "key", "") for r in refs),
        credentials=credentials.value if credentials else None,
    )
    config: FakeProvider = store.config
    _misbehave(config.fail)
    answers: dict[FetchRef, FetchOutcome] = {}
    for ref in refs:
        try:
            if isinstance(ref, RemoteRef):
                answers[ref] = SecretBytes(_value(config, ref).encode())
            elif isinstance(ref, ExtractRef):
                answers[ref] = _as_map(_value(config, ref), ref.key)
            else:
                answers[ref] = _find(config, ref)
        except (NotFoundError, PermanentError) as exc:
            answers[ref] = exc
    return answers


@extsecrets.hookimpl
def extsecrets_generate(
    generator: GeneratorView, credentials: Credentials | None, cluster: Any
) -> Generated:
    _record(hook="generate", generator=generator.name, namespace=generator.namespace)
    config: FakeToken = generator.config
    _misbehave(config.fail)
    expires = (
        CLOCK() + dt.timedelta(seconds=config.ttl_seconds)
        if config.ttl_seconds is not None
        else None
    )
    return Generated(
        {k: SecretBytes(v.encode()) for k, v in config.values.items()}, expires_at=expires
    )
