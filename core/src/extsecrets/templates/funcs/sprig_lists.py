"""sprig's list functions (list.go, numeric.go's until/seq)."""

from __future__ import annotations

import math
from typing import Any

from extsecrets.templates.errors import FuncError, FuncPanic
from extsecrets.templates.values import GoSlice, Uint8

from ._cast import to_int
from ._go import check_size
from ._model import NilSlice, deep_equal, empty, kind_or_panic
from .signature import ANY, LIST, go
from .sprig_strings import strslice

__all__ = ["FUNCS"]


def _items(v: Any, what: str) -> list[Any]:
    """The elements of a Go slice or array; FuncError("Cannot <what> on type <kind>") else."""
    k = kind_or_panic(v)
    if k != "slice":
        raise FuncError(f"{what} {k}")
    if isinstance(v, bytes | bytearray):
        return [Uint8(x) for x in v]
    return list(v)


def _must(fn: Any) -> Any:
    """The sprig function without `must`: the error becomes a panic."""

    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except FuncPanic:
            raise
        except FuncError as e:
            raise FuncPanic(e.message) from None

    return call


@go(variadic=ANY, returns=LIST)
def list_(*v: Any) -> list[Any]:
    return list(v)


@go(ANY, ANY, returns=(LIST, "error"))
def mustPush(lst: Any, v: Any) -> list[Any]:
    items = _items(lst, "Cannot push on type")
    check_size(len(items) + 1)
    return [*items, v]


@go(ANY, ANY, returns=(LIST, "error"))
def mustPrepend(lst: Any, v: Any) -> list[Any]:
    items = _items(lst, "Cannot prepend on type")
    return [v, *items]


@go("int", ANY, returns=("[][]interface {}", "error"))
def mustChunk(size: int, lst: Any) -> GoSlice:
    items = _items(lst, "Cannot chunk type")
    n = len(items)
    # sprig computes the chunk count in float64; a size of 0 or less can give a count (or a
    # chunk length) that Go's make() refuses
    bad = FuncPanic("runtime error: makeslice: len out of range")
    if size == 0:
        raise bad
    cs = math.floor((n - 1) / size) + 1
    if cs < 0:
        raise bad
    out = GoSlice([], elem="[]interface {}")
    for i in range(cs):
        clen = size
        if i == cs - 1:
            clen = math.floor(math.fmod(n, size)) or size
        if clen < 0:
            raise bad
        out.append(items[i * size : i * size + clen])
    return out


@go(ANY, returns=(ANY, "error"))
def mustLast(lst: Any) -> Any:
    items = _items(lst, "Cannot find last on type")
    return items[-1] if items else None


@go(ANY, returns=(ANY, "error"))
def mustFirst(lst: Any) -> Any:
    items = _items(lst, "Cannot find first on type")
    return items[0] if items else None


@go(ANY, returns=(LIST, "error"))
def mustRest(lst: Any) -> list[Any]:
    items = _items(lst, "Cannot find rest on type")
    return items[1:] if items else NilSlice()


@go(ANY, returns=(LIST, "error"))
def mustInitial(lst: Any) -> list[Any]:
    items = _items(lst, "Cannot find initial on type")
    return items[:-1] if items else NilSlice()


@go(ANY, returns=(LIST, "error"))
def mustReverse(lst: Any) -> list[Any]:
    return _items(lst, "Cannot find reverse on type")[::-1]


@go(ANY, returns=(LIST, "error"))
def mustCompact(lst: Any) -> list[Any]:
    return [x for x in _items(lst, "Cannot compact on type") if not empty(x)]


def _in_list(haystack: list[Any], needle: Any) -> bool:
    return any(deep_equal(needle, h) for h in haystack)


@go(ANY, returns=(LIST, "error"))
def mustUniq(lst: Any) -> list[Any]:
    dest: list[Any] = []
    for x in _items(lst, "Cannot find uniq on type"):
        if not _in_list(dest, x):
            dest.append(x)
    return dest


@go(ANY, variadic=ANY, returns=(LIST, "error"))
def mustWithout(lst: Any, *omit: Any) -> list[Any]:
    omitted = list(omit)
    return [x for x in _items(lst, "Cannot find without on type") if not _in_list(omitted, x)]


