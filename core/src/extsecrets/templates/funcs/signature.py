"""Go signatures of the template functions.

Go's ``text/template`` checks a call against the function's Go signature before calling it (argument
count, the conversion of constants, ``wrong type for value; expected string; got int``); the engine
does that with the :class:`GoSignature` each function here carries as ``fn.go_signature``. A
function can then rely on getting arguments of its declared types: a plain ``int`` for ``int``, a
``str`` for ``string``, any model value for ``interface {}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from extsecrets.templates.values import NAMED_KINDS

__all__ = ["NAMED_TYPES", "GoSignature", "go", "signature_of"]

F = TypeVar("F", bound=Callable[..., Any])

# Go type names as reflect prints them
ANY = "interface {}"
LIST = "[]interface {}"
MAP = "map[string]interface {}"


# Named Go types in the signatures, with their underlying kind (the engine's table): a constant
# converts to them as to their kind (``htpasswd "u" "p" "sha"``), a value of the unnamed type does
# not (a string held in a variable is not a sprig.HashAlgorithm: "wrong type for value").
NAMED_TYPES = NAMED_KINDS


@attrs.frozen
class GoSignature:
    """Parameter and result types of a Go function, as ``reflect.Type.String()`` prints them.

    ``variadic`` is the element type of a final ``...T`` parameter; a last result ``"error"``
    means the function can fail (raise :class:`~extsecrets.templates.errors.FuncError`).
    """

    params: tuple[str, ...]
    variadic: str | None = None
    results: tuple[str, ...] = ("string",)

    @property
    def can_fail(self) -> bool:
        return bool(self.results) and self.results[-1] == "error"


def go(
    *params: str, variadic: str | None = None, returns: str | tuple[str, ...] = "string"
) -> Callable[[F], F]:
    """Attach the Go signature ``func(params..., ...variadic) returns`` to a function."""
    results = (returns,) if isinstance(returns, str) else returns

    def mark(fn: F) -> F:
        fn.go_signature = GoSignature(tuple(params), variadic, results)  # type: ignore[attr-defined]
        return fn

    return mark


def signature_of(fn: Callable[..., Any]) -> GoSignature | None:
    sig = getattr(fn, "go_signature", None)
    return sig if isinstance(sig, GoSignature) else None
