"""sprig's regex functions: Go's regexp (RE2 syntax, leftmost-first) on google-re2, with Go's
rules for successive and empty matches, ``$name`` expansion and ``Split``."""

from __future__ import annotations

from typing import Any

from extsecrets.regex import RegexError, compile_user_regex
from extsecrets.templates.errors import FuncError, FuncPanic
from extsecrets.templates.values import GoSlice

from ._go import check_size, go_quote
from .signature import go

__all__ = ["FUNCS"]


def _runes(s: str) -> str:
    """What Go's regexp sees: an invalid byte is U+FFFD (one character either way, so match
    positions index the original string too)."""
    if s.isascii():
        return s
    return "".join("\ufffd" if "\udc80" <= c <= "\udcff" else c for c in s)


def _group(m: Any, orig: str, idx: int | str) -> str:
    start, end = m.span(idx)
    return "" if start < 0 else orig[start:end]


def _compile(pattern: str) -> Any:
    try:
        return compile_user_regex(_runes(pattern))
    except RegexError as e:
        raise FuncError(str(e)) from None


def _must_compile(pattern: str) -> Any:
    """regexp.MustCompile: a bad pattern panics."""
    try:
        return compile_user_regex(_runes(pattern))
    except RegexError as e:
        quoted = (
            f"`{pattern}`" if "`" not in pattern and pattern.isprintable() else go_quote(pattern)
        )
        raise FuncPanic(f"regexp: Compile({quoted}): {e}") from None


def _all_matches(rx: Any, s: str, n: int) -> list[Any]:
    """Go's allMatches: no empty match right after a previous match."""
    if n < 0:
        n = len(s) + 1
    out: list[Any] = []
    pos, prev_end = 0, -1
    subject = _runes(s)
    while len(out) < n and pos <= len(s):
        m = rx.search(subject, pos)
        if m is None:
            break
        accept = True
        if m.end() == pos:
            if m.start() == prev_end:
                accept = False
            pos += 1
        else:
            pos = m.end()
        prev_end = m.end()
        if accept:
            out.append(m)
    return out


