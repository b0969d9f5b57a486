"""The template lexer: Go's ``text/template/parse`` lexer, token for token.

Go's lexer never depends on the parser, so the whole input is scanned into a list up front; the
list ends with an EOF item or with the first error item (Go stops lexing there too). Positions are
indexes into the Python text; ``line`` is the line an item starts on, as Go counts it.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Callable
from typing import Any, Optional

import attrs

__all__ = ["Item", "ItemType", "lex"]

_State = Optional[Callable[[], Any]]  # noqa: UP045 (a runtime alias)


class ItemType(enum.IntEnum):
    ERROR = 0
    BOOL = 1
    CHAR = 2
    CHAR_CONSTANT = 3
    COMMENT = 4
    COMPLEX = 5
    ASSIGN = 6
    DECLARE = 7
    EOF = 8
    FIELD = 9
    IDENTIFIER = 10
    LEFT_DELIM = 11
    LEFT_PAREN = 12
    NUMBER = 13
    PIPE = 14
    RAW_STRING = 15
    RIGHT_DELIM = 16
    RIGHT_PAREN = 17
    SPACE = 18
    STRING = 19
    TEXT = 20
    VARIABLE = 21
    KEYWORD = 22  # only delimits the keywords below
    BLOCK = 23
    BREAK = 24
    CONTINUE = 25
    DOT = 26
    DEFINE = 27
    ELSE = 28
    END = 29
    IF = 30
    NIL = 31
    RANGE = 32
    TEMPLATE = 33
    WITH = 34


KEYWORDS = {
    ".": ItemType.DOT,
    "block": ItemType.BLOCK,
    "break": ItemType.BREAK,
    "continue": ItemType.CONTINUE,
    "define": ItemType.DEFINE,
    "else": ItemType.ELSE,
    "end": ItemType.END,
    "if": ItemType.IF,
    "range": ItemType.RANGE,
    "nil": ItemType.NIL,
    "template": ItemType.TEMPLATE,
    "with": ItemType.WITH,
}

SPACE_CHARS = " \t\r\n"
LEFT_COMMENT = "/*"
RIGHT_COMMENT = "*/"
TRIM_MARKER_LEN = 2  # "-" plus the space before or after it


@attrs.frozen
class Item:
    typ: ItemType
    pos: int
    val: str
    line: int

    def __str__(self) -> str:
        from .gofmt import go_quote

        if self.typ == ItemType.EOF:
            return "EOF"
        if self.typ == ItemType.ERROR:
            return self.val
        if self.typ > ItemType.KEYWORD:
            return f"<{self.val}>"
        if len(self.val.encode("utf-8", "surrogateescape")) > 10:
            return go_quote(self.val[:10]) + "..."
        return go_quote(self.val)


def is_space(ch: str) -> bool:
    return ch in SPACE_CHARS and ch != ""


def is_alnum(ch: str) -> bool:
    """Go's isAlphaNumeric: '_', a Unicode letter or a decimal digit."""
    if ch == "_":
        return True
    if not ch or "\udc80" <= ch <= "\udcff":
        return False
    return unicodedata.category(ch).startswith("L") or unicodedata.category(ch) == "Nd"


def _has_left_trim(s: str, i: int) -> bool:
    return len(s) - i >= 2 and s[i] == "-" and is_space(s[i + 1])


def _has_right_trim(s: str, i: int) -> bool:
    return len(s) - i >= 2 and is_space(s[i]) and s[i + 1] == "-"


def _rune_u(ch: str) -> str:
    """fmt's %#U of a rune."""
    cp = ord(ch) if not ("\udc80" <= ch <= "\udcff") else 0xFFFD
    text = f"U+{cp:04X}"
    if ch.isprintable() or cp == 0xFFFD:
        return f"{text} '{chr(cp)}'"
    return text


