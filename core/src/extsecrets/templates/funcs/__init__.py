"""ESO v2's template function map: sprig's text functions without ``env``, ``expandenv`` and
``getHostByName``, plus ``hexdec`` and ESO's own functions.

``FUNCS`` maps each name to a plain Python callable on the value model of
:mod:`extsecrets.templates.values`; every callable carries its Go signature
(:class:`~extsecrets.templates.funcs.signature.GoSignature`) as ``fn.go_signature`` so the engine
can check calls as Go's ``text/template`` does. No function reads files, the environment or the
network, or starts processes; functions that can build large values check the render's size
limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from .signature import GoSignature, signature_of

__all__ = ["FUNCS", "SIGNATURES", "GoSignature"]


def _build() -> dict[str, Callable[..., Any]]:
    from . import (
        eso_crypto,
        eso_yaml,
        sprig_crypto,
        sprig_dates,
        sprig_defaults,
        sprig_dicts,
        sprig_encoding,
        sprig_lists,
        sprig_math,
        sprig_paths,
        sprig_regex,
        sprig_semver,
        sprig_strings,
        sprig_url,
    )

    funcs: dict[str, Callable[..., Any]] = {}
    # ESO's own map first, then sprig's copied over it (as ESO's init does; no name clashes)
    for module in (eso_crypto, eso_yaml):
        funcs.update(module.FUNCS)
    for module in (
        sprig_dates,
        sprig_strings,
        sprig_math,
        sprig_lists,
        sprig_defaults,
        sprig_dicts,
        sprig_paths,
        sprig_encoding,
        sprig_crypto,
        sprig_semver,
        sprig_regex,
        sprig_url,
    ):
        funcs.update(module.FUNCS)
    funcs["fail"] = _fail
    return funcs


def _fail(msg: str) -> str:
    from extsecrets.templates.errors import FuncError

    raise FuncError(msg)


_fail.go_signature = GoSignature(("string",), None, ("string", "error"))  # type: ignore[attr-defined]

FUNCS: Mapping[str, Callable[..., Any]] = MappingProxyType(_build())
SIGNATURES: Mapping[str, GoSignature] = MappingProxyType(
    {name: sig for name, fn in FUNCS.items() if (sig := signature_of(fn)) is not None}
)
