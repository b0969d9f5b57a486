"""Go ``text/template`` semantics in Python: the engine of ESO's template engine v2.

A template is parsed once (:func:`parse`, cached by its text) and executed on Go-model data
(:mod:`extsecrets.templates.values`: ``str`` for Go strings, ``dict``/``GoMap`` for maps ...)::

    from extsecrets.templates import parse, secret_data

    tmpl = parse("tls.crt", "{{ .cert | b64dec }}", funcs, missingkey="error")
    out = tmpl.execute(secret_data({"cert": b"..."}))

Parse and execution errors carry Go's exact texts (``template: k:1: unexpected "}" in operand``,
``template: k:1:3: executing "k" at <.x>: map has no entry for key "x"``). Every render runs in a
sandbox: the engine touches no file, network, environment or process, and a render is bounded by
:class:`Limits` (time, output size, template call depth). :func:`render` is the one-call form
that returns the output or the error text, as a differential test compares them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs

from .builtins import BUILTINS
from .errors import ExecError, FuncError, FuncPanic, LimitError, ParseError, TemplateError
from .execute import MISSINGKEY_OPTIONS, execute_tree
from .limits import DEFAULT_LIMITS, Budget, Limits, running
from .parse import Tree, parse_trees
from .values import GoMap, from_go_bytes, to_go_bytes

__all__ = [
    "DEFAULT_LIMITS",
    "ExecError",
    "FuncError",
    "FuncPanic",
    "LimitError",
    "Limits",
    "MissingKey",
    "ParseError",
    "Rendered",
    "Template",
    "TemplateError",
    "clear_cache",
    "parse",
    "render",
    "secret_data",
]

MissingKey = Literal["default", "invalid", "zero", "error"]
FuncMap = Mapping[str, Callable[..., Any]]


class Template:
    """A parsed template (with the templates it defines); immutable, safe to share."""

    def __init__(
        self,
        name: str,
        text: str,
        trees: dict[str, Tree],
        funcs: FuncMap,
        missingkey: MissingKey,
    ) -> None:
        self.name = name
        self.text = text
        self._trees = trees
        self._funcs = funcs
        self.missingkey = missingkey

    @property
    def defined(self) -> tuple[str, ...]:
        """Names of the templates this text defines (including its own), sorted."""
        return tuple(sorted(self._trees))

    def execute(
        self, data: Any, *, limits: Limits = DEFAULT_LIMITS, name: str | None = None
    ) -> str:
        """Render with `data` as dot; the result is a model string (see :func:`to_go_bytes`).

        Raises :class:`ExecError` with Go's text, or :class:`LimitError` when a sandbox limit is
        reached. `name` selects one of the defined templates (Go's ExecuteTemplate).
        """
        target = self.name if name is None else name
        if target not in self._trees:
            raise ExecError(
                f"template: no template {_q(target)} associated with template {_q(self.name)}"
            )
        budget = Budget(limits)
        with running(budget):
            return execute_tree(self._trees, target, data, self._funcs, self.missingkey, budget)

    def execute_bytes(self, data: Any, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
        """:meth:`execute`, returning the Go bytes of the output."""
        return to_go_bytes(self.execute(data, limits=limits))


def _q(s: str) -> str:
    from .gofmt import go_quote

    return go_quote(s)


def _check_names(funcs: FuncMap) -> None:
    for name in funcs:
        if not _good_name(name):
            raise ValueError(f"function name {_q(name)} is not a valid identifier")


def _good_name(name: str) -> bool:
    if not name:
        return False
    for i, ch in enumerate(name):
        if ch == "_":
            continue
        if i == 0 and not ch.isalpha():
            return False
        if not (ch.isalpha() or ch.isdecimal()):
            return False
    return True


_CACHE_SIZE = 2048
_cache: OrderedDict[tuple[Any, ...], tuple[FuncMap, Template]] = OrderedDict()
_cache_lock = threading.Lock()


def clear_cache() -> None:
    """Forget every cached parse."""
    with _cache_lock:
        _cache.clear()


def parse(
    name: str,
    text: str,
    funcs: FuncMap | None = None,
    *,
    delims: tuple[str, str] = ("{{", "}}"),
    missingkey: MissingKey = "default",
) -> Template:
    """Parse `text` as template `name` with the function map `funcs` (plus Go's builtins).

    Go's options: `delims` are the action delimiters (empty strings mean the defaults);
    `missingkey` is Go's ``missingkey=`` option (ESO sets ``error``). Parses are cached by
    (name, text, function map identity, delimiters, option); raises :class:`ParseError`.
    """
    funcs = funcs if funcs is not None else {}
    if missingkey not in MISSINGKEY_OPTIONS:
        raise ValueError(f"unrecognized option: missingkey={missingkey}")
    key = (name, text, id(funcs), delims, missingkey)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] is funcs:
            _cache.move_to_end(key)
            return hit[1]
    _check_names(funcs)

    def has_function(fname: str) -> bool:
        return fname in funcs or fname in BUILTINS

    trees = parse_trees(name, text, has_function, delims[0] or "{{", delims[1] or "}}")
    tmpl = Template(name, text, trees, funcs, missingkey)
    with _cache_lock:
        _cache[key] = (funcs, tmpl)
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return tmpl


@attrs.frozen
class Rendered:
    """The outcome of :func:`render`: the output, or Go's error text."""

    output: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None

    def __str__(self) -> str:
        return self.output if self.output is not None else f"error: {self.error}"


def render(
    text: str,
    data: Any = None,
    funcs: FuncMap | None = None,
    *,
    name: str = "template",
    delims: tuple[str, str] = ("{{", "}}"),
    missingkey: MissingKey = "default",
    limits: Limits = DEFAULT_LIMITS,
) -> Rendered:
    """Parse and execute in one call; errors come back as text (for differential tests)."""
    try:
        tmpl = parse(name, text, funcs, delims=delims, missingkey=missingkey)
        return Rendered(tmpl.execute(data, limits=limits), None)
    except TemplateError as exc:
        return Rendered(None, str(exc))


def secret_data(values: Mapping[str, bytes | str]) -> GoMap:
    """ESO's template data: a Go ``map[string]string`` of the secret values' bytes."""
    return GoMap(
        ((k, from_go_bytes(v) if isinstance(v, bytes) else v) for k, v in values.items()),
        elem="string",
    )
