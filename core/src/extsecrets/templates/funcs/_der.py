"""A minimal DER reader and writer for PKCS#12 (as Go's encoding/asn1 reads and writes it)."""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["Asn1Error", "Tlv", "enc", "oid", "oid_str", "read", "read_all", "seq", "set_of"]

SEQUENCE, SET, INTEGER, OCTET_STRING, NULL, OID, BMP_STRING = (
    0x30,
    0x31,
    0x02,
    0x04,
    0x05,
    0x06,
    0x1E,
)


class Asn1Error(ValueError):
    """Malformed DER; str() is an encoding/asn1-like text."""


class Tlv:
    """One DER element: its tag byte, content, and full encoding."""

    __slots__ = ("content", "raw", "tag")

    def __init__(self, tag: int, content: bytes, raw: bytes) -> None:
        self.tag = tag
        self.content = content
        self.raw = raw

    def children(self) -> list[Tlv]:
        if not self.tag & 0x20:
            raise Asn1Error("asn1: structure error: expected a constructed element")
        return read_all(self.content)

    def integer(self) -> int:
        if self.tag != INTEGER or not self.content:
            raise Asn1Error("asn1: structure error: tags don't match (integer expected)")
        return int.from_bytes(self.content, "big", signed=True)

    def octets(self) -> bytes:
        if self.tag != OCTET_STRING:
            raise Asn1Error("asn1: structure error: tags don't match (octet string expected)")
        return self.content

    def oid(self) -> str:
        if self.tag != OID:
            raise Asn1Error("asn1: structure error: tags don't match (object identifier expected)")
        return oid_str(self.content)


def read(data: bytes, pos: int = 0) -> tuple[Tlv, int]:
    """The element at `pos` and the position after it (definite lengths only, as DER)."""
    if pos + 2 > len(data):
        raise Asn1Error("asn1: syntax error: data truncated")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise Asn1Error("asn1: syntax error: high-tag-number form is not supported here")
    n = data[pos + 1]
    p = pos + 2
    if n & 0x80:
        count = n & 0x7F
        if count == 0:
            raise Asn1Error("asn1: syntax error: indefinite length found (not DER)")
        if count > 4 or p + count > len(data):
            raise Asn1Error("asn1: syntax error: data truncated")
        n = int.from_bytes(data[p : p + count], "big")
        p += count
    if p + n > len(data):
        raise Asn1Error("asn1: syntax error: data truncated")
    return Tlv(tag, data[p : p + n], data[pos : p + n]), p + n


def read_all(data: bytes) -> list[Tlv]:
    out = []
    pos = 0
    while pos < len(data):
        t, pos = read(data, pos)
        out.append(t)
    return out


def read_one(data: bytes) -> Tlv:
    """Exactly one element (go-pkcs12's unmarshal: trailing bytes are an error)."""
    t, end = read(data)
    if end != len(data):
        raise Asn1Error("pkcs12: trailing data found")
    return t


def oid_str(content: bytes) -> str:
    arcs: list[int] = []
    v = 0
    for b in content:
        v = v << 7 | (b & 0x7F)
        if not b & 0x80:
            arcs.append(v)
            v = 0
    if not arcs:
        raise Asn1Error("asn1: syntax error: zero length OBJECT IDENTIFIER")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(x) for x in (first, arcs[0] - 40 * first, *arcs[1:]))


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def enc(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _len(len(content)) + content


def seq(*items: bytes) -> bytes:
    return enc(SEQUENCE, b"".join(items))


def set_of(*items: bytes) -> bytes:
    # DER sorts SET OF members by their encodings, as Go's asn1.Marshal does
    return enc(SET, b"".join(sorted(items)))


def integer(n: int) -> bytes:
    length = max(1, (n.bit_length() + 8) // 8)
    return enc(INTEGER, n.to_bytes(length, "big", signed=True))


def octets(b: bytes) -> bytes:
    return enc(OCTET_STRING, b)


def oid(dotted: str) -> bytes:
    arcs = [int(x) for x in dotted.split(".")]
    body = bytearray()
    for v in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [v & 0x7F]
        v >>= 7
        while v:
            chunk.append(0x80 | (v & 0x7F))
            v >>= 7
        body += bytes(reversed(chunk))
    return enc(OID, bytes(body))


def explicit(n: int, content: bytes) -> bytes:
    return enc(0xA0 | n, content)


def iter_children(t: Tlv) -> Iterator[Tlv]:
    yield from t.children()
