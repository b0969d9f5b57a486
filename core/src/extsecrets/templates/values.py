"""The Go value model of the template engine, and Go's `%v` printing of it.

A template sees Go values; here they are plain Python values (the contract between the engine
and the template functions):

=====================  =========================================================
Go                     Python
=====================  =========================================================
``string``             ``str``: Go's bytes decoded with ``utf-8``/``surrogateescape``
                       (:func:`from_go_bytes`), so every byte round-trips exactly
``bool``               ``bool``
``int``                ``int`` (other integer kinds: the :class:`GoInt` subclasses)
``float64``            ``float``
``[]interface {}``     ``list`` (``[]string`` etc.: :class:`GoSlice`)
``map[string]...``     ``dict`` with ``str`` keys (``map[string]string``: :class:`GoMap`)
``[]byte``             ``bytes``
``nil``                ``None``
=====================  =========================================================

The marker classes exist only where Go's exact type shows in an output (sprig's ``typeOf``,
``kindOf``, fmt's ``%!d(int64=...)``); code that does not care treats them as their base class.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from types import MappingProxyType
from typing import Any, ClassVar

__all__ = [
    "NAMED_KINDS",
    "GoInt",
    "GoMap",
    "GoSlice",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Uint",
    "Uint8",
    "Uint16",
    "Uint32",
    "Uint64",
    "format_float",
    "from_go_bytes",
    "go_kind",
    "go_len",
    "go_print",
    "go_type_name",
    "fmt_v",
    "is_int",
    "signature_of",
    "to_go_bytes",
    "truth",
]

# ---------------------------------------------------------------------------------------------
# Strings are bytes in Go


def from_go_bytes(data: bytes) -> str:
    """Go string (any bytes, not necessarily UTF-8) -> the Python ``str`` that stands for it."""
    return data.decode("utf-8", "surrogateescape")


def to_go_bytes(text: str) -> bytes:
    """The Go bytes a Python ``str`` of the model stands for (inverse of :func:`from_go_bytes`)."""
    return text.encode("utf-8", "surrogateescape")


# ---------------------------------------------------------------------------------------------
# Marker types


class GoInt(int):
    """An integer of a Go kind other than ``int`` (``int64``, ``uint8`` ...), or of a named
    integer type (``time.Duration``: ``go_type`` is the type, ``go_kind`` its kind)."""

    go_type: ClassVar[str] = "int"
    go_kind: ClassVar[str] = ""  # the kind of a named type; "" when it is go_type
    unsigned: ClassVar[bool] = False

    def __repr__(self) -> str:
        return f"{self.go_type}({int(self)})"


class Int8(GoInt):
    go_type = "int8"


class Int16(GoInt):
    go_type = "int16"


class Int32(GoInt):
    go_type = "int32"


class Int64(GoInt):
    go_type = "int64"


class Uint(GoInt):
    go_type = "uint"
    unsigned = True


class Uint8(GoInt):
    go_type = "uint8"
    unsigned = True


class Uint16(GoInt):
    go_type = "uint16"
    unsigned = True


class Uint32(GoInt):
    go_type = "uint32"
    unsigned = True


class Uint64(GoInt):
    go_type = "uint64"
    unsigned = True


class GoSlice(list[Any]):
    """A Go slice whose element type is not ``interface {}`` (e.g. sprig's ``[]string``)."""

    def __init__(self, items: Any = (), elem: str = "interface {}") -> None:
        super().__init__(items)
        self.elem = elem


class GoMap(dict[str, Any]):
    """A Go map with string keys whose value type is not ``interface {}``."""

    def __init__(self, items: Any = (), elem: str = "interface {}") -> None:
        super().__init__(items)
        self.elem = elem


def is_int(value: object) -> bool:
    """A Go integer (of any kind); Python's ``bool`` is not one."""
    return isinstance(value, int) and not isinstance(value, bool)


# Named Go types that template functions declare as parameters, with their underlying kind. As in
# Go's evalArg, a constant converts to them as to their kind (``htpasswd "u" "p" "sha"``); a value
# of another type does not (a string in a variable is not a ``sprig.HashAlgorithm``).
NAMED_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "sprig.HashAlgorithm": "string",
        "time.Duration": "int64",
        "time.Month": "int",
        "time.Weekday": "int",
    }
)


# ---------------------------------------------------------------------------------------------
# Types, kinds, length, truth


