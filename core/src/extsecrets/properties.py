"""Reading parts of JSON secrets as ESO does (spec §3.2, §3.3), for every provider plugin.

``property_value`` evaluates ``remoteRef.property`` with GJSON semantics (the ``gjson``
package): a property naming a literal dotted key (``{"foobar.baz": ...}``) wins over the nested
path. Results render as Go's gjson renders them: strings unescaped, integers as written, other
numbers re-formatted (``1.50`` -> ``1.5``, ``1e3`` -> ``1000``), ``true``/``false``, ``null`` as
nothing, objects and arrays as their JSON text exactly as written in the secret.

``object_members`` splits a JSON object into its top-level members for ``dataFrom[].extract``:
strings decoded, everything else as its JSON text as written.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Callable, Mapping
from typing import Any

import gjson

from extsecrets.errors import ExtSecretsError, PermanentError
from extsecrets.types import ExtractRef, RemoteRef, SecretBytes, SecretMap

__all__ = [
    "go_json_object",
    "keyed_answer",
    "object_members",
    "property_value",
    "render_json_value",
]

_WHITESPACE = " \t\n\r"
_GO_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
_DECODER = json.JSONDecoder()


class _Raw:
    """Parses JSON keeping, for every object and array, the text it was read from."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: dict[int, str] = {}
        #: for every object, the text of each member's value as written
        self.members: dict[int, dict[str, str]] = {}

    def parse(self) -> Any:
        value, end = self._value(self._skip(0))
        if self._skip(end) != len(self.text):
            raise ValueError("invalid character after top-level value")
        return value

    def _skip(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in _WHITESPACE:
            i += 1
        return i

    def _value(self, i: int) -> tuple[Any, int]:
        if i >= len(self.text):
            raise ValueError("unexpected end of JSON input")
        char = self.text[i]
        if char == "{":
            return self._container(i, "}", self._members)
        if char == "[":
            return self._container(i, "]", self._items)
        return _DECODER.raw_decode(self.text, i)

    def _container(
        self, start: int, close: str, body: Callable[[int, Any], int]
    ) -> tuple[Any, int]:
        out: Any = {} if close == "}" else []
        i = self._skip(start + 1)
        end = i + 1 if i < len(self.text) and self.text[i] == close else body(i, out)
        self.spans[id(out)] = self.text[start:end]
        return out, end

    def _members(self, i: int, out: dict[str, Any]) -> int:
        while True:
            if i >= len(self.text) or self.text[i] != '"':
                raise ValueError("invalid character looking for beginning of object key string")
            key, i = _DECODER.raw_decode(self.text, i)
            i = self._skip(i)
            if i >= len(self.text) or self.text[i] != ":":
                raise ValueError("invalid character after object key")
            start = self._skip(i + 1)
            out[key], i = self._value(start)
            self.members.setdefault(id(out), {})[key] = self.text[start:i]
            i = self._skip(i)
            if i < len(self.text) and self.text[i] == ",":
                i = self._skip(i + 1)
                continue
            if i < len(self.text) and self.text[i] == "}":
                return i + 1
            raise ValueError("invalid character after object key:value pair")

    def _items(self, i: int, out: list[Any]) -> int:
        while True:
            item, i = self._value(i)
            out.append(item)
            i = self._skip(i)
            if i < len(self.text) and self.text[i] == ",":
                i = self._skip(i + 1)
                continue
            if i < len(self.text) and self.text[i] == "]":
                return i + 1
            raise ValueError("invalid character after array element")


def _go_float(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'f', -1, 64)``: shortest digits, never an exponent."""
    text = format(decimal.Decimal(repr(value)).normalize(), "f")
    return "0" if text in ("-0", "0") and value == 0 else text


def render_json_value(value: Any, spans: dict[int, str] | None = None) -> str:
    """One JSON value as gjson's ``String()`` gives it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if spans and id(value) in spans:
        return spans[id(value)]
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _parse(payload: bytes | str) -> tuple[Any, _Raw]:
    raw = _Raw(payload.decode("utf-8") if isinstance(payload, bytes) else payload)
    return raw.parse(), raw


def property_value(payload: bytes | str, prop: str, key: str) -> bytes:
    """``remoteRef.property`` of a JSON payload; ESO's error when it does not exist."""
    missing = PermanentError(f"key {prop} does not exist in secret {key}")
    try:
        data, raw = _parse(payload)
    except (ValueError, UnicodeDecodeError):
        raise missing from None
    queries = [prop.replace(".", "\\."), prop] if "." in prop else [prop]
    for query in queries:
        try:
            found = gjson.get(data, query)
        except gjson.GJSONError:
            continue
        return render_json_value(found, raw.spans).encode()
    raise missing


def _go_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    return "number"


def _json_problem(exc: ValueError) -> str:
    """Why a payload is not JSON, without its bytes or where they are (the texts of Python's
    decoders quote a byte, or give the offset of the fault, which says how long a value is)."""
    if isinstance(exc, UnicodeDecodeError):
        return "the value is not valid UTF-8"
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    return str(exc)  # _Raw's own texts, which quote nothing


def object_members(payload: bytes | str, key: str) -> dict[str, bytes]:
    """The top-level members of a JSON object (``extract``): strings decoded, ``null`` empty,
    anything else as its JSON text as written."""
    try:
        data, raw = _parse(payload)
    except ValueError as exc:  # UnicodeDecodeError included
        raise PermanentError(f"unable to unmarshal secret {key}: {_json_problem(exc)}") from None
    if not isinstance(data, dict):
        raise PermanentError(
            f"unable to unmarshal secret {key}: json: cannot unmarshal {_go_type(data)} into "
            "Go value of type map[string]json.RawMessage"
        )
    written = raw.members.get(id(data), {})
    return {
        name: value.encode()
        if isinstance(value, str)
        else b""
        if value is None
        else (written[name].encode())
        for name, value in data.items()
    }


def go_json_object(values: Mapping[str, str]) -> bytes:
    """A string map as Go's ``json.Marshal`` writes it (how ESO renders tags for
    ``metadataPolicy: Fetch``): keys sorted, no spaces, ``<``, ``>``, ``&``, U+2028 and U+2029
    escaped."""
    text = json.dumps(dict(sorted(values.items())), ensure_ascii=False, separators=(",", ":"))
    for char, escape in _GO_ESCAPES:
        text = text.replace(char, escape)
    return text.encode()


def keyed_answer(
    ref: RemoteRef | ExtractRef, value: bytes, document: bytes | None = None
) -> SecretBytes | SecretMap | ExtSecretsError:
    """The answer to a keyed reference, given what the backend returned: ``property`` picked out
    of ``document`` (``value`` when the backend has no separate form), then, for an ``extract``,
    the JSON object spread into keys. Errors are returned, not raised (one per reference)."""
    try:
        picked = property_value(document or value, ref.property, ref.key) if ref.property else value
        if isinstance(ref, ExtractRef):
            return SecretMap(
                {k: SecretBytes(v) for k, v in object_members(picked, ref.key).items()}
            )
        return SecretBytes(picked)
    except ExtSecretsError as exc:
        return exc
