"""Provider ``faulty`` and generator kind ``FaultyToken``: each store (or generator object) says
in its manifest how to misbehave (``fault``), so one operator process serves a store that raises
next to one that hangs, one that answers too late, one that answers garbage, one that leaks
memory and one that works.

Every fault plants :data:`SECRET` where a careless core would copy it into a message: in an
exception's text, in a ``repr``, in the wrong-typed answer itself. The scenario checks that it
never reaches a log line, a status or an event.

A working store (``fault: ""``) answers ``<value>-<n>``, ``n`` counting the fetches of that store
in this process, so every refresh changes the Secret and each one is visible at the API server.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

import extsecrets
from extsecrets.errors import ExtSecretsError, PermanentError
from extsecrets.types import (
    FetchRef,
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

SECRET = "faulty-s3cr3t-7f3a9c1e"
MIB = 1024 * 1024

#: what the "leak" fault keeps forever, as a careless cache would
LEAKED: list[bytes] = []
#: calls still inside a "hang" fault (they never return)
HANGING: list[str] = []
_FETCHES: dict[str, int] = {}
_LOCK = threading.Lock()
#: set by a test to let the calls stuck in a "hang" fault return (they then answer as a working
#: store does)
RELEASE = threading.Event()


@attrs.frozen
class FaultyProvider:
    fault: str = ""
    value: str = "v"
    leak_mib: int = 4
    size_mib: int = 8
    slow_seconds: float = 3.0


@attrs.frozen
class FaultyToken:
    fault: str = ""


class EvilError(Exception):
    """Its text cannot be read; its repr is the secret."""

    def __str__(self) -> str:
        raise RuntimeError(f"no text for you: {SECRET}")

    def __repr__(self) -> str:
        return f"EvilError({SECRET})"


class EvilPluginError(PermanentError):
    """One of the core's own classes, with a text that cannot be read."""

    def __str__(self) -> str:
        raise RuntimeError(SECRET)

    def __repr__(self) -> str:
        raise RuntimeError(SECRET)


class Evil:
    """An answer whose repr and str raise."""

    def __repr__(self) -> str:
        raise RuntimeError(SECRET)

    __str__ = __repr__


class Leaky:
    """An answer whose repr and str show the secret."""

    def __repr__(self) -> str:
        return f"Leaky(password={SECRET})"

    __str__ = __repr__


class Unreadable(Mapping[FetchRef, Any]):
    """A mapping that fails when it is read."""

    def __getitem__(self, key: FetchRef) -> Any:
        raise KeyError(SECRET)

    def __iter__(self) -> Iterator[FetchRef]:
        raise RuntimeError(SECRET)

    def __len__(self) -> int:
        return 1


@extsecrets.hookimpl
def extsecrets_register() -> Registration:
    # The generator kind only where asked for: the test API server has no CRD for it (an
    # operator process does not get the EXTSECRETS_ variables of the tests)
    generators = [
        GeneratorKind(
            kind="FaultyToken",
            api_version="generators.external-secrets.io/v1alpha1",
            config_type=FaultyToken,
        )
    ]
    return Registration(
        providers=[ProviderService(provider="faulty", config_type=FaultyProvider)],
        generators=generators if os.environ.get("EXTSECRETS_FAULTY_GENERATOR") == "1" else [],
    )


@extsecrets.hookimpl
def extsecrets_session_tags() -> Any:
    """Fails for every store of every plugin: only auth hooks that take session tags may
    suffer from it."""
    raise RuntimeError(SECRET)


@extsecrets.hookimpl
def extsecrets_api_calls() -> Any:
    """One count the operator can export, and garbage it must leave out."""
    return {
        ("faulty", "Fetch", "success"): 1,
        "junk": SECRET,
        ("faulty", "Fetch"): 2,
        ("faulty", "Fetch", "error"): -1,
        ("faulty", "Fetch", SECRET): "many",
    }


def _hang(what: str) -> None:
    with _LOCK:
        HANGING.append(what)
    RELEASE.wait()


