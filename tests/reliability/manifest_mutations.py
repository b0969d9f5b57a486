"""Bad input for the reliability suite: valid ESO objects, and hypothesis strategies that break
them one way at a time (wrong type, unknown field, missing field, huge string, deep nesting,
odd Unicode, a key written twice), each mutation saying where it struck (the path as the user
wrote it) and whether the result is certainly invalid.

The seeds are the manifests users start from: the AWS access page's examples
(tests/fixtures/seed), the demo's manifests (examples/manifests), and objects of the fake
provider (a store holding its data inline, ExternalSecrets using every part of the spec, a
generator) that ``render`` can sync without a network.
"""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import yaml
from hypothesis import strategies as st

from extsecrets.model.problems import PathItem, render_path

LONG = os.environ.get("EXTSECRETS_RELIABILITY", "") == "long"
ROOT = Path(__file__).resolve().parents[2]

ESO = "external-secrets.io/v1"
FAKE_GENERATORS = "generators.external-secrets.io/v1alpha1"


def scale(short: int, long: int) -> int:
    """``short`` in ``make test``, ``long`` in ``make reliability``."""
    return long if LONG else short


def _yaml_seeds() -> list[dict[str, Any]]:
    files = sorted((ROOT / "tests/fixtures/seed").glob("*.yaml"))
    files += sorted((ROOT / "examples/manifests").glob("*.yaml"))
    return [d for f in files for d in yaml.safe_load_all(f.read_text()) if isinstance(d, dict)]


#: valid objects served by the AWS plugins (checked with the installed plugins)
AWS_SEEDS: list[dict[str, Any]] = _yaml_seeds()

FAKE_STORE: dict[str, Any] = {
    "apiVersion": ESO,
    "kind": "SecretStore",
    "metadata": {"name": "store", "namespace": "app", "labels": {"team": "a"}},
    "spec": {
        "refreshInterval": 60,
        "provider": {
            "fake": {
                "data": {
                    "db": '{"user": "admin", "password": "pw", "nested": {"a": "1"}}',
                    "plain": "value",
                    "team/one": "1",
                    "team/two": "2",
                },
            }
        },
    },
}

FAKE_EXTERNAL_SECRET: dict[str, Any] = {
    "apiVersion": ESO,
    "kind": "ExternalSecret",
    "metadata": {
        "name": "app-secret",
        "namespace": "app",
        "labels": {"app": "web"},
        "annotations": {"note": "seed"},
    },
    "spec": {
        "refreshInterval": "1h",
        "secretStoreRef": {"name": "store", "kind": "SecretStore"},
        "target": {
            "name": "app-out",
            "creationPolicy": "Owner",
            "deletionPolicy": "Retain",
            "template": {
                "engineVersion": "v2",
                "type": "Opaque",
                "metadata": {"labels": {"made-by": "extsecrets"}, "annotations": {"a": "b"}},
                "data": {"dsn": "{{ .user }}:{{ .secretword }}@db", "raw": "{{ .plain }}"},
            },
        },
        "data": [
            {"secretKey": "plain", "remoteRef": {"key": "plain"}},
            {
                "secretKey": "user",
                "remoteRef": {"key": "db", "property": "user", "decodingStrategy": "None"},
            },
        ],
        "dataFrom": [
            {
                "extract": {"key": "db", "conversionStrategy": "Default"},
                "rewrite": [{"regexp": {"source": "^pass(.*)$", "target": "secret$1"}}],
            },
            {
                "find": {"name": {"regexp": "^team/"}},
                "rewrite": [
                    {"regexp": {"source": "/", "target": "-"}},
                    {"transform": {"template": "t-{{ .value }}"}},
                ],
            },
        ],
    },
}

FAKE_GENERATOR_SECRET: dict[str, Any] = {
    "apiVersion": ESO,
    "kind": "ExternalSecret",
    "metadata": {"name": "token", "namespace": "app"},
    "spec": {
        "refreshInterval": "30m",
        "target": {"name": "token-out"},
        "dataFrom": [
            {
                "sourceRef": {
                    "generatorRef": {
                        "apiVersion": FAKE_GENERATORS,
                        "kind": "FakeToken",
                        "name": "gen",
                    }
                }
            }
        ],
    },
}

FAKE_GENERATOR: dict[str, Any] = {
    "apiVersion": FAKE_GENERATORS,
    "kind": "FakeToken",
    "metadata": {"name": "gen", "namespace": "app"},
    "spec": {"values": {"token": "tok-1", "user": "ci"}, "ttlSeconds": 3600},
}

FAKE_SECRET: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "creds", "namespace": "app", "annotations": {"owner": "team-a"}},
    "type": "Opaque",
    "data": {"key": "dmFsdWU="},
    "stringData": {"other": "text"},
}

FAKE_SERVICE_ACCOUNT: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ServiceAccount",
    "metadata": {
        "name": "runner",
        "namespace": "app",
        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/team-a"},
    },
}

