"""Go's builtin template functions (``text/template/funcs.go``, Go 1.26) over the value model.

Builtins take Go ``reflect.Value`` arguments; here an argument is a model value, ``None`` for an
invalid value (Go's zero ``reflect.Value``) or :class:`Iface` for a value of interface kind (an
element of a ``[]interface {}`` or ``map[string]interface {}``). ``and``/``or`` short-circuit and
``call`` are evaluated by the executor itself.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from .errors import FuncError, FuncPanic
from .gofmt import sprint, sprintf, sprintln
from .values import GoInt, GoMap, GoSlice, Uint8, from_go_bytes, go_type_name, is_int, to_go_bytes

__all__ = ["BUILTINS", "Iface", "indirect_interface", "zero_of"]


class Iface:
    """A Go value of interface kind holding `value` (None: a nil interface)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Iface({self.value!r})"


def indirect_interface(v: Any) -> Any:
    """Go's indirectInterface: the concrete value inside an interface (None for nil)."""
    return v.value if isinstance(v, Iface) else v


def static_type(v: Any) -> str:
    return "interface {}" if isinstance(v, Iface) else go_type_name(v)


_ZEROS: dict[str, Any] = {
    "string": "",
    "bool": False,
    "int": 0,
    "float64": 0.0,
    "float32": 0.0,
}


def zero_of(type_name: str) -> Any:
    """The zero value of a Go element type (nil for interfaces, slices, maps)."""
    if type_name in _ZEROS:
        return _ZEROS[type_name]
    if type_name in ("int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32"):
        from . import values

        cls = getattr(values, type_name.capitalize())
        return cls(0)
    if type_name == "uint64":
        from .values import Uint64

        return Uint64(0)
    return None


def _elem_type(container: Any) -> str:
    if isinstance(container, GoSlice | GoMap):
        return container.elem
    if isinstance(container, bytes | bytearray):
        return "uint8"
    return "interface {}"


def _wrap_elem(container: Any, value: Any) -> Any:
    """An element as Go sees it: of interface kind when the container holds interface {}."""
    return Iface(value) if _elem_type(container) == "interface {}" else value


def _index_arg(index: Any, cap: int) -> int:
    if is_int(index):
        x = int(index)
    elif index is None:
        raise FuncError("cannot index slice/array with nil")
    else:
        raise FuncError(f"cannot index slice/array with type {go_type_name(index)}")
    if x < 0 or x > cap:
        raise FuncError(f"index out of range: {x}")
    return x


def _kind(v: Any) -> str:
    if isinstance(v, str):
        return "string"
    if isinstance(v, bytes | bytearray | list | tuple):
        return "slice"
    if isinstance(v, dict):
        return "map"
    return "other"


def b_index(item: Any, *indexes: Any) -> Any:
    item = indirect_interface(item)
    if item is None:
        raise FuncError("index of untyped nil")
    for raw in indexes:
        index = indirect_interface(raw)
        if isinstance(item, Iface):
            if item.value is None:
                raise FuncError("index of nil pointer")
            item = item.value
        kind = _kind(item)
        if kind in ("string", "slice"):
            data = to_go_bytes(item) if kind == "string" else item
            x = _index_arg(index, len(data))
            if x == len(data):
                what = "string" if kind == "string" else "slice"
                raise FuncPanic(f"reflect: {what} index out of range")
            if kind == "string":
                item = Uint8(data[x])
            elif isinstance(item, bytes | bytearray):
                item = Uint8(item[x])
            else:
                item = _wrap_elem(item, item[x])
        elif kind == "map":
            if index is None:
                raise FuncError("value is nil; should be of type string")
            if not isinstance(index, str):
                raise FuncError(f"value has type {go_type_name(index)}; should be string")
            if index in item:
                item = _wrap_elem(item, item[index])
            else:
                elem = _elem_type(item)
                item = Iface(None) if elem == "interface {}" else zero_of(elem)
        else:
            raise FuncError(f"can't index item of type {go_type_name(item)}")
    return item


def b_slice(item: Any, *indexes: Any) -> Any:
    item = indirect_interface(item)
    if item is None:
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    kind = _kind(item)
    if kind == "string":
        if len(indexes) == 3:
            raise FuncError("cannot 3-index slice a string")
        data: Any = to_go_bytes(item)
    elif kind == "slice":
        data = item
    else:
        raise FuncError(f"can't slice item of type {go_type_name(item)}")
    cap = len(data)
    idx = [0, len(data), 0]
    for i, raw in enumerate(indexes):
        idx[i] = _index_arg(indirect_interface(raw), cap)
    if idx[0] > idx[1]:
        raise FuncError(f"invalid slice index: {idx[0]} > {idx[1]}")
    if len(indexes) == 3 and idx[1] > idx[2]:
        raise FuncError(f"invalid slice index: {idx[1]} > {idx[2]}")
    part = data[idx[0] : idx[1]]
    if kind == "string":
        return from_go_bytes(bytes(part))
    if isinstance(item, GoSlice):
        return GoSlice(part, item.elem)
    return type(item)(part) if isinstance(item, bytes | bytearray) else list(part)


