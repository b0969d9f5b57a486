"""sprig's string functions (strings.go, functions.go), with Go's byte semantics.

Go strings are bytes: lengths, indexes and cuts (``trunc``, ``substr``, ``abbrev``, ``wrap``) count
bytes, so they can split a UTF-8 sequence exactly as Go does.
"""

from __future__ import annotations

import secrets
from typing import Any

from extsecrets.templates.errors import FuncPanic
from extsecrets.templates.values import GoMap, GoSlice, fmt_v

from . import _unicode as u
from ._cast import go_parse_int, strval
from ._go import B, S, check_size, go_quote, slice_bytes
from .signature import ANY, go

__all__ = ["FUNCS"]

_INT64_MAX = (1 << 63) - 1
_INT64_MIN = -(1 << 63)


def _latin1_runes(b: bytes) -> str:
    """goutils walks some strings byte by byte as runes: each byte becomes U+0000..U+00FF."""
    return b.decode("latin-1")


def _map_runes(s: str, fn: Any) -> str:
    """strings.Map: every rune mapped; invalid bytes come out as U+FFFD."""
    return "".join(fn(c) for c in s)


@go(returns="string")
def hello() -> str:
    return "Hello!"


# -- case ---------------------------------------------------------------------------------------


@go("string")
def upper(s: str) -> str:
    if s.isascii():
        return s.upper()
    return _map_runes(s, u.to_upper)


@go("string")
def lower(s: str) -> str:
    if s.isascii():
        return s.lower()
    return _map_runes(s, u.to_lower)


def _is_separator(c: str) -> bool:
    o = ord(c)
    if o <= 0x7F:
        return not (c.isalnum() or c == "_")
    if u.is_letter(c) or u.is_digit(c):
        return False
    return u.is_space(c)


@go("string")
def title(s: str) -> str:
    """strings.Title: the first letter of every word to title case."""
    out = []
    prev = " "
    for c in s:
        r = u.rune(c)
        out.append(u.to_title(r) if _is_separator(prev) else r)
        prev = r
    return "".join(out)


@go("string")
def untitle(s: str) -> str:
    """goutils.Uncapitalize: lower-cases the first rune of every whitespace-separated word."""
    out = []
    nxt = True
    for c in s:
        r = u.rune(c)
        if u.is_space(r):
            nxt = True
            out.append(r)
        elif nxt:
            out.append(u.to_lower(r))
            nxt = False
        else:
            out.append(r)
    return "".join(out)


@go("string")
def swapcase(s: str) -> str:
    """goutils.SwapCase: upper/title to lower, lower to upper, title case after whitespace."""
    out = []
    white = True
    for c in s:
        r = u.rune(c)
        if u.is_upper(r) or u.is_title(r):
            out.append(u.to_lower(r))
            white = False
        elif u.is_lower(r):
            out.append(u.to_title(r) if white else u.to_upper(r))
            white = False
        else:
            out.append(r)
            white = u.is_space(r)
    return "".join(out)


# -- xstrings: snakecase, kebabcase, camelcase --------------------------------------------------


def _is_connector(r: str) -> bool:
    return r in "-_" or u.is_space(r)


def _is_alphabet(r: str) -> bool:
    # xstrings isAlphabet: a letter that is not CJK
    if not u.is_letter(r):
        return False
    o = ord(r)
    if o < 0x11E0:
        return True
    return not (
        0x4E00 <= o <= 0x9FCC
        or 0x3400 <= o <= 0x4D85
        or 0xF900 <= o <= 0xFAD9
        or 0x20000 <= o <= 0x2A6D6
        or 0x2A700 <= o <= 0x2B734
        or 0x2B740 <= o <= 0x2B81D
        or 0x2F800 <= o <= 0x2FA1D
    )


_INVALID, _NUMBER, _UPPER, _ALPHA, _CONNECTOR, _PUNCT, _OTHER = range(7)


def _next_valid(s: str, i: int, prev: str) -> tuple[str, int]:
    """xstrings nextValidRune: the next rune that is not RuneError, and its end index."""
    while i < len(s):
        r = u.rune(s[i])
        i += 1
        if r != u.RUNE_ERROR:
            return r, i
    return prev, i