def go_type_name(value: object) -> str:
    """Go's ``reflect.Type.String()`` of the value (``<nil>`` for nil), as fmt prints it."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, GoInt):
        return value.go_type
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, complex):
        return "complex128"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes | bytearray):
        return "[]uint8"
    if isinstance(value, GoSlice):
        return f"[]{value.elem}"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, GoMap):
        return f"map[string]{value.elem}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    go_type = getattr(value, "go_type", None)
    if isinstance(go_type, str):
        return go_type
    if callable(value):
        return "func(...) interface {}"
    return type(value).__name__


def go_kind(value: object) -> str:
    """Go's ``reflect.Kind`` name of the value (``invalid`` for nil)."""
    if value is None:
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, GoInt):
        return value.go_kind or value.go_type
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes | bytearray | list | tuple):
        return "slice"
    if isinstance(value, dict):
        return "map"
    kind = getattr(value, "go_kind", None)
    if isinstance(kind, str):
        return kind
    if callable(value):
        return "func"
    return "struct"


def go_len(value: object) -> int | None:
    """Go's ``len``: byte length of strings, element count of slices and maps; None if no length."""
    if isinstance(value, str):
        return len(to_go_bytes(value))
    if isinstance(value, bytes | bytearray | list | tuple | dict):
        return len(value)
    return None


def truth(value: object) -> bool:
    """Go template truth (``IsTrue``): false, 0, nil, and empty strings, slices and maps are false.

    Any other value (a function, a struct-like object) is true.
    """
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | complex):
        return value != 0
    if isinstance(value, str | bytes | bytearray | list | tuple | dict):
        return len(value) > 0
    return True


# ---------------------------------------------------------------------------------------------
# Floats: Go's strconv.FormatFloat(f, fmt, prec, 64)


def _shortest_digits(x: float) -> tuple[str, int]:
    """Shortest round-tripping decimal digits of abs(x) and the decimal point position.

    Python's repr and Go's Ryu both produce the shortest digit string that reads back as the same
    float64, choosing the closest one; x is finite and non-zero.
    """
    mant, _, exp = repr(abs(x)).partition("e")
    whole, _, frac = mant.partition(".")
    digits = (whole + frac).lstrip("0")
    dp = len(whole) + (int(exp) if exp else 0)
    # leading zeros of whole+frac move the point left
    dp -= len(whole + frac) - len((whole + frac).lstrip("0"))
    return digits.rstrip("0"), dp


def _fixed_digits(x: float, ndigits: int) -> tuple[str, int]:
    """abs(x) rounded (half to even, on the exact binary value) to ndigits significant digits."""
    d = Decimal(abs(x))
    if d == 0:
        return "", 0
    with localcontext() as ctx:
        ctx.prec = max(ndigits, 1)
        ctx.rounding = ROUND_HALF_EVEN
        r = +d
    _sign, dig, exp = r.as_tuple()
    text = "".join(map(str, dig))
    assert isinstance(exp, int)
    dp = len(text) + exp
    return text.rstrip("0"), dp


def _decimal_places_digits(x: float, places: int) -> tuple[str, int]:
    """abs(x) rounded (half to even, exact) to `places` digits after the point."""
    d = Decimal(abs(x))
    if d == 0:
        return "", 0
    with localcontext() as ctx:
        ctx.prec = 2000
        r = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if r == 0:
        return "", 0
    _sign, dig, exp = r.as_tuple()
    text = "".join(map(str, dig)).lstrip("0")
    assert isinstance(exp, int)
    dp = len(text) + exp
    return text.rstrip("0"), dp


def _fmt_e(neg: bool, digits: str, dp: int, prec: int, ch: str) -> str:
    out = ["-" if neg else "", digits[0] if digits else "0"]
    if prec > 0:
        frac = digits[1 : prec + 1]
        out.append("." + frac + "0" * (prec - len(frac)))
    exp = dp - 1 if digits else 0
    sign = "-" if exp < 0 else "+"
    exp = abs(exp)
    out.append(f"{ch}{sign}{exp:02d}")
    return "".join(out)


def _fmt_f(neg: bool, digits: str, dp: int, prec: int) -> str:
    out = ["-" if neg else ""]
    if dp > 0:
        whole = digits[:dp]
        out.append(whole + "0" * (dp - len(whole)))
    else:
        out.append("0")
    if prec > 0:
        frac = []
        for i in range(prec):
            j = dp + i
            frac.append(digits[j] if 0 <= j < len(digits) else "0")
        out.append("." + "".join(frac))
    return "".join(out)


