"""The template parser: Go's ``text/template/parse`` (Go 1.26 grammar), with Go's error texts.

Errors read ``template: <name>:<line>: <what>`` exactly as Go's; the line is that of the last token
Go's parser had read, which is why the three-token look-ahead buffer is kept as Go keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container

from .errors import ParseError
from .lexer import Item, ItemType, lex
from .nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    CommentNode,
    ContinueNode,
    DotNode,
    ElseNode,
    EndNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateNode,
    TextNode,
    VariableNode,
    WithNode,
)
from .strconv import underscore_ok

__all__ = ["Tree", "parse_trees"]

# Go allows 10000 nested parentheses; Python's stack is smaller (a documented difference).
MAX_PAREN_DEPTH = 100
MAX_PIPELINE_CMDS = 100000


class _Abort(Exception):
    pass


class Tree:
    """One named template's tree."""

    def __init__(self, name: str, parse_name: str, text: str) -> None:
        self.name = name
        self.parse_name = parse_name
        self.text = text
        self.root: ListNode | None = None


def is_empty_tree(n: Node | None) -> bool:
    if n is None or isinstance(n, CommentNode):
        return True
    if isinstance(n, ListNode):
        return all(is_empty_tree(x) for x in n.nodes)
    if isinstance(n, TextNode):
        return n.text.strip(" \t\n\v\f\r\x85\xa0") == ""
    return False


