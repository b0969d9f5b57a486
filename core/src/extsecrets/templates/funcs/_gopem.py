"""Go's encoding/pem (Decode as in Go 1.25.3 and later, Encode), on bytes."""

from __future__ import annotations

import base64
import binascii

__all__ = ["Block", "decode", "encode"]

_BEGIN = b"\n-----BEGIN "
_END = b"\n-----END "
_EOL = b"-----"


class Block:
    __slots__ = ("bytes", "headers", "type")

    def __init__(self, type_: str, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.type = type_
        self.bytes = data
        self.headers = headers or {}


def _get_line(data: bytes) -> tuple[bytes, bytes, int]:
    i = data.find(b"\n")
    if i < 0:
        i = j = len(data)
    else:
        j = i + 1
        if i > 0 and data[i - 1] == 0x0D:
            i -= 1
    return data[:i].rstrip(b" \t"), data[j:], j


def _std_b64(data: bytes) -> bytes | None:
    """base64.StdEncoding.Decode: CR/LF skipped, strict padding; None on error."""
    from .sprig_encoding import CorruptInput, go_b64decode

    try:
        return go_b64decode(data)
    except (CorruptInput, binascii.Error):
        return None


def decode(data: bytes) -> tuple[Block | None, bytes]:
    """pem.Decode: the next block and the rest, or (None, data)."""
    rest = data
    end_trailer_index = 0
    while True:
        rest = rest[end_trailer_index:]
        end_index = rest.find(_END)
        if end_index < 0:
            return None, data
        end_trailer_index = end_index + len(_END)
        begin_index = rest.rfind(_BEGIN[1:], 0, end_index)
        if begin_index < 0 or (begin_index > 0 and rest[begin_index - 1] != 0x0A):
            continue
        skip = begin_index + len(_BEGIN) - 1
        rest = rest[skip:]
        end_index -= skip
        end_trailer_index -= skip
        type_line, rest, consumed = _get_line(rest)
        if not type_line.endswith(_EOL):
            continue
        end_index -= consumed
        end_trailer_index -= consumed
        type_line = type_line[: -len(_EOL)]
        headers: dict[str, str] = {}
        eof = False
        while True:
            if not rest:
                eof = True
                break
            line, nxt, used = _get_line(rest)
            key, sep, val = line.partition(b":")
            if not sep:
                break
            headers[key.strip().decode("utf-8", "surrogateescape")] = val.strip().decode(
                "utf-8", "surrogateescape"
            )
            rest = nxt
            end_index -= used
            end_trailer_index -= used
        if eof:
            return None, data
        if headers and end_index < 0:
            continue
        end_trailer = rest[end_trailer_index:]
        trailer_len = len(type_line) + len(_EOL)
        if len(end_trailer) < trailer_len:
            continue
        rest_of_end_line = end_trailer[trailer_len:]
        end_trailer = end_trailer[:trailer_len]
        if not end_trailer.startswith(type_line) or not end_trailer.endswith(_EOL):
            continue
        if _get_line(rest_of_end_line)[0]:
            continue
        body = b""
        if end_index > 0:
            decoded = _std_b64(rest[:end_index].replace(b" ", b"").replace(b"\t", b""))
            if decoded is None:
                continue
            body = decoded
        _, rest, _ = _get_line(rest[end_index + len(_END) - 1 :])
        block = Block(type_line.decode("utf-8", "surrogateescape"), body, headers)
        return block, rest


def encode(block: Block) -> bytes:
    """pem.EncodeToMemory (64-character lines, LF)."""
    out = bytearray(b"-----BEGIN " + block.type.encode("utf-8", "surrogateescape") + b"-----\n")
    if block.headers:
        names = sorted(k for k in block.headers if k != "Proc-Type")
        if "Proc-Type" in block.headers:
            names.insert(0, "Proc-Type")
        for k in names:
            out += f"{k}: {block.headers[k]}\n".encode("utf-8", "surrogateescape")
        out += b"\n"
    b64 = base64.b64encode(block.bytes)
    for i in range(0, len(b64), 64):
        out += b64[i : i + 64] + b"\n"
    out += b"-----END " + block.type.encode("utf-8", "surrogateescape") + b"-----\n"
    return bytes(out)
