"""Reading YAML as go-yaml v2 does (YAML 1.1 scalars, first document only), shared by ESO's
``fromYaml`` and the ``KeysAndValues`` output reader: PyYAML parses, go-yaml's rules resolve.
"""

from __future__ import annotations

import math
import re
import struct
from typing import Any

import yaml

from extsecrets.templates.values import format_float

__all__ = [
    "float_key",
    "PLAIN",
    "BOOL",
    "FLOAT",
    "INT",
    "MERGE",
    "NULL",
    "STR",
    "TS",
    "GoComposer",
    "resolve_plain",
    "shortest32",
]

_BOOL_WORDS = {
    **dict.fromkeys(
        ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True
    ),
    **dict.fromkeys(
        ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False
    ),
}
_NULL_WORDS = ("", "~", "null", "Null", "NULL")
_SPECIAL_FLOAT = {
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt]| )[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"
)

STR, BOOL, INT, FLOAT, NULL, TS, MERGE = (
    "str",
    "bool",
    "int",
    "float",
    "null",
    "ts",
    "merge",
)


_HINTED = set("+-0123456789yYnNtTfFoO~.")


def resolve_plain(s: str) -> tuple[str, Any]:
    """go-yaml v2's resolve("", s): (kind, value) of a plain scalar.

    Only scalars starting with one of go-yaml's hint characters can be anything but a string
    (so ``<<`` resolves as a string here; the decoder treats a ``<<`` key as a merge itself).
    """
    # Imported here: the funcs package imports this module while it builds its map, and this
    # module may be imported first (by the sync's KeysAndValues reader).
    from extsecrets.templates.funcs._cast import go_parse_float, go_parse_int

    if s == "":
        return NULL, None
    c = s[0]
    if c not in _HINTED:
        return STR, s
    if s in _NULL_WORDS:
        return NULL, None
    if s in _BOOL_WORDS:
        return BOOL, _BOOL_WORDS[s]
    if s in _SPECIAL_FLOAT:
        return FLOAT, _SPECIAL_FLOAT[s]
    if c == ".":
        try:
            return FLOAT, go_parse_float(s)
        except ValueError:
            return STR, s
    if c in "+-0123456789":
        if _TIMESTAMP.fullmatch(s):
            return TS, s
        plain = s.replace("_", "")
        try:
            return INT, go_parse_int(plain, 0, 64)
        except ValueError:
            pass
        try:
            return INT, _parse_uint(plain)
        except ValueError:
            pass
        if _YAML_FLOAT.fullmatch(plain):
            try:
                return FLOAT, go_parse_float(plain)
            except ValueError:
                pass
        for prefix, sign in (("0b", 1), ("-0b", -1)):
            if plain.startswith(prefix):
                try:
                    return INT, sign * int(plain[len(prefix) :], 2)
                except ValueError:
                    pass
    return STR, s


def _parse_uint(p: str) -> int:
    from extsecrets.templates.funcs._cast import go_parse_int  # see resolve_plain

    if p.startswith(("+", "-")):
        raise ValueError("invalid syntax")
    n = go_parse_int(p, 0, 65)
    if n < 0 or n >= 1 << 64:
        raise ValueError("value out of range")
    return n


PLAIN = "?plain"
"""The tag of a plain (unquoted, untagged) scalar, resolved later with :func:`resolve_plain`."""


class _PlainResolver(yaml.resolver.BaseResolver):
    """Marks plain scalars instead of resolving them: go-yaml's rules apply later."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return PLAIN
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


class GoComposer(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _PlainResolver,
):
    """PyYAML's YAML 1.1 parser composing nodes, plain scalars left to :func:`resolve_plain`:
    values are built by the callers with go-yaml's rules. Read through
    :func:`extsecrets.yaml_limits.go_first_document`, which adds the YAML limits."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _PlainResolver.__init__(self)


def shortest32(value: float) -> str:
    """``strconv.FormatFloat(value, 'g', -1, 32)``: the shortest text that reads back as the
    float32 nearest ``value`` (beyond float32's range that is ``+Inf``/``-Inf``)."""
    try:
        target = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:  # rounds beyond float32's largest value
        target = math.copysign(math.inf, value)
    if math.isinf(target) or math.isnan(target):
        return format_float(target)
    for digits in range(1, 10):
        text = f"{target:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == target:
            return format_float(float(text))
    return format_float(target)


def float_key(value: float) -> str:
    """sigs.k8s.io/yaml's text of a float map key: float32's shortest form, with infinities and
    NaN as YAML writes them (``.inf``, ``-.inf``, ``.nan``), also for a key beyond float32's
    range; values keep ``+Inf``."""
    text = shortest32(value)
    return {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(text, text)
