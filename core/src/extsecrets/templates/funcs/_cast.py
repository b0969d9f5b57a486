"""spf13/cast (v1.10, as sprig uses it) and sprig's ``strval``, on the value model.

cast never fails inside sprig: a value it cannot convert becomes 0.
"""

from __future__ import annotations

import math
import re
from typing import Any

from extsecrets.templates.strconv import underscore_ok
from extsecrets.templates.values import GoInt, fmt_v, from_go_bytes

__all__ = ["go_parse_float", "go_parse_int", "strval", "to_float64", "to_int", "to_int64"]

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1

# cast's trimDecimal: "12.50" -> "12", ".5" -> "0", "-.5" -> "-0"
_DECIMAL = re.compile(r"^([-+]?[0-9]*)(\.[0-9]*)?$")


def _wrap64(n: int) -> int:
    """Go's two's complement overflow of int64 arithmetic."""
    n &= (1 << 64) - 1
    return n - (1 << 64) if n >= 1 << 63 else n


def float_to_int64(f: float) -> int:
    """Go's int64(f) on amd64: truncation; NaN and out of range give the minimum int64."""
    if math.isnan(f) or math.isinf(f) or not (-(2.0**63) <= f < 2.0**63):
        return _INT64_MIN
    return int(f)


def go_parse_int(s: str, base: int = 0, bits: int = 64) -> int:
    """strconv.ParseInt(s, base, bits); ValueError with Go's reason on failure."""
    text = s
    neg = False
    if text[:1] in ("+", "-"):
        neg = text[0] == "-"
        text = text[1:]
    b = base
    underscores = False
    if base == 0:
        b = 10
        low = text.lower()
        if low.startswith("0x"):
            b, text = 16, text[2:]
        elif low.startswith("0o"):
            b, text = 8, text[2:]
        elif low.startswith("0b"):
            b, text = 2, text[2:]
        elif text.startswith("0") and len(text) > 1:
            b, text = 8, text[1:]
        underscores = True
    if not text:
        raise ValueError("invalid syntax")
    if "_" in text:
        if not underscores or not underscore_ok(s):
            raise ValueError("invalid syntax")
        text = text.replace("_", "")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"[:b]
    if not text or any(c not in digits for c in text.lower()):
        raise ValueError("invalid syntax")
    n = int(text, b)
    n = -n if neg else n
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if n < lo or n > hi:
        raise ValueError("value out of range")
    return n


_FLOAT_DEC = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_FLOAT_HEX = re.compile(
    r"[+-]?0[xX]([0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+)[pP][+-]?[0-9_]+"
)
_FLOAT_SPECIAL = re.compile(r"[+-]?(inf|infinity|nan)", re.IGNORECASE)


def go_parse_float(s: str) -> float:
    """strconv.ParseFloat(s, 64); ValueError on a syntax error or a value out of range."""
    if _FLOAT_SPECIAL.fullmatch(s):
        low = s.lower().lstrip("+-")
        if low == "nan":
            if s[:1] in ("+", "-"):
                raise ValueError("invalid syntax")
            return math.nan
        return -math.inf if s.startswith("-") else math.inf
    if _FLOAT_DEC.fullmatch(s):
        f = float(s)
    elif _FLOAT_HEX.fullmatch(s) and ("_" not in s or underscore_ok(s)):
        f = float.fromhex(s.replace("_", ""))
    else:
        raise ValueError("invalid syntax")
    if math.isinf(f):
        raise ValueError("value out of range")
    return f


def _trim_decimal(s: str) -> str:
    if "." not in s:
        return s
    m = _DECIMAL.match(s)
    if m is None:
        return s
    whole = m.group(1)
    if whole in ("-", "+"):
        return whole + "0"
    return whole or "0"


def to_int64(v: Any) -> int:
    """cast.ToInt64: numbers convert (floats truncate), bools are 0/1, strings parse (base
    prefixes, a decimal part dropped), anything else (nil, slices, maps) is 0."""
    if v is None:
        return 0
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, GoInt) and v.go_type == "uint64":
        return _wrap64(int(v))
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float_to_int64(v)
    if isinstance(v, str):
        if v == "":
            return 0
        try:
            return go_parse_int(_trim_decimal(v))
        except ValueError:
            return 0
    return 0


def to_int(v: Any) -> int:
    """cast.ToInt (Go's int is 64 bits on the platforms ESO ships for)."""
    return to_int64(v)


def to_float64(v: Any) -> float:
    """cast.ToFloat64."""
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int):
        return float(v)
    if isinstance(v, float):
        return v
    if isinstance(v, str):
        if v == "":
            return 0.0
        try:
            return go_parse_float(v)
        except ValueError:
            return 0.0
    return 0.0


def strval(v: Any) -> str:
    """sprig's strval: strings as they are, []byte as a string, Stringers and the rest by %v."""
    if isinstance(v, str):
        return v
    if isinstance(v, bytes | bytearray):
        return from_go_bytes(bytes(v))
    return fmt_v(v)
