"""The output of a ``KeysAndValues`` template read as ESO reads it (templates spec §1.5):
``yaml.Unmarshal`` of sigs.k8s.io/yaml into ``map[string]string``.

That is go-yaml v2 (YAML 1.1 scalars), then a conversion to JSON that turns scalars into strings
because the target holds strings: integers in decimal (``0777`` -> ``511``, ``0x1F`` -> ``31``),
booleans as ``true``/``false`` (also ``yes``/``on``...), floats in float32's shortest form
(``1e3`` -> ``1000``), null as the empty string; timestamps stay as written. A document that is
not a mapping, or a value that is a mapping or a list, is an error with Go's text.
"""

from __future__ import annotations

import base64
from typing import Any

import yaml

from extsecrets.templates.goyaml import (
    MERGE,
    PLAIN,
    TS,
    float_key,
    resolve_plain,
    shortest32,
)
from extsecrets.yaml_limits import YamlLimitError, go_first_document

__all__ = ["KeysAndValuesError", "parse_keys_and_values"]

_TAG = "tag:yaml.org,2002:"
_JSON_KIND = {str: "string", bool: "bool", int: "number", float: "number"}


class KeysAndValuesError(ValueError):
    """The output is not a YAML mapping of strings; the message is Go's text."""


def _scalar(node: yaml.ScalarNode) -> Any:
    """go-yaml v2's value of a scalar (``None`` for null)."""
    if node.tag == PLAIN:
        kind, value = resolve_plain(node.value)
        return node.value if kind in (TS, MERGE) else value
    tag = node.tag.removeprefix(_TAG)
    if tag == "binary":
        try:
            return base64.b64decode(node.value).decode("utf-8", "replace")
        except ValueError as exc:
            raise KeysAndValuesError(f"error converting YAML to JSON: yaml: {exc}") from None
    if tag in ("int", "float", "bool", "null"):
        kind, value = resolve_plain(node.value)
        if tag == "float" and kind == "int":
            return float(value)
        if kind != tag:
            raise KeysAndValuesError(
                f"error converting YAML to JSON: yaml: cannot decode !!{kind} "
                f"`{node.value}` as a !!{tag}"
            )
        return value
    return node.value


def _text(value: Any) -> str:
    """A scalar as sigs.k8s.io/yaml writes it into a string target."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return shortest32(value)
    return str(value)


def _key(node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise KeysAndValuesError("error converting YAML to JSON: yaml: invalid map key")
    value = _scalar(node)
    if value is None:
        raise KeysAndValuesError(
            "error converting YAML to JSON: unsupported map key of type: <nil>, key: <nil>"
        )
    if isinstance(value, float):
        return float_key(value)
    return _text(value)


def _unmarshal_error(kind: str, into: str) -> KeysAndValuesError:
    return KeysAndValuesError(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
        f"{kind} into Go value of type {into}"
    )


def _pairs(node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    """The mapping's pairs with YAML merge keys (``<<``) expanded, as go-yaml v2 does."""
    out: list[tuple[yaml.Node, yaml.Node]] = []
    for knode, vnode in node.value:
        if isinstance(knode, yaml.ScalarNode) and knode.tag == PLAIN and knode.value == "<<":
            sources = [vnode] if isinstance(vnode, yaml.MappingNode) else []
            if isinstance(vnode, yaml.SequenceNode):
                sources = [n for n in reversed(vnode.value) if isinstance(n, yaml.MappingNode)]
            for source in sources:
                out.extend(_pairs(source))
            continue
        out.append((knode, vnode))
    return out


def parse_keys_and_values(output: bytes) -> dict[str, str]:
    """The key/value pairs a KeysAndValues template rendered; raises
    :class:`KeysAndValuesError` with Go's text (never quoting a value)."""
    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError:
        raise KeysAndValuesError(
            "error converting YAML to JSON: yaml: invalid leading UTF-8 octet"
        ) from None
    node = _first_node(text)
    if node is None:
        return {}
    if isinstance(node, yaml.ScalarNode):
        value = _scalar(node)
        if value is None:
            return {}
        raise _unmarshal_error(_JSON_KIND.get(type(value), "string"), "map[string]string")
    if isinstance(node, yaml.SequenceNode):
        raise _unmarshal_error("array", "map[string]string")
    assert isinstance(node, yaml.MappingNode)
    out: dict[str, str] = {}
    for knode, vnode in _pairs(node):
        key = _key(knode)
        if isinstance(vnode, yaml.MappingNode):
            raise _unmarshal_error("object", "string")
        if not isinstance(vnode, yaml.ScalarNode):
            raise _unmarshal_error("array", "string")
        out[key] = _text(_scalar(vnode))
    return out


def _first_node(text: str) -> yaml.Node | None:
    """go-yaml v2 reads the first document only (a stream may hold more)."""
    try:
        return go_first_document(text)
    except YamlLimitError as exc:
        raise KeysAndValuesError(f"error converting YAML to JSON: yaml: {exc.problem}") from None
    except yaml.reader.ReaderError:
        raise KeysAndValuesError(
            "error converting YAML to JSON: yaml: control characters are not allowed"
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc) from None


def _yaml_error(exc: yaml.MarkedYAMLError) -> KeysAndValuesError:
    line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 0
    return KeysAndValuesError(f"error converting YAML to JSON: yaml: line {line}: {exc.problem}")
