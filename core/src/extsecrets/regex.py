"""Regular expressions written by users, with RE2 semantics.

RE2 runs in linear time, so a tenant's pattern cannot stall the operator, and it is the dialect
ESO (Go) uses. Compile errors are reported in Go's wording, which is what ESO users see.
"""

from __future__ import annotations

import functools
from typing import Any

import re2

__all__ = ["RegexError", "compile_user_regex"]

# RE2 (C++) error texts -> Go regexp/syntax error texts.
_GO_TEXT = {
    "missing ]": "missing closing ]",
    "missing )": "missing closing )",
    "unexpected )": "unexpected )",
    "trailing \\": "trailing backslash at end of expression",
    "no argument for repetition operator": "missing argument to repetition operator",
    "invalid repetition size": "invalid repeat count",
    "bad repetition operator": "invalid nested repetition operator",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "invalid named capture group": "invalid named capture",
}


class RegexError(ValueError):
    """A pattern RE2 rejects; the message reads like Go's ``regexp.Compile`` error."""


def _options() -> Any:
    opts = re2.Options()
    opts.log_errors = False  # RE2 would otherwise print every bad pattern to stderr
    return opts


@functools.lru_cache(maxsize=1024)
def compile_user_regex(pattern: str) -> Any:
    """Compile ``pattern`` with RE2; raise :class:`RegexError` with Go's wording on failure."""
    try:
        return re2.compile(pattern, options=_options())
    except re2.error as exc:
        raw = exc.args[0] if exc.args else b""
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        code, _, arg = text.partition(": ")
        detail = f"{_GO_TEXT.get(code, code)}: `{arg}`" if arg else _GO_TEXT.get(code, code)
        raise RegexError(f"error parsing regexp: {detail}") from None
