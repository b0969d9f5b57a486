"""ESO's ``toYaml``/``fromYaml`` (runtime/template/v2/yaml.go) over sigs.k8s.io/yaml, which goes
through JSON and go-yaml v2 (YAML 1.1 resolution, sorted keys, no line wrapping).

Scalars are resolved with go-yaml v2's rules (``yes``/``on`` are booleans, ``0777`` is 511,
``1_000`` is 1000, timestamps stay strings, no base-60 numbers); the text is emitted by PyYAML's
emitter, a sibling of the libyaml emitter go-yaml ports, with go-yaml's quoting choices.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml

from extsecrets.templates.goyaml import (
    FLOAT,
    INT,
    MERGE,
    PLAIN,
    STR,
    TS,
    float_key,
    resolve_plain,
)
from extsecrets.templates.values import format_float
from extsecrets.yaml_limits import YamlLimitError, go_first_document

from ._gojson import JSONError, marshal, unmarshal
from ._model import NilSlice
from ._unicode import is_digit, is_letter
from .objects import GoObject
from .signature import ANY, MAP, go

__all__ = ["FUNCS"]

_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")


# -- toYaml ---------------------------------------------------------------------------------------

_STR_TAG = "tag:yaml.org,2002:str"


class _Resolver(yaml.resolver.BaseResolver):
    """Resolves nothing: the nodes carry their style, so no tag is ever written."""


class _Dumper(
    yaml.emitter.Emitter, yaml.serializer.Serializer, yaml.representer.BaseRepresenter, _Resolver
):
    def __init__(self, stream: Any, **kw: Any) -> None:
        yaml.emitter.Emitter.__init__(
            self,
            stream,
            canonical=False,
            indent=2,
            width=2**31 - 1,
            allow_unicode=True,
            line_break="\n",
        )
        yaml.serializer.Serializer.__init__(self, explicit_start=False, explicit_end=False)
        yaml.representer.BaseRepresenter.__init__(self, default_flow_style=False)
        _Resolver.__init__(self)


def _key_less(a: str, b: str) -> bool:
    """go-yaml v2's keyList.Less for string keys (digit runs compare as numbers)."""
    ar, br = list(a), list(b)
    for i in range(min(len(ar), len(br))):
        if ar[i] == br[i]:
            continue
        al, bl = is_letter(ar[i]), is_letter(br[i])
        if al and bl:
            return ar[i] < br[i]
        if al or bl:
            return bl
        an = bn = 0
        if ar[i] == "0" or br[i] == "0":
            j = i - 1
            while j >= 0 and is_digit(ar[j]):
                if ar[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(ar) and is_digit(ar[ai]):
            an = an * 10 + (ord(ar[ai]) - 48 if "0" <= ar[ai] <= "9" else 0)
            ai += 1
        bi = i
        while bi < len(br) and is_digit(br[bi]):
            bn = bn * 10 + (ord(br[bi]) - 48 if "0" <= br[bi] <= "9" else 0)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ar[i] < br[i]
    return len(ar) < len(br)


def _key_cmp(a: str, b: str) -> int:
    return -1 if _key_less(a, b) else (1 if _key_less(b, a) else 0)


def _sorted_keys(keys: list[str]) -> list[str]:
    return sorted(keys, key=functools.cmp_to_key(_key_cmp))


def _scalar(text: str, style: str | None) -> yaml.ScalarNode:
    return yaml.ScalarNode(_STR_TAG, text, style=style)


def _string_node(s: str) -> yaml.ScalarNode:
    kind, _ = resolve_plain(s)
    plain_ok = kind == STR and not (_BASE60.fullmatch(s) and s[:1] in "+-0123456789")
    if "\n" in s:
        return _scalar(s, "|")
    return _scalar(s, None if plain_ok else '"')


def _number_node(json_text: str) -> yaml.ScalarNode:
    # the number goes through Go's JSON text and back through go-yaml's resolver
    kind, value = resolve_plain(json_text)
    if kind == INT:
        return _scalar(str(value), None)
    f = float(value) if kind == FLOAT else float(json_text)
    s = format_float(f, "g", -1)
    return _scalar({"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(s, s), None)


def _node(v: Any) -> yaml.Node:
    """The YAML node go-yaml emits for a value after its JSON round trip."""
    if isinstance(v, GoObject):
        custom = getattr(v, "go_json", None)
        v = custom() if custom is not None else {f: v.go_field(f) for f in v.go_fields}
    if v is None or isinstance(v, NilSlice):
        return _scalar("null", None)
    if isinstance(v, bool):
        return _scalar("true" if v else "false", None)
    if isinstance(v, int | float):
        return _number_node(marshal(v))
    if isinstance(v, bytes | bytearray):
        return _string_node(unmarshal(marshal(v))[0])
    if isinstance(v, str):
        # JSON replaces invalid UTF-8 with U+FFFD
        return _string_node("".join("\ufffd" if "\udc80" <= c <= "\udcff" else c for c in v))
    if isinstance(v, list | tuple):
        return yaml.SequenceNode("tag:yaml.org,2002:seq", [_node(x) for x in v], flow_style=False)
    if isinstance(v, dict):
        keys = _sorted_keys([unmarshal(marshal(k))[0] for k in v])
        by_key = {unmarshal(marshal(k))[0]: x for k, x in v.items()}
        pairs = [(_string_node(k), _node(by_key[k])) for k in keys]
        return yaml.MappingNode("tag:yaml.org,2002:map", pairs, flow_style=False)
    raise JSONError(f"json: unsupported type: {type(v).__name__}")


@go(ANY)
def toYaml(v: Any) -> str:
    try:
        marshal(v)  # the JSON step's errors (NaN, +Inf) make the output empty
        node = _node(v)
        text = yaml.serialize(node, Dumper=_Dumper)
    except (JSONError, yaml.YAMLError, RecursionError):
        return ""
    if text.endswith("\n...\n"):
        # PyYAML marks the end of a root plain scalar; go-yaml does not
        text = text[: -len("...\n")]
    return text[:-1] if text.endswith("\n") else text


# -- fromYaml -------------------------------------------------------------------------------------


class _YamlError(ValueError):
    pass


# PyYAML's wording -> libyaml's (go-yaml's) for the common syntax errors
_PROBLEMS = [
    ("mapping values are not allowed here", "mapping values are not allowed in this context"),
    ("expected ',' or ']'", "did not find expected ',' or ']'"),
    ("expected ',' or '}'", "did not find expected ',' or '}'"),
    ("found character", "found character that cannot start any token"),
    ("found unexpected end of stream", "found unexpected end of stream"),
    ("could not find expected ':'", "could not find expected ':'"),
    ("found unknown escape character", "found unknown escape character"),
]


def _go_yaml_problem(e: yaml.MarkedYAMLError, text: str) -> str:
    """go-yaml's ``[line N: ]problem`` for a PyYAML syntax error (go-yaml prints the 0-based
    line of a parser error, the 1-based line of a scanner error, and no line on the first)."""
    problem = e.problem or "unknown problem parsing YAML content"
    context = e.context or ""
    for py, go_text in _PROBLEMS:
        if problem.startswith(py):
            problem = go_text
            break
    else:
        if problem.startswith("expected <block end>"):
            problem = (
                "did not find expected key"
                if "mapping" in context
                else "did not find expected '-' indicator"
            )
        elif problem.startswith("found undefined alias"):
            # go-yaml's decoder finds this one, and names no line
            return f"unknown anchor {problem.split(' ', 3)[-1]} referenced"
    line = 0
    mark = e.problem_mark
    scanner = isinstance(e, yaml.scanner.ScannerError)
    # the parser sees libyaml's end of a stream without a final newline on the next line
    at_end = mark is not None and mark.index >= len(text) and mark.column != 0 and not scanner
    mark_line = 0 if mark is None else mark.line + at_end
    if mark_line != 0:
        line = mark_line + (1 if scanner else 0)
    elif e.context_mark is not None and e.context_mark.line != 0:
        line = e.context_mark.line
    return (f"line {line}: " if line else "") + problem


def _go_v(v: Any) -> str:
    """fmt's %+#v of a decoded YAML scalar (for sigs.k8s.io/yaml's key error)."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        from ._go import go_quote

        return go_quote(v)
    if isinstance(v, float):
        return format_float(v, "g", -1)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[]interface {}{" + ", ".join(_go_v(x) for x in v) + "}"
    return "map[interface {}]interface {}{...}"


def _key_string(k: Any) -> str:
    """sigs.k8s.io/yaml's conversion of a YAML map key to a JSON object key."""
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, str):
        return k
    if isinstance(k, int):
        if k >= 1 << 63:
            raise _YamlError(f"unsupported map key of type: uint64, key: {k:#x}")
        return str(k)
    if k is None:
        raise _YamlError("unsupported map key of type: %!s(<nil>), key: <nil>")
    if isinstance(k, float):
        return float_key(k)
    raise _YamlError(f"unsupported map key of type: {type(k).__name__}")


class _Pairs(list[tuple[Any, Any]]):
    """A YAML mapping before its keys become strings (keys of any type, in document order)."""


def _scalar_value(node: yaml.ScalarNode) -> Any:
    if node.tag == PLAIN:
        kind, value = resolve_plain(node.value)
        return node.value if kind in (TS, MERGE) else value
    short = node.tag.replace("tag:yaml.org,2002:", "!!")
    if short == "!!binary":
        import base64

        from ._go import S

        return S(base64.b64decode(node.value))
    if short in ("!!int", "!!float", "!!bool", "!!null"):
        kind, value = resolve_plain(node.value)
        want = short[2:]
        if want == "float" and kind == INT:
            return float(value)
        if kind != want:
            raise _YamlError(f"yaml: cannot decode !!{kind} `{node.value}` as a {short}")
        return value
    return node.value


def _construct(node: yaml.Node, seen: dict[int, Any]) -> Any:
    """go-yaml v2's decoding into interface{} (maps as pairs until their keys are converted)."""
    if isinstance(node, yaml.ScalarNode):
        return _scalar_value(node)
    if id(node) in seen:
        return seen[id(node)]
    if isinstance(node, yaml.SequenceNode):
        out: list[Any] = []
        seen[id(node)] = out
        out.extend(_construct(n, seen) for n in node.value)
        return out
    if isinstance(node, yaml.MappingNode):
        pairs = _Pairs()
        seen[id(node)] = pairs
        for knode, vnode in node.value:
            if isinstance(knode, yaml.ScalarNode) and knode.tag == PLAIN and knode.value == "<<":
                # go-yaml v2 decodes the merged maps into this one where "<<" stands (a list of
                # maps from its last element to its first), so they overwrite earlier keys
                merged = _construct(vnode, seen)
                sources = [merged] if isinstance(merged, _Pairs) else merged
                for m in (
                    reversed(sources)
                    if isinstance(merged, list) and not isinstance(merged, _Pairs)
                    else sources
                ):
                    if isinstance(m, _Pairs):
                        pairs.extend(m)
                continue
            key = _construct(knode, seen)
            if isinstance(key, list | _Pairs):
                raise _YamlError(f"yaml: invalid map key: {_go_v(key)}")
            pairs.append((key, _construct(vnode, seen)))
        return pairs
    return None


def _jsonable(v: Any) -> Any:
    if isinstance(v, _Pairs):
        out: dict[str, Any] = {}
        for k, x in v:
            try:
                key = _key_string(k)
            except _YamlError as e:
                raise _YamlError(f"{e}, value: {_go_v(x)}") from None
            out[key] = _jsonable(x)
        return out
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v


@go("string", returns=MAP)
def fromYaml(text: str) -> dict[str, Any]:
    m: dict[str, Any] = {}
    try:
        node = go_first_document(text)
        obj = _jsonable(_construct(node, {})) if node is not None else None
    except YamlLimitError as e:  # go-yaml: "yaml: document contains excessive aliasing"
        m["Error"] = f"error converting YAML to JSON: yaml: {e.problem}"
        return m
    except yaml.MarkedYAMLError as e:
        m["Error"] = f"error converting YAML to JSON: yaml: {_go_yaml_problem(e, text)}"
        return m
    except (yaml.YAMLError, _YamlError, ValueError) as e:
        m["Error"] = f"error converting YAML to JSON: {e}"
        return m
    try:
        text_json = marshal(obj)
    except JSONError as e:
        m["Error"] = f"error converting YAML to JSON: {e}"
        return m
    value, _ = unmarshal(text_json)
    if value is None:
        return m
    if not isinstance(value, dict):
        kind = {list: "array", str: "string", float: "number", bool: "bool"}[type(value)]
        m["Error"] = (
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
            f"{kind} into Go value of type map[string]interface {{}}"
        )
        return m
    return value


FUNCS = {"toYaml": toYaml, "fromYaml": fromYaml}
