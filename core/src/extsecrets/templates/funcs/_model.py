"""Go types and kinds of model values, including the Go objects of this package, and Go's
``reflect.DeepEqual`` and sprig's ``empty`` on them."""

from __future__ import annotations

import math
from typing import Any

from extsecrets.templates.errors import FuncPanic
from extsecrets.templates.values import GoSlice, go_kind, go_type_name

from .objects import GoObject

__all__ = [
    "NIL_DEREF",
    "NilSlice",
    "deep_equal",
    "empty",
    "is_map",
    "is_slice",
    "kind",
    "kind_or_panic",
    "type_name",
]

NIL_DEREF = "runtime error: invalid memory address or nil pointer dereference"


class NilSlice(GoSlice):
    """A nil Go slice: prints ``[]`` like an empty one but is ``null`` in JSON."""


def type_name(v: Any) -> str:
    """fmt's %T."""
    if isinstance(v, GoObject):
        return v.go_type
    return go_type_name(v)


def kind(v: Any) -> str:
    """reflect.Kind's name (``invalid`` for nil)."""
    if isinstance(v, GoObject):
        return v.go_kind
    if isinstance(v, tuple):
        return "slice"
    return go_kind(v)


def kind_or_panic(v: Any) -> str:
    """reflect.TypeOf(v).Kind(): Go dereferences a nil Type for nil and panics."""
    if v is None:
        raise FuncPanic(NIL_DEREF)
    return kind(v)


def is_slice(v: Any) -> bool:
    return isinstance(v, list | tuple | bytes | bytearray)


def is_map(v: Any) -> bool:
    return isinstance(v, dict)


def empty(v: Any) -> bool:
    """sprig's empty: nil, false, 0, and empty strings, slices and maps; structs are not."""
    if v is None:
        return True
    if isinstance(v, bool):
        return not v
    if isinstance(v, int | float):
        return v == 0
    if isinstance(v, str | bytes | bytearray | list | tuple | dict):
        return len(v) == 0
    return False


def deep_equal(a: Any, b: Any) -> bool:
    """reflect.DeepEqual: same Go type and deeply equal contents (NaN never equals itself)."""
    if a is None or b is None:
        return a is None and b is None
    if type_name(a) != type_name(b):
        return False
    if isinstance(a, float):
        return not math.isnan(a) and a == b
    if isinstance(a, list | tuple):
        if isinstance(a, NilSlice) != isinstance(b, NilSlice):
            return False
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return len(a) == len(b) and all(k in b and deep_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, GoObject):
        return bool(a == b)
    return bool(a == b)
