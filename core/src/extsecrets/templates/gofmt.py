"""Go's ``fmt`` (Sprint, Sprintln, Sprintf) and ``strconv`` quoting over the template value model.

Ported from the rules of Go's ``fmt/print.go``, ``fmt/format.go`` and ``strconv/quote.go``: verbs,
flags, width and precision, ``%!d(string=x)`` for a bad verb, ``%!d(MISSING)``, ``%!(EXTRA ...)``,
``%!(NOVERB)``, ``%!d(BADINDEX)``. Strings are Go bytes (see :mod:`.values`): widths count runes,
``%x`` and ``%q`` see the bytes, invalid UTF-8 prints as ``\\x..`` in ``%q``.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from .values import (
    GoInt,
    GoMap,
    GoSlice,
    format_float,
    from_go_bytes,
    go_type_name,
    to_go_bytes,
)

__all__ = [
    "go_quote",
    "go_quote_rune",
    "go_unquote",
    "go_unquote_char",
    "sprint",
    "sprintf",
    "sprintln",
]

LDIGITS = "0123456789abcdefx"
UDIGITS = "0123456789ABCDEFX"
MAX_RUNE = 0x10FFFF


# ---------------------------------------------------------------------------------------------
# strconv


def _is_print(cp: int) -> bool:
    """Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space."""
    if cp == 0x20:
        return True
    if cp > MAX_RUNE or 0xD800 <= cp <= 0xDFFF:
        return False
    return unicodedata.category(chr(cp))[0] in "LMNPS"


def _runes(s: str) -> list[tuple[int, bytes]]:
    """The runes Go sees in a model string: (code point or -1 for an invalid byte, its bytes)."""
    out: list[tuple[int, bytes]] = []
    for ch in s:
        if "\udc80" <= ch <= "\udcff":
            out.append((-1, bytes([ord(ch) - 0xDC00])))
        else:
            out.append((ord(ch), ch.encode("utf-8", "surrogatepass")))
    return out


def _escape_rune(cp: int, quote: str, ascii_only: bool) -> str:
    if cp == ord(quote) or cp == ord("\\"):
        return "\\" + chr(cp)
    if ascii_only:
        if cp < 0x80 and _is_print(cp):
            return chr(cp)
    elif _is_print(cp):
        return chr(cp)
    simple = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}
    if cp in simple:
        return simple[cp]
    if cp < 0x20 or cp == 0x7F:
        return f"\\x{cp:02x}"
    if 0xD800 <= cp <= 0xDFFF or cp > MAX_RUNE:
        return "\\ufffd"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def go_quote(s: str, *, ascii_only: bool = False) -> str:
    """strconv.Quote (QuoteToASCII with ascii_only) of a model string."""
    out = ['"']
    for cp, raw in _runes(s):
        if cp < 0:
            out.append(f"\\x{raw[0]:02x}")
        else:
            out.append(_escape_rune(cp, '"', ascii_only))
    out.append('"')
    return "".join(out)


def go_quote_rune(cp: int, *, ascii_only: bool = False) -> str:
    """strconv.QuoteRune: an invalid code point quotes as U+FFFD."""
    if cp > MAX_RUNE or 0xD800 <= cp <= 0xDFFF or cp < 0:
        cp = 0xFFFD
    return "'" + _escape_rune(cp, "'", ascii_only) + "'"


def _can_backquote(s: str) -> bool:
    for cp, _raw in _runes(s):
        if cp < 0 or cp == 0xFEFF:
            return False
        if cp == ord("`"):
            return False
        if (cp < 0x20 and cp != 9) or cp == 0x7F:
            return False
    return True


def go_unquote_char(s: str, quote: str) -> tuple[int, str]:
    """strconv.UnquoteChar: the first (possibly escaped) character of s and the rest.

    Returns the value (a code point, or a byte value for ``\\x``/octal escapes) and the tail;
    raises ValueError (Go's ``invalid syntax``).
    """
    if not s:
        raise ValueError("invalid syntax")
    c = s[0]
    if c == quote and quote in "'\"":
        raise ValueError("invalid syntax")
    if c != "\\":
        if "\udc80" <= c <= "\udcff":
            return 0xFFFD, s[1:]
        return ord(c), s[1:]
    if len(s) <= 1:
        raise ValueError("invalid syntax")
    c = s[1]
    s = s[2:]
    simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
    if c in simple:
        return simple[c], s
    if c in "xuU":
        n = {"x": 2, "u": 4, "U": 8}[c]
        if len(s) < n:
            raise ValueError("invalid syntax")
        try:
            v = int(s[:n], 16)
        except ValueError:
            raise ValueError("invalid syntax") from None
        if not all(ch in "0123456789abcdefABCDEF" for ch in s[:n]):
            raise ValueError("invalid syntax")
        if c != "x" and (v > MAX_RUNE or 0xD800 <= v <= 0xDFFF):
            raise ValueError("invalid syntax")
        return v, s[n:]
    if c in "01234567":
        if len(s) < 2 or not all(ch in "01234567" for ch in s[:2]):
            raise ValueError("invalid syntax")
        v = int(c + s[:2], 8)
        if v > 255:
            raise ValueError("invalid syntax")
        return v, s[2:]
    if c == "\\":
        return ord("\\"), s
    if c in "'\"":
        if c != quote:
            raise ValueError("invalid syntax")
        return ord(c), s
    raise ValueError("invalid syntax")


def go_unquote(text: str) -> str:
    """strconv.Unquote of a Go string literal (``"..."`` or raw ``...``); ValueError if invalid."""
    if len(text) < 2 or text[0] != text[-1] or text[0] not in '"`':
        raise ValueError("invalid syntax")
    quote = text[0]
    body = text[1:-1]
    if quote == "`":
        if "`" in body:
            raise ValueError("invalid syntax")
        return body.replace("\r", "")
    if "\n" in body:
        raise ValueError("invalid syntax")
    return _rebuild(body, quote)


def _rebuild(body: str, quote: str) -> str:
    """Unquote keeping raw invalid bytes of the literal as they are."""
    out = bytearray()
    rest = body
    while rest:
        ch = rest[0]
        if "\udc80" <= ch <= "\udcff":
            out.append(ord(ch) - 0xDC00)
            rest = rest[1:]
            continue
        if ch == "\\" and len(rest) > 1 and (rest[1] == "x" or rest[1] in "01234567"):
            v, rest = go_unquote_char(rest, quote)
            out.append(v)
        else:
            v, rest = go_unquote_char(rest, quote)
            out += chr(v).encode("utf-8", "surrogatepass")
    return from_go_bytes(bytes(out))


# ---------------------------------------------------------------------------------------------
# fmt


class _Flags:
    __slots__ = (
        "minus",
        "plus",
        "plus_v",
        "prec",
        "prec_present",
        "sharp",
        "sharp_v",
        "space",
        "wid",
        "wid_present",
        "zero",
    )

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.wid = 0
        self.prec = 0
        self.wid_present = False
        self.prec_present = False
        self.minus = False
        self.plus = False
        self.sharp = False
        self.space = False
        self.zero = False
        self.plus_v = False
        self.sharp_v = False


def _rune_count(s: str) -> int:
    return len(s)


class _Printer:
    def __init__(self) -> None:
        self.buf: list[str] = []
        self.f = _Flags()
        self.arg: Any = None
        self.has_arg = False

    # -- padding
    def write_padding(self, n: int) -> None:
        if n > 0:
            self.buf.append(("0" if self.f.zero else " ") * n)

    def pad(self, s: str) -> None:
        f = self.f
        if not f.wid_present or f.wid == 0:
            self.buf.append(s)
            return
        width = f.wid - _rune_count(s)
        if not f.minus:
            self.write_padding(width)
            self.buf.append(s)
        else:
            self.buf.append(s)
            self.write_padding(width)

    # -- basic formatters (format.go)
    def fmt_boolean(self, v: bool) -> None:
        self.pad("true" if v else "false")

    def fmt_integer(self, v: int, base: int, verb: str, digits: str) -> None:
        f = self.f
        negative = v < 0
        u = -v if negative else v
        prec = 0
        if f.prec_present:
            prec = f.prec
            if prec == 0 and u == 0:
                old = f.zero
                f.zero = False
                self.write_padding(f.wid)
                f.zero = old
                return
        elif f.zero and f.wid_present:
            prec = f.wid
            if negative or f.plus or f.space:
                prec -= 1
        if base == 10:
            body = str(u)
        elif base == 16:
            body = format(u, "x")
            if digits is UDIGITS:
                body = body.upper()
        elif base == 8:
            body = format(u, "o")
        else:
            body = format(u, "b")
        if len(body) < prec:
            body = "0" * (prec - len(body)) + body
        if f.sharp:
            if base == 2:
                body = "0b" + body
            elif base == 8 and body[0] != "0":
                body = "0" + body
            elif base == 16:
                body = "0" + digits[16] + body
        if verb == "O":
            body = "0o" + body
        if negative:
            body = "-" + body
        elif f.plus:
            body = "+" + body
        elif f.space:
            body = " " + body
        old = f.zero
        f.zero = False
        self.pad(body)
        f.zero = old

    def fmt_unicode(self, u: int) -> None:
        f = self.f
        prec = 4
        if f.prec_present and f.prec > 4:
            prec = f.prec
        text = "U+" + format(u, "X").rjust(prec, "0")
        if f.sharp and 0 <= u <= MAX_RUNE and _is_print(u):
            text += " '" + chr(u) + "'"
        old = f.zero
        f.zero = False
        self.pad(text)
        f.zero = old

    def fmt_c(self, c: int) -> None:
        if c > MAX_RUNE or c < 0 or 0xD800 <= c <= 0xDFFF:
            c = 0xFFFD
        self.pad(chr(c))

    def fmt_qc(self, c: int) -> None:
        self.pad(go_quote_rune(c, ascii_only=self.f.plus))

    def truncate(self, s: str) -> str:
        if self.f.prec_present and self.f.prec < len(s):
            return s[: self.f.prec]
        return s

    def fmt_s(self, s: str) -> None:
        self.pad(self.truncate(s))

    def fmt_sbx(self, data: bytes, digits: str) -> None:
        f = self.f
        length = len(data)
        if f.prec_present and f.prec < length:
            length = f.prec
        width = 2 * length
        if width > 0:
            if f.space:
                if f.sharp:
                    width *= 2
                width += length - 1
            elif f.sharp:
                width += 2
        else:
            if f.wid_present:
                self.write_padding(f.wid)
            return
        if f.wid_present and f.wid > width and not f.minus:
            self.write_padding(f.wid - width)
        out = []
        if f.sharp:
            out.append("0" + digits[16])
        for i in range(length):
            if f.space and i > 0:
                out.append(" ")
                if f.sharp:
                    out.append("0" + digits[16])
            c = data[i]
            out.append(digits[c >> 4] + digits[c & 0xF])
        self.buf.append("".join(out))
        if f.wid_present and f.wid > width and f.minus:
            self.write_padding(f.wid - width)

    def fmt_q(self, s: str) -> None:
        s = self.truncate(s)
        if self.f.sharp and _can_backquote(s):
            self.pad("`" + s + "`")
            return
        self.pad(go_quote(s, ascii_only=self.f.plus))

    def fmt_float(self, v: float, verb: str, prec: int) -> None:
        f = self.f
        if f.prec_present:
            prec = f.prec
        if verb == "b":
            num = _format_float_b(v)
        elif verb in "xX":
            num = _format_float_x(v, prec, verb)
        else:
            num = format_float(v, verb, prec)
        if num[0] in "+-":
            sign, num = num[0], num[1:]
        else:
            sign = "+"
        if f.space and sign == "+" and not f.plus:
            sign = " "
        if num[0] in "IN":
            old = f.zero
            f.zero = False
            text = sign + num
            if num[0] == "N" and not f.space and not f.plus:
                text = num
            self.pad(text)
            f.zero = old
            return
        if f.sharp and verb != "b":
            digits = 0
            if verb in "vgGx":
                digits = prec
                if digits == -1:
                    digits = 6
            tail = ""
            has_point = False
            saw_nonzero = False
            body = list(num)
            i = 0
            cut = len(body)
            while i < cut:
                ch = body[i]
                if ch == ".":
                    has_point = True
                elif ch in "pP" or (ch in "eE" and verb not in "xX"):
                    tail = "".join(body[i:])
                    cut = i
                    break
                else:
                    if ch != "0":
                        saw_nonzero = True
                    if saw_nonzero:
                        digits -= 1
                i += 1
            body = body[:cut]
            if not has_point:
                if len(body) == 1 and body[0] == "0":
                    digits -= 1
                body.append(".")
            while digits > 0:
                body.append("0")
                digits -= 1
            num = "".join(body) + tail
        if f.plus or sign != "+":
            if f.zero and f.wid_present and f.wid > len(num) + 1:
                self.buf.append(sign)
                self.write_padding(f.wid - len(num) - 1)
                self.buf.append(num)
                return
            self.pad(sign + num)
            return
        self.pad(num)

    # -- print.go
    def bad_verb(self, verb: str, value: Any = None, has_value: bool = False) -> None:
        self.buf.append("%!" + verb + "(")
        arg, has = (value, True) if has_value else (self.arg, self.has_arg)
        if has and arg is not None:
            self.buf.append(go_type_name(arg) + "=")
            saved = (self.arg, self.has_arg)
            self.print_arg(arg, "v")
            self.arg, self.has_arg = saved
        else:
            self.buf.append("<nil>")
        self.buf.append(")")

    def print_arg(self, arg: Any, verb: str) -> None:
        self.arg = arg
        self.has_arg = True
        if arg is None:
            if verb in "Tv":
                self.pad("<nil>")
            else:
                self.bad_verb(verb)
            return
        if verb == "T":
            self.fmt_s(go_type_name(arg))
            return
        if verb == "p":
            self.fmt_pointer(arg, verb)
            return
        self.print_value(arg, verb, 0)

    def fmt_pointer(self, value: Any, verb: str) -> None:
        # Our values have no addresses worth printing; fmt prints %!p(T=v) for non-pointers.
        if isinstance(value, list | dict) or callable(value):
            self.pad("0x" + format(id(value), "x"))
            return
        self.bad_verb(verb, value, True)

    def fmt_bool(self, v: bool, verb: str, value: Any) -> None:
        if verb in "tv":
            self.fmt_boolean(v)
        else:
            self.bad_verb(verb, value, True)

    def fmt_int(self, v: int, unsigned: bool, verb: str, value: Any) -> None:
        f = self.f
        if verb == "v":
            if f.sharp_v and unsigned:
                sharp = f.sharp
                f.sharp = True
                self.fmt_integer(v, 16, "v", LDIGITS)
                f.sharp = sharp
            else:
                self.fmt_integer(v, 10, verb, LDIGITS)
        elif verb == "d":
            self.fmt_integer(v, 10, verb, LDIGITS)
        elif verb == "b":
            self.fmt_integer(v, 2, verb, LDIGITS)
        elif verb in "oO":
            self.fmt_integer(v, 8, verb, LDIGITS)
        elif verb == "x":
            self.fmt_integer(v, 16, verb, LDIGITS)
        elif verb == "X":
            self.fmt_integer(v, 16, verb, UDIGITS)
        elif verb == "c":
            self.fmt_c(v)
        elif verb == "q":
            self.fmt_qc(v)
        elif verb == "U":
            self.fmt_unicode(v if v >= 0 else v + (1 << 64))
        else:
            self.bad_verb(verb, value, True)

    def fmt_flt(self, v: float, verb: str, value: Any) -> None:
        if verb == "v":
            self.fmt_float(v, "g", -1)
        elif verb in "bgGxX":
            self.fmt_float(v, verb, -1)
        elif verb in "feE":
            self.fmt_float(v, verb, 6)
        elif verb == "F":
            self.fmt_float(v, "f", 6)
        else:
            self.bad_verb(verb, value, True)

    def fmt_complex(self, v: complex, verb: str) -> None:
        if verb not in "vbgGxXfFeE":
            self.bad_verb(verb, v, True)
            return
        old_plus = self.f.plus
        self.buf.append("(")
        self.fmt_flt(v.real, verb, v)
        self.f.plus = True
        self.fmt_flt(v.imag, verb, v)
        self.buf.append("i)")
        self.f.plus = old_plus

    def fmt_string(self, v: str, verb: str, value: Any) -> None:
        if verb == "v":
            if self.f.sharp_v:
                self.fmt_q(v)
            else:
                self.fmt_s(v)
        elif verb == "s":
            self.fmt_s(v)
        elif verb == "x":
            self.fmt_sbx(to_go_bytes(v), LDIGITS)
        elif verb == "X":
            self.fmt_sbx(to_go_bytes(v), UDIGITS)
        elif verb == "q":
            self.fmt_q(v)
        else:
            self.bad_verb(verb, value, True)

    def fmt_bytes(self, v: bytes, verb: str, type_string: str, value: Any, depth: int) -> None:
        if verb in "vd":
            if self.f.sharp_v:
                self.buf.append(type_string + "{")
                for i, c in enumerate(v):
                    if i > 0:
                        self.buf.append(", ")
                    sharp = self.f.sharp
                    self.f.sharp = True
                    self.fmt_integer(c, 16, "v", LDIGITS)
                    self.f.sharp = sharp
                self.buf.append("}")
            else:
                self.buf.append("[")
                for i, c in enumerate(v):
                    if i > 0:
                        self.buf.append(" ")
                    self.fmt_integer(c, 10, verb, LDIGITS)
                self.buf.append("]")
        elif verb == "s":
            self.fmt_s(from_go_bytes(bytes(v)))
        elif verb == "x":
            self.fmt_sbx(bytes(v), LDIGITS)
        elif verb == "X":
            self.fmt_sbx(bytes(v), UDIGITS)
        elif verb == "q":
            self.fmt_q(from_go_bytes(bytes(v)))
        else:
            self._print_list(list(v), verb, depth, type_string, elem_iface=False)

    def handle_methods(self, value: Any, verb: str) -> bool:
        """fmt's handleMethods: a value with a Go ``GoString`` (for %#v) or ``String`` method
        (for %v %s %x %X %q) prints as that method's result (time.Duration, time.Time ...)."""
        go_method = getattr(value, "go_method", None)
        if not callable(go_method):
            return False
        if self.f.sharp_v:
            method = go_method("GoString")
            if method is None:
                return False
            self.fmt_s(method())
            return True
        if verb not in "vsxXq":
            return False
        method = go_method("String")
        if method is None:
            return False
        text = method()
        self.fmt_string(text, verb, text)
        return True

    def print_struct(self, value: Any, verb: str, depth: int) -> None:
        """A Go struct: ``{f1 f2}``, ``{Name:f1 ...}`` (%+v), ``T{Name:f1, ...}`` (%#v)."""
        f = self.f
        if f.sharp_v:
            self.buf.append(go_type_name(value))
        self.buf.append("{")
        for i, name in enumerate(value.go_fields):
            if i > 0:
                self.buf.append(", " if f.sharp_v else " ")
            if f.plus_v or f.sharp_v:
                self.buf.append(name + ":")
            self._print_elem(value.go_field(name), verb, depth, False)
        self.buf.append("}")

    def print_value(self, value: Any, verb: str, depth: int) -> None:
        if self.handle_methods(value, verb):
            return
        if isinstance(value, bool):
            self.fmt_bool(value, verb, value)
        elif isinstance(value, int):
            unsigned = isinstance(value, GoInt) and value.unsigned
            self.fmt_int(int(value), unsigned, verb, value)
        elif isinstance(value, float):
            self.fmt_flt(value, verb, value)
        elif isinstance(value, str):
            self.fmt_string(value, verb, value)
        elif isinstance(value, complex):
            self.fmt_complex(value, verb)
        elif isinstance(value, bytes | bytearray):
            if depth == 0:
                self.fmt_bytes(bytes(value), verb, "[]byte", value, depth)
            elif verb in "sqxX":
                self.fmt_bytes(bytes(value), verb, "[]uint8", value, depth)
            else:
                self._print_list(list(value), verb, depth, "[]uint8", elem_iface=False)
        elif isinstance(value, list | tuple):
            elem = value.elem if isinstance(value, GoSlice) else "interface {}"
            if elem == "uint8" and verb in "sqxX":
                self.fmt_bytes(bytes(value), verb, "[]uint8", value, depth)
                return
            self._print_list(
                list(value), verb, depth, go_type_name(value), elem_iface=elem == "interface {}"
            )
        elif isinstance(value, dict):
            self._print_map(value, verb, depth)
        elif getattr(value, "go_kind", None) == "struct" and hasattr(value, "go_fields"):
            self.print_struct(value, verb, depth)
        else:
            # other Go values of the function set print as their %v text
            text = str(value)
            if verb in "vs":
                self.fmt_s(text)
            else:
                self.bad_verb(verb, value, True)

    def _print_elem(self, value: Any, verb: str, depth: int, iface: bool) -> None:
        if value is None:
            if self.f.sharp_v:
                self.buf.append("interface {}(nil)")
            elif verb == "v" or iface:
                self.buf.append("<nil>")
            else:
                self.bad_verb(verb, None, True)
            return
        self.print_value(value, verb, depth + 1)

    def _print_list(
        self, items: list[Any], verb: str, depth: int, type_string: str, *, elem_iface: bool
    ) -> None:
        if self.f.sharp_v:
            self.buf.append(type_string + "{")
            for i, item in enumerate(items):
                if i > 0:
                    self.buf.append(", ")
                self._print_elem(item, verb, depth, elem_iface)
            self.buf.append("}")
            return
        self.buf.append("[")
        for i, item in enumerate(items):
            if i > 0:
                self.buf.append(" ")
            self._print_elem(item, verb, depth, elem_iface)
        self.buf.append("]")

    def _print_map(self, value: dict[str, Any], verb: str, depth: int) -> None:
        iface = not (isinstance(value, GoMap) and value.elem != "interface {}")
        keys = sorted(value, key=lambda k: to_go_bytes(k) if isinstance(k, str) else k)
        if self.f.sharp_v:
            self.buf.append(go_type_name(value) + "{")
        else:
            self.buf.append("map[")
        for i, k in enumerate(keys):
            if i > 0:
                self.buf.append(", " if self.f.sharp_v else " ")
            self.print_value(k, verb, depth + 1)
            self.buf.append(":")
            self._print_elem(value[k], verb, depth, iface)
        self.buf.append("}" if self.f.sharp_v else "]")

    # -- Sprintf
    def do_printf(self, fmt: str, args: list[Any]) -> None:
        end = len(fmt)
        arg_num = 0
        after_index = False
        reordered = False
        i = 0
        while i < end:
            good_arg_num = True
            lasti = i
            while i < end and fmt[i] != "%":
                i += 1
            if i > lasti:
                self.buf.append(fmt[lasti:i])
            if i >= end:
                break
            i += 1
            f = self.f
            f.clear()
            simple_done = False
            while i < end:
                c = fmt[i]
                if c == "#":
                    f.sharp = True
                elif c == "0":
                    f.zero = not f.minus
                elif c == "+":
                    f.plus = True
                elif c == "-":
                    f.minus = True
                    f.zero = False
                elif c == " ":
                    f.space = True
                else:
                    if "a" <= c <= "z" and arg_num < len(args):
                        if c == "v":
                            f.sharp_v, f.sharp = f.sharp, False
                            f.plus_v, f.plus = f.plus, False
                        self.print_arg(args[arg_num], c)
                        arg_num += 1
                        i += 1
                        simple_done = True
                    break
                i += 1
            if simple_done:
                continue
            # argument index
            arg_num, i, after_index, ok_index, re = _arg_number(arg_num, fmt, i, len(args))
            reordered = reordered or re
            good_arg_num = good_arg_num and ok_index
            if i < end and fmt[i] == "*":
                i += 1
                f.wid, f.wid_present, arg_num = _int_from_arg(args, arg_num)
                if not f.wid_present:
                    self.buf.append("%!(BADWIDTH)")
                if f.wid < 0:
                    f.wid = -f.wid
                    f.minus = True
                    f.zero = False
                after_index = False
            else:
                f.wid, f.wid_present, i = _parse_num(fmt, i, end)
                if after_index and f.wid_present:
                    good_arg_num = False
            if i + 1 < end and fmt[i] == ".":
                i += 1
                if after_index:
                    good_arg_num = False
                arg_num, i, after_index, ok_index, re = _arg_number(arg_num, fmt, i, len(args))
                reordered = reordered or re
                good_arg_num = good_arg_num and ok_index
                if i < end and fmt[i] == "*":
                    i += 1
                    f.prec, f.prec_present, arg_num = _int_from_arg(args, arg_num)
                    if f.prec < 0:
                        f.prec = 0
                        f.prec_present = False
                    if not f.prec_present:
                        self.buf.append("%!(BADPREC)")
                    after_index = False
                else:
                    f.prec, f.prec_present, i = _parse_num(fmt, i, end)
                    if not f.prec_present:
                        f.prec = 0
                        f.prec_present = True
            if not after_index:
                arg_num, i, after_index, ok_index, re = _arg_number(arg_num, fmt, i, len(args))
                reordered = reordered or re
                good_arg_num = good_arg_num and ok_index
            if i >= end:
                self.buf.append("%!(NOVERB)")
                break
            verb = fmt[i]
            i += 1
            if verb == "%":
                self.buf.append("%")
            elif not good_arg_num:
                self.buf.append("%!" + verb + "(BADINDEX)")
            elif arg_num >= len(args):
                self.buf.append("%!" + verb + "(MISSING)")
            else:
                if verb == "v":
                    f.sharp_v, f.sharp = f.sharp, False
                    f.plus_v, f.plus = f.plus, False
                self.print_arg(args[arg_num], verb)
                arg_num += 1
        if not reordered and arg_num < len(args):
            self.f.clear()
            self.buf.append("%!(EXTRA ")
            for j, arg in enumerate(args[arg_num:]):
                if j > 0:
                    self.buf.append(", ")
                if arg is None:
                    self.buf.append("<nil>")
                else:
                    self.buf.append(go_type_name(arg) + "=")
                    self.print_arg(arg, "v")
            self.buf.append(")")


def _too_large(x: int) -> bool:
    return x > 1_000_000 or x < -1_000_000


def _parse_num(s: str, start: int, end: int) -> tuple[int, bool, int]:
    if start >= end:
        return 0, False, end
    num = 0
    isnum = False
    i = start
    while i < end and "0" <= s[i] <= "9":
        if _too_large(num):
            return 0, False, end
        num = num * 10 + ord(s[i]) - 48
        isnum = True
        i += 1
    return num, isnum, i


def _int_from_arg(args: list[Any], arg_num: int) -> tuple[int, bool, int]:
    num, is_int, new = 0, False, arg_num
    if arg_num < len(args):
        a = args[arg_num]
        if isinstance(a, int) and not isinstance(a, bool):
            unsigned = isinstance(a, GoInt) and a.unsigned
            if -(1 << 63) <= a < (1 << 63) and not (unsigned and a >= 1 << 63):
                num, is_int = int(a), True
        new = arg_num + 1
        if _too_large(num):
            num, is_int = 0, False
    return num, is_int, new


def _arg_number(arg_num: int, fmt: str, i: int, nargs: int) -> tuple[int, int, bool, bool, bool]:
    """(new arg number, new index, found, good, reordered)."""
    if len(fmt) <= i or fmt[i] != "[":
        return arg_num, i, False, True, False
    sub = fmt[i:]
    if len(sub) < 3:
        return arg_num, i + 1, False, False, True
    for j in range(1, len(sub)):
        if sub[j] == "]":
            width, ok, newi = _parse_num(sub, 1, j)
            if not ok or newi != j:
                return arg_num, i + j + 1, False, False, True
            index = width - 1
            if 0 <= index < nargs:
                return index, i + j + 1, True, True, True
            return arg_num, i + j + 1, True, False, True
    return arg_num, i + 1, False, False, True


def _format_float_b(v: float) -> str:
    """strconv 'b' format: decimal mantissa 'p' binary exponent."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    import struct

    bits = struct.unpack(">Q", struct.pack(">d", v))[0]
    neg = bits >> 63
    exp = (bits >> 52) & 0x7FF
    mant = bits & ((1 << 52) - 1)
    if exp == 0:
        exp += 1
    else:
        mant |= 1 << 52
    exp += -1023 - 52
    return ("-" if neg else "") + f"{mant}p{'+' if exp >= 0 else '-'}{abs(exp)}"


def _format_float_x(v: float, prec: int, verb: str) -> str:
    """strconv 'x'/'X' format (%x of a float): -0x1.8p+01."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    neg = math.copysign(1.0, v) < 0
    v = abs(v)
    if v == 0:
        mant, exp = 0, 0
    else:
        m, e = math.frexp(v)  # v = m * 2**e, 0.5 <= m < 1
        mant = int(m * (1 << 53))  # 53-bit integer mantissa with the top bit set
        exp = e - 1
        # subnormals: frexp already normalises
    # mantissa as 1.xxxx: 52 fraction bits
    frac = mant & ((1 << 52) - 1) if mant else 0
    digits = format(frac, "013x")  # 52 bits = 13 hex digits
    lead = 1 if mant else 0
    if prec < 0:
        digits = digits.rstrip("0")
    elif prec < 13:
        # round to prec hex digits, half to even
        shift = (13 - prec) * 4
        full = (lead << 52) | frac
        q, r = divmod(full, 1 << shift)
        half = 1 << (shift - 1)
        if r > half or (r == half and q & 1):
            q += 1
        if q >> (prec * 4) >= 2:
            q >>= 1
            exp += 1
        lead = q >> (prec * 4)
        digits = format(q & ((1 << (prec * 4)) - 1), f"0{prec}x") if prec else ""
    else:
        digits = digits + "0" * (prec - 13)
    text = "0x" + str(lead) + ("." + digits if digits else "")
    text += "p" + ("+" if exp >= 0 else "-") + f"{abs(exp):02d}"
    if verb == "X":
        text = text.upper()
    return ("-" if neg else "") + text


def sprintf(fmt: str, *args: Any) -> str:
    """Go's fmt.Sprintf."""
    p = _Printer()
    p.do_printf(fmt, list(args))
    return "".join(p.buf)


def sprint(*args: Any) -> str:
    """Go's fmt.Sprint: a space between operands when neither side is a string."""
    p = _Printer()
    prev_string = False
    for i, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if i > 0 and not is_string and not prev_string:
            p.buf.append(" ")
        p.f.clear()
        p.print_arg(arg, "v")
        prev_string = is_string
    return "".join(p.buf)


def sprintln(*args: Any) -> str:
    """Go's fmt.Sprintln: operands separated by spaces, then a newline."""
    p = _Printer()
    for i, arg in enumerate(args):
        if i > 0:
            p.buf.append(" ")
        p.f.clear()
        p.print_arg(arg, "v")
    p.buf.append("\n")
    return "".join(p.buf)