class _Parser:
    def __init__(
        self,
        tree: Tree,
        items: list[Item],
        has_function: Callable[[str], bool],
        tree_set: dict[str, Tree],
    ) -> None:
        self.tree = tree
        self.items = items
        self.index = 0
        self.token: list[Item] = [items[0], items[0], items[0]]
        self.peek_count = 0
        self.vars: list[str] = ["$"]
        self.has_function = has_function
        self.tree_set = tree_set
        self.action_line = 0
        self.range_depth = 0
        self.paren_depth = 0

    # -- token buffer, exactly as Go's
    def _lex_next(self) -> Item:
        item = self.items[min(self.index, len(self.items) - 1)]
        self.index += 1
        return item

    def next(self) -> Item:
        if self.peek_count > 0:
            self.peek_count -= 1
        else:
            self.token[0] = self._lex_next()
        return self.token[self.peek_count]

    def backup(self) -> None:
        self.peek_count += 1

    def backup2(self, t1: Item) -> None:
        self.token[1] = t1
        self.peek_count = 2

    def backup3(self, t2: Item, t1: Item) -> None:
        self.token[1] = t1
        self.token[2] = t2
        self.peek_count = 3

    def peek(self) -> Item:
        if self.peek_count > 0:
            return self.token[self.peek_count - 1]
        self.peek_count = 1
        self.token[0] = self._lex_next()
        return self.token[0]

    def next_non_space(self) -> Item:
        while True:
            token = self.next()
            if token.typ != ItemType.SPACE:
                return token

    def peek_non_space(self) -> Item:
        token = self.next_non_space()
        self.backup()
        return token

    # -- errors
    def errorf(self, message: str) -> _Abort:
        line = self.token[0].line
        text = f"template: {self.tree.parse_name}:{line}: {message}"
        raise ParseError(text, name=self.tree.parse_name, line=line, detail=message)

    def expect(self, expected: ItemType, context: str) -> Item:
        token = self.next_non_space()
        if token.typ != expected:
            self.unexpected(token, context)
        return token

    def expect_one_of(self, e1: ItemType, e2: ItemType, context: str) -> Item:
        token = self.next_non_space()
        if token.typ not in (e1, e2):
            self.unexpected(token, context)
        return token

    def unexpected(self, token: Item, context: str) -> None:
        if token.typ == ItemType.ERROR:
            extra = ""
            if self.action_line != 0 and self.action_line != token.line:
                extra = f" in action started at {self.tree.parse_name}:{self.action_line}"
                if token.val.endswith(" action"):
                    extra = extra[len(" in action") :]
            self.errorf(f"{token}{extra}")
        self.errorf(f"unexpected {token} in {context}")

    # -- grammar
    def parse(self) -> None:
        self.tree.root = ListNode(self.peek().pos)
        while self.peek().typ != ItemType.EOF:
            if self.peek().typ == ItemType.LEFT_DELIM:
                delim = self.next()
                if self.next_non_space().typ == ItemType.DEFINE:
                    sub = _Parser(
                        Tree("definition", self.tree.parse_name, self.tree.text),
                        self.items,
                        self.has_function,
                        self.tree_set,
                    )
                    sub.index, sub.token, sub.peek_count = self.index, self.token, self.peek_count
                    sub.parse_definition()
                    self.index, self.token, self.peek_count = sub.index, sub.token, sub.peek_count
                    continue
                self.backup2(delim)
            n = self.text_or_action()
            if isinstance(n, EndNode | ElseNode):
                self.errorf(f"unexpected {n}")
            self.tree.root.nodes.append(n)

    def add(self) -> None:
        tree = self.tree_set.get(self.tree.name)
        if tree is None or is_empty_tree(tree.root):
            self.tree_set[self.tree.name] = self.tree
            return
        if not is_empty_tree(self.tree.root):
            self.errorf(f"template: multiple definition of template {_quote(self.tree.name)}")

    def parse_definition(self) -> None:
        context = "define clause"
        name = self.expect_one_of(ItemType.STRING, ItemType.RAW_STRING, context)
        self.tree.name = self._unquote(name.val)
        self.expect(ItemType.RIGHT_DELIM, context)
        self.tree.root, end = self.item_list()
        if not isinstance(end, EndNode):
            self.errorf(f"unexpected {end} in {context}")
        self.add()

    def item_list(self) -> tuple[ListNode, Node]:
        lst = ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ != ItemType.EOF:
            n = self.text_or_action()
            if isinstance(n, EndNode | ElseNode):
                return lst, n
            lst.nodes.append(n)
        raise self.errorf("unexpected EOF")

    def text_or_action(self) -> Node:
        token = self.next_non_space()
        if token.typ == ItemType.TEXT:
            return TextNode(token.pos, token.val)
        if token.typ == ItemType.LEFT_DELIM:
            self.action_line = token.line
            try:
                return self.action()
            finally:
                self.action_line = 0
        if token.typ == ItemType.COMMENT:
            return CommentNode(token.pos, token.val)
        self.unexpected(token, "input")
        raise AssertionError("unreachable")

    def action(self) -> Node:
        token = self.next_non_space()
        t = token.typ
        if t == ItemType.BLOCK:
            return self.block_control()
        if t == ItemType.BREAK:
            return self.break_control(token.pos, token.line)
        if t == ItemType.CONTINUE:
            return self.continue_control(token.pos, token.line)
        if t == ItemType.ELSE:
            return self.else_control()
        if t == ItemType.END:
            return EndNode(self.expect(ItemType.RIGHT_DELIM, "end").pos)
        if t == ItemType.IF:
            return self.if_control()
        if t == ItemType.RANGE:
            return self.range_control()
        if t == ItemType.TEMPLATE:
            return self.template_control()
        if t == ItemType.WITH:
            return self.with_control()
        self.backup()
        token = self.peek()
        return ActionNode(token.pos, token.line, self.pipeline("command", ItemType.RIGHT_DELIM))

    def break_control(self, pos: int, line: int) -> Node:
        token = self.next_non_space()
        if token.typ != ItemType.RIGHT_DELIM:
            self.unexpected(token, "{{break}}")
        if self.range_depth == 0:
            self.errorf("{{break}} outside {{range}}")
        return BreakNode(pos, line)

    def continue_control(self, pos: int, line: int) -> Node:
        token = self.next_non_space()
        if token.typ != ItemType.RIGHT_DELIM:
            self.unexpected(token, "{{continue}}")
        if self.range_depth == 0:
            self.errorf("{{continue}} outside {{range}}")
        return ContinueNode(pos, line)

    def pipeline(self, context: str, end: ItemType) -> PipeNode:
        token = self.peek_non_space()
        pipe = PipeNode(token.pos, token.line)
        while True:  # "decls:" in Go
            v = self.peek_non_space()
            if v.typ != ItemType.VARIABLE:
                break
            self.next()
            token_after = self.peek()
            nxt = self.peek_non_space()
            if nxt.typ in (ItemType.ASSIGN, ItemType.DECLARE):
                pipe.is_assign = nxt.typ == ItemType.ASSIGN
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, v.val.split(".")))
                self.vars.append(v.val)
            elif nxt.typ == ItemType.CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, v.val.split(".")))
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (
                        ItemType.VARIABLE,
                        ItemType.RIGHT_DELIM,
                        ItemType.RIGHT_PAREN,
                    ):
                        continue  # second initialized variable in a range pipeline
                    self.errorf("range can only initialize variables")
                self.errorf(f"too many declarations in {context}")
            elif token_after.typ == ItemType.SPACE:
                self.backup3(v, token_after)
            else:
                self.backup2(v)
            break
        while True:
            token = self.next_non_space()
            if token.typ == end:
                self.check_pipeline(pipe, context)
                return pipe
            if token.typ in _TERM_START:
                self.backup()
                pipe.cmds.append(self.command())
                if len(pipe.cmds) > MAX_PIPELINE_CMDS:
                    self.errorf("pipeline too long")
            else:
                self.unexpected(token, context)

    def check_pipeline(self, pipe: PipeNode, context: str) -> None:
        if not pipe.cmds:
            self.errorf(f"missing value for {context}")
        for i, c in enumerate(pipe.cmds[1:]):
            if isinstance(c.args[0], BoolNode | DotNode | NilNode | NumberNode | StringNode):
                self.errorf(f"non executable command in pipeline stage {i + 2}")

    def parse_control(self, context: str) -> tuple[int, int, PipeNode, ListNode, ListNode | None]:
        mark = len(self.vars)
        try:
            pipe = self.pipeline(context, ItemType.RIGHT_DELIM)
            if context == "range":
                self.range_depth += 1
            lst, nxt = self.item_list()
            if context == "range":
                self.range_depth -= 1
            else_list: ListNode | None = None
            if isinstance(nxt, ElseNode):
                # "else if" / "else with" (Go 1.23) read as {{else}}{{if ...}}...{{end}}{{end}}
                if context == "if" and self.peek().typ == ItemType.IF:
                    self.next()
                    else_list = ListNode(nxt.pos, [self.if_control()])
                elif context == "with" and self.peek().typ == ItemType.WITH:
                    self.next()
                    else_list = ListNode(nxt.pos, [self.with_control()])
                else:
                    else_list, nxt = self.item_list()
                    if not isinstance(nxt, EndNode):
                        self.errorf(f"expected end; found {nxt}")
            return pipe.pos, pipe.line, pipe, lst, else_list
        finally:
            del self.vars[mark:]

    def _branch(self, cls: type[BranchNode], context: str) -> BranchNode:
        pos, line, pipe, lst, else_list = self.parse_control(context)
        return cls(pos, line, pipe, lst, else_list)

    def if_control(self) -> Node:
        return self._branch(IfNode, "if")

    def range_control(self) -> Node:
        return self._branch(RangeNode, "range")

    def with_control(self) -> Node:
        return self._branch(WithNode, "with")

    def else_control(self) -> Node:
        peek = self.peek_non_space()
        if peek.typ in (ItemType.IF, ItemType.WITH):
            return ElseNode(peek.pos, peek.line)
        token = self.expect(ItemType.RIGHT_DELIM, "else")
        return ElseNode(token.pos, token.line)

    def block_control(self) -> Node:
        context = "block clause"
        token = self.next_non_space()
        name = self.parse_template_name(token, context)
        pipe = self.pipeline(context, ItemType.RIGHT_DELIM)
        sub = _Parser(
            Tree(name, self.tree.parse_name, self.tree.text),
            self.items,
            self.has_function,
            self.tree_set,
        )
        sub.index, sub.token, sub.peek_count = self.index, self.token, self.peek_count
        sub.tree.root, end = sub.item_list()
        if not isinstance(end, EndNode):
            self.index, self.token, self.peek_count = sub.index, sub.token, sub.peek_count
            self.errorf(f"unexpected {end} in {context}")
        sub.add()
        self.index, self.token, self.peek_count = sub.index, sub.token, sub.peek_count
        return TemplateNode(token.pos, token.line, name, pipe)

    def template_control(self) -> Node:
        context = "template clause"
        token = self.next_non_space()
        name = self.parse_template_name(token, context)
        pipe = None
        if self.next_non_space().typ != ItemType.RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, ItemType.RIGHT_DELIM)
        return TemplateNode(token.pos, token.line, name, pipe)

    def parse_template_name(self, token: Item, context: str) -> str:
        if token.typ in (ItemType.STRING, ItemType.RAW_STRING):
            return self._unquote(token.val)
        self.unexpected(token, context)
        raise AssertionError("unreachable")

    def command(self) -> CommandNode:
        cmd = CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            token = self.next()
            if token.typ == ItemType.SPACE:
                continue
            if token.typ in (ItemType.RIGHT_DELIM, ItemType.RIGHT_PAREN):
                self.backup()
            elif token.typ != ItemType.PIPE:
                self.unexpected(token, "operand")
            break
        if not cmd.args:
            self.errorf("empty command")
        return cmd

    def operand(self) -> Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().typ == ItemType.FIELD:
            chain = ChainNode(self.peek().pos, node)
            while self.peek().typ == ItemType.FIELD:
                chain.field.append(self.next().val[1:])
            if isinstance(node, FieldNode):
                return FieldNode(chain.pos, str(chain)[1:].split("."))
            if isinstance(node, VariableNode):
                return VariableNode(chain.pos, str(chain).split("."))
            if isinstance(node, BoolNode | StringNode | NumberNode | NilNode | DotNode):
                self.errorf(f"unexpected . after term {_quote(str(node))}")
            return chain
        return node

    def term(self) -> Node | None:
        token = self.next_non_space()
        t = token.typ
        if t == ItemType.IDENTIFIER:
            if not self.has_function(token.val):
                self.errorf(f"function {_quote(token.val)} not defined")
            return IdentifierNode(token.pos, token.val)
        if t == ItemType.DOT:
            return DotNode(token.pos)
        if t == ItemType.NIL:
            return NilNode(token.pos)
        if t == ItemType.VARIABLE:
            return self.use_var(token.pos, token.val)
        if t == ItemType.FIELD:
            return FieldNode(token.pos, token.val[1:].split("."))
        if t == ItemType.BOOL:
            return BoolNode(token.pos, token.val == "true")
        if t in (ItemType.CHAR_CONSTANT, ItemType.COMPLEX, ItemType.NUMBER):
            return self.new_number(token)
        if t == ItemType.LEFT_PAREN:
            if self.paren_depth >= MAX_PAREN_DEPTH:
                self.errorf("max expression depth exceeded")
            self.paren_depth += 1
            try:
                return self.pipeline("parenthesized pipeline", ItemType.RIGHT_PAREN)
            finally:
                self.paren_depth -= 1
        if t in (ItemType.STRING, ItemType.RAW_STRING):
            return StringNode(token.pos, token.val, self._unquote(token.val))
        self.backup()
        return None

    def use_var(self, pos: int, name: str) -> Node:
        v = VariableNode(pos, name.split("."))
        if v.ident[0] in self.vars:
            return v
        raise self.errorf(f"undefined variable {_quote(v.ident[0])}")

    # -- literals
    def _unquote(self, text: str) -> str:
        from .gofmt import go_unquote

        try:
            return go_unquote(text)
        except ValueError:
            raise self.errorf("invalid syntax") from None

    def new_number(self, token: Item) -> NumberNode:
        try:
            return parse_number(token.pos, token.val, token.typ)
        except ValueError as exc:
            raise self.errorf(str(exc)) from None


