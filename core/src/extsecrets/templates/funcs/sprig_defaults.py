"""sprig's defaults.go (default, empty, coalesce, all, any, JSON, ternary) and reflect.go."""

from __future__ import annotations

from typing import Any

from extsecrets.templates.errors import FuncError, FuncPanic

from ._gojson import JSONError, marshal, unmarshal
from ._model import deep_equal, empty, kind, type_name
from .signature import ANY, go

__all__ = ["FUNCS"]


@go(ANY, variadic=ANY, returns=ANY)
def default(d: Any, *given: Any) -> Any:
    if not given or empty(given[0]):
        return d
    return given[0]


@go(ANY, returns="bool")
def empty_(v: Any) -> bool:
    return empty(v)


@go(variadic=ANY, returns=ANY)
def coalesce(*v: Any) -> Any:
    for x in v:
        if not empty(x):
            return x
    return None


@go(variadic=ANY, returns="bool")
def all_(*v: Any) -> bool:
    return all(not empty(x) for x in v)


@go(variadic=ANY, returns="bool")
def any_(*v: Any) -> bool:
    return any(not empty(x) for x in v)


@go(ANY, ANY, "bool", returns=ANY)
def ternary(vt: Any, vf: Any, v: bool) -> Any:
    return vt if v else vf


@go("string", returns=ANY)
def fromJson(v: str) -> Any:
    return unmarshal(v)[0]


@go("string", returns=(ANY, "error"))
def mustFromJson(v: str) -> Any:
    out, err = unmarshal(v)
    if err is not None:
        raise FuncError(err)
    return out


def _json(v: Any, **kw: Any) -> str:
    try:
        return marshal(v, **kw)
    except JSONError as e:
        raise FuncError(str(e)) from None


@go(ANY)
def toJson(v: Any) -> str:
    try:
        return marshal(v)
    except JSONError:
        return ""


@go(ANY, returns=("string", "error"))
def mustToJson(v: Any) -> str:
    return _json(v)


@go(ANY)
def toPrettyJson(v: Any) -> str:
    try:
        return marshal(v, indent="  ")
    except JSONError:
        return ""


@go(ANY, returns=("string", "error"))
def mustToPrettyJson(v: Any) -> str:
    return _json(v, indent="  ")


@go(ANY, returns=("string", "error"))
def mustToRawJson(v: Any) -> str:
    return _json(v, escape_html=False)


@go(ANY)
def toRawJson(v: Any) -> str:
    try:
        return marshal(v, escape_html=False)
    except JSONError as e:
        raise FuncPanic(str(e)) from None


# -- reflection ---------------------------------------------------------------------------------


@go(ANY)
def typeOf(v: Any) -> str:
    return type_name(v)


@go("string", ANY, returns="bool")
def typeIs(target: str, v: Any) -> bool:
    return target == type_name(v)


@go("string", ANY, returns="bool")
def typeIsLike(target: str, v: Any) -> bool:
    t = type_name(v)
    return target == t or "*" + target == t


@go(ANY)
def kindOf(v: Any) -> str:
    return kind(v)


@go("string", ANY, returns="bool")
def kindIs(target: str, v: Any) -> bool:
    return target == kind(v)


@go(ANY, ANY, returns="bool")
def deepEqual(a: Any, b: Any) -> bool:
    return deep_equal(a, b)


FUNCS = {
    "default": default,
    "empty": empty_,
    "coalesce": coalesce,
    "all": all_,
    "any": any_,
    "fromJson": fromJson,
    "toJson": toJson,
    "toPrettyJson": toPrettyJson,
    "toRawJson": toRawJson,
    "mustFromJson": mustFromJson,
    "mustToJson": mustToJson,
    "mustToPrettyJson": mustToPrettyJson,
    "mustToRawJson": mustToRawJson,
    "ternary": ternary,
    "typeOf": typeOf,
    "typeIs": typeIs,
    "typeIsLike": typeIsLike,
    "kindOf": kindOf,
    "kindIs": kindIs,
    "deepEqual": deepEqual,
}
