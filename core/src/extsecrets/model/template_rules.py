"""Admission rules of ``spec.target.template`` and ``dataFrom[].rewrite[].transform`` (templates
spec §3), and how the sync parses those templates, so admission and sync agree on names.

A template that does not parse is refused with its field path and ESO's text
``unable to parse template at key <k>: <Go's error>``. ESO names a KeysAndValues template by its
whole text; extsecrets names a ``literal`` by where it is (``templateFrom[0].literal``), so a
message stays one readable line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

from extsecrets.model.external_secret import TargetTemplate
from extsecrets.model.meta import (
    finalizer_problem,
    qualified_name_problem,
    secret_key_problem,
)
from extsecrets.model.problems import PathItem, Problem
from extsecrets.templates import ParseError, Template, parse
from extsecrets.templates.funcs import FUNCS
from extsecrets.templates.gofmt import go_quote

__all__ = [
    "ENGINE_VERSION",
    "TEMPLATE_TARGETS",
    "literal_name",
    "parse_eso",
    "parse_transform",
    "template_problems",
    "transform_problems",
]

ENGINE_VERSION: Final = "v2"
#: the targets of a templateFrom entry when the target is a Secret (compared case-insensitively)
TEMPLATE_TARGETS: Final = ("Data", "Annotations", "Labels")
_SA_TOKEN = "kubernetes.io/service-account-token"
_SA_NAME = "kubernetes.io/service-account.name"
_BOOTSTRAP = "bootstrap.kubernetes.io/token"
_V1 = (
    "engineVersion v1 is not supported: External Secrets Operator removed the v1 template "
    "engine; migrate the templates to v2 (ESO's templating guide, section Migrating from v1: "
    "functions take and return strings, so drop toString and toBytes; base64encode/base64decode "
    "are b64enc/b64dec, fromJSON/toJSON are fromJson/toJson; pemPrivateKey and pemCertificate "
    "are part of pkcs12key and pkcs12cert) and set engineVersion: v2 or leave it out"
)


def parse_eso(name: str, text: str) -> Template:
    """A template of ``spec.target.template`` as ESO builds it: ESO's function map,
    ``missingkey=error``, default delimiters. Cached by text (see :func:`parse`)."""
    return parse(name, text, FUNCS, missingkey="error")


def parse_transform(text: str) -> Template:
    """A ``rewrite[].transform.template``: named ``transform``, without ``missingkey=error``."""
    return parse("transform", text, FUNCS)


def literal_name(index: int) -> str:
    """The name of ``templateFrom[index].literal`` in Go's messages."""
    return f"templateFrom[{index}].literal"


def _parse_problem(at: tuple[PathItem, ...], name: str, text: str) -> Problem | None:
    try:
        parse_eso(name, text)
    except ParseError as exc:
        return Problem.at(at, f"unable to parse template at key {name}: {exc}")
    return None


def _target_ok(target: str) -> bool:
    return target == "" or target.lower() in (t.lower() for t in TEMPLATE_TARGETS)


def template_problems(template: TargetTemplate) -> Iterator[Problem]:
    """Every problem of ``spec.target.template``, in ESO's order:
    the privileged types, the templateFrom targets, then the engine version and each template
    that does not parse."""
    at: tuple[PathItem, ...] = ("spec", "target", "template")
    if template.type == _SA_TOKEN:
        if _SA_NAME in template.metadata.annotations:
            yield Problem.at(
                (*at, "type"),
                f"template.type={go_quote(_SA_TOKEN)} with annotation {go_quote(_SA_NAME)} "
                "is not allowed",
            )
        elif any(t.target.lower() == "annotations" for t in template.template_from):
            yield Problem.at(
                (*at, "type"),
                f"template.type={go_quote(_SA_TOKEN)} with templateFrom "
                'target="Annotations" is not allowed',
            )
    elif template.type == _BOOTSTRAP:
        yield Problem.at((*at, "type"), f"template.type={go_quote(_BOOTSTRAP)} is not allowed")
    for i, entry in enumerate(template.template_from):
        if not _target_ok(entry.target):
            yield Problem.at(
                (*at, "templateFrom", i, "target"),
                f"templateFrom target={go_quote(entry.target)} is not allowed when targeting a "
                'Secret, must be one of "Data", "Annotations" or "Labels"',
            )

    if template.engine_version != ENGINE_VERSION:
        message = (
            _V1
            if template.engine_version == "v1"
            else f"unsupported template engine version: {template.engine_version}"
        )
        yield Problem.at((*at, "engineVersion"), message)

    for key in sorted(template.data):
        key_problem = secret_key_problem(key)
        if key_problem is not None:
            yield Problem.at((*at, "data", key), f"not a valid Secret data key: {key_problem}")
        problem = _parse_problem((*at, "data", key), key, template.data[key])
        if problem is not None:
            yield problem
    meta = template.metadata
    yield from _metadata_problems((*at, "metadata", "labels"), meta.labels)
    yield from _metadata_problems((*at, "metadata", "annotations"), meta.annotations)
    for i, name in enumerate(meta.finalizers):
        finalizer = finalizer_problem(name)
        if finalizer is not None:
            yield Problem.at((*at, "metadata", "finalizers", i), finalizer)
    for i, entry in enumerate(template.template_from):
        entry_at = (*at, "templateFrom", i)
        if entry.literal is not None:
            problem = _parse_problem((*entry_at, "literal"), literal_name(i), entry.literal)
            if problem is not None:
                yield problem
        if entry.config_map is None and entry.secret is None and entry.literal is None:
            yield Problem.at(
                entry_at,
                "neither configMap, secret nor literal is set: this entry adds nothing",
                "warning",
            )


def _metadata_problems(at: tuple[PathItem, ...], templates: Mapping[str, str]) -> Iterator[Problem]:
    for key in sorted(templates):
        key_problem = qualified_name_problem(key)
        if key_problem is not None:
            yield Problem.at((*at, key), f"not a valid key: {key_problem}")
        problem = _parse_problem((*at, key), key, templates[key])
        if problem is not None:
            yield problem


def transform_problems(at: tuple[PathItem, ...], text: str) -> Iterator[Problem]:
    """``rewrite[].transform.template`` must parse (ESO finds out at sync time)."""
    try:
        parse_transform(text)
    except ParseError as exc:
        yield Problem.at(at, f"failed to parse template: {exc}")