_TERM_START = frozenset(
    {
        ItemType.BOOL,
        ItemType.CHAR_CONSTANT,
        ItemType.COMPLEX,
        ItemType.DOT,
        ItemType.FIELD,
        ItemType.IDENTIFIER,
        ItemType.NUMBER,
        ItemType.NIL,
        ItemType.RAW_STRING,
        ItemType.STRING,
        ItemType.VARIABLE,
        ItemType.LEFT_PAREN,
    }
)


def _quote(s: str) -> str:
    from .gofmt import go_quote

    return go_quote(s)


# ---------------------------------------------------------------------------------------------
# Numbers, as strconv.ParseUint/ParseInt(text, 0, 64) and ParseFloat(text, 64) read them

_OCTAL = re.compile(r"0[0-7_]*")
_INT_BODY = re.compile(r"0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*")


def _parse_uint(text: str) -> int | None:
    if not _INT_BODY.fullmatch(text):
        return None
    if "_" in text and not underscore_ok(text):
        return None
    body = text.replace("_", "")
    if _OCTAL.fullmatch(text) and len(body) > 1:
        value = int(body, 8)
    else:
        value = int(body, 0) if body not in ("0",) else 0
    return value if value < 1 << 64 else None


def _parse_int(text: str) -> int | None:
    neg = text.startswith("-")
    body = text[1:] if text[:1] in "+-" else text
    u = _parse_uint(body)
    if u is None:
        return None
    value = -u if neg else u
    return value if -(1 << 63) <= value < (1 << 63) else None


