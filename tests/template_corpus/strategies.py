"""Hypothesis strategies that write random Go templates (ESO style: the root is a string map).

``templates()`` draws ``(text, data)``: a template text built from a small typed grammar (text,
actions with trim markers, pipelines, variables, ``if``/``else if``/``else``, ``range`` with
``break``/``continue`` and ``else``, ``with``, comments, ``printf`` verbs, sprig's string
functions) and the secret values it runs on (``str`` or ``bytes`` values). Expressions are typed
(string, int, bool, and lists of strings, of ints or of mixed JSON values) so that most
templates render, and errors stay the ones that Go 1.19 and Go 1.26 word alike: no range over an
integer, no ``else with``, no comparison of mixed types (a range's element has its list's
element type), no split by the empty separator, no backspace or form feed in values (toJson), no
random or time-dependent function.

    from template_corpus.strategies import templates

    @given(templates())
    def test_something(case): text, data = case
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

KEYS = ("a", "b", "user", "pw", "x1")
ODD_KEYS = ("my-key", "tls.crt")
_TEXT_ALPHABET = st.sampled_from(
    [*"abcXYZ019 -_.,:;/\\'\"%{}()[]<>&=\n\t", "é", "€", "日", "\u00a0", "ǅ", "ß"]
)
_REGEX = st.sampled_from(['"a"', '"[a-c]+"', '"(X)(Y)?"', '"^"', '"$"', '"\\\\s*"', '"é|€"', '"."'])
_SAFE_TEXT = st.text(_TEXT_ALPHABET, max_size=12).filter(
    lambda s: "{{" not in s and not s.endswith("{")
)
_VALUE = st.one_of(
    st.text(_TEXT_ALPHABET, max_size=10),
    st.sampled_from(["", "MTIzNA==", "aGVsbG8=", '{"k": "v", "n": 1}', "[1, 2, 3]", "a,b,,c"]),
    st.sampled_from(
        [
            '{"a": {"b": [1, 2.5, "x", null]}, "n": 1e21, "f": 0.1, "t": true, "e": "", "k": "<&>"}',
            '{"k": {"k": {"k": "deep"}}, "n": -0, "big": 12345678, "u": "\\u00e9\\ud83d\\ude00"}',
            '"just a string"',
            "3.0",
            "{",
        ]
    ),
    # no backspace or form feed: Go 1.22 changed how encoding/json escapes them (toJson)
    st.binary(max_size=6).map(lambda b: b.replace(b"\x08", b"\x07").replace(b"\x0c", b"\x0b")),
)

Draw = Callable[[st.SearchStrategy[Any]], Any]


class _Scope:
    """Variables visible at a point of the template, by type."""

    def __init__(self, variables: dict[str, str] | None = None, dot: str = "root") -> None:
        self.vars: dict[str, str] = dict(variables or {})
        self.dot = dot  # "root" (the data map) or "string"
        self.counter = 0

    def child(self, dot: str | None = None) -> _Scope:
        scope = _Scope(self.vars, self.dot if dot is None else dot)
        scope.counter = self.counter
        return scope

    def new_var(self, kind: str) -> str:
        self.counter += 1
        name = f"$v{len(self.vars)}_{self.counter}"
        self.vars[name] = kind
        return name

    def of(self, kind: str) -> list[str]:
        return sorted(v for v, k in self.vars.items() if k == kind)


def _lit(draw: Draw, min_size: int = 0) -> str:
    text = draw(st.text(st.sampled_from(list('abc XY-_,:%é€\\"\n')), min_size=min_size, max_size=6))
    if draw(st.booleans()) and "`" not in text:
        return "`" + text + "`"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _field(draw: Draw, scope: _Scope) -> str:
    key = draw(st.sampled_from(KEYS + ODD_KEYS))
    root = "." if scope.dot == "root" else "$"
    if key in ODD_KEYS or draw(st.integers(0, 4)) == 0:
        return f'(index {root} "{key}")'
    return f"{root}.{key}" if root == "$" else f".{key}"


_UNARY = (
    "upper", "lower", "title", "trim", "quote", "squote", "b64enc", "b64dec", "sha256sum",
    "sha1sum", "nospace", "initials", "snakecase", "kebabcase", "swapcase", "toString", "html",
    "js", "urlquery", "untitle", "adler32sum", "base", "dir", "clean", "ext", "b32enc", "b32dec",
    "sha512sum", "hexdec", "regexQuoteMeta", "toJson", "toPrettyJson", "abbrevboth 1 6",
    "wrapWith 3 \"|\"", "squote", "osBase", "isAbs | toString", "mustToJson",
)  # fmt: skip


def _string_expr(draw: Draw, scope: _Scope, depth: int) -> str:
    choices = ["field", "lit", "var"] if depth <= 0 else [
        "field", "lit", "var", "unary", "binary", "printf", "default", "join", "print", "tojson",
    ]  # fmt: skip
    kind = draw(st.sampled_from(choices))
    if kind == "var" and scope.of("string"):
        return draw(st.sampled_from(scope.of("string")))
    if kind == "var" and scope.dot == "string":
        return "."
    if kind in ("field", "var"):
        return _field(draw, scope)
    if kind == "lit":
        return _lit(draw)
    sub = _string_expr(draw, scope, depth - 1)
    if kind == "unary":
        return f"({sub} | {draw(st.sampled_from(_UNARY))})"
    if kind == "binary":
        # pick the function first, then draw only its arguments
        fns: list[Callable[[], str]] = [
            lambda: f"replace {_lit(draw)} {_lit(draw)}",
            lambda: f"trimPrefix {_lit(draw)}",
            lambda: f"trimSuffix {_lit(draw)}",
            lambda: f"trimAll {_lit(draw)}",
            lambda: f"trunc {draw(st.integers(-3, 5))}",
            lambda: f"abbrev {draw(st.integers(4, 8))}",
            lambda: f"repeat {draw(st.integers(0, 3))}",
            lambda: f"indent {draw(st.integers(0, 3))}",
            lambda: f"nindent {draw(st.integers(0, 2))}",
            lambda: f"cat {_lit(draw)}",
            lambda: f"wrap {draw(st.integers(1, 6))}",
            lambda: f"substr {draw(st.integers(0, 2))} {draw(st.integers(0, 5))}",
            lambda: "plural",
            lambda: f"regexReplaceAll {draw(_REGEX)} {_lit(draw)}",
            lambda: f"regexReplaceAllLiteral {draw(_REGEX)} {_lit(draw)}",
            lambda: f"regexFind {draw(_REGEX)}",
            lambda: f"trimSuffix {_lit(draw)} | trimPrefix {_lit(draw)}",
        ]
        fn = draw(st.sampled_from(fns))()
        if fn.startswith("plural"):
            return f"(plural {_lit(draw)} {_lit(draw)} {_int_expr(draw, scope, depth - 1)})"
        return f"({sub} | {fn})"
    if kind == "printf":
        verb = draw(
            st.sampled_from(
                ["%s", "%q", "%v", "%x", "%X", "% x", "%5s", "%-5s|", "%.2s", "%T", "%%"]
            )
        )
        int_verb = draw(st.sampled_from(["%d", "%05d", "%+d", "%x", "%o", "%b", "%c", "%v", "%T"]))
        return f'(printf "<{verb}:{int_verb}>" {sub} {_int_expr(draw, scope, depth - 1)})'
    if kind == "default":
        return f"({sub} | default {_lit(draw)})"
    if kind == "join":
        return f"(join {_lit(draw)} {_list_expr(draw, scope, depth - 1)})"
    if kind == "print":
        fn = draw(st.sampled_from(["print", "println"]))
        return f"({fn} {sub} {_int_expr(draw, scope, depth - 1)} {_bool_expr(draw, scope, 0)})"
    return f"({_list_expr(draw, scope, depth - 1)} | toJson)"


def _any_expr(draw: Draw, scope: _Scope) -> str:
    """A variable of any kind, or dot: printed as it is."""
    names = [*sorted(scope.vars), "."]
    return str(draw(st.sampled_from(names)))


_JSON_DOCS = ['{"k": "v", "n": 1, "l": [1, "a", true]}', "[]", "{}", "null", '{"n": 1e-7}']


def _json_expr(draw: Draw, scope: _Scope) -> str:
    """A value decoded by fromJson (maps, float64 numbers, nil, or an error), used as Go uses
    it: printed, re-encoded, indexed, iterated."""
    if draw(st.booleans()):
        src = _field(draw, scope)
    else:
        src = "`" + draw(st.sampled_from(_JSON_DOCS)) + "`"
    doc = f"({src} | fromJson)"
    forms = [
        doc,
        f"({doc} | toJson)",
        f"({doc} | toPrettyJson)",
        f"({doc} | kindOf)",
        f"{doc}.k",
        f"{doc}.a.b",
        f'(index ({doc} | default dict) "n")',
        f'(get ({doc} | default dict) "k")',
        f'(hasKey ({doc} | default dict) "k")',
        f'(keys ({doc} | default dict) | sortAlpha | join ",")',
        f'(printf "%v|%.3g|%T" {doc} {doc} {doc})',
        f"(len ({doc} | default list))",
    ]
    return str(draw(st.sampled_from(forms)))


def _int_expr(draw: Draw, scope: _Scope, depth: int) -> str:
    kind = draw(st.sampled_from(["lit", "len", "var"] if depth > 0 else ["lit", "var"]))
    if kind == "var" and scope.of("int"):
        return draw(st.sampled_from(scope.of("int")))
    if kind == "var" and scope.dot == "int":
        return "."
    if kind == "len":
        return f"(len {_string_expr(draw, scope, depth - 1)})"
    return str(draw(st.integers(-3, 12)))


def _bool_expr(draw: Draw, scope: _Scope, depth: int) -> str:
    if depth <= 0:
        return draw(st.sampled_from(["true", "false"]))
    kind = draw(
        st.sampled_from(["eqs", "eqi", "lt", "contains", "prefix", "empty", "not", "andor"])
    )
    s1 = s2 = ""
    if kind in ("eqs", "contains", "prefix", "empty"):
        s1 = _string_expr(draw, scope, depth - 1)
        s2 = "" if kind == "empty" else _string_expr(draw, scope, depth - 1)
    if kind == "eqs":
        return f"({draw(st.sampled_from(['eq', 'ne']))} {s1} {s2})"
    if kind in ("eqi", "lt"):
        op = draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]))
        return f"({op} {_int_expr(draw, scope, depth - 1)} {_int_expr(draw, scope, depth - 1)})"
    if kind == "contains":
        return f"(contains {s1} {s2})"
    if kind == "prefix":
        return f"({draw(st.sampled_from(['hasPrefix', 'hasSuffix']))} {s1} {s2})"
    if kind == "empty":
        return f"(empty {s1})"
    if kind == "not":
        return f"(not {_bool_expr(draw, scope, depth - 1)})"
    op = draw(st.sampled_from(["and", "or"]))
    return f"({op} {_bool_expr(draw, scope, depth - 1)} {_bool_expr(draw, scope, depth - 1)})"


# List variables by element kind: "list" (strings), "ilist" (ints), "alist" (mixed JSON values:
# float64, string, bool, nil; never compared or passed to a typed parameter).
_LIST_KINDS = {"list": "string", "ilist": "int", "alist": "any"}


def _list_expr(draw: Draw, scope: _Scope, depth: int) -> str:
    return _typed_list_expr(draw, scope, depth)[0]


def _typed_list_expr(draw: Draw, scope: _Scope, depth: int) -> tuple[str, str]:
    """A list expression and its variable kind (a key of _LIST_KINDS)."""
    kind = draw(st.sampled_from(["list", "split", "var", "until", "json"]))
    if kind == "var":
        names = [(v, k) for k in _LIST_KINDS for v in scope.of(k)]
        if names:
            name, vkind = draw(st.sampled_from(sorted(names)))
            return name, vkind
    if kind == "split":
        # never the empty separator: Go 1.23 changed how it splits invalid UTF-8
        sep = _lit(draw, min_size=1)
        return f"(splitList {sep} {_string_expr(draw, scope, max(depth - 1, 0))})", "list"
    if kind == "until":
        return f"(until {draw(st.integers(0, 4))})", "ilist"
    if kind == "json":
        doc = draw(st.sampled_from(['["a","b"]', "[]", '[1,"x",true,null]', "null", '[""]']))
        return f"(`{doc}` | fromJson | default list)", "alist"
    n = draw(st.integers(0, 3))
    items = " ".join(_string_expr(draw, scope, max(depth - 1, 0)) for _ in range(n))
    return f"(list {items})".replace(" )", ")"), "list"


def _open(draw: Draw) -> str:
    return draw(st.sampled_from(["{{", "{{ ", "{{- ", "{{-\n"]))


def _close(draw: Draw) -> str:
    return draw(st.sampled_from(["}}", " }}", " -}}", "\t-}}"]))


def _block(draw: Draw, scope: _Scope, depth: int, in_range: bool) -> str:
    n = draw(st.integers(0 if depth < 2 else 1, 4))
    return "".join(_item(draw, scope, depth, in_range) for _ in range(n))


def _item(draw: Draw, scope: _Scope, depth: int, in_range: bool) -> str:
    kinds = ["text", "action", "action", "decl", "comment"]
    if depth > 0:
        kinds += ["if", "range", "rangemap", "with"]
    if in_range:
        kinds += ["brk"]
    kind = draw(st.sampled_from(kinds))
    o, c = _open(draw), _close(draw)
    if kind == "text":
        return str(draw(_SAFE_TEXT))
    if kind == "comment":
        return draw(st.sampled_from(["{{/* note */}}", "{{- /* trim */ -}}", "{{/*\n*/}}"]))
    if kind == "action":
        exprs: list[Callable[[], str]] = [
            lambda: _string_expr(draw, scope, 2),
            lambda: _int_expr(draw, scope, 2),
            lambda: _bool_expr(draw, scope, 2),
            lambda: _list_expr(draw, scope, 1),
            lambda: _any_expr(draw, scope),
            lambda: _json_expr(draw, scope),
        ]
        return f"{o}{draw(st.sampled_from(exprs))()}{c}"
    if kind == "decl":
        vkind = draw(st.sampled_from(["string", "int", "list"]))
        if vkind == "list":
            expr, vkind = _typed_list_expr(draw, scope, 2)
        else:
            expr = {"string": _string_expr, "int": _int_expr}[vkind](draw, scope, 2)
        existing = scope.of(vkind)
        if existing and draw(st.booleans()):
            return f"{o}{draw(st.sampled_from(existing))} = {expr}{c}"
        return f"{o}{scope.new_var(vkind)} := {expr}{c}"
    if kind == "brk":
        word = draw(st.sampled_from(["break", "continue"]))
        return f"{{{{if {_bool_expr(draw, scope, 1)}}}}}{{{{{word}}}}}{{{{end}}}}"
    inner = scope.child()
    if kind == "if":
        out = f"{o}if {_bool_expr(draw, scope, 2)}{c}{_block(draw, inner, depth - 1, in_range)}"
        if draw(st.booleans()):
            cond = _bool_expr(draw, scope, 1)
            out += f"{o}else if {cond}{c}{_block(draw, scope.child(), depth - 1, in_range)}"
        if draw(st.booleans()):
            out += f"{o}else{c}{_block(draw, scope.child(), depth - 1, in_range)}"
        return out + f"{o}end{c}"
    if kind == "with":
        body = _block(draw, scope.child(dot="string"), depth - 1, in_range)
        out = f"{o}with {_string_expr(draw, scope, 2)}{c}{body}"
        if draw(st.booleans()):
            out += f"{o}else{c}{_block(draw, scope.child(), depth - 1, in_range)}"
        return out + f"{o}end{c}"
    if kind == "range":
        items, lkind = _typed_list_expr(draw, scope, 2)
        elem = _LIST_KINDS[lkind]
        loop = scope.child(dot=elem)
        shape = draw(st.sampled_from(["both", "elem", "none"]))
        head = ""
        if shape == "both":
            index = loop.new_var("int")
            head = f"{index}, {loop.new_var(elem)} := "
        elif shape == "elem":
            head = f"{loop.new_var(elem)} := "
        out = f"{o}range {head}{items}{c}{_block(draw, loop, depth - 1, True)}"
        if draw(st.booleans()):
            out += f"{o}else{c}{_block(draw, scope.child(), depth - 1, in_range)}"
        return out + f"{o}end{c}"
    loop = scope.child(dot="string")
    key, val = loop.new_var("string"), loop.new_var("string")
    root = "." if scope.dot == "root" else "$"
    return f"{o}range {key}, {val} := {root}{c}{_block(draw, loop, depth - 1, True)}{o}end{c}"


@st.composite
def templates(draw: Draw, max_depth: int = 3) -> tuple[str, dict[str, str | bytes]]:
    """A random template text and the string map it runs on (ESO's root data)."""
    # Mostly the keys templates name, so that most renders get past the first field.
    present = [k for k in KEYS + ODD_KEYS if draw(st.integers(0, 9)) > 0]
    data: dict[str, str | bytes] = {k: draw(_VALUE) for k in present}
    scope = _Scope()
    text = _block(draw, scope, draw(st.integers(1, max_depth)), in_range=False)
    return text, data