def _expand(template: str, m: Any, names: dict[str, int], orig: str) -> str:
    """Go's Regexp.Expand: $1, ${1}, $name, ${name}, $$; an unknown name is empty."""
    out: list[str] = []
    i = 0
    while i < len(template):
        c = template[i]
        if c != "$" or i + 1 >= len(template):
            out.append(c)
            i += 1
            continue
        nxt = template[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
            continue
        if nxt == "{":
            close = template.find("}", i + 2)
            name = template[i + 2 : close] if close > 0 else ""
            if close < 0 or not name or not all(ch.isalnum() or ch == "_" for ch in name):
                out.append("$")
                i += 1
                continue
            end = close + 1
        else:
            j = i + 1
            while j < len(template) and (template[j].isalnum() or template[j] == "_"):
                j += 1
            name = template[i + 1 : j]
            if not name:
                out.append("$")
                i += 1
                continue
            end = j
        if name.isdigit() and name.isascii():
            idx = int(name)
            if idx <= len(m.groups()):
                out.append(_group(m, orig, idx))
        elif name in names:
            out.append(_group(m, orig, names[name]))
        i = end
    return "".join(out)


def _replace_all(rx: Any, src: str, repl: Any) -> str:
    """Go's replaceAll: no replacement for an empty match right after a match."""
    out: list[str] = []
    last_end = 0
    pos = 0
    subject = _runes(src)
    while pos <= len(src):
        m = rx.search(subject, pos)
        if m is None:
            break
        out.append(src[last_end : m.start()])
        if m.end() > last_end or m.start() == 0:
            out.append(repl(m))
        last_end = m.end()
        if pos + 1 > m.end():
            pos += 1
        else:
            pos = m.end()
        check_size(sum(len(x) for x in out))
    out.append(src[last_end:])
    return "".join(out)


def _names(rx: Any) -> dict[str, int]:
    return dict(getattr(rx, "groupindex", {}) or {})


def _split(rx: Any, s: str, n: int, pattern: str) -> list[str]:
    if n == 0:
        return []
    if pattern and s == "":
        return [""]
    parts: list[str] = []
    beg = end = 0
    for m in _all_matches(rx, s, n):
        if n > 0 and len(parts) == n - 1:
            break
        end = m.start()
        if m.end() != 0:
            parts.append(s[beg:end])
        beg = m.end()
    if end != len(s):
        parts.append(s[beg:])
    return parts


@go("string", "string", returns="bool")
def regexMatch(regex: str, s: str) -> bool:
    try:
        return _compile(regex).search(_runes(s)) is not None
    except FuncError:
        return False


@go("string", "string", returns=("bool", "error"))
def mustRegexMatch(regex: str, s: str) -> bool:
    return _compile(regex).search(_runes(s)) is not None


def _find_all(rx: Any, s: str, n: int) -> GoSlice:
    matches = _all_matches(rx, s, n)
    return GoSlice([s[m.start() : m.end()] for m in matches], elem="string")


@go("string", "string", "int", returns="[]string")
def regexFindAll(regex: str, s: str, n: int) -> GoSlice:
    return _find_all(_must_compile(regex), s, n)


@go("string", "string", "int", returns=("[]string", "error"))
def mustRegexFindAll(regex: str, s: str, n: int) -> GoSlice:
    return _find_all(_compile(regex), s, n)


@go("string", "string")
def regexFind(regex: str, s: str) -> str:
    m = _must_compile(regex).search(_runes(s))
    return s[m.start() : m.end()] if m else ""


@go("string", "string", returns=("string", "error"))
def mustRegexFind(regex: str, s: str) -> str:
    m = _compile(regex).search(_runes(s))
    return s[m.start() : m.end()] if m else ""


def _replace(rx: Any, s: str, repl: str, literal: bool) -> str:
    names = _names(rx)
    if literal:
        return _replace_all(rx, s, lambda m: repl)
    return _replace_all(rx, s, lambda m: _expand(repl, m, names, s))


@go("string", "string", "string")
def regexReplaceAll(regex: str, s: str, repl: str) -> str:
    return _replace(_must_compile(regex), s, repl, False)


@go("string", "string", "string", returns=("string", "error"))
def mustRegexReplaceAll(regex: str, s: str, repl: str) -> str:
    return _replace(_compile(regex), s, repl, False)


@go("string", "string", "string")
def regexReplaceAllLiteral(regex: str, s: str, repl: str) -> str:
    return _replace(_must_compile(regex), s, repl, True)


@go("string", "string", "string", returns=("string", "error"))
def mustRegexReplaceAllLiteral(regex: str, s: str, repl: str) -> str:
    return _replace(_compile(regex), s, repl, True)


@go("string", "string", "int", returns="[]string")
def regexSplit(regex: str, s: str, n: int) -> GoSlice:
    return GoSlice(_split(_must_compile(regex), s, n, regex), elem="string")


@go("string", "string", "int", returns=("[]string", "error"))
def mustRegexSplit(regex: str, s: str, n: int) -> GoSlice:
    return GoSlice(_split(_compile(regex), s, n, regex), elem="string")


_SPECIAL = set("\\.+*?()|[]{}^$")


@go("string")
def regexQuoteMeta(s: str) -> str:
    return "".join("\\" + c if c in _SPECIAL else c for c in s)


FUNCS = {
    "regexMatch": regexMatch,
    "mustRegexMatch": mustRegexMatch,
    "regexFindAll": regexFindAll,
    "mustRegexFindAll": mustRegexFindAll,
    "regexFind": regexFind,
    "mustRegexFind": mustRegexFind,
    "regexReplaceAll": regexReplaceAll,
    "mustRegexReplaceAll": mustRegexReplaceAll,
    "regexReplaceAllLiteral": regexReplaceAllLiteral,
    "mustRegexReplaceAllLiteral": mustRegexReplaceAllLiteral,
    "regexSplit": regexSplit,
    "mustRegexSplit": mustRegexSplit,
    "regexQuoteMeta": regexQuoteMeta,
}