def _next_word(s: str) -> tuple[int, str, str]:
    if not s:
        return _INVALID, "", ""
    r, off = _next_valid(s, 0, u.RUNE_ERROR)
    if r == u.RUNE_ERROR:
        return _INVALID, s[:off], s[off:]

    def run(start: int, prev: str, keep: Any) -> int:
        pos = start
        while pos < len(s):
            nr, end = _next_valid(s, pos, prev)
            if not keep(nr):
                break
            prev = nr
            pos = end
        return pos

    if _is_connector(r):
        return _CONNECTOR, s[: run(off, r, _is_connector)], s[run(off, r, _is_connector) :]
    if u.is_punct(r):
        end = run(off, r, u.is_punct)
        return _PUNCT, s[:end], s[end:]
    if u.is_upper(r):
        if off >= len(s):
            return _UPPER, s[:off], s[off:]
        r2, end2 = _next_valid(s, off, r)
        if u.is_upper(r2):
            prev_start = off
            pos = end2
            last = r2
            while pos < len(s):
                nr, end = _next_valid(s, pos, last)
                last = nr
                if not u.is_upper(nr):
                    break
                prev_start = pos
                pos = end
            if pos < len(s) and _is_alphabet(last):
                pos = prev_start
            return _UPPER, s[:pos], s[pos:]
        if _is_alphabet(r2):
            end = run(end2, r2, lambda x: _is_alphabet(x) and not u.is_upper(x))
            return _UPPER, s[:end], s[end:]
        return _UPPER, s[:off], s[off:]
    if _is_alphabet(r):
        end = run(off, r, lambda x: _is_alphabet(x) and not u.is_upper(x))
        return _ALPHA, s[:end], s[end:]
    if u.is_number(r):
        end = run(off, r, u.is_number)
        return _NUMBER, s[:end], s[end:]
    end = run(
        off,
        r,
        lambda x: not (_is_connector(x) or _is_alphabet(x) or u.is_number(x) or u.is_punct(x)),
    )
    return _OTHER, s[:end], s[end:]


def _to_lower(buf: list[str], wt: int, word: str, connector: str) -> None:
    if wt not in (_UPPER, _CONNECTOR):
        buf.append(word)
        return
    for c in word:
        r = u.rune(c)
        if _is_connector(r):
            buf.append(connector)
        elif u.is_upper(r):
            buf.append(u.to_lower(r))
        else:
            buf.append(r)


def _camel_to_lower(s: str, connector: str) -> str:
    if not s:
        return ""
    buf: list[str] = []
    wt, word, rest = _next_word(s)
    while rest:
        if wt != _CONNECTOR:
            _to_lower(buf, wt, word, connector)
        prev, last = wt, word
        wt, word, rest = _next_word(rest)
        if prev == _NUMBER:
            while wt in (_ALPHA, _NUMBER):
                _to_lower(buf, wt, word, connector)
                wt, word, rest = _next_word(rest)
            if wt not in (_INVALID, _PUNCT, _CONNECTOR):
                buf.append(connector)
        elif prev == _CONNECTOR:
            _to_lower(buf, prev, last, connector)
        elif prev == _PUNCT:
            pass
        else:
            if wt != _NUMBER:
                if wt not in (_CONNECTOR, _PUNCT):
                    buf.append(connector)
                continue
            if not rest:
                continue
            last = word
            wt, word, rest = _next_word(rest)
            if wt != _ALPHA:
                _to_lower(buf, _NUMBER, last, connector)
                if wt not in (_CONNECTOR, _PUNCT):
                    buf.append(connector)
                continue
            buf.append(connector)
            _to_lower(buf, _NUMBER, last, connector)
            while wt in (_ALPHA, _NUMBER):
                _to_lower(buf, wt, word, connector)
                wt, word, rest = _next_word(rest)
            if wt not in (_INVALID, _CONNECTOR, _PUNCT):
                buf.append(connector)
    _to_lower(buf, wt, word, connector)
    return "".join(buf)


@go("string")
def snakecase(s: str) -> str:
    return _camel_to_lower(s, "_")


@go("string")
def kebabcase(s: str) -> str:
    return _camel_to_lower(s, "-")