_FLOAT = re.compile(
    r"[+-]?(?:(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?"
    r"|0[xX](?:[0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+)[pP][+-]?[0-9_]+)"
)


def _parse_float(text: str) -> float | None:
    if not _FLOAT.fullmatch(text):
        return None
    if "_" in text and not underscore_ok(text):
        return None
    body = text.replace("_", "")
    try:
        if "x" in body or "X" in body:
            return float.fromhex(body)
        return float(body)
    except (ValueError, OverflowError):
        return None


def parse_number(pos: int, text: str, typ: ItemType) -> NumberNode:
    """Go's parse.newNumber: which of int/uint/float/complex the literal can be."""
    from .gofmt import go_quote, go_unquote_char

    n = NumberNode(pos, text)
    if typ == ItemType.CHAR_CONSTANT:
        value, tail = go_unquote_char(text[1:], "'")
        if tail != "'":
            raise ValueError(f"malformed character constant: {text}")
        n.int64 = n.uint64 = value
        n.float64 = float(value)
        n.is_int = n.is_uint = n.is_float = True
        return n
    if typ == ItemType.COMPLEX:
        m = re.fullmatch(r"(.+?)([+-][^+-]*)i", text)
        re_part = _parse_float(m.group(1)) if m else None
        im_part = _parse_float(m.group(2)) if m else None
        if re_part is None or im_part is None:
            raise ValueError("expected integer")
        n.is_complex = True
        n.complex128 = complex(re_part, im_part)
        _simplify_complex(n)
        return n
    if text.endswith("i"):
        f = _parse_float(text[:-1])
        if f is not None:
            n.is_complex = True
            n.complex128 = complex(0, f)
            _simplify_complex(n)
            return n
    u = _parse_uint(text)
    if u is not None:
        n.is_uint = True
        n.uint64 = u
    i = _parse_int(text)
    if i is not None:
        n.is_int = True
        n.int64 = i
        if i == 0:
            n.is_uint = True
            n.uint64 = u or 0
    if n.is_int:
        n.is_float = True
        n.float64 = float(n.int64)
    elif n.is_uint:
        n.is_float = True
        n.float64 = float(n.uint64)
    else:
        f = _parse_float(text)
        if f is not None:
            if not any(c in text for c in ".eEpP"):
                raise ValueError(f"integer overflow: {go_quote(text)}")
            n.is_float = True
            n.float64 = f
            if f == int(f) if _finite(f) else False:
                as_int = int(f)
                if -(1 << 63) <= as_int < (1 << 63):
                    n.is_int = True
                    n.int64 = as_int
                if 0 <= as_int < (1 << 64):
                    n.is_uint = True
                    n.uint64 = as_int
    if not (n.is_int or n.is_uint or n.is_float):
        raise ValueError(f"illegal number syntax: {go_quote(text)}")
    return n


