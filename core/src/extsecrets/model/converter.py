"""One strict cattrs converter for every manifest type, core's and plugins'.

Strict means what the Kubernetes API server means: camelCase keys on the wire, unknown keys
rejected, no silent coercion (``"3"`` is not an int, ``3`` is not a string, a string is not a
list). Every problem is reported with the path as written in the YAML, never a Python name.

Wire names are derived from the attribute name (``secret_store_ref`` -> ``secretStoreRef``);
where Kubernetes spells it otherwise, declare it with :func:`wire` (``accessKeyIDSecretRef``).
"""

from __future__ import annotations

import difflib
import functools
import re
import types
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
import durationpy
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from cattrs.gen import make_dict_structure_fn, override

from extsecrets.model.problems import PathItem, Problem, shorten
from extsecrets.types import FrozenMap

__all__ = [
    "Duration",
    "FieldError",
    "expect",
    "Pattern",
    "camel",
    "structure",
    "wire",
    "wire_name",
]

T = TypeVar("T")

_WIRE = "extsecrets.wire"


def wire(name: str, **kwargs: Any) -> Any:
    """An attrs field whose key on the wire is ``name`` (for names camelCase gets wrong)."""
    metadata = dict(kwargs.pop("metadata", {}) or {})
    metadata[_WIRE] = name
    return attrs.field(metadata=metadata, **kwargs)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_name(cls: type[Any], attribute: str) -> str:
    """The key under which ``cls.attribute`` is written in a manifest."""
    for a in attrs.fields(cls):
        if a.name == attribute:
            return str(a.metadata.get(_WIRE, camel(a.name)))
    return attribute


class FieldError(ValueError):
    """A problem found below the value being structured (``subpath`` relative to it)."""

    def __init__(self, message: str, subpath: Sequence[PathItem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.subpath = tuple(subpath)


@attrs.frozen
class Pattern:
    """``Annotated[str, Pattern(regex, max_len)]``: a string that must match (fully)."""

    regex: str
    max_len: int | None = None
    min_len: int = 0

    def check(self, value: str) -> None:
        if len(value) < self.min_len:
            raise FieldError(
                "must not be empty"
                if self.min_len == 1
                else f"must be at least {self.min_len} characters"
            )
        if self.max_len is not None and len(value) > self.max_len:
            raise FieldError(f"must be no more than {self.max_len} characters")
        if not re.fullmatch(self.regex, value):
            raise FieldError(f'"{shorten(value)}" does not match {self.regex}')


#: Go's time.ParseDuration grammar: a sign, then numbers each followed by one of Go's units
#: (durationpy also reads d, w, mm and y, which Go, and so ESO, refuses)
_DURATION_SHAPE = re.compile(r"[-+]?(?:[\d.]+(?:ns|us|µs|μs|ms|s|m|h))+")


@attrs.frozen
class Duration:
    """A Go duration string (``1h``, ``1h0m0s``, ``300ms``) as written, and its seconds."""

    text: str
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Duration:
        # durationpy's own search backtracks quadratically on a long run of digits that ends
        # badly (a 90 KB refreshInterval took four minutes): Go's grammar is checked first, in
        # one linear pass (digits and unit letters cannot trade characters)
        if not _DURATION_SHAPE.fullmatch(text) and text not in ("0", "+0", "-0"):
            raise FieldError(f'time: invalid duration "{shorten(text)}"')
        try:
            seconds = durationpy.from_str(text).total_seconds()
        except Exception:  # durationpy raises its own error type for any malformed text
            raise FieldError(f'time: invalid duration "{shorten(text)}"') from None
        return cls(text, seconds)

    def __str__(self) -> str:
        return self.text


_YAML_TYPE = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
    type(None): "null",
}


def _got(value: object) -> str:
    return _YAML_TYPE.get(type(value), type(value).__name__)


def expect(value: object, kinds: tuple[type, ...], what: str) -> None:
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise FieldError(f"expected {what}, got {_got(value)}")


def _is_literal(t: Any) -> bool:
    return get_origin(t) is Literal


def _is_annotated_pattern(t: Any) -> bool:
    return get_origin(t) is Annotated and any(isinstance(m, Pattern) for m in t.__metadata__)


def _is_tuple_of(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_optional(t: Any) -> bool:
    return get_origin(t) in (Union, types.UnionType) and type(None) in get_args(t)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)

    def strict(kinds: tuple[type, ...], what: str) -> Callable[[Any, Any], Any]:
        def hook(value: Any, _: Any) -> Any:
            expect(value, kinds, what)
            return value

        return hook

    conv.register_structure_hook(str, strict((str,), "a string"))
    conv.register_structure_hook(int, strict((int,), "an integer"))
    conv.register_structure_hook(bool, strict((bool,), "a boolean"))
    conv.register_structure_hook(float, lambda v, _: float(strict((int, float), "a number")(v, _)))

    def frozen_map(value: Any, _: Any) -> FrozenMap:
        expect(value, (dict,), "a mapping of strings")
        for k, v in value.items():
            if not isinstance(k, str):
                raise FieldError(f"keys must be strings, got {_got(k)}", (str(k),))
            if not isinstance(v, str):
                raise FieldError(f"expected a string, got {_got(v)}", (k,))
        return FrozenMap(value)

    conv.register_structure_hook(FrozenMap, frozen_map)

    def duration(value: Any, _: Any) -> Duration:
        expect(value, (str,), 'a duration string such as "1h"')
        return Duration.parse(value)

    conv.register_structure_hook(Duration, duration)

    def literal_factory(t: Any) -> Callable[[Any, Any], Any]:
        allowed = get_args(t)

        def hook(value: Any, _: Any) -> Any:
            if isinstance(value, str) and value in allowed:
                return value
            shown = f'"{shorten(value)}"' if isinstance(value, str) else _got(value)
            raise FieldError(f"must be one of {', '.join(allowed)}; got {shown}")

        return hook

    conv.register_structure_hook_factory(_is_literal, literal_factory)

    def pattern_factory(t: Any) -> Callable[[Any, Any], Any]:
        base = get_args(t)[0]
        checks = [m for m in t.__metadata__ if isinstance(m, Pattern)]
        inner = conv.get_structure_hook(base)

        def hook(value: Any, _: Any) -> Any:
            out = inner(value, base)
            for c in checks:
                c.check(out)
            return out

        return hook

    conv.register_structure_hook_factory(_is_annotated_pattern, pattern_factory)

    def tuple_factory(t: Any) -> Callable[[Any, Any], Any]:
        item = get_args(t)[0]
        inner = conv.get_structure_hook(item)

        def hook(value: Any, _: Any) -> tuple[Any, ...]:
            expect(value, (list,), "a list")
            out, errors = [], []
            for i, v in enumerate(value):
                try:
                    out.append(inner(v, item))
                except Exception as exc:
                    exc.add_note(f"index {i}")
                    errors.append((i, exc))
            if errors:
                raise _ItemErrors(errors)
            return tuple(out)

        return hook

    conv.register_structure_hook_factory(_is_tuple_of, tuple_factory)

    def optional_factory(t: Any) -> Callable[[Any, Any], Any]:
        (inner_t,) = [a for a in get_args(t) if a is not type(None)]
        inner = conv.get_structure_hook(inner_t)
        return lambda v, _: None if v is None else inner(v, inner_t)

    conv.register_structure_hook_factory(_is_optional, optional_factory)

    def attrs_factory(cls: Any) -> Callable[[Any, Any], Any]:
        from_wire = getattr(cls, "from_wire", None)
        if from_wire is not None:  # the class structures itself
            return lambda v, _: from_wire(v)
        renames: dict[str, Any] = {
            a.name: override(rename=str(a.metadata.get(_WIRE, camel(a.name))))
            for a in attrs.fields(cls)
        }
        inner = make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=True, **renames)

        def hook(value: Any, _: Any) -> Any:
            expect(value, (dict,), "a mapping")
            return inner(value, cls)

        return hook

    conv.register_structure_hook_factory(attrs.has, attrs_factory)
    return conv