@go("string")
def camelcase(s: str) -> str:
    """xstrings.ToPascalCase (v1.5): words joined, each capitalised, the rest of an all-caps
    word lowered."""
    if not s:
        return ""
    runes = [u.rune(c) for c in s]
    buf: list[str] = []
    first_upper = False
    i = 0
    r0 = ""
    while i < len(runes):
        r0 = runes[i]
        i += 1
        if not _is_connector(r0):
            first_upper = u.is_upper(r0)
            r0 = u.to_upper(r0)
            break
        buf.append(r0)
    if i >= len(runes):
        # xstrings writes the last rune again when the input is all connectors ("__" -> "___")
        buf.append(r0)
        return "".join(buf)
    while i < len(runes):
        r1 = r0
        r0 = runes[i]
        i += 1
        if _is_connector(r0) and _is_connector(r1):
            buf.append(r1)
            continue
        if _is_connector(r1):
            first_upper = u.is_upper(r0)
            r0 = u.to_upper(r0)
        else:
            if first_upper:
                if u.is_upper(r0):
                    r0 = u.to_lower(r0)
                else:
                    first_upper = False
            buf.append(r1)
    buf.append(r0)
    return "".join(buf)


# -- cutting and padding ------------------------------------------------------------------------


@go("string")
def trim(s: str) -> str:
    """strings.TrimSpace (Go's notion of white space)."""
    i, j = 0, len(s)
    while i < j and u.is_space(s[i]):
        i += 1
    while j > i and u.is_space(s[j - 1]):
        j -= 1
    return s[i:j]


def _trim_cutset(s: str, cutset: str) -> str:
    if not s or not cutset:
        return s
    cut = {u.rune(c) for c in cutset}
    i, j = 0, len(s)
    while i < j and u.rune(s[i]) in cut:
        i += 1
    while j > i and u.rune(s[j - 1]) in cut:
        j -= 1
    return s[i:j]


@go("string", "string")
def trimall(a: str, b: str) -> str:
    return _trim_cutset(b, a)


@go("string", "string")
def trimSuffix(a: str, b: str) -> str:
    bb, ab = B(b), B(a)
    return S(bb[: -len(ab)]) if ab and bb.endswith(ab) else b


@go("string", "string")
def trimPrefix(a: str, b: str) -> str:
    bb, ab = B(b), B(a)
    return S(bb[len(ab) :]) if bb.startswith(ab) else b


@go("string")
def nospace(s: str) -> str:
    """goutils.DeleteWhiteSpace: byte by byte, so a non-ASCII byte is read as a Latin-1 rune."""
    b = B(s)
    kept = [ch for ch in _latin1_runes(b) if not u.is_space(ch)]
    if len(kept) == len(b):
        return s
    return "".join(kept)


@go("string")
def initials(s: str) -> str:
    """goutils.Initials: first byte of each whitespace-separated word (read as a Latin-1 rune)."""
    out = []
    gap = True
    for ch in _latin1_runes(B(s)):
        if u.is_space(ch):
            gap = True
        elif gap:
            out.append(ch)
            gap = False
    return "".join(out)


def _abbreviate_full(b: bytes, offset: int, width: int) -> bytes | None:
    """goutils.AbbreviateFull on bytes; None where goutils returns an error."""
    if not b:
        return b""
    if width < 4:
        return None
    if len(b) <= width:
        return b
    offset = min(offset, len(b))
    if len(b) - offset < width - 3:
        offset = len(b) - (width - 3)
    if offset <= 4:
        return b[: width - 3] + b"..."
    if width < 7:
        return None
    if offset + width - 3 < len(b):
        inner = _abbreviate_full(b[offset:], 0, width - 3)
        return b"..." + (inner if inner is not None else b"")
    return b"..." + b[len(b) - (width - 3) :]


@go("int", "string")
def abbrev(width: int, s: str) -> str:
    if width < 4:
        return s
    r = _abbreviate_full(B(s), 0, width)
    return S(r) if r is not None else ""


@go("int", "int", "string")
def abbrevboth(left: int, right: int, s: str) -> str:
    if right < 4 or (left > 0 and right < 7):
        return s
    r = _abbreviate_full(B(s), left, right)
    return S(r) if r is not None else ""


@go("int", "string")
def trunc(c: int, s: str) -> str:
    b = B(s)
    if c < 0 and len(b) + c > 0:
        return S(b[len(b) + c :])
    if c >= 0 and len(b) > c:
        return S(b[:c])
    return s