#: valid objects of the fake plugin: together they render
FAKE_SEEDS: list[dict[str, Any]] = [
    FAKE_STORE,
    FAKE_EXTERNAL_SECRET,
    FAKE_GENERATOR_SECRET,
    FAKE_GENERATOR,
    FAKE_SECRET,
    FAKE_SERVICE_ACCOUNT,
]

#: kinds extsecrets checks field by field: anything unknown or mistyped in them is an error
STRICT_KINDS = frozenset(
    {"SecretStore", "ClusterSecretStore", "ExternalSecret", "ECRAuthorizationToken", "FakeToken"}
)
#: metadata fields of any type (server-managed: accepted, not used)
_LOOSE_METADATA = frozenset(
    {
        "generateName",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "ownerReferences",
        "managedFields",
        "selfLink",
    }
)

# --- odd text -------------------------------------------------------------------------------

#: characters that break naive code: NUL and other controls, a byte-order mark, bidi
#: overrides, combining marks, zero-width joiners, line separators, astral-plane characters
ODD_CHARACTERS = [
    "\x00",
    "\x07",
    "\x1b[31m",
    "\ufeff",
    "\u202e",
    "\u200f",
    "\u2066",
    "\u0301",
    "\u0361",
    "\u200d",
    "\u2028",
    "\u2029",
    "\U0001f600",
    "\U0001d54f",
    "\U0010fffd",
    "\U000e0041",
    "\r\n",
    "\t",
    "'\"",
    "{{",
    "${",
    "%s",
    "\\",
]

odd_text = st.lists(
    st.one_of(st.sampled_from(ODD_CHARACTERS), st.text(min_size=1, max_size=4)),
    min_size=1,
    max_size=6,
).map("".join)


_SERIAL = itertools.count()


def huge_text() -> st.SearchStrategy[str]:
    """Long strings: repeated characters (ASCII, multi-byte, odd), up to 400 KB (long: 2 MB).
    Each ends in a serial number: two cases' values never contain one another, so the leak
    scan (which looks for a value a plugin returned in the same test's texts) cannot mistake
    one case's huge name for another case's huge secret value."""
    sizes = st.integers(min_value=1_000, max_value=scale(400_000, 2_000_000))
    chars = st.sampled_from(["a", "é", "\U0001f600", "-", "\u202e", "a.", "0"])
    return st.builds(lambda c, n: c * (n // len(c)) + f"#{next(_SERIAL)}#", chars, sizes)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    odd_text,
)

json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), odd_text), inner, max_size=4),
    ),
    max_leaves=12,
)


def _kind(value: Any) -> type:
    if isinstance(value, bool):
        return bool
    if isinstance(value, int | float):
        return float
    return type(value)


def nested(depth: int, leaf: Any, style: str) -> Any:
    """``leaf`` inside ``depth`` lists or mappings (``style``: list, map or mixed)."""
    out = leaf
    for level in range(depth):
        as_list = style == "list" or (style == "mixed" and level % 2 == 0)
        out = [out] if as_list else {"k": out}
    return out


# --- mutations ------------------------------------------------------------------------------


@attrs.frozen
class Mutation:
    """What was done (``what``) at ``path``; ``invalid``: the result must be refused, with a
    problem at ``path`` or near it (``expect_path``, rendered, when the exact path is known)."""

    what: str
    path: tuple[PathItem, ...]
    invalid: bool
    expect_path: str | None = None

    @property
    def where(self) -> str:
        return render_path(self.path)