def _raise(fault: str) -> None:
    if fault == "raise":
        raise RuntimeError(f"the backend refused password={SECRET}")
    if fault == "raise-evil":
        raise EvilError()
    if fault == "raise-evil-extsecrets":
        raise EvilPluginError("the backend refused")
    if fault == "raise-exit":
        raise SystemExit(SECRET)
    if fault == "hang":
        _hang("fetch")


def _good(store: StoreView, refs: Sequence[FetchRef]) -> dict[FetchRef, Any]:
    config: FaultyProvider = store.config
    with _LOCK:
        n = _FETCHES[store.name] = _FETCHES.get(store.name, 0) + 1
    text = f"{config.value}-{n}".encode()
    return {
        ref: SecretBytes(text)
        if isinstance(ref, RemoteRef)
        else SecretMap({"a": SecretBytes(text)})
        for ref in refs
    }


#: answers to every reference, by fault
_ANSWERS: dict[str, Any] = {
    "exception-answer": lambda config: ValueError(SECRET),
    "evil-answer": lambda config: Evil(),
    "evil-error-answer": lambda config: EvilPluginError("the backend refused"),
    "leaky-repr": lambda config: Leaky(),
    "str-value": lambda config: SECRET,
    "str-bytes": lambda config: SecretBytes(SECRET),  # type: ignore[arg-type]
    "none-bytes": lambda config: SecretBytes(None),  # type: ignore[arg-type]
    "none-answer": lambda config: None,
    "map-for-value": lambda config: SecretMap({"a": SecretBytes(SECRET.encode())}),
    "bad-keys": lambda config: SecretMap(
        {"..": SecretBytes(SECRET.encode()), "k" * 300: SecretBytes(b"x")}
    ),
    "non-str-keys": lambda config: SecretMap({7: SecretBytes(SECRET.encode())}),  # type: ignore[dict-item]
    "raw-values": lambda config: SecretMap({"k": SECRET.encode()}),  # type: ignore[dict-item]
    "huge": lambda config: SecretBytes(SECRET.encode() * (config.size_mib * MIB // len(SECRET))),
}

#: whole answers (instead of a mapping of answers), by fault
_WHOLE: dict[str, Any] = {
    "not-a-mapping": lambda: [SECRET],
    "none": lambda: None,
    "exception-returned": lambda: RuntimeError(SECRET),
    "evil-object": Evil,
    "unreadable-mapping": Unreadable,
}


@extsecrets.hookimpl
def extsecrets_fetch(store: StoreView, refs: Sequence[FetchRef]) -> Any:
    config: FaultyProvider = store.config
    fault = config.fault
    _raise(fault)  # (a "hang" returns once released, then answers as a working store does)
    if fault == "slow":  # (past the time limit, then an answer)
        time.sleep(config.slow_seconds)
    elif fault == "leak":
        with _LOCK:
            LEAKED.append(b"\x01" * (config.leak_mib * MIB))  # (touched: resident)
    elif fault in _WHOLE:
        return _WHOLE[fault]()
    elif fault in _ANSWERS:
        return {ref: _ANSWERS[fault](config) for ref in refs}
    elif fault not in ("", "hang", "slow"):
        raise PermanentError(f"unknown fault {fault!r}")
    return _good(store, refs)


@extsecrets.hookimpl
def extsecrets_generate(generator: GeneratorView) -> Any:
    fault = generator.config.fault
    _raise(fault)
    if fault == "str-data":
        return Generated({"token": SECRET})  # type: ignore[dict-item]
    if fault == "bad-expiry":
        return Generated({"token": SecretBytes(b"t")}, expires_at=SECRET)  # type: ignore[arg-type]
    if fault == "naive-expiry":
        return Generated({"token": SecretBytes(b"t")}, expires_at=dt.datetime(2030, 1, 1))
    if fault == "huge":
        return Generated({"token": SecretBytes(bytes(8 * MIB))})
    if fault == "evil-error-returned":
        return EvilPluginError("the backend refused")
    if fault:
        raise ExtSecretsError(f"unknown fault {fault!r}")
    return Generated({"token": SecretBytes(b"t")})