@go("int", "int", "string")
def substr(start: int, end: int, s: str) -> str:
    b = B(s)
    if start < 0:
        return S(slice_bytes(b, None, end))
    if end < 0 or end > len(b):
        return S(slice_bytes(b, start, None))
    return S(slice_bytes(b, start, end))


def _go_repeat(s: str, count: int) -> str:
    if count < 0:
        raise FuncPanic("strings: negative Repeat count")
    check_size(len(B(s)) * count)
    return s * count


@go("int", "string")
def repeat(count: int, s: str) -> str:
    return _go_repeat(s, count)


def _wrap_custom(s: str, width: int, newline: str, long_words: bool) -> str:
    """goutils.WrapCustom, on bytes."""
    b = B(s)
    if not b:
        return ""
    nl = B(newline) if newline else b"\n"
    width = max(width, 1)
    n = len(b)
    offset = 0
    out = bytearray()
    while n - offset > width:
        if b[offset] == 0x20:
            offset += 1
            continue
        end = width + offset + 1
        space = b[offset:end].rfind(b" ") + offset
        if space >= offset:
            out += b[offset:space] + nl
            offset = space + 1
        elif long_words:
            out += b[offset : offset + width] + nl
            offset += width
        else:
            end = width + offset
            idx = b[end:].find(b" ")
            if idx == -1:
                out += b[offset:]
                offset = n
            else:
                space = idx + end
                out += b[offset:space] + nl
                offset = space + 1
        check_size(len(out))
    out += b[offset:]
    return S(bytes(out))


@go("int", "string")
def wrap(width: int, s: str) -> str:
    return _wrap_custom(s, width, "", False)


@go("int", "string", "string")
def wrapWith(width: int, sep: str, s: str) -> str:
    return _wrap_custom(s, width, sep, True)


def _indent(spaces: int, v: str) -> str:
    pad = _go_repeat(" ", spaces)
    lines = v.count("\n")
    check_size(len(B(v)) + spaces * (lines + 1))
    return pad + v.replace("\n", "\n" + pad)


@go("int", "string")
def indent(spaces: int, v: str) -> str:
    return _indent(spaces, v)


@go("int", "string")
def nindent(spaces: int, v: str) -> str:
    return "\n" + _indent(spaces, v)


@go("string", "string", "string")
def replace(old: str, new: str, src: str) -> str:
    if not old:
        # Go inserts `new` before every rune and at the end; an invalid byte is one rune, as it
        # is one character of the model
        check_size(len(B(src)) + len(B(new)) * (len(src) + 1))
        return src.replace("", new)
    sb, ob, nb = B(src), B(old), B(new)
    check_size(len(sb) + sb.count(ob) * max(len(nb) - len(ob), 0))
    return S(sb.replace(ob, nb))


@go("string", "string", "int")
def plural(one: str, many: str, count: int) -> str:
    return one if count == 1 else many


# -- predicates ---------------------------------------------------------------------------------


@go("string", "string", returns="bool")
def contains(substr_: str, s: str) -> bool:
    return B(substr_) in B(s)


@go("string", "string", returns="bool")
def hasPrefix(prefix: str, s: str) -> bool:
    return B(s).startswith(B(prefix))


@go("string", "string", returns="bool")
def hasSuffix(suffix: str, s: str) -> bool:
    return B(s).endswith(B(suffix))


# -- quoting and joining ------------------------------------------------------------------------


@go(variadic=ANY)
def quote(*args: Any) -> str:
    return " ".join(go_quote(strval(a)) for a in args if a is not None)


@go(variadic=ANY)
def squote(*args: Any) -> str:
    return " ".join(f"'{fmt_v(a)}'" for a in args if a is not None)


@go(variadic=ANY)
def cat(*args: Any) -> str:
    return " ".join(fmt_v(a) for a in args if a is not None)


@go(ANY)
def toString(v: Any) -> str:
    return strval(v)


def strslice(v: Any) -> list[str]:
    """sprig's strslice: a slice's non-nil elements as strings; a non-slice as one string."""
    if isinstance(v, list | tuple):
        return [strval(x) for x in v if x is not None]
    if isinstance(v, bytes | bytearray):
        return [str(x) for x in v]
    if v is None:
        return []
    return [strval(v)]


@go(ANY, returns="[]string")
def toStrings(v: Any) -> GoSlice:
    return GoSlice(strslice(v), elem="string")