def b_len(item: Any) -> int:
    if isinstance(item, Iface):
        if item.value is None:
            raise FuncError("len of nil pointer")
        item = item.value
    if item is None:
        raise FuncPanic("reflect: call of reflect.Value.Type on zero Value")
    if isinstance(item, str):
        return len(to_go_bytes(item))
    if isinstance(item, bytes | bytearray | list | tuple | dict):
        return len(item)
    raise FuncError(f"len of type {go_type_name(item)}")


def truth(arg: Any) -> bool:
    from .values import truth as value_truth

    return value_truth(indirect_interface(arg))


def b_not(arg: Any) -> bool:
    return not truth(arg)


# -- comparison

_BAD_TYPE = "invalid type for comparison"


def _basic_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, GoInt) and v.unsigned:
        return "uint"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, complex):
        return "complex"
    if isinstance(v, str):
        return "string"
    return "invalid"


def _is_nil(v: Any) -> bool:
    return v is None


def _go_kind(v: Any) -> str:
    if v is None:
        return "invalid"
    if isinstance(v, bytes | bytearray | list | tuple):
        return "slice"
    if isinstance(v, dict):
        return "map"
    if callable(v):
        return "func"
    return "struct"


def _comparable(v: Any) -> bool:
    return not isinstance(v, bytes | bytearray | list | tuple | dict) and not callable(v)


def b_eq(arg1: Any, *arg2: Any) -> bool:
    arg1 = indirect_interface(arg1)
    if not arg2:
        raise FuncError("missing argument for comparison")
    k1 = _basic_kind(arg1)
    for raw in arg2:
        arg = indirect_interface(raw)
        k2 = _basic_kind(arg)
        equal = False
        if k1 != k2:
            if k1 == "int" and k2 == "uint":
                equal = arg1 >= 0 and arg1 == arg
            elif k1 == "uint" and k2 == "int":
                equal = arg >= 0 and arg1 == arg
            elif arg1 is not None and arg is not None:
                raise FuncError(
                    "incompatible types for comparison: "
                    f"{go_type_name(arg1)} and {go_type_name(arg)}"
                )
        elif k1 != "invalid":
            equal = arg1 == arg
        else:
            k_1, k_2 = _go_kind(arg1), _go_kind(arg)
            if not (k_1 == k_2 or "invalid" in (k_1, k_2)):
                raise FuncError(
                    f"non-comparable types {sprintf('%s', arg1)}: {go_type_name(arg1)}, "
                    f"{go_type_name(arg)}: {sprintf('%v', arg)}"
                )
            if _is_nil(arg1) or _is_nil(arg):
                equal = _is_nil(arg) == _is_nil(arg1)
            else:
                if not _comparable(arg):
                    raise FuncError(
                        f"non-comparable type {sprintf('%s', arg)}: {go_type_name(arg)}"
                    )
                equal = arg1 is arg or (type(arg1) is type(arg) and arg1 == arg)
        if equal:
            return True
    return False


def b_ne(arg1: Any, arg2: Any) -> bool:
    return not b_eq(arg1, arg2)


def b_lt(arg1: Any, arg2: Any) -> bool:
    arg1 = indirect_interface(arg1)
    k1 = _basic_kind(arg1)
    if k1 == "invalid":
        raise FuncError(_BAD_TYPE)
    arg2 = indirect_interface(arg2)
    k2 = _basic_kind(arg2)
    if k2 == "invalid":
        raise FuncError(_BAD_TYPE)
    if k1 != k2:
        if k1 == "int" and k2 == "uint":
            return bool(arg1 < 0 or arg1 < arg2)
        if k1 == "uint" and k2 == "int":
            return bool(arg2 >= 0 and arg1 < arg2)
        raise FuncError(
            f"incompatible types for comparison: {go_type_name(arg1)} and {go_type_name(arg2)}"
        )
    if k1 in ("bool", "complex"):
        raise FuncError(_BAD_TYPE)
    if k1 == "string":
        return to_go_bytes(arg1) < to_go_bytes(arg2)
    return bool(arg1 < arg2)