@go(ANY, ANY, returns=("bool", "error"))
def mustHas(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    return _in_list(_items(haystack, "Cannot find has on type"), needle)


@go(ANY, variadic=ANY, returns=(ANY, "error"))
def mustSlice(lst: Any, *indices: Any) -> Any:
    k = kind_or_panic(lst)
    if k != "slice":
        raise FuncError(f"list should be type of slice or array but {k}")
    n = len(lst)
    if n == 0:
        return None
    start = to_int(indices[0]) if indices else 0
    end = to_int(indices[1]) if len(indices) >= 2 else n
    if start < 0 or end < start or end > n:
        raise FuncPanic("reflect.Value.Slice: slice index out of bounds")
    part = lst[start:end]
    if isinstance(lst, GoSlice):
        return GoSlice(part, elem=lst.elem)
    return part


@go(variadic=ANY, returns=ANY)
def concat(*lists: Any) -> list[Any]:
    res: list[Any] = []
    for lst in lists:
        k = kind_or_panic(lst)
        if k != "slice":
            raise FuncPanic(f"Cannot concat type {k} as list")
        res.extend(_items(lst, "Cannot concat type"))
        check_size(len(res))
    return res if lists else NilSlice()


@go(ANY, returns="[]string")
def sortAlpha(lst: Any) -> GoSlice:
    from ._go import B

    if lst is not None and kind_or_panic(lst) == "slice":
        return GoSlice(sorted(strslice(lst), key=B), elem="string")
    from ._cast import strval

    return GoSlice([strval(lst)], elem="string")


def _until_step(start: int, stop: int, step: int) -> GoSlice:
    if stop < start:
        r = range(start, stop, step) if step < 0 else range(0)
    else:
        r = range(start, stop, step) if step > 0 else range(0)
    check_size(2 * len(r))
    return GoSlice(r, elem="int")


@go("int", returns="[]int")
def until(count: int) -> GoSlice:
    return _until_step(0, count, -1 if count < 0 else 1)


@go("int", "int", "int", returns="[]int")
def untilStep(start: int, stop: int, step: int) -> GoSlice:
    return _until_step(start, stop, step)


@go(variadic="int")
def seq(*params: int) -> str:
    n = len(params)
    if n == 1:
        start, end = 1, params[0]
        inc = -1 if end < start else 1
        r = _until_step(start, end + inc, inc)
    elif n == 2:
        start, end = params
        step = -1 if end < start else 1
        r = _until_step(start, end + step, step)
    elif n == 3:
        start, step, end = params
        inc = 1
        if end < start:
            inc = -1
            if step > 0:
                return ""
        r = _until_step(start, end + inc, step)
    else:
        return ""
    return " ".join(str(i) for i in r)


def _plain(name: str, must: Any, returns: Any) -> Any:
    fn = _must(must)
    sig = must.go_signature
    fn.go_signature = type(sig)(sig.params, sig.variadic, returns)
    fn.__name__ = name
    return fn


push = _plain("push", mustPush, (LIST,))
prepend = _plain("prepend", mustPrepend, (LIST,))
chunk = _plain("chunk", mustChunk, ("[][]interface {}",))
last = _plain("last", mustLast, (ANY,))
first = _plain("first", mustFirst, (ANY,))
rest = _plain("rest", mustRest, (LIST,))
initial = _plain("initial", mustInitial, (LIST,))
reverse = _plain("reverse", mustReverse, (LIST,))
compact = _plain("compact", mustCompact, (LIST,))
uniq = _plain("uniq", mustUniq, (LIST,))
without = _plain("without", mustWithout, (LIST,))
has = _plain("has", mustHas, ("bool",))
slice_ = _plain("slice", mustSlice, (ANY,))

FUNCS = {
    "tuple": list_,
    "list": list_,
    "append": push,
    "push": push,
    "mustAppend": mustPush,
    "mustPush": mustPush,
    "prepend": prepend,
    "mustPrepend": mustPrepend,
    "first": first,
    "mustFirst": mustFirst,
    "rest": rest,
    "mustRest": mustRest,
    "last": last,
    "mustLast": mustLast,
    "initial": initial,
    "mustInitial": mustInitial,
    "reverse": reverse,
    "mustReverse": mustReverse,
    "uniq": uniq,
    "mustUniq": mustUniq,
    "without": without,
    "mustWithout": mustWithout,
    "has": has,
    "mustHas": mustHas,
    "slice": slice_,
    "mustSlice": mustSlice,
    "concat": concat,
    "chunk": chunk,
    "mustChunk": mustChunk,
    "compact": compact,
    "mustCompact": mustCompact,
    "sortAlpha": sortAlpha,
    "until": until,
    "untilStep": untilStep,
    "seq": seq,
}