@go("string", ANY)
def join(sep: str, v: Any) -> str:
    parts = strslice(v)
    check_size(sum(len(B(p)) for p in parts) + len(B(sep)) * max(len(parts) - 1, 0))
    return sep.join(parts)


def _go_split(orig: str, sep: str, n: int = -1) -> list[str]:
    """strings.SplitN; an empty separator splits into runes (an invalid byte is one)."""
    if n == 0:
        return []
    if sep == "":
        chars = list(orig)
        if 0 < n < len(chars):
            return [*chars[: n - 1], "".join(chars[n - 1 :])]
        return chars
    ob, sb = B(orig), B(sep)
    parts = ob.split(sb, n - 1) if n > 0 else ob.split(sb)
    return [S(p) for p in parts]


@go("string", "string", returns="map[string]string")
def split(sep: str, orig: str) -> GoMap:
    return GoMap({f"_{i}": p for i, p in enumerate(_go_split(orig, sep))}, elem="string")


@go("string", "string", returns="[]string")
def splitList(sep: str, orig: str) -> GoSlice:
    return GoSlice(_go_split(orig, sep), elem="string")


@go("string", "int", "string", returns="map[string]string")
def splitn(sep: str, n: int, orig: str) -> GoMap:
    return GoMap({f"_{i}": p for i, p in enumerate(_go_split(orig, sep, n))}, elem="string")


@go("string", returns="int")
def atoi(a: str) -> int:
    """strconv.Atoi with its error ignored: 0 for bad syntax, the nearest bound when too large."""
    try:
        return go_parse_int(a, 10)
    except ValueError as e:
        if str(e) == "value out of range" and len(a) >= 19:
            return _INT64_MIN if a.startswith("-") else _INT64_MAX
        return 0


# -- random strings (crypto/rand) ---------------------------------------------------------------

_ALPHA_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_ASCII = "".join(chr(c) for c in range(32, 127))


def _random(count: int, alphabet: str) -> str:
    # goutils.CryptoRandom draws uniformly from its range and keeps the accepted runes, which is
    # a uniform choice from the alphabet; a negative count is an error sprig ignores
    if count <= 0:
        return ""
    check_size(count)
    return "".join(secrets.choice(alphabet) for _ in range(count))


@go("int")
def randAlphaNum(count: int) -> str:
    return _random(count, _ALPHA_CHARS + _DIGITS)


@go("int")
def randAlpha(count: int) -> str:
    return _random(count, _ALPHA_CHARS)


@go("int")
def randAscii(count: int) -> str:
    return _random(count, _ASCII)


@go("int")
def randNumeric(count: int) -> str:
    return _random(count, _DIGITS)


@go("string")
def shuffle(s: str) -> str:
    """xstrings.Shuffle: the runes in random order (invalid bytes become U+FFFD)."""
    runes = [u.rune(c) for c in s]
    for i in range(len(runes) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        runes[i], runes[j] = runes[j], runes[i]
    return "".join(runes)


FUNCS = {
    "hello": hello,
    "abbrev": abbrev,
    "abbrevboth": abbrevboth,
    "trunc": trunc,
    "trim": trim,
    "upper": upper,
    "lower": lower,
    "title": title,
    "untitle": untitle,
    "substr": substr,
    "repeat": repeat,
    "trimall": trimall,
    "trimAll": trimall,
    "trimSuffix": trimSuffix,
    "trimPrefix": trimPrefix,
    "nospace": nospace,
    "initials": initials,
    "randAlphaNum": randAlphaNum,
    "randAlpha": randAlpha,
    "randAscii": randAscii,
    "randNumeric": randNumeric,
    "swapcase": swapcase,
    "shuffle": shuffle,
    "snakecase": snakecase,
    "camelcase": camelcase,
    "kebabcase": kebabcase,
    "wrap": wrap,
    "wrapWith": wrapWith,
    "contains": contains,
    "hasPrefix": hasPrefix,
    "hasSuffix": hasSuffix,
    "quote": quote,
    "squote": squote,
    "cat": cat,
    "indent": indent,
    "nindent": nindent,
    "replace": replace,
    "plural": plural,
    "toString": toString,
    "atoi": atoi,
    "split": split,
    "splitList": splitList,
    "splitn": splitn,
    "toStrings": toStrings,
    "join": join,
}
