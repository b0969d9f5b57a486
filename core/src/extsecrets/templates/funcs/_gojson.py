"""Go's encoding/json on the value model: Marshal/MarshalIndent/Encoder output byte for byte,
and Unmarshal into ``interface{}`` with the scanner's error texts."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from extsecrets.templates.values import format_float

from ._go import B, check_size
from ._model import NilSlice, type_name
from .objects import GoObject

__all__ = ["JSONError", "marshal", "unmarshal"]

_HEX = "0123456789abcdef"


class JSONError(ValueError):
    """A Go json error; str() is Go's text."""


def _string(s: str, escape_html: bool) -> str:
    out = ['"']
    for c in s:
        o = ord(c)
        if o < 0x80:
            if c == "\\" or c == '"':
                out.append("\\" + c)
            elif c == "\b":
                out.append("\\b")
            elif c == "\f":
                out.append("\\f")
            elif c == "\n":
                out.append("\\n")
            elif c == "\r":
                out.append("\\r")
            elif c == "\t":
                out.append("\\t")
            elif o < 0x20 or (escape_html and c in "<>&"):
                out.append("\\u00" + _HEX[o >> 4] + _HEX[o & 0xF])
            else:
                out.append(c)
        elif 0xDC80 <= o <= 0xDCFF:  # an invalid byte
            out.append("\\ufffd")
        elif c in "\u2028\u2029":
            out.append("\\u202" + _HEX[o & 0xF])
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _float(f: float) -> str:
    if math.isnan(f) or math.isinf(f):
        raise JSONError("json: unsupported value: " + format_float(f, "g", -1))
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        s = format_float(f, "e", -1)
        if len(s) >= 4 and s[-4] == "e" and s[-3] == "-" and s[-2] == "0":
            s = s[:-2] + s[-1]
        return s
    return format_float(f, "f", -1)


def _encode(v: Any, html: bool, indent: str | None, depth: int, out: list[str]) -> None:
    if depth > 1000:
        raise JSONError("json: unsupported value: encountered a cycle")
    if v is None or isinstance(v, NilSlice):
        out.append("null")
    elif isinstance(v, bool):
        out.append("true" if v else "false")
    elif isinstance(v, int):
        out.append(str(int(v)))
    elif isinstance(v, float):
        out.append(_float(v))
    elif isinstance(v, str):
        out.append(_string(v, html))
    elif isinstance(v, bytes | bytearray):
        out.append('"' + base64.b64encode(bytes(v)).decode() + '"')
    elif isinstance(v, list | tuple):
        _seq(
            [lambda o, x=x: _encode(x, html, indent, depth + 1, o) for x in v],
            "[]",
            indent,
            depth,
            out,
        )
    elif isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: B(kv[0]))

        def entry(k: str, x: Any) -> Any:
            def put(o: list[str]) -> None:
                o.append(_string(k, html))
                o.append(": " if indent is not None else ":")
                _encode(x, html, indent, depth + 1, o)

            return put

        _seq([entry(k, x) for k, x in items], "{}", indent, depth, out)
    elif isinstance(v, GoObject):
        custom = getattr(v, "go_json", None)
        if custom is not None:
            _encode(custom(), html, indent, depth, out)
        else:
            _encode({f: v.go_field(f) for f in v.go_fields}, html, indent, depth, out)
    elif callable(v):
        raise JSONError(f"json: unsupported type: {type_name(v)}")
    else:
        raise JSONError(f"json: unsupported type: {type_name(v)}")
    check_size(len(out))


def _seq(parts: list[Any], brackets: str, indent: str | None, depth: int, out: list[str]) -> None:
    out.append(brackets[0])
    if parts:
        for i, put in enumerate(parts):
            if i:
                out.append(",")
            if indent is not None:
                out.append("\n" + indent * (depth + 1))
            put(out)
        if indent is not None:
            out.append("\n" + indent * depth)
    out.append(brackets[1])


def marshal(v: Any, *, escape_html: bool = True, indent: str | None = None) -> str:
    """json.Marshal (indent=None) or json.MarshalIndent(v, "", indent); JSONError on failure."""
    out: list[str] = []
    _encode(v, escape_html, indent, 0, out)
    return "".join(out)


# -- decoding ----------------------------------------------------------------------------------


def _quote_char(c: int) -> str:
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    from ._go import go_quote

    q = go_quote(chr(c))
    return "'" + q[1:-1] + "'"


