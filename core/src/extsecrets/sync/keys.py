"""Pure functions of ESO's data assembly (spec §6.3, §6.6): key conversion, value decoding,
the null-byte check and the Secret's data hash, bit for bit as ESO computes them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import unicodedata
from collections.abc import Mapping
from typing import Literal

from extsecrets.errors import PermanentError

__all__ = ["convert_key", "convert_keys", "data_hash", "decode_value", "go_map_format"]

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


def _b64(value: bytes, url: bool) -> bytes:
    # Go's decoder skips CR and LF; it rejects the other alphabet's two characters.
    text = value.replace(b"\r", b"").replace(b"\n", b"")
    if (url and (b"+" in text or b"/" in text)) or (not url and (b"-" in text or b"_" in text)):
        raise binascii.Error("character outside the alphabet")
    return base64.b64decode(text, altchars=b"-_" if url else None, validate=True)


def decode_value(value: bytes, strategy: Literal["Auto", "Base64", "Base64URL", "None"]) -> bytes:
    """Apply ``decodingStrategy``: ``Auto`` tries standard then URL base64, else keeps the value;
    ``Base64``/``Base64URL`` fail on anything that is not valid base64 of that alphabet."""
    if strategy == "None":
        return value
    if strategy == "Auto":
        for url in (False, True):
            try:
                return _b64(value, url)
            except (binascii.Error, ValueError):
                continue
        return value
    try:
        return _b64(value, strategy == "Base64URL")
    except (binascii.Error, ValueError) as exc:
        raise PermanentError(f"error decoding value with {strategy}: {exc}") from None


def go_map_format(data: Mapping[str, bytes]) -> str:
    """Go's ``%v`` of a ``map[string][]byte``: ``map[k:[98 97 114] k2:[]]``, keys sorted."""
    items = " ".join(f"{k}:[{' '.join(str(b) for b in data[k])}]" for k in sorted(data))
    return f"map[{items}]"


def data_hash(data: Mapping[str, bytes]) -> str:
    """The ``reconcile.external-secrets.io/data-hash`` annotation value."""
    return hashlib.sha3_224(go_map_format(data).encode()).hexdigest()
