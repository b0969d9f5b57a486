"""sprig's encodings and checksums: b64/b32 (Go's strict decoders: on bad input the error text is
the output), ESO's ``hexdec``, sha*sum, adler32sum, uuidv4."""

from __future__ import annotations

import base64
import hashlib
import uuid
import zlib

from ._go import B, S
from .signature import go

__all__ = ["FUNCS", "b64decode", "go_b64decode"]

_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64URL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B32 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class CorruptInput(ValueError):
    """Go's base64/base32 CorruptInputError; str() is its text."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"illegal base64 data at input byte {offset}")
        self.offset = offset


def go_b64decode(src: bytes, alphabet: bytes = _B64) -> bytes:
    """base64.Encoding.DecodeString with padding (Std or URL alphabet): CR/LF skipped, strict
    padding, CorruptInput at Go's offset."""
    table = {c: i for i, c in enumerate(alphabet)}
    out = bytearray()
    si = 0
    n = len(src)
    while True:
        dbuf = [0, 0, 0, 0]
        dlen = 4
        j = 0
        err: int | None = None
        done = False
        while j < 4:
            if si == n:
                if j == 0:
                    return bytes(out)
                raise CorruptInput(si - j)
            c = src[si]
            si += 1
            if c in table:
                dbuf[j] = table[c]
                j += 1
                continue
            if c in (10, 13):
                continue
            if c != 0x3D:  # '='
                raise CorruptInput(si - 1)
            if j in (0, 1):
                raise CorruptInput(si - 1)
            if j == 2:
                while si < n and src[si] in (10, 13):
                    si += 1
                if si == n:
                    raise CorruptInput(n)
                if src[si] != 0x3D:
                    raise CorruptInput(si - 1)
                si += 1
            while si < n and src[si] in (10, 13):
                si += 1
            if si < n:
                err = si
            dlen = j
            done = True
            break
        val = dbuf[0] << 18 | dbuf[1] << 12 | dbuf[2] << 6 | dbuf[3]
        chunk = bytes([(val >> 16) & 0xFF, (val >> 8) & 0xFF, val & 0xFF])
        out += chunk[: dlen - 1]
        if err is not None:
            raise CorruptInput(err)
        if done:
            return bytes(out)


def b64decode(s: str) -> str:
    try:
        return S(go_b64decode(B(s)))
    except CorruptInput as e:
        return str(e)


def go_b32decode(src: bytes) -> bytes:
    """base32.StdEncoding.DecodeString (newlines stripped first)."""
    buf = src.replace(b"\r", b"").replace(b"\n", b"")
    table = {c: i for i, c in enumerate(_B32)}
    olen = len(buf)
    rest = buf
    out = bytearray()
    end = False

    def corrupt(off: int) -> ValueError:
        return ValueError(f"illegal base32 data at input byte {off}")

    while rest and not end:
        dbuf = [0] * 8
        dlen = 8
        j = 0
        while j < 8:
            if not rest:
                raise corrupt(olen - len(rest) - j)
            c = rest[0]
            rest = rest[1:]
            if c == 0x3D and j >= 2 and len(rest) < 8:
                if len(rest) + j < 7:
                    raise corrupt(olen)
                for k in range(7 - j):
                    if len(rest) > k and rest[k] != 0x3D:
                        raise corrupt(olen - len(rest) + k - 1)
                dlen, end = j, True
                if dlen in (1, 3, 6):
                    raise corrupt(olen - len(rest) - 1)
                break
            if c not in table:
                raise corrupt(olen - len(rest) - 1)
            dbuf[j] = table[c]
            j += 1
        b = [0] * 5
        b[4] = (dbuf[6] << 5 | dbuf[7]) & 0xFF
        b[3] = (dbuf[4] << 7 | dbuf[5] << 2 | dbuf[6] >> 3) & 0xFF
        b[2] = (dbuf[3] << 4 | dbuf[4] >> 1) & 0xFF
        b[1] = (dbuf[1] << 6 | dbuf[2] << 1 | dbuf[3] >> 4) & 0xFF
        b[0] = (dbuf[0] << 3 | dbuf[1] >> 2) & 0xFF
        nbytes = {8: 5, 7: 4, 5: 3, 4: 2, 2: 1}.get(dlen, 0)
        out += bytes(b[:nbytes])
    return bytes(out)


@go("string")
def b64enc(s: str) -> str:
    return base64.b64encode(B(s)).decode("ascii")


@go("string")
def b64dec(s: str) -> str:
    return b64decode(s)


@go("string")
def b32enc(s: str) -> str:
    return base64.b32encode(B(s)).decode("ascii")


@go("string")
def b32dec(s: str) -> str:
    try:
        return S(go_b32decode(B(s)))
    except ValueError as e:
        return str(e)


def _hex_invalid(c: int) -> str:
    r = chr(c)
    shown = f" '{r}'" if r.isprintable() else ""
    return f"encoding/hex: invalid byte: U+{c:04X}{shown}"


@go("string")
def hexdec(s: str) -> str:
    """ESO's addition: hex to bytes; on bad input Go's error text is the output."""
    b = B(s)
    digits = b"0123456789abcdefABCDEF"
    for i in range(1, len(b), 2):
        for c in (b[i - 1], b[i]):
            if c not in digits:
                return _hex_invalid(c)
    if len(b) % 2 == 1:
        if b[-1] not in digits:
            return _hex_invalid(b[-1])
        return "encoding/hex: odd length hex string"
    return S(bytes.fromhex(b.decode("ascii")))


@go("string")
def sha1sum(s: str) -> str:
    return hashlib.sha1(B(s)).hexdigest()


@go("string")
def sha256sum(s: str) -> str:
    return hashlib.sha256(B(s)).hexdigest()


@go("string")
def sha512sum(s: str) -> str:
    return hashlib.sha512(B(s)).hexdigest()


@go("string")
def adler32sum(s: str) -> str:
    return str(zlib.adler32(B(s)))


@go()
def uuidv4() -> str:
    return str(uuid.uuid4())


FUNCS = {
    "b64enc": b64enc,
    "b64dec": b64dec,
    "b32enc": b32enc,
    "b32dec": b32dec,
    "hexdec": hexdec,
    "sha1sum": sha1sum,
    "sha256sum": sha256sum,
    "sha512sum": sha512sum,
    "adler32sum": adler32sum,
    "uuidv4": uuidv4,
}
