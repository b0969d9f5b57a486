"""Pieces of Go's strconv shared by the template parser (number literals) and the template
functions (``atoi``, ``float64``... and go-yaml's resolver)."""

from __future__ import annotations

__all__ = ["underscore_ok"]


def underscore_ok(s: str) -> bool:
    """strconv's underscoreOK: '_' only between digits or after a base prefix."""
    saw = "^"
    i = 0
    if s[:1] in ("+", "-"):
        s = s[1:]
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1] in "xXbBoO":
        i = 2
        saw = "0"
        hexa = s[1] in "xX"
    while i < len(s):
        c = s[i]
        if c.isdigit() or (hexa and c in "abcdefABCDEF"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
        i += 1
    return saw != "_"
