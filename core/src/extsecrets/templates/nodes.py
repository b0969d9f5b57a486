"""Parse-tree nodes, with Go's ``String()`` forms (they appear in Go's error messages)."""

from __future__ import annotations

from typing import ClassVar

import attrs

__all__ = [
    "ActionNode",
    "BoolNode",
    "BranchNode",
    "BreakNode",
    "ChainNode",
    "CommandNode",
    "CommentNode",
    "ContinueNode",
    "DotNode",
    "ElseNode",
    "EndNode",
    "FieldNode",
    "IdentifierNode",
    "IfNode",
    "ListNode",
    "NilNode",
    "Node",
    "NumberNode",
    "PipeNode",
    "RangeNode",
    "StringNode",
    "TemplateNode",
    "TextNode",
    "VariableNode",
    "WithNode",
]


@attrs.define(eq=False)
class Node:
    pos: int

    def __str__(self) -> str:  # pragma: no cover - every node overrides
        raise NotImplementedError


@attrs.define(eq=False)
class ListNode(Node):
    nodes: list[Node] = attrs.field(factory=list)

    def __str__(self) -> str:
        return "".join(str(n) for n in self.nodes)


@attrs.define(eq=False)
class TextNode(Node):
    text: str = ""

    def __str__(self) -> str:
        return self.text


@attrs.define(eq=False)
class CommentNode(Node):
    text: str = ""

    def __str__(self) -> str:
        return "{{" + self.text + "}}"


@attrs.define(eq=False)
class IdentifierNode(Node):
    ident: str = ""

    def __str__(self) -> str:
        return self.ident


@attrs.define(eq=False)
class VariableNode(Node):
    ident: list[str] = attrs.field(factory=list)

    def __str__(self) -> str:
        return ".".join(self.ident)


@attrs.define(eq=False)
class DotNode(Node):
    def __str__(self) -> str:
        return "."


@attrs.define(eq=False)
class NilNode(Node):
    def __str__(self) -> str:
        return "nil"


@attrs.define(eq=False)
class FieldNode(Node):
    ident: list[str] = attrs.field(factory=list)

    def __str__(self) -> str:
        return "".join("." + i for i in self.ident)


@attrs.define(eq=False)
class BoolNode(Node):
    true: bool = False

    def __str__(self) -> str:
        return "true" if self.true else "false"


@attrs.define(eq=False)
class NumberNode(Node):
    text: str = ""
    is_int: bool = False
    is_uint: bool = False
    is_float: bool = False
    is_complex: bool = False
    int64: int = 0
    uint64: int = 0
    float64: float = 0.0
    complex128: complex = 0j

    def __str__(self) -> str:
        return self.text


@attrs.define(eq=False)
class StringNode(Node):
    quoted: str = ""
    text: str = ""

    def __str__(self) -> str:
        return self.quoted


@attrs.define(eq=False)
class CommandNode(Node):
    args: list[Node] = attrs.field(factory=list)

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, PipeNode) else str(a) for a in self.args)


@attrs.define(eq=False)
class PipeNode(Node):
    line: int = 0
    is_assign: bool = False
    decl: list[VariableNode] = attrs.field(factory=list)
    cmds: list[CommandNode] = attrs.field(factory=list)

    def __str__(self) -> str:
        head = ""
        if self.decl:
            head = ", ".join(str(v) for v in self.decl) + " := "
        return head + " | ".join(str(c) for c in self.cmds)


@attrs.define(eq=False)
class ChainNode(Node):
    node: Node | None = None
    field: list[str] = attrs.field(factory=list)

    def __str__(self) -> str:
        base = f"({self.node})" if isinstance(self.node, PipeNode) else str(self.node)
        return base + "".join("." + f for f in self.field)


@attrs.define(eq=False)
class ActionNode(Node):
    line: int = 0
    pipe: PipeNode | None = None

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@attrs.define(eq=False)
class BranchNode(Node):
    keyword: ClassVar[str] = ""
    line: int = 0
    pipe: PipeNode | None = None
    list: ListNode | None = None
    else_list: ListNode | None = None

    def __str__(self) -> str:
        out = "{{" + self.keyword + " " + str(self.pipe) + "}}" + str(self.list)
        if self.else_list is not None:
            out += "{{else}}" + str(self.else_list)
        return out + "{{end}}"


@attrs.define(eq=False)
class IfNode(BranchNode):
    keyword: ClassVar[str] = "if"


@attrs.define(eq=False)
class RangeNode(BranchNode):
    keyword: ClassVar[str] = "range"


@attrs.define(eq=False)
class WithNode(BranchNode):
    keyword: ClassVar[str] = "with"


@attrs.define(eq=False)
class BreakNode(Node):
    line: int = 0

    def __str__(self) -> str:
        return "{{break}}"


@attrs.define(eq=False)
class ContinueNode(Node):
    line: int = 0

    def __str__(self) -> str:
        return "{{continue}}"


@attrs.define(eq=False)
class TemplateNode(Node):
    line: int = 0
    name: str = ""
    pipe: PipeNode | None = None

    def __str__(self) -> str:
        from .gofmt import go_quote

        out = "{{template " + go_quote(self.name)
        if self.pipe is not None:
            out += " " + str(self.pipe)
        return out + "}}"


@attrs.define(eq=False)
class EndNode(Node):
    def __str__(self) -> str:
        return "{{end}}"


@attrs.define(eq=False)
class ElseNode(Node):
    line: int = 0

    def __str__(self) -> str:
        return "{{else}}"