def walk(value: Any, path: tuple[PathItem, ...] = ()) -> Iterator[tuple[tuple[PathItem, ...], Any]]:
    """Every (path, value) below ``value``, itself included."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, (*path, i))


def get(doc: Any, path: tuple[PathItem, ...]) -> Any:
    for item in path:
        doc = doc[item]
    return doc


def put(doc: Any, path: tuple[PathItem, ...], value: Any) -> None:
    get(doc, path[:-1])[path[-1]] = value


def strict_at(doc: dict[str, Any], path: tuple[PathItem, ...]) -> bool:
    """Whether ``path`` of ``doc`` lies where every field is typed (a mistake is an error)."""
    if doc.get("kind") not in STRICT_KINDS or not path:
        return False
    if path[0] in ("apiVersion", "kind"):  # another one makes another object, not a wrong one
        return False
    if path[0] == "metadata":
        return len(path) < 2 or path[1] not in _LOOSE_METADATA
    return path[0] != "status"


@st.composite
def mutated(draw: st.DrawFn, seeds: list[dict[str, Any]]) -> tuple[dict[str, Any], Mutation]:
    """A seed with one mutation: ``(object, mutation)``."""
    doc = copy.deepcopy(draw(st.sampled_from(seeds)))
    places = [p for p, _ in walk(doc) if p]
    path = draw(st.sampled_from(places))
    value = get(doc, path)
    strict = strict_at(doc, path)
    kind = draw(
        st.sampled_from(
            ["wrong_type", "unknown_field", "remove", "huge", "deep", "odd_text", "odd_key"]
        )
    )
    if kind == "wrong_type":
        new = draw(json_values.filter(lambda v: _kind(v) is not _kind(value)))
        put(doc, path, new)
        # a mapping may be replaced by null (an optional block left empty) or a number by one
        # of another kind; every other change of type is an error in a strict place
        invalid = strict and new is not None
        return doc, Mutation(kind, path, invalid)
    if kind == "unknown_field":
        parents = [p for p, v in walk(doc) if isinstance(v, dict)]
        parent = draw(st.sampled_from(parents))
        container = get(doc, parent)
        key = draw(
            st.one_of(st.from_regex(r"[a-z][a-zA-Z]{0,12}", fullmatch=True), odd_text).filter(
                lambda k: k not in container
            )
        )
        container[key] = draw(json_values)
        field = (*parent, key)
        # below labels, annotations, a provider's data...: a map of user keys, not fields
        is_field = strict_at(doc, field) and _is_field_place(doc, parent)
        return doc, Mutation(kind, field, is_field, render_path(field) if is_field else None)
    if kind == "remove":
        del get(doc, path[:-1])[path[-1]]
        return doc, Mutation(kind, path, False)
    if kind == "huge":
        put(doc, path, draw(huge_text()))
        return doc, Mutation(kind, path, False)
    if kind == "deep":
        depth = draw(st.integers(min_value=1, max_value=scale(160, 400)))
        style = draw(st.sampled_from(["list", "map", "mixed"]))
        put(doc, path, nested(depth, draw(scalars), style))
        return doc, Mutation(kind, path, strict and not isinstance(value, dict | list))
    if kind == "odd_text":
        put(doc, path, draw(odd_text))
        return doc, Mutation(kind, path, False)
    # odd_key: an existing key renamed with odd characters added
    parent_path, key = path[:-1], path[-1]
    container = get(doc, parent_path)
    if not isinstance(key, str):
        return doc, Mutation("none", path, False)
    new_key = key + draw(odd_text)
    container[new_key] = container.pop(key)
    field = (*parent_path, new_key)
    is_field = strict_at(doc, path) and _is_field_place(doc, parent_path)
    return doc, Mutation(kind, field, is_field, render_path(field) if is_field else None)


#: mappings whose keys are the user's (not field names): their keys may be anything
_USER_MAPS = frozenset(
    {
        "labels",
        "annotations",
        "data",
        "customSessionTags",
        "tags",
        "stringData",
        "transitiveTagKeys",
        "values",
        "versions",
    }
)


def _is_field_place(doc: dict[str, Any], parent: tuple[PathItem, ...]) -> bool:
    """Whether the keys of the mapping at ``parent`` are field names (not the user's keys, as
    below labels or a provider's data; ``spec.data`` is a list of fields), and an unknown one
    is reported at its own path (below ``spec.provider`` it may name a provider instead)."""
    if parent == ("spec", "provider"):
        return False
    for i, item in enumerate(parent):
        if item in _USER_MAPS and not (item == "data" and parent[:i] == ("spec",)):
            return False
    return True


# --- duplicate keys (YAML text) -------------------------------------------------------------


@st.composite
def with_duplicate_key(
    draw: st.DrawFn, seeds: list[dict[str, Any]]
) -> tuple[str, str, dict[str, Any]]:
    """A seed as YAML text with one key of one mapping written a second time (another value):
    ``(text, rendered path of the duplicate, object)``."""
    doc = copy.deepcopy(draw(st.sampled_from(seeds)))
    maps = [(p, v) for p, v in walk(doc) if isinstance(v, dict) and v]
    path, mapping = draw(st.sampled_from(maps))
    key = draw(st.sampled_from(sorted(mapping)))
    representer = yaml.representer.SafeRepresenter(default_flow_style=draw(st.booleans()))
    node = representer.represent_data(doc)
    target = node
    for item in path:
        if isinstance(target, yaml.MappingNode):
            target = next(v for k, v in target.value if k.value == item)
        else:
            target = target.value[item]
    extra = representer.represent_data(draw(json_values))
    pairs = target.value
    at = draw(st.integers(min_value=0, max_value=len(pairs)))
    pairs.insert(at, (yaml.ScalarNode("tag:yaml.org,2002:str", key), extra))
    text = yaml.serialize(node, Dumper=yaml.SafeDumper, allow_unicode=True)
    return text, render_path((*path, key)), doc


@st.composite
def damaged_text(draw: st.DrawFn, text: str) -> str:
    """``text`` as it is (most often), or with a byte-order mark in front, CRLF line ends, an
    odd character or a tab put somewhere, or a line cut short."""
    how = draw(st.sampled_from(["none", "none", "none", "bom", "crlf", "insert", "tab", "cut"]))
    if how == "bom":
        return "\ufeff" + text
    if how == "crlf":
        return text.replace("\n", "\r\n")
    at = draw(st.integers(min_value=0, max_value=len(text)))
    if how == "insert":
        return text[:at] + draw(st.sampled_from(ODD_CHARACTERS)) + text[at:]
    if how == "tab":
        return text[:at] + "\t" + text[at:]
    if how == "cut":
        return text[:at]
    return text
