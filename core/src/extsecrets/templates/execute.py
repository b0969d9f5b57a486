"""The executor: Go's ``text/template/exec.go`` (Go 1.26 semantics) over the value model.

It mirrors Go's walk closely, including where Go marks the node it reports in an error
(``s.at(node)``), so that error texts match Go's. Values are model values; ``None`` stands for
Go's invalid ``reflect.Value`` and :class:`~.builtins.Iface` for a value of interface kind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from .builtins import BUILTINS, Iface, indirect_interface, static_type, truth
from .errors import ExecError, FuncError, LimitError, TemplateError
from .gofmt import go_quote, sprint
from .limits import Budget
from .nodes import (
    ActionNode,
    BoolNode,
    BreakNode,
    ChainNode,
    CommandNode,
    CommentNode,
    ContinueNode,
    DotNode,
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
from .parse import Tree
from .values import (
    NAMED_KINDS,
    GoInt,
    GoMap,
    GoSlice,
    Uint8,
    go_type_name,
    is_int,
    signature_of,
    to_go_bytes,
)

__all__ = ["MISSINGKEY_OPTIONS", "execute_tree"]

MISSINGKEY_OPTIONS = ("default", "invalid", "zero", "error")


class _Missing:
    """Go's missingVal: no value from an earlier pipeline stage."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


_RV = "reflect.Value"
_ANY = "interface {}"
_INT_TYPES = ("int", "int8", "int16", "int32", "int64")
_UINT_TYPES = ("uint", "uint8", "uint16", "uint32", "uint64", "uintptr")