class _Scan:
    """A validator that fails where Go's json scanner fails, with its message."""

    def __init__(self, data: bytes) -> None:
        self.d = data
        self.i = 0
        self.depth = 0

    def err(self, what: str, eof_space: bool = False) -> JSONError:
        """The scanner's error at the current byte. At the end of the input Go's scanner steps
        once more with a space: inside a number, literal or escape that space is the error."""
        if self.i >= len(self.d):
            if eof_space:
                return JSONError(f"invalid character ' ' {what}")
            return JSONError("unexpected end of JSON input")
        return JSONError(f"invalid character {_quote_char(self.d[self.i])} {what}")

    def ws(self) -> None:
        while self.i < len(self.d) and self.d[self.i] in b" \t\r\n":
            self.i += 1

    def peek(self) -> int:
        return self.d[self.i] if self.i < len(self.d) else -1

    def value(self) -> None:
        self.ws()
        c = self.peek()
        if c == ord("{"):
            self.obj()
        elif c == ord("["):
            self.arr()
        elif c == ord('"'):
            self.string()
        elif c == ord("-") or ord("0") <= c <= ord("9"):
            self.number()
        elif c in (ord("t"), ord("f"), ord("n")):
            word = {ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}[c]
            self.i += 1
            for expect in word[1:]:
                if self.peek() != expect:
                    raise self.err(
                        f"in literal {word.decode()} (expecting {_quote_char(expect)})", True
                    )
                self.i += 1
        else:
            raise self.err("looking for beginning of value")

    def push(self) -> None:
        self.depth += 1
        if self.depth > 10000:
            raise JSONError("exceeded max depth")

    def obj(self) -> None:
        self.i += 1
        self.push()
        self.ws()
        if self.peek() == ord("}"):
            self.i += 1
            self.depth -= 1
            return
        while True:
            self.ws()
            if self.peek() != ord('"'):
                raise self.err("looking for beginning of object key string")
            self.string()
            self.ws()
            if self.peek() != ord(":"):
                raise self.err("after object key")
            self.i += 1
            self.value()
            self.ws()
            c = self.peek()
            if c == ord(","):
                self.i += 1
                continue
            if c == ord("}"):
                self.i += 1
                self.depth -= 1
                return
            raise self.err("after object key:value pair")

    def arr(self) -> None:
        self.i += 1
        self.push()
        self.ws()
        if self.peek() == ord("]"):
            self.i += 1
            self.depth -= 1
            return
        while True:
            self.value()
            self.ws()
            c = self.peek()
            if c == ord(","):
                self.i += 1
                continue
            if c == ord("]"):
                self.i += 1
                self.depth -= 1
                return
            raise self.err("after array element")

    def string(self) -> None:
        self.i += 1
        while True:
            c = self.peek()
            if c == -1:
                raise self.err("")
            if c == ord('"'):
                self.i += 1
                return
            if c == ord("\\"):
                self.i += 1
                e = self.peek()
                if e == -1:
                    raise self.err("in string escape code", True)
                if e in b'"\\/bfnrt':
                    self.i += 1
                elif e == ord("u"):
                    self.i += 1
                    for _ in range(4):
                        h = self.peek()
                        if h == -1 or h not in b"0123456789abcdefABCDEF":
                            raise self.err("in \\u hexadecimal character escape", True)
                        self.i += 1
                else:
                    raise self.err("in string escape code", True)
            elif c < 0x20:
                raise self.err("in string literal")
            else:
                self.i += 1

    def digits(self) -> int:
        n = 0
        while ord("0") <= self.peek() <= ord("9"):
            self.i += 1
            n += 1
        return n

    def number(self) -> None:
        if self.peek() == ord("-"):
            self.i += 1
            c = self.peek()
            if not ord("0") <= c <= ord("9"):
                raise self.err("in numeric literal", True)
        if self.peek() == ord("0"):
            self.i += 1
        else:
            self.digits()
        if self.peek() == ord("."):
            self.i += 1
            if not self.digits():
                raise self.err("after decimal point in numeric literal", True)
        if self.peek() in (ord("e"), ord("E")):
            self.i += 1
            if self.peek() in (ord("+"), ord("-")):
                self.i += 1
            if not self.digits():
                raise self.err("in exponent of numeric literal", True)

    def run(self) -> None:
        self.value()
        self.ws()
        if self.i < len(self.d):
            raise self.err("after top-level value")


def _fix(v: Any, errors: list[str]) -> Any:
    if isinstance(v, str):
        # invalid UTF-8 and lone surrogate escapes decode to U+FFFD in Go
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in v)
    if isinstance(v, list):
        return [_fix(x, errors) for x in v]
    if isinstance(v, dict):
        return {_fix(k, errors): _fix(x, errors) for k, x in v.items()}
    if isinstance(v, _BadNumber):
        errors.append(f"json: cannot unmarshal number {v.text} into Go value of type float64")
        return None
    return v


class _BadNumber:
    def __init__(self, text: str) -> None:
        self.text = text


def _number(text: str) -> Any:
    f = float(text)
    return _BadNumber(text) if math.isinf(f) else f


def unmarshal(s: str) -> tuple[Any, str | None]:
    """json.Unmarshal into interface{}: (value, Go error text or None); numbers are float64."""
    data = B(s)
    try:
        _Scan(data).run()
    except JSONError as e:
        return None, str(e)
    try:
        v = json.loads(
            data.decode("utf-8", "replace"),
            parse_float=_number,
            parse_int=_number,
        )
    except RecursionError:
        return None, "exceeded max depth"
    errors: list[str] = []
    v = _fix(v, errors)
    return v, (errors[0] if errors else None)
