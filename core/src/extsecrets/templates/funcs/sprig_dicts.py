"""sprig's dictionary functions (dict.go) with mergo's merge rules."""

from __future__ import annotations

import copy
from typing import Any

from extsecrets.templates.errors import FuncPanic
from extsecrets.templates.values import GoSlice

from ._cast import strval
from ._model import empty, is_map, is_slice, type_name
from .objects import GoObject
from .signature import ANY, LIST, MAP, go

__all__ = ["FUNCS"]


@go(MAP, "string", returns=ANY)
def get(d: dict[str, Any] | None, key: str) -> Any:
    return "" if d is None else d.get(key, "")


@go(MAP, "string", ANY, returns=MAP)
def set_(d: dict[str, Any] | None, key: str, value: Any) -> dict[str, Any]:
    if d is None:
        raise FuncPanic("assignment to entry in nil map")
    d[key] = value
    return d


@go(MAP, "string", returns=MAP)
def unset(d: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    if d is not None:
        d.pop(key, None)
    return d


@go(MAP, "string", returns="bool")
def hasKey(d: dict[str, Any], key: str) -> bool:
    return key in d


@go("string", variadic=MAP, returns=LIST)
def pluck(key: str, *dicts: dict[str, Any]) -> list[Any]:
    return [d[key] for d in dicts if d is not None and key in d]


@go(variadic=MAP, returns="[]string")
def keys(*dicts: dict[str, Any]) -> GoSlice:
    # Go visits a map in random order; we keep the map's own (insertion) order
    return GoSlice([k for d in dicts if d is not None for k in d], elem="string")


@go(MAP, variadic="string", returns=MAP)
def pick(d: dict[str, Any] | None, *names: str) -> dict[str, Any]:
    return {k: d[k] for k in names if d is not None and k in d}


@go(MAP, variadic="string", returns=MAP)
def omit(d: dict[str, Any] | None, *names: str) -> dict[str, Any]:
    dropped = set(names)
    return {k: v for k, v in (d or {}).items() if k not in dropped}


@go(variadic=ANY, returns=MAP)
def dict_(*v: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(v), 2):
        out[strval(v[i])] = v[i + 1] if i + 1 < len(v) else ""
    return out


@go(MAP, returns=LIST)
def values(d: dict[str, Any] | None) -> list[Any]:
    return list((d or {}).values())


def _merge(dst: dict[str, Any], src: dict[str, Any] | None, overwrite: bool) -> None:
    """mergo's deepMerge of two map[string]interface{} (dst changes in place; a nil src is
    nothing to merge)."""
    if src is None:
        return
    for key, sv in list(src.items()):
        present = key in dst
        dv = dst.get(key)
        if sv is None:
            if overwrite:
                dst[key] = None
            continue
        if is_map(sv):
            if present and isinstance(dv, dict):
                _merge(dv, sv, overwrite)
        elif is_slice(sv) and not isinstance(sv, GoObject):
            cur = dv if present and dv is not None else type(sv)()
            if not empty(src) and (overwrite or empty(dst)):
                cur = sv
            dst[key] = cur
        if present and not empty(dv):
            if is_slice(sv):
                continue
            if is_map(sv) and is_map(dv):
                continue
        if overwrite or not present or empty(dv):
            dst[key] = sv


@go(MAP, variadic=MAP, returns=ANY)
def merge(dst: dict[str, Any], *srcs: dict[str, Any]) -> Any:
    for src in srcs:
        _merge(dst, src, False)
    return dst


@go(MAP, variadic=MAP, returns=(ANY, "error"))
def mustMerge(dst: dict[str, Any], *srcs: dict[str, Any]) -> Any:
    for src in srcs:
        _merge(dst, src, False)
    return dst


@go(MAP, variadic=MAP, returns=ANY)
def mergeOverwrite(dst: dict[str, Any], *srcs: dict[str, Any]) -> Any:
    for src in srcs:
        _merge(dst, src, True)
    return dst


@go(MAP, variadic=MAP, returns=(ANY, "error"))
def mustMergeOverwrite(dst: dict[str, Any], *srcs: dict[str, Any]) -> Any:
    for src in srcs:
        _merge(dst, src, True)
    return dst


@go(ANY, returns=(ANY, "error"))
def mustDeepCopy(v: Any) -> Any:
    return copy.deepcopy(v)


@go(ANY, returns=ANY)
def deepCopy(v: Any) -> Any:
    return copy.deepcopy(v)


def _assert(v: Any, want: str) -> Any:
    """Go's type assertion v.(T) inside dig: a wrong type panics."""
    ok = is_map(v) and type_name(v) == want if want == MAP else isinstance(v, str)
    if not ok:
        got = "nil" if v is None else type_name(v)
        raise FuncPanic(f"interface conversion: interface {{}} is {got}, not {want}")
    return v


@go(variadic=ANY, returns=(ANY, "error"))
def dig(*ps: Any) -> Any:
    if len(ps) < 3:
        raise FuncPanic("dig needs at least three arguments")
    d = _assert(ps[-1], MAP)
    default = ps[-2]
    path = [_assert(p, "string") for p in ps[:-2]]
    for i, k in enumerate(path):
        if k not in d:
            return default
        step = d[k]
        if i == len(path) - 1:
            return step
        d = _assert(step, MAP)
    return default


FUNCS = {
    "dict": dict_,
    "get": get,
    "set": set_,
    "unset": unset,
    "hasKey": hasKey,
    "pluck": pluck,
    "keys": keys,
    "pick": pick,
    "omit": omit,
    "merge": merge,
    "mergeOverwrite": mergeOverwrite,
    "mustMerge": mustMerge,
    "mustMergeOverwrite": mustMergeOverwrite,
    "values": values,
    "deepCopy": deepCopy,
    "mustDeepCopy": mustDeepCopy,
    "dig": dig,
}
