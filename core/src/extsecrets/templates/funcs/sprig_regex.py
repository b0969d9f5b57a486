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


def _compile(pattern: str) -> Any:
    try:
        return compile_user_regex(pattern)
    except RegexError as e:
        raise FuncError(str(e)) from None


def _must_compile(pattern: str) -> Any:
    """regexp.MustCompile: a bad pattern panics."""
    try:
        return compile_user_regex(pattern)
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
    while len(out) < n and pos <= len(s):
        m = rx.search(s, pos)
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


def _expand(template: str, m: Any, names: dict[str, int]) -> str:
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
            if idx <= m.re.groups if hasattr(m, "re") else idx <= len(m.groups()):
                out.append(m.group(idx) or "")
        elif name in names:
            out.append(m.group(names[name]) or "")
        i = end
    return "".join(out)


def _replace_all(rx: Any, src: str, repl: Any) -> str:
    """Go's replaceAll: no replacement for an empty match right after a match."""
    out: list[str] = []
    last_end = 0
    pos = 0
    while pos <= len(src):
        m = rx.search(src, pos)
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
        return _compile(regex).search(s) is not None
    except FuncError:
        return False


@go("string", "string", returns=("bool", "error"))
def mustRegexMatch(regex: str, s: str) -> bool:
    return _compile(regex).search(s) is not None


def _find_all(rx: Any, s: str, n: int) -> GoSlice:
    matches = _all_matches(rx, s, n)
    return (
        GoSlice([m.group(0) for m in matches], elem="string")
        if matches
        else GoSlice([], elem="string")
    )


@go("string", "string", "int", returns="[]string")
def regexFindAll(regex: str, s: str, n: int) -> GoSlice:
    return _find_all(_must_compile(regex), s, n)


@go("string", "string", "int", returns=("[]string", "error"))
def mustRegexFindAll(regex: str, s: str, n: int) -> GoSlice:
    return _find_all(_compile(regex), s, n)


@go("string", "string")
def regexFind(regex: str, s: str) -> str:
    m = _must_compile(regex).search(s)
    return m.group(0) if m else ""


@go("string", "string", returns=("string", "error"))
def mustRegexFind(regex: str, s: str) -> str:
    m = _compile(regex).search(s)
    return m.group(0) if m else ""


def _replace(rx: Any, s: str, repl: str, literal: bool) -> str:
    names = _names(rx)
    if literal:
        return _replace_all(rx, s, lambda m: repl)
    return _replace_all(rx, s, lambda m: _expand(repl, m, names))


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