class _State:
    def __init__(
        self,
        trees: Mapping[str, Tree],
        tree: Tree,
        funcs: Mapping[str, Callable[..., Any]],
        missingkey: str,
        budget: Budget,
    ) -> None:
        self.trees = trees
        self.tree = tree
        self.funcs = funcs
        self.missingkey = missingkey
        self.budget = budget
        self.node: Node | None = None
        self.vars: list[list[Any]] = []
        self.depth = 0
        self.out: list[str] = []
        self.size = 0
        self.deadline = budget.deadline
        self.max_output = budget.limits.max_output

    # -- errors
    def at(self, node: Node) -> None:
        self.node = node

    def location(self, node: Node) -> str:
        text = self.tree.text
        pos = node.pos
        before = text[:pos]
        nl = before.rfind("\n")
        col = len(to_go_bytes(before[nl + 1 :])) if nl >= 0 else len(to_go_bytes(before))
        line = 1 + before.count("\n")
        return f"{self.tree.parse_name}:{line}:{col}"

    def errorf(self, message: str, cls: type[ExecError] = ExecError) -> NoReturn:
        raise self.error(message, cls)

    def error(self, message: str, cls: type[ExecError] = ExecError) -> ExecError:
        """Go's state.errorf: the error at the current node (returned, for `raise`)."""
        name = self.tree.name
        if self.node is None:
            return cls(f"template: {name}: {message}", location=f"template: {name}", detail=message)
        location = (
            f"template: {self.location(self.node)}: executing {go_quote(name)} at <{self.node}>"
        )
        raise cls(f"{location}: {message}", location=location, detail=message)

    def check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            self.errorf(
                f"template rendering exceeded the time limit of {self.budget.limits.timeout}s",
                LimitError,
            )

    def write(self, s: str) -> None:
        n = len(s) if s.isascii() else len(to_go_bytes(s))
        self.size += n
        if self.size > self.max_output:
            self.errorf(
                f"template output exceeds the size limit of {self.max_output} bytes", LimitError
            )
        self.out.append(s)

    # -- variables
    def push(self, name: str, value: Any) -> None:
        self.vars.append([name, value])

    def mark(self) -> int:
        return len(self.vars)

    def pop(self, mark: int) -> None:
        del self.vars[mark:]

    def set_var(self, name: str, value: Any) -> None:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i][1] = value
                return
        self.errorf(f"undefined variable: {name}")

    def set_top_var(self, n: int, value: Any) -> None:
        self.vars[len(self.vars) - n][1] = value

    def var_value(self, name: str) -> Any:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                return self.vars[i][1]
        raise self.error(f"undefined variable: {name}")

    # -- walk
    def walk(self, dot: Any, node: Node) -> None:
        self.at(node)
        if time.monotonic() > self.deadline:
            self.check_deadline()
        if isinstance(node, ActionNode):
            assert node.pipe is not None
            val = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.print_value(node, val)
        elif isinstance(node, TextNode):
            self.write(node.text)
        elif isinstance(node, ListNode):
            for n in node.nodes:
                self.walk(dot, n)
        elif isinstance(node, IfNode | WithNode):
            self.walk_if_or_with(isinstance(node, WithNode), dot, node)
        elif isinstance(node, RangeNode):
            self.walk_range(dot, node)
        elif isinstance(node, TemplateNode):
            self.walk_template(dot, node)
        elif isinstance(node, BreakNode):
            raise _Break
        elif isinstance(node, ContinueNode):
            raise _Continue
        elif isinstance(node, CommentNode):
            pass
        else:  # pragma: no cover
            self.errorf(f"unknown node: {node}")

    def walk_if_or_with(self, is_with: bool, dot: Any, node: IfNode | WithNode) -> None:
        mark = self.mark()
        try:
            assert node.pipe is not None
            assert node.list is not None
            val = self.eval_pipeline(dot, node.pipe)
            if truth(val):
                self.walk(val if is_with else dot, node.list)
            elif node.else_list is not None:
                self.walk(dot, node.else_list)
        finally:
            self.pop(mark)

    def walk_range(self, dot: Any, r: RangeNode) -> None:
        self.at(r)
        outer = self.mark()
        try:
            assert r.pipe is not None
            assert r.list is not None
            val = indirect_interface(self.eval_pipeline(dot, r.pipe))
            mark = self.mark()
            decl = r.pipe.decl

            def one(index: Any, elem: Any) -> None:
                if time.monotonic() > self.deadline:
                    self.check_deadline()
                if decl:
                    if r.pipe is not None and r.pipe.is_assign:
                        if len(decl) > 1:
                            self.set_var(decl[0].ident[0], index)
                        else:
                            self.set_var(decl[0].ident[0], elem)
                    else:
                        self.set_top_var(1, elem)
                if len(decl) > 1:
                    if r.pipe is not None and r.pipe.is_assign:
                        self.set_var(decl[1].ident[0], elem)
                    else:
                        self.set_top_var(2, index)
                try:
                    assert r.list is not None
                    self.walk(elem, r.list)
                except _Continue:
                    pass
                finally:
                    self.pop(mark)

            ran = False
            try:
                if is_int(val):
                    if len(decl) > 1:
                        self.errorf(
                            f"can't use {sprint(val)} to iterate over more than one variable"
                        )
                    cls = type(val) if isinstance(val, GoInt) else int
                    for i in range(int(val)):
                        ran = True
                        one(None, cls(i))
                elif isinstance(val, list | tuple | bytes | bytearray):
                    elem_iface = not isinstance(val, GoSlice | bytes | bytearray) or (
                        isinstance(val, GoSlice) and val.elem == _ANY
                    )
                    for i, item in enumerate(val):
                        ran = True
                        if isinstance(val, bytes | bytearray):
                            item = Uint8(item)
                        one(i, Iface(item) if elem_iface else item)
                elif isinstance(val, dict):
                    elem_iface = not isinstance(val, GoMap) or val.elem == _ANY
                    for key in sorted(val, key=_key_order):
                        ran = True
                        item = val[key]
                        one(key, Iface(item) if elem_iface else item)
                elif val is None:
                    pass
                else:
                    self.errorf(f"range can't iterate over {sprint(val)}")
            except _Break:
                return
            if not ran and r.else_list is not None:
                self.walk(dot, r.else_list)
        finally:
            self.pop(outer)

    def walk_template(self, dot: Any, t: TemplateNode) -> None:
        self.at(t)
        tree = self.trees.get(t.name)
        if tree is None or tree.root is None:
            self.errorf(f"template {go_quote(t.name)} not defined")
        if self.depth >= self.budget.limits.max_depth:
            self.errorf(
                f"exceeded maximum template depth ({self.budget.limits.max_depth})", LimitError
            )
        dot = self.eval_pipeline(dot, t.pipe)
        saved = (self.tree, self.vars, self.depth)
        self.tree = tree
        self.vars = [["$", dot]]
        self.depth += 1
        try:
            self.walk(dot, tree.root)
        finally:
            self.tree, self.vars, self.depth = saved

    # -- evaluation
    def eval_pipeline(self, dot: Any, pipe: PipeNode | None) -> Any:
        if pipe is None:
            return None
        self.at(pipe)
        value: Any = MISSING
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
            if isinstance(value, Iface):
                value = value.value
        for v in pipe.decl:
            if pipe.is_assign:
                self.set_var(v.ident[0], value)
            else:
                self.push(v.ident[0], value)
        return value

    def not_a_function(self, args: list[Node], final: Any) -> None:
        if len(args) > 1 or final is not MISSING:
            self.errorf(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, cmd: CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, FieldNode):
            return self.eval_field_node(dot, first, cmd.args, final)
        if isinstance(first, ChainNode):
            return self.eval_chain_node(dot, first, cmd.args, final)
        if isinstance(first, IdentifierNode):
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if isinstance(first, PipeNode):
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first)
        if isinstance(first, VariableNode):
            return self.eval_variable_node(dot, first, cmd.args, final)
        self.at(first)
        self.not_a_function(cmd.args, final)
        if isinstance(first, BoolNode):
            return first.true
        if isinstance(first, DotNode):
            return dot
        if isinstance(first, NilNode):
            self.errorf("nil is not a command")
        if isinstance(first, NumberNode):
            return self.ideal_constant(first)
        if isinstance(first, StringNode):
            return first.text
        raise self.error(f"can't evaluate command {go_quote(str(first))}")

    def ideal_constant(self, c: NumberNode) -> Any:
        self.at(c)
        if c.is_complex:
            return c.complex128
        text = c.text
        is_hex_int = (
            len(text) > 2
            and text[0] == "0"
            and text[1] in "xX"
            and not any(ch in text for ch in "pP")
        )
        if (
            c.is_float
            and not is_hex_int
            and not text.startswith("'")
            and any(ch in text for ch in ".eEpP")
        ):
            return c.float64
        if c.is_int:
            return c.int64
        if c.is_uint:
            self.errorf(f"{text} overflows int")
        return None

    def eval_field_node(self, dot: Any, field: FieldNode, args: list[Node], final: Any) -> Any:
        self.at(field)
        return self.eval_field_chain(dot, dot, field, field.ident, args, final)

    def eval_chain_node(self, dot: Any, chain: ChainNode, args: list[Node], final: Any) -> Any:
        self.at(chain)
        if not chain.field:
            self.errorf("internal error: no fields in evalChainNode")
        if isinstance(chain.node, NilNode):
            self.errorf(f"indirection through explicit nil in {chain}")
        assert chain.node is not None
        pipe = self.eval_arg(dot, None, chain.node)
        return self.eval_field_chain(dot, pipe, chain, chain.field, args, final)

    def eval_variable_node(
        self, dot: Any, variable: VariableNode, args: list[Node], final: Any
    ) -> Any:
        self.at(variable)
        value = self.var_value(variable.ident[0])
        if len(variable.ident) == 1:
            self.not_a_function(args, final)
            return value
        return self.eval_field_chain(dot, value, variable, variable.ident[1:], args, final)

    def eval_field_chain(
        self,
        dot: Any,
        receiver: Any,
        node: Node,
        ident: list[str],
        args: list[Node] | None,
        final: Any,
    ) -> Any:
        n = len(ident)
        for i in range(n - 1):
            receiver = self.eval_field(dot, ident[i], node, None, MISSING, receiver)
        return self.eval_field(dot, ident[n - 1], node, args, final, receiver)

    def eval_function(
        self,
        dot: Any,
        node: IdentifierNode,
        cmd: Node,
        args: list[Node] | None,
        final: Any,
    ) -> Any:
        self.at(node)
        name = node.ident
        fn = self.funcs.get(name)
        builtin = False
        if fn is None:
            fn = BUILTINS.get(name)
            builtin = fn is not None
        if fn is None:
            self.errorf(f"{go_quote(name)} is not a defined function")
        return self.eval_call(dot, fn, builtin, cmd, name, args, final)

    def eval_field(
        self,
        dot: Any,
        name: str,
        node: Node,
        args: list[Node] | None,
        final: Any,
        receiver: Any,
    ) -> Any:
        if receiver is None:
            if self.missingkey == "error":
                self.errorf(f"nil data; no entry for key {go_quote(name)}")
            return None
        typ = static_type(receiver)
        if isinstance(receiver, Iface):
            if receiver.value is None:
                self.errorf(f"nil pointer evaluating {typ}.{name}")
            receiver = receiver.value
        method = getattr(receiver, "go_method", None)
        if callable(method):
            bound = method(name)
            if bound is not None:
                return self.eval_call(dot, bound, False, node, name, args, final)
        has_args = (args is not None and len(args) > 1) or final is not MISSING
        if isinstance(receiver, dict):
            if has_args:
                self.errorf(f"{name} is not a method but has arguments")
            if name in receiver:
                value = receiver[name]
                elem_iface = not isinstance(receiver, GoMap) or receiver.elem == _ANY
                return Iface(value) if elem_iface else value
            if self.missingkey == "error":
                self.errorf(f"map has no entry for key {go_quote(name)}")
            if self.missingkey == "zero":
                from .builtins import zero_of

                elem = receiver.elem if isinstance(receiver, GoMap) else _ANY
                return Iface(None) if elem == _ANY else zero_of(elem)
            return None
        field = getattr(receiver, "go_field", None)
        if callable(field):
            try:
                value = field(name)
            except KeyError:
                pass
            else:
                if has_args:
                    self.errorf(f"{name} has arguments but cannot be invoked as function")
                return value
        raise self.error(f"can't evaluate field {name} in type {typ}")

    # -- calls
    def eval_call(
        self,
        dot: Any,
        fn: Callable[..., Any],
        builtin: bool,
        node: Node,
        name: str,
        args: list[Node] | None,
        final: Any,
    ) -> Any:
        arg_nodes = args[1:] if args is not None else []
        sig = signature_of(fn)
        params: tuple[str, ...] = tuple(sig.params) if sig is not None else ()
        variadic: str | None = sig.variadic if sig is not None else _ANY
        num_in = len(arg_nodes) + (0 if final is MISSING else 1)
        num_fixed = len(arg_nodes)
        if variadic is not None:
            num_fixed = len(params)
            if num_in < num_fixed:
                self.errorf(
                    f"wrong number of args for {name}: want at least {num_fixed} "
                    f"got {len(arg_nodes)}"
                )
        elif num_in != len(params):
            self.errorf(f"wrong number of args for {name}: want {len(params)} got {num_in}")
        results = getattr(sig, "results", None)
        if results is not None and not _good_results(tuple(results)):
            self.errorf(f"can't call method/function {go_quote(name)} with {len(results)} results")

        if builtin and name in ("and", "or"):
            v: Any = None
            for a in arg_nodes:
                v = self.eval_arg(dot, _RV, a)
                if truth(v) == (name == "or"):
                    return v
            if final is not MISSING:
                v = self.validate_type(final, _RV)
            return v

        argv: list[Any] = []
        i = 0
        while i < num_fixed and i < len(arg_nodes):
            argv.append(self.eval_arg(dot, params[i], arg_nodes[i]))
            i += 1
        if variadic is not None:
            while i < len(arg_nodes):
                argv.append(self.eval_arg(dot, variadic, arg_nodes[i]))
                i += 1
        if final is not MISSING:
            if variadic is not None and num_in - 1 >= num_fixed:
                t = variadic
            else:
                t = params[num_in - 1] if variadic is not None else params[-1]
            argv.append(self.validate_type(final, t))

        if builtin and name == "call":
            callee = str(arg_nodes[0]) if arg_nodes else sprint(indirect_interface(final))
            return self._call(node, callee, argv)

        call_args = argv if builtin else [indirect_interface(a) for a in argv]
        return self._invoke(node, name, fn, call_args)

    def _invoke(self, node: Node, name: str, fn: Callable[..., Any], argv: list[Any]) -> Any:
        if time.monotonic() > self.deadline:
            self.check_deadline()
        try:
            return fn(*argv)
        except LimitError as exc:
            # a sandbox limit is the engine's verdict, not the function's error: no
            # "error calling"; a limit the engine itself raised already carries its location
            if exc.location:
                raise
            self.at(node)
            self.errorf(exc.detail, LimitError)
        except FuncError as exc:
            self.at(node)
            self.errorf(f"error calling {name}: {exc.message}")
        except TemplateError:
            raise
        except RecursionError:
            raise
        except Exception as exc:  # a bug in a function: Go would report a recovered panic
            self.at(node)
            self.errorf(f"error calling {name}: {exc}")

    def _call(self, node: Node, callee: str, argv: list[Any]) -> Any:
        fn = indirect_interface(argv[0]) if argv else None
        args = argv[1:]
        if fn is None:
            self.at(node)
            self.errorf("error calling call: call of nil")
        if not callable(fn):
            self.at(node)
            self.errorf(f"error calling call: non-function {callee} of type {go_type_name(fn)}")
        sig = signature_of(fn)
        if sig is not None:
            params = tuple(sig.params)
            if sig.variadic is not None:
                if len(args) < len(params):
                    self.at(node)
                    self.errorf(
                        f"error calling call: wrong number of args for {callee}: "
                        f"got {len(args)} want at least {len(params)}"
                    )
            elif len(args) != len(params):
                self.at(node)
                self.errorf(
                    f"error calling call: wrong number of args for {callee}: "
                    f"got {len(args)} want {len(params)}"
                )
            for j, a in enumerate(args):
                want = params[j] if j < len(params) else (sig.variadic or _ANY)
                a = indirect_interface(a)
                if want not in (_ANY, _RV) and (a is None or go_type_name(a) != want):
                    self.at(node)
                    got = (
                        f"value is nil; should be of type {want}"
                        if a is None
                        else f"value has type {go_type_name(a)}; should be {want}"
                    )
                    self.errorf(f"error calling call: arg {j}: {got}")
        return self._invoke(node, "call", fn, [indirect_interface(a) for a in args])

    def validate_type(self, value: Any, typ: str | None) -> Any:
        if value is None:
            if typ is None or typ in (_ANY, _RV) or _can_be_nil(typ):
                return None
            self.errorf(f"invalid value; expected {typ}")
        if typ is None or typ == _RV:
            return value
        if typ == _ANY:
            return indirect_interface(value)
        if isinstance(value, Iface):
            # Go looks inside a non-nil interface and names the dynamic type it found there
            if value.value is None:
                self.errorf(f"wrong type for value; expected {typ}; got interface {{}}")
            value = value.value
        if not _assignable(value, typ):
            self.errorf(f"wrong type for value; expected {typ}; got {go_type_name(value)}")
        return value

    def eval_arg(self, dot: Any, typ: str | None, n: Node) -> Any:
        self.at(n)
        if isinstance(n, DotNode):
            return self.validate_type(dot, typ)
        if isinstance(n, NilNode):
            if typ is None or typ in (_ANY, _RV) or _can_be_nil(typ):
                return None
            self.errorf(f"cannot assign nil to {typ}")
        if isinstance(n, FieldNode):
            return self.validate_type(self.eval_field_node(dot, n, [n], MISSING), typ)
        if isinstance(n, VariableNode):
            return self.validate_type(self.eval_variable_node(dot, n, [], MISSING), typ)
        if isinstance(n, PipeNode):
            return self.validate_type(self.eval_pipeline(dot, n), typ)
        if isinstance(n, IdentifierNode):
            return self.validate_type(self.eval_function(dot, n, n, None, MISSING), typ)
        if isinstance(n, ChainNode):
            return self.validate_type(self.eval_chain_node(dot, n, [], MISSING), typ)
        if typ is None or typ in (_ANY, _RV):
            return self.eval_empty_interface(dot, n)
        if typ == "bool":
            if isinstance(n, BoolNode):
                return n.true
            self.errorf(f"expected bool; found {n}")
        if typ in ("float64", "float32"):
            if isinstance(n, NumberNode) and n.is_float:
                return n.float64
            self.errorf(f"expected float; found {n}")
        if typ in _INT_TYPES:
            if isinstance(n, NumberNode) and n.is_int:
                return _typed_int(typ, n.int64)
            self.errorf(f"expected integer; found {n}")
        if typ in _UINT_TYPES:
            if isinstance(n, NumberNode) and n.is_uint:
                return _typed_int(typ, n.uint64)
            self.errorf(f"expected unsigned integer; found {n}")
        if typ == "string":
            if isinstance(n, StringNode):
                return n.text
            self.errorf(f"expected string; found {n}")
        if typ in NAMED_KINDS:  # a constant converts to a named type as to its kind
            return self.eval_arg(dot, NAMED_KINDS[typ], n)
        raise self.error(f"can't handle {n} for arg of type {typ}")

    def eval_empty_interface(self, dot: Any, n: Node) -> Any:
        self.at(n)
        if isinstance(n, BoolNode):
            return n.true
        if isinstance(n, NumberNode):
            return self.ideal_constant(n)
        if isinstance(n, StringNode):
            return n.text
        raise self.error(f"can't handle assignment of {n} to empty interface argument")

    # -- printing
    def print_value(self, node: Node, v: Any) -> None:
        self.at(node)
        if v is None:
            self.write("<no value>")
            return
        if callable(v) and not hasattr(v, "go_type"):
            self.errorf(f"can't print {node} of type {go_type_name(v)}")
        self.write(sprint(v))