def b_le(arg1: Any, arg2: Any) -> bool:
    return b_lt(arg1, arg2) or b_eq(arg1, arg2)


def b_gt(arg1: Any, arg2: Any) -> bool:
    return not b_le(arg1, arg2)


def b_ge(arg1: Any, arg2: Any) -> bool:
    return not b_lt(arg1, arg2)


# -- printing and escaping


def _printable(arg: Any) -> Any:
    return "<no value>" if arg is None else arg


def eval_args(args: tuple[Any, ...]) -> str:
    """Go's evalArgs: fmt.Sprint, with nil shown as ``<no value>``."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(*(_printable(a) for a in args))


def html_escape(s: str) -> str:
    table = {"\0": "\ufffd", '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;"}
    if not any(c in s for c in table):
        return s
    return "".join(table.get(c, c) for c in s)


def _js_special(c: str) -> bool:
    return c in "\\'\"<>&=" or c < " " or c >= "\x80"


def js_escape(s: str) -> str:
    if not any(_js_special(c) for c in s):
        return s
    out = []
    table = {
        "\\": "\\\\",
        "'": "\\'",
        '"': '\\"',
        "<": "\\u003C",
        ">": "\\u003E",
        "&": "\\u0026",
        "=": "\\u003D",
    }
    for c in s:
        if not _js_special(c):
            out.append(c)
        elif c < "\x80":
            out.append(table.get(c) or f"\\u00{ord(c):02X}")
        elif "\udc80" <= c <= "\udcff":
            out.append(c)  # an invalid byte decodes to U+FFFD, which is printable: copied
        elif unicodedata.category(c)[0] in "LMNPS" or c == " ":
            out.append(c)
        else:
            out.append(f"\\u{ord(c):04X}")
    return "".join(out)


def url_query_escape(s: str) -> str:
    out = []
    for b in to_go_bytes(s):
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in "-_.~"):
            out.append(c)
        elif c == " ":
            out.append("+")
        else:
            out.append(f"%{b:02X}")
    return "".join(out)


def b_html(*args: Any) -> str:
    return html_escape(eval_args(args))


def b_js(*args: Any) -> str:
    return js_escape(eval_args(args))


def b_urlquery(*args: Any) -> str:
    return url_query_escape(eval_args(args))


def b_print(*args: Any) -> str:
    return sprint(*args)


def b_println(*args: Any) -> str:
    return sprintln(*args)


def b_printf(fmt: str, *args: Any) -> str:
    return sprintf(fmt, *args)


class _Sig:
    __slots__ = ("params", "variadic")

    def __init__(self, params: tuple[str, ...], variadic: str | None) -> None:
        self.params = params
        self.variadic = variadic


_RV = "reflect.Value"
_ANY = "interface {}"


def _with_sig(fn: Callable[..., Any], params: tuple[str, ...], variadic: str | None) -> Any:
    fn.go_signature = _Sig(params, variadic)  # type: ignore[attr-defined]
    return fn


def _unreachable(*args: Any) -> Any:  # pragma: no cover - evaluated by the executor
    raise AssertionError("and/or/call are evaluated by the executor")


def _and(*args: Any) -> Any:  # pragma: no cover
    raise AssertionError("unreachable")


def _or(*args: Any) -> Any:  # pragma: no cover
    raise AssertionError("unreachable")


def _call(*args: Any) -> Any:  # pragma: no cover
    raise AssertionError("unreachable")


BUILTINS: dict[str, Any] = {
    "and": _with_sig(_and, (_RV,), _RV),
    "call": _with_sig(_call, (_RV,), _RV),
    "html": _with_sig(b_html, (), _ANY),
    "index": _with_sig(b_index, (_RV,), _RV),
    "slice": _with_sig(b_slice, (_RV,), _RV),
    "js": _with_sig(b_js, (), _ANY),
    "len": _with_sig(b_len, (_RV,), None),
    "not": _with_sig(b_not, (_RV,), None),
    "or": _with_sig(_or, (_RV,), _RV),
    "print": _with_sig(b_print, (), _ANY),
    "printf": _with_sig(b_printf, ("string",), _ANY),
    "println": _with_sig(b_println, (), _ANY),
    "urlquery": _with_sig(b_urlquery, (), _ANY),
    "eq": _with_sig(b_eq, (_RV,), _RV),
    "ge": _with_sig(b_ge, (_RV, _RV), None),
    "gt": _with_sig(b_gt, (_RV, _RV), None),
    "le": _with_sig(b_le, (_RV, _RV), None),
    "lt": _with_sig(b_lt, (_RV, _RV), None),
    "ne": _with_sig(b_ne, (_RV, _RV), None),
}