def _finite(f: float) -> bool:
    return f == f and f not in (float("inf"), float("-inf"))


def _simplify_complex(n: NumberNode) -> None:
    n.is_float = n.complex128.imag == 0
    if n.is_float:
        f = n.complex128.real
        n.float64 = f
        if _finite(f) and f == int(f):
            as_int = int(f)
            n.is_int = -(1 << 63) <= as_int < (1 << 63)
            if n.is_int:
                n.int64 = as_int
            n.is_uint = 0 <= as_int < (1 << 64)
            if n.is_uint:
                n.uint64 = as_int


def parse_trees(
    name: str,
    text: str,
    has_function: Callable[[str], bool] | Container[str],
    left: str = "{{",
    right: str = "}}",
) -> dict[str, Tree]:
    """Parse `text` as the template `name`; return every tree it defines by name.

    `has_function` tells whether an identifier names a function (Go checks at parse time).
    Raises :class:`ParseError` with Go's message.
    """
    check: Callable[[str], bool]
    check = has_function if callable(has_function) else has_function.__contains__
    items = lex(text, left, right, break_ok=not check("break"), continue_ok=not check("continue"))
    tree_set: dict[str, Tree] = {}
    top = Tree(name, name, text)
    parser = _Parser(top, items, check, tree_set)
    parser.parse()
    parser.add()
    return tree_set