def format_float(x: float, fmt: str = "g", prec: int = -1) -> str:
    """Go's ``strconv.FormatFloat(x, fmt, prec, 64)`` for fmt in ``e E f g G``.

    ``prec < 0`` means the shortest representation that reads back exactly.
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    neg = math.copysign(1.0, x) < 0
    shortest = prec < 0
    if shortest:
        digits, dp = _shortest_digits(x) if x != 0 else ("", 0)
        nd = len(digits)
        if fmt in "eE":
            prec = max(nd - 1, 0)
        elif fmt == "f":
            prec = max(nd - dp, 0)
        else:
            prec = nd
    elif fmt == "f":
        digits, dp = _decimal_places_digits(x, prec)
    else:
        if fmt in "gG" and prec == 0:
            prec = 1
        digits, dp = _fixed_digits(x, prec + 1 if fmt in "eE" else prec)
    nd = len(digits)
    if fmt in "eE":
        return _fmt_e(neg, digits, dp, prec, fmt)
    if fmt == "f":
        return _fmt_f(neg, digits, dp, prec)
    if fmt in "gG":
        eprec = prec
        if eprec > nd and nd >= dp:
            eprec = nd
        if shortest:
            eprec = 6
        exp = dp - 1
        if exp < -4 or exp >= eprec:
            if prec > nd:
                prec = nd
            return _fmt_e(neg, digits, dp, prec - 1, "e" if fmt == "g" else "E")
        if prec > dp:
            prec = nd
        return _fmt_f(neg, digits, dp, max(prec - dp, 0))
    return "%" + fmt


# ---------------------------------------------------------------------------------------------
# %v


def fmt_v(value: object, plus: bool = False, depth: int = 0) -> str:
    """fmt's ``%v`` (``%+v`` with plus) of a value; nil is ``<nil>`` as fmt prints it."""
    if value is None:
        return "<nil>"
    go_method = getattr(value, "go_method", None)
    if callable(go_method):  # a Go Stringer (time.Duration, time.Month ...) prints String()
        method = go_method("String")
        if method is not None:
            return str(method())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return ("+" if plus and value >= 0 else "") + str(int(value))
    if isinstance(value, float):
        s = format_float(value, "g", -1)
        if plus and not s.startswith(("-", "+")):
            s = "+" + s
        return s
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return "[" + " ".join(str(b) for b in value) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(fmt_v(v, plus, depth + 1) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: _map_key_order(kv[0]))
        return (
            "map["
            + " ".join(f"{fmt_v(k, plus, depth + 1)}:{fmt_v(v, plus, depth + 1)}" for k, v in items)
            + "]"
        )
    if callable(value):
        return f"{id(value):#x}"
    return str(value)


def _map_key_order(key: object) -> tuple[int, Any]:
    """fmt sorts map keys (internal/fmtsort): strings by their bytes, numbers by value."""
    if isinstance(key, str):
        return (0, to_go_bytes(key))
    if isinstance(key, bool):
        return (1, key)
    if isinstance(key, int | float):
        return (2, key)
    return (3, str(key))


def go_print(value: object) -> str:
    """What ``{{ value }}`` prints: fmt's ``%v``, except that a nil value prints ``<no value>``."""
    if value is None:
        return "<no value>"
    return fmt_v(value)


# ---------------------------------------------------------------------------------------------
# Template functions

# A template function as the engine calls it.
TemplateFunc = Callable[..., Any]
FuncMap = Mapping[str, TemplateFunc]


def signature_of(fn: TemplateFunc) -> Any:
    """The Go signature a template function declares as ``fn.go_signature``, or None.

    Any object with ``params`` (the fixed parameters' Go type names, e.g. ``("string",)``) and
    ``variadic`` (the element type of a final ``...`` parameter, or None) will do; the function
    set's ``funcs.signature.GoSignature`` is one. With it the engine makes Go's argument checks
    (``wrong number of args for f: want 2 got 1``, ``wrong type for value; expected string; got
    int``) and converts number literals as Go does for the parameter type; a function without one
    takes any arguments.
    """
    sig = getattr(fn, "go_signature", None)
    if sig is None or not hasattr(sig, "params") or not hasattr(sig, "variadic"):
        return None
    return sig
