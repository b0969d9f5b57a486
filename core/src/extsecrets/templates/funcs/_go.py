"""Small pieces of Go's runtime and standard library the functions share: byte views of strings,
slice bounds panics, ``strconv.Quote``."""

from __future__ import annotations

from extsecrets.templates.errors import FuncPanic
from extsecrets.templates.limits import check_size
from extsecrets.templates.values import from_go_bytes, to_go_bytes

__all__ = ["B", "S", "bounds_panic", "check_size", "go_quote", "slice_bytes", "slice_list"]


def B(s: str) -> bytes:
    """The Go bytes of a model string."""
    return to_go_bytes(s)


def S(b: bytes) -> str:
    """The model string of Go bytes."""
    return from_go_bytes(b)


def bounds_panic(lo: int | None, hi: int | None, length: int, what: str = "length") -> FuncPanic:
    """Go's runtime panic for s[lo:hi] out of range (hi is checked first, as Go does)."""
    if hi is not None and (hi < 0 or hi > length):
        if hi < 0:
            return FuncPanic(f"runtime error: slice bounds out of range [:{hi}]")
        return FuncPanic(f"runtime error: slice bounds out of range [:{hi}] with {what} {length}")
    lo_v = lo or 0
    hi_v = length if hi is None else hi
    if lo_v < 0:
        return FuncPanic(f"runtime error: slice bounds out of range [{lo_v}:]")
    return FuncPanic(f"runtime error: slice bounds out of range [{lo_v}:{hi_v}]")


def _bad(lo: int | None, hi: int | None, length: int) -> bool:
    lo_v = 0 if lo is None else lo
    hi_v = length if hi is None else hi
    return hi_v < 0 or hi_v > length or lo_v < 0 or lo_v > hi_v


def slice_bytes(b: bytes, lo: int | None, hi: int | None) -> bytes:
    """Go's b[lo:hi] on a string's bytes, panicking as Go does when out of range."""
    if _bad(lo, hi, len(b)):
        raise bounds_panic(lo, hi, len(b))
    return b[lo:hi]


def slice_list(items: list[object], lo: int | None, hi: int | None) -> list[object]:
    """Go's l[lo:hi] on a slice (its capacity is its length here)."""
    if _bad(lo, hi, len(items)):
        raise bounds_panic(lo, hi, len(items), "capacity")
    return items[lo:hi]


_ESC = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}


def go_quote(s: str) -> str:
    """strconv.Quote: a double-quoted Go string literal; printable runes stay as they are."""
    out = ['"']
    for c in s:
        o = ord(c)
        if 0xDC80 <= o <= 0xDCFF:  # an invalid byte
            out.append(f"\\x{o - 0xDC00:02x}")
        elif c in ('"', "\\"):
            out.append("\\" + c)
        elif o < 0x80:
            if o in _ESC:
                out.append(_ESC[o])
            elif o < 0x20 or o == 0x7F:
                out.append(f"\\x{o:02x}")
            else:
                out.append(c)
        elif c.isprintable():
            out.append(c)
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)
