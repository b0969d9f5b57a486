"""Go's ``unicode`` predicates and simple case mappings, rune by rune.

Go strings hold bytes; in the value model an invalid byte is a lone surrogate (U+DC80..U+DCFF,
from ``surrogateescape``), which Go decodes as ``utf8.RuneError`` (U+FFFD) of width 1.
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "RUNE_ERROR",
    "is_digit",
    "is_letter",
    "is_lower",
    "is_number",
    "is_punct",
    "is_space",
    "is_title",
    "is_upper",
    "rune",
    "to_lower",
    "to_title",
    "to_upper",
]

RUNE_ERROR = "\ufffd"

# unicode.IsSpace: Latin-1 whitespace plus the White_Space property above it
_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


def rune(c: str) -> str:
    """The rune Go decodes for one character of the model (an invalid byte is RuneError)."""
    return RUNE_ERROR if "\udc80" <= c <= "\udcff" else c


def is_space(c: str) -> bool:
    return c in _SPACES


def _cat(c: str) -> str:
    return unicodedata.category(rune(c))


def is_upper(c: str) -> bool:
    return _cat(c) == "Lu"


def is_lower(c: str) -> bool:
    return _cat(c) == "Ll"


def is_title(c: str) -> bool:
    return _cat(c) == "Lt"


def is_letter(c: str) -> bool:
    return _cat(c).startswith("L")


def is_digit(c: str) -> bool:
    return _cat(c) == "Nd"


def is_number(c: str) -> bool:
    return _cat(c).startswith("N")


def is_punct(c: str) -> bool:
    return _cat(c).startswith("P")


def _simple(c: str, full: str, title: str) -> str:
    # Python gives the full mapping; Go uses the one-rune (simple) mapping. They differ only
    # where the full mapping has several runes (ß, ŉ, ligatures, Greek with ypogegrammeni).
    if len(full) == 1:
        return full
    if len(title) == 1:
        return title
    return c


def to_upper(c: str) -> str:
    c = rune(c)
    return _simple(c, c.upper(), c.title())


def to_lower(c: str) -> str:
    c = rune(c)
    if c == "\u0130":  # İ: simple lowercase is i (the full one adds a combining dot)
        return "i"
    low = c.lower()
    return low if len(low) == 1 else c


def to_title(c: str) -> str:
    c = rune(c)
    return _simple(c, c.title(), c.upper())