class _ItemErrors(Exception):
    """Errors of several list items: ``(index, exception)`` pairs."""

    def __init__(self, errors: list[tuple[int, Exception]]) -> None:
        super().__init__(f"{len(errors)} invalid item(s)")
        self.errors = errors


@functools.cache
def _converter() -> cattrs.Converter:
    return _make_converter()


def structure(
    data: Any, cls: type[T], path: Sequence[PathItem] = ()
) -> tuple[T | None, list[Problem]]:
    """Structure ``data`` into ``cls``; on failure, every problem found with its YAML path."""
    try:
        return _converter().structure(data, cls), []
    except Exception as exc:
        return None, sorted(set(_problems(exc, tuple(path), cls)), key=_order)


def _order(p: Problem) -> tuple[str, str]:
    return (p.path, p.message)


def _problems(exc: BaseException, path: tuple[PathItem, ...], cls: Any) -> Iterator[Problem]:
    if isinstance(exc, ClassValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            yield from _problems(sub, (*path, wire_name(exc.cl, note.name)), note.type)
        for sub in without:
            yield from _problems(sub, path, exc.cl)
    elif isinstance(exc, IterableValidationError):
        items, rest = exc.group_exceptions()
        for sub, item in items:
            yield from _problems(sub, (*path, int(item.index)), item.type)
        for sub in rest:
            yield from _problems(sub, path, cls)
    elif isinstance(exc, _ItemErrors):
        for index, sub in exc.errors:
            yield from _problems(sub, (*path, index), None)
    elif isinstance(exc, ForbiddenExtraKeysError):
        known = [wire_name(exc.cl, a.name) for a in attrs.fields(exc.cl)]
        for key in sorted(exc.extra_fields):
            hint = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            if not hint:
                lowered = {k.lower(): k for k in known}
                squashed = str(key).replace("_", "").lower()
                hint = [lowered[squashed]] if squashed in lowered else []
            extra = f" (did you mean {hint[0]}?)" if hint else ""
            yield Problem.at((*path, str(key)), f"unknown field{extra}")
    elif isinstance(exc, KeyError):
        yield Problem.at(path, "required field is missing")
    elif isinstance(exc, FieldError):
        yield Problem.at((*path, *exc.subpath), exc.message)
    elif isinstance(exc, (TypeError, ValueError)):
        yield Problem.at(path, f"invalid value: {exc}")
    else:  # a bug in a hook, not in the manifest: do not hide it
        raise exc