class _Lexer:
    def __init__(self, text: str, left: str, right: str, break_ok: bool, continue_ok: bool):
        self.input = text
        self.left = left or "{{"
        self.right = right or "}}"
        self.break_ok = break_ok
        self.continue_ok = continue_ok
        self.pos = 0
        self.start = 0
        self.at_eof = False
        self.paren_depth = 0
        self.line = 1
        self.start_line = 1
        self.items: list[Item] = []

    # -- primitives (mirror Go's next/backup so line counts agree)
    def next(self) -> str:
        if self.pos >= len(self.input):
            self.at_eof = True
            return ""
        ch = self.input[self.pos]
        self.pos += 1
        if ch == "\n":
            self.line += 1
        return ch

    def peek(self) -> str:
        ch = self.next()
        self.backup()
        return ch

    def backup(self) -> None:
        if not self.at_eof and self.pos > 0:
            self.pos -= 1
            if self.input[self.pos] == "\n":
                self.line -= 1

    def emit(self, typ: ItemType) -> None:
        self.items.append(Item(typ, self.start, self.input[self.start : self.pos], self.start_line))
        self.start = self.pos
        self.start_line = self.line

    def ignore(self) -> None:
        self.line += self.input.count("\n", self.start, self.pos)
        self.start = self.pos
        self.start_line = self.line

    def accept(self, valid: str) -> bool:
        ch = self.next()
        if ch and ch in valid:
            return True
        self.backup()
        return False

    def accept_run(self, valid: str) -> None:
        while True:
            ch = self.next()
            if not ch or ch not in valid:
                break
        self.backup()

    def error(self, message: str) -> None:
        self.items.append(Item(ItemType.ERROR, self.start, message, self.start_line))

    def at_right_delim(self) -> tuple[bool, bool]:
        s, i = self.input, self.pos
        if _has_right_trim(s, i) and s.startswith(self.right, i + TRIM_MARKER_LEN):
            return True, True
        if s.startswith(self.right, i):
            return True, False
        return False, False

    def at_terminator(self) -> bool:
        ch = self.peek()
        if is_space(ch):
            return True
        if ch in ("", ".", ",", "|", ":", ")", "("):
            return True
        return self.input.startswith(self.right, self.pos)

    # -- states; each returns the next state or None
    def run(self) -> list[Item]:
        state: _State = self.lex_text
        while state is not None:
            state = state()
        return self.items

    def lex_text(self) -> _State:
        x = self.input.find(self.left, self.pos)
        if x >= 0:
            ldn = len(self.left)
            self.pos = x
            trim = 0
            if _has_left_trim(self.input, self.pos + ldn):
                seg = self.input[self.start : self.pos]
                trim = len(seg) - len(seg.rstrip(SPACE_CHARS))
            self.pos -= trim
            if self.pos > self.start:
                self.line += self.input.count("\n", self.start, self.pos)
                self.emit(ItemType.TEXT)
            self.pos += trim
            self.ignore()
            return self.lex_left_delim
        self.pos = len(self.input)
        if self.pos > self.start:
            self.line += self.input.count("\n", self.start, self.pos)
            self.emit(ItemType.TEXT)
        self.emit(ItemType.EOF)
        return None

    def lex_left_delim(self) -> _State:
        self.pos += len(self.left)
        trim = _has_left_trim(self.input, self.pos)
        after = TRIM_MARKER_LEN if trim else 0
        if self.input.startswith(LEFT_COMMENT, self.pos + after):
            self.pos += after
            self.ignore()
            return self.lex_comment
        self.emit(ItemType.LEFT_DELIM)
        self.pos += after
        self.ignore()
        self.paren_depth = 0
        return self.lex_inside_action

    def lex_comment(self) -> _State:
        self.pos += len(LEFT_COMMENT)
        i = self.input.find(RIGHT_COMMENT, self.pos)
        if i < 0:
            self.error("unclosed comment")
            return None
        self.pos = i + len(RIGHT_COMMENT)
        delim, trim = self.at_right_delim()
        if not delim:
            self.error("comment ends before closing delimiter")
            return None
        if trim:
            self.pos += TRIM_MARKER_LEN
        self.pos += len(self.right)
        if trim:
            rest = self.input[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACE_CHARS))
        self.ignore()
        return self.lex_text

    def lex_right_delim(self) -> _State:
        trim = _has_right_trim(self.input, self.pos)
        if trim:
            self.pos += TRIM_MARKER_LEN
            self.ignore()
        self.pos += len(self.right)
        self.emit(ItemType.RIGHT_DELIM)
        if trim:
            rest = self.input[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACE_CHARS))
            self.ignore()
        return self.lex_text

    def lex_inside_action(self) -> _State:
        delim, _ = self.at_right_delim()
        if delim:
            if self.paren_depth == 0:
                return self.lex_right_delim
            self.error("unclosed left paren")
            return None
        ch = self.next()
        if ch == "":
            self.error("unclosed action")
            return None
        if is_space(ch):
            self.backup()
            return self.lex_space
        if ch == "=":
            self.emit(ItemType.ASSIGN)
        elif ch == ":":
            if self.next() != "=":
                self.error("expected :=")
                return None
            self.emit(ItemType.DECLARE)
        elif ch == "|":
            self.emit(ItemType.PIPE)
        elif ch == '"':
            return self.lex_quote
        elif ch == "`":
            return self.lex_raw_quote
        elif ch == "$":
            return self.lex_variable
        elif ch == "'":
            return self.lex_char
        elif ch == "." and self.pos < len(self.input) and not ("0" <= self.input[self.pos] <= "9"):
            return self.lex_field
        elif ch in ".+-" or "0" <= ch <= "9":
            self.backup()
            return self.lex_number
        elif is_alnum(ch):
            self.backup()
            return self.lex_identifier
        elif ch == "(":
            self.emit(ItemType.LEFT_PAREN)
            self.paren_depth += 1
        elif ch == ")":
            # Go 1.20+ (ESO's Go): the error comes before the token, so the parser reports the
            # lexer's text; Go 1.19 emitted the token first ("unexpected ")" in command")
            self.paren_depth -= 1
            if self.paren_depth < 0:
                self.error("unexpected right paren")
                return None
            self.emit(ItemType.RIGHT_PAREN)
        elif ord(ch) < 0x80 and ch.isprintable():
            self.emit(ItemType.CHAR)
        else:
            self.error(f"unrecognized character in action: {_rune_u(ch)}")
            return None
        return self.lex_inside_action

    def lex_space(self) -> _State:
        spaces = 0
        while is_space(self.peek()):
            self.next()
            spaces += 1
        s = self.input
        if _has_right_trim(s, self.pos - 1) and s.startswith(
            self.right, self.pos - 1 + TRIM_MARKER_LEN
        ):
            self.backup()
            if spaces == 1:
                return self.lex_right_delim
        self.emit(ItemType.SPACE)
        return self.lex_inside_action

    def lex_identifier(self) -> _State:
        while True:
            ch = self.next()
            if is_alnum(ch):
                continue
            self.backup()
            word = self.input[self.start : self.pos]
            if not self.at_terminator():
                self.error(f"bad character {_rune_u(ch)}")
                return None
            kw = KEYWORDS.get(word)
            if kw is not None and kw > ItemType.KEYWORD:
                if (kw == ItemType.BREAK and not self.break_ok) or (
                    kw == ItemType.CONTINUE and not self.continue_ok
                ):
                    self.emit(ItemType.IDENTIFIER)
                else:
                    self.emit(kw)
            elif word[0] == ".":
                self.emit(ItemType.FIELD)
            elif word in ("true", "false"):
                self.emit(ItemType.BOOL)
            else:
                self.emit(ItemType.IDENTIFIER)
            return self.lex_inside_action

    def lex_field(self) -> _State:
        return self._field_or_variable(ItemType.FIELD)

    def lex_variable(self) -> _State:
        if self.at_terminator():
            self.emit(ItemType.VARIABLE)
            return self.lex_inside_action
        return self._field_or_variable(ItemType.VARIABLE)

    def _field_or_variable(self, typ: ItemType) -> _State:
        if self.at_terminator():
            self.emit(ItemType.VARIABLE if typ == ItemType.VARIABLE else ItemType.DOT)
            return self.lex_inside_action
        while True:
            ch = self.next()
            if not is_alnum(ch):
                self.backup()
                break
        if not self.at_terminator():
            self.error(f"bad character {_rune_u(ch)}")
            return None
        self.emit(typ)
        return self.lex_inside_action

    def lex_char(self) -> _State:
        return self._lex_escaped("'", ItemType.CHAR_CONSTANT, "unterminated character constant")

    def lex_number(self) -> _State:
        if not self._scan_number():
            self.error(f"bad number syntax: {_q(self.input[self.start : self.pos])}")
            return None
        sign = self.peek()
        if sign in ("+", "-") and sign:
            if not self._scan_number() or self.input[self.pos - 1] != "i":
                self.error(f"bad number syntax: {_q(self.input[self.start : self.pos])}")
                return None
            self.emit(ItemType.COMPLEX)
        else:
            self.emit(ItemType.NUMBER)
        return self.lex_inside_action

    def _scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 10 + 1 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 16 + 6 + 1 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if is_alnum(self.peek()):
            self.next()
            return False
        return True

    def lex_quote(self) -> _State:
        return self._lex_escaped('"', ItemType.STRING, "unterminated quoted string")

    def _lex_escaped(self, quote: str, typ: ItemType, unterminated: str) -> _State:
        """Go's lexChar/lexQuote: up to the closing quote, a backslash escaping the next
        character; a newline or the end of input first is the error ``unterminated``."""
        while True:
            ch = self.next()
            if ch == "\\":
                nxt = self.next()
                if nxt not in ("", "\n"):
                    continue
                self.error(unterminated)
                return None
            if ch in ("", "\n"):
                self.error(unterminated)
                return None
            if ch == quote:
                break
        self.emit(typ)
        return self.lex_inside_action

    def lex_raw_quote(self) -> _State:
        while True:
            ch = self.next()
            if ch == "":
                self.error("unterminated raw quoted string")
                return None
            if ch == "`":
                break
        self.emit(ItemType.RAW_STRING)
        return self.lex_inside_action


def _q(text: str) -> str:
    from .gofmt import go_quote

    return go_quote(text)


def lex(
    text: str,
    left: str = "{{",
    right: str = "}}",
    *,
    break_ok: bool = True,
    continue_ok: bool = True,
) -> list[Item]:
    """Scan `text` into Go's items; the last item is EOF or an error."""
    return _Lexer(text, left, right, break_ok, continue_ok).run()