def _key_order(key: Any) -> Any:
    return to_go_bytes(key) if isinstance(key, str) else key


def _good_results(results: tuple[str, ...]) -> bool:
    """Go's goodFunc: one result, or two where the second is an error."""
    return len(results) == 1 or (len(results) == 2 and results[1] == "error")


def _can_be_nil(typ: str) -> bool:
    return typ.startswith(("[]", "map[", "*", "func")) or typ in (_ANY, _RV)


def _assignable(value: Any, typ: str) -> bool:
    return go_type_name(value) == typ


def _typed_int(typ: str, value: int) -> int:
    if typ == "int":
        return value
    from . import values

    cls = getattr(values, typ.capitalize(), None)
    return cls(value) if cls is not None else value


def execute_tree(
    trees: Mapping[str, Tree],
    name: str,
    data: Any,
    funcs: Mapping[str, Callable[..., Any]],
    missingkey: str,
    budget: Budget,
) -> str:
    """Run the template `name` of `trees` on `data`; raise ExecError/LimitError on failure."""
    tree = trees[name]
    state = _State(trees, tree, funcs, missingkey, budget)
    state.vars = [["$", data]]
    if tree.root is None:
        state.errorf(f"{go_quote(name)} is an incomplete or empty template")
    try:
        state.walk(data, tree.root)
    except RecursionError:
        state.errorf("template nesting exceeds the engine's stack", LimitError)
    return "".join(state.out)
