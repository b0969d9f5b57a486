"""Pure functions of ESO's data assembly (spec §6.3, §6.6): key conversion, value decoding,
the null-byte check and the Secret's data hash, bit for bit as ESO computes them."""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Literal

from extsecrets.errors import PermanentError
from extsecrets.model.meta import secret_key_problem

__all__ = [
    "MAX_KEY_LENGTH",
    "check_kubernetes_keys",
    "check_null_bytes",
    "convert_key",
    "convert_keys",
    "data_hash",
    "decode_map",
    "decode_value",
    "go_map_format",
    "validate_keys",
]

MAX_KEY_LENGTH = 253

_KEPT_PUNCTUATION = frozenset("-._")


def _kept(char: str) -> bool:
    """Go's ``unicode.IsLetter || unicode.IsNumber`` (categories L* and N*), or ``-._``."""
    return char in _KEPT_PUNCTUATION or unicodedata.category(char)[0] in ("L", "N")


def convert_key(key: str, strategy: Literal["Default", "Unicode"]) -> str:
    """``Default``: every other character becomes ``_``; ``Unicode``: ``_U%04x_``."""
    if strategy == "Default":
        return "".join(c if _kept(c) else "_" for c in key)
    return "".join(c if _kept(c) else f"_U{ord(c):04x}_" for c in key)


def convert_keys(
    data: Mapping[str, bytes], strategy: Literal["Default", "Unicode"]
) -> dict[str, bytes]:
    """Convert every key; two keys converting to the same name is an error (ESO's text)."""
    out: dict[str, bytes] = {}
    for key, value in data.items():
        new = convert_key(key, strategy)
        if new in out:
            raise PermanentError(f"secret name collision during conversion: {new}")
        out[new] = value
    return out


_STD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_URL = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_NEWLINES = (ord("\r"), ord("\n"))
_PAD = ord("=")


def _go_corrupt_offset(src: bytes, alphabet: frozenset[int]) -> int | None:
    """Where Go's padded base64 decoder reports ``illegal base64 data at input byte N``
    (``None``: Go accepts the input). A port of the scan in Go's ``decodeQuantum``."""
    si, n = 0, len(src)
    while True:
        j = 0
        while j < 4:
            if si == n:
                return None if j == 0 else si - j
            char = src[si]
            si += 1
            if char in alphabet:
                j += 1
                continue
            if char in _NEWLINES:
                continue
            if char != _PAD or j < 2:
                return si - 1
            if j == 2:  # "==" expected; the first "=" is consumed
                while si < n and src[si] in _NEWLINES:
                    si += 1
                if si == n:
                    return n
                if src[si] != _PAD:
                    return si - 1
                si += 1
            while si < n and src[si] in _NEWLINES:
                si += 1
            return si if si < n else None


def _b64(value: bytes, url: bool) -> bytes:
    """Decode like Go's ``base64.StdEncoding`` / ``URLEncoding``: padded, newlines skipped."""
    # Go's text names the offset of the first bad byte; it is left out here, since where a
    # value stops being base64 is something about the value.
    if _go_corrupt_offset(value, _URL if url else _STD) is not None:
        raise PermanentError("illegal base64 data")
    text = value.replace(b"\r", b"").replace(b"\n", b"")
    return base64.b64decode(text, altchars=b"-_" if url else None)


def decode_value(value: bytes, strategy: Literal["Auto", "Base64", "Base64URL", "None"]) -> bytes:
    """Apply ``decodingStrategy``: ``Auto`` tries standard then URL base64, else keeps the value;
    ``Base64``/``Base64URL`` fail on anything that is not valid base64 of that alphabet, with
    Go's text without the offset (``illegal base64 data``)."""
    if strategy == "None":
        return value
    if strategy == "Auto":
        for url in (False, True):
            try:
                return _b64(value, url)
            except PermanentError:
                continue
        return value
    return _b64(value, strategy == "Base64URL")


def decode_map(
    data: Mapping[str, bytes], strategy: Literal["Auto", "Base64", "Base64URL", "None"]
) -> dict[str, bytes]:
    """``decode_value`` on every value; the first failure (in key order) names its key."""
    out: dict[str, bytes] = {}
    for key in sorted(data):
        try:
            out[key] = decode_value(data[key], strategy)
        except PermanentError as exc:
            raise PermanentError(f"failure decoding key {key}: {exc}") from None
    return out


def check_null_bytes(key: str, value: bytes, policy: Literal["Ignore", "Fail"]) -> None:
    """``nullBytePolicy: Fail`` refuses a value holding a NUL byte (ESO's text)."""
    if policy == "Fail" and b"\x00" in value:
        raise PermanentError(f'fetched secret value for key "{key}" contains null bytes')


def validate_keys(data: Mapping[str, bytes]) -> dict[str, bytes]:
    """ESO's ``ValidateKeys``: empty keys are dropped; a key longer than 253 bytes or holding a
    character other than a letter, a digit, ``-``, ``.`` or ``_`` is an error. The first bad
    key in key order is reported (ESO's order is Go's random map order)."""
    out: dict[str, bytes] = {}
    for key in sorted(data):
        if not key:
            continue
        raw = key.encode()
        if len(raw) > MAX_KEY_LENGTH:
            cut = raw[:MAX_KEY_LENGTH].decode("utf-8", "ignore")
            raise PermanentError(
                f"key has length {len(raw)} but max is {MAX_KEY_LENGTH}: "
                f"(following is truncated): {cut}"
            )
        bad = next((c for c in key if not _kept(c)), None)
        if bad is not None:
            raise PermanentError(
                f"key has invalid character {bad}, only alphanumeric, '-', '.' and '_' are "
                f"allowed: {key}"
            )
        out[key] = data[key]
    return out


def check_kubernetes_keys(keys: Iterable[str]) -> None:
    """Refuse, before anything is written, a key the API server would refuse in a Secret (the
    first in key order): ESO's check above passes Unicode letters, ``.``, ``..`` and ``..x``."""
    for key in sorted(keys):
        problem = secret_key_problem(key)
        if problem is not None:
            raise PermanentError(f'key "{key}" is refused by Kubernetes in a Secret: {problem}')


def go_map_format(data: Mapping[str, bytes]) -> str:
    """Go's ``%v`` of a ``map[string][]byte``: ``map[k:[98 97 114] k2:[]]``, keys sorted."""
    items = " ".join(f"{k}:[{' '.join(str(b) for b in data[k])}]" for k in sorted(data))
    return f"map[{items}]"


def data_hash(data: Mapping[str, bytes]) -> str:
    """The ``reconcile.external-secrets.io/data-hash`` annotation value."""
    return hashlib.sha3_224(go_map_format(data).encode()).hexdigest()
