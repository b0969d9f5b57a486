"""``spec.target.template``: the Secret's data, labels, annotations and type rendered from the
fetched values (templates spec §1.4-1.8), in ESO's order.

The template sees the assembled data as ESO's ``map[string]string``: every value's bytes as a
Go string. Writes happen in order and later ones win: the fetched keys (``mergePolicy: Merge``,
or a template with neither ``data`` nor ``templateFrom``), then each ``templateFrom`` entry
(its ConfigMap items, Secret items, then ``literal``), then ``data``, then the templated
labels and annotations. Each template is parsed once per text (the engine caches parses).

Errors carry ESO's texts, each prefix once (ESO repeats some, §7.1): ``error fetching
templateFrom data: ...``, ``could not execute template: unable to execute template at key k:
template: k:1:3: ...``. Go's texts can quote data (a function's error about its input), so a
:class:`TemplateFailure` carries the values the render saw, for the engine to scrub.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any, Literal, TypeVar

import attrs

from extsecrets.cluster.objects import ConfigMapObject, SecretObject
from extsecrets.cluster.port import Cluster
from extsecrets.errors import ExtSecretsError, PermanentError, with_context
from extsecrets.model import ExternalSecret
from extsecrets.model.external_secret import DecodingStrategy, TargetTemplate, TemplateFrom
from extsecrets.model.meta import (
    annotations_size_problem,
    label_value_problem,
    qualified_name_problem,
)
from extsecrets.model.template_rules import literal_name, parse_eso
from extsecrets.sync.keys import check_kubernetes_keys, decode_value
from extsecrets.sync.keys_and_values import KeysAndValuesError, parse_keys_and_values
from extsecrets.templates import DEFAULT_LIMITS, ParseError, TemplateError, secret_data
from extsecrets.templates.values import from_go_bytes

__all__ = [
    "RenderedTemplate",
    "SourceReader",
    "TemplateFailure",
    "derived_values",
    "render_template",
]

T = TypeVar("T")
_Target = Literal["data", "labels", "annotations"]
#: seconds of rendering one ExternalSecret may use in all (each render has its own limit too):
#: a template of many keys cannot hold a worker for many times the limit of one
ES_RENDER_BUDGET = DEFAULT_LIMITS.timeout


class TemplateFailure(ExtSecretsError):
    """The template could not be applied. ``values`` are what the render read or produced
    (never shown: the engine blanks them out of the message)."""

    def __init__(self, message: str, values: Iterable[bytes] = ()) -> None:
        super().__init__(message)
        self.values = tuple(values)


@attrs.frozen
class RenderedTemplate:
    """What the template writes over the Secret: ``data`` (the fetched keys included when they
    are merged), ``labels``, ``annotations``; ``type`` when set; ``finalizers`` to add."""

    data: Mapping[str, bytes] = attrs.field(repr=lambda d: f"<keys {sorted(d)}>")
    labels: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    annotations: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    type: str = ""
    finalizers: tuple[str, ...] = ()


class SourceReader:
    """The ConfigMaps and Secrets that ``templateFrom`` names, each read once a cycle however
    many ExternalSecrets use it (thread-safe: ExternalSecrets are finished in parallel)."""

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._lock = threading.Lock()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._done: dict[Hashable, Any] = {}
        #: reads that went to the cluster (for tests and the bench)
        self.reads = 0

    def _once(self, key: Hashable, read: Callable[[], T]) -> T:
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._done:
                self.reads += 1
                try:
                    self._done[key] = read()
                except ExtSecretsError as exc:
                    self._done[key] = exc
            found = self._done[key]
        if isinstance(found, ExtSecretsError):
            raise found
        return found  # type: ignore[no-any-return]

    def config_map(self, namespace: str, name: str) -> ConfigMapObject | None:
        return self._once(
            ("ConfigMap", namespace, name), lambda: self._cluster.get_config_map(namespace, name)
        )

    def secret(self, namespace: str, name: str) -> SecretObject | None:
        return self._once(
            ("Secret", namespace, name), lambda: self._cluster.get_secret(namespace, name)
        )


class _Failed(Exception):
    """A step failed with this (ESO) text; the caller adds where it happened."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Render:
    """One render of one ExternalSecret's template."""

    def __init__(self, data: Mapping[str, bytes]) -> None:
        self.deadline = time.monotonic() + ES_RENDER_BUDGET
        self.root = secret_data(data)
        self.seen: list[bytes] = list(data.values())
        self.data: dict[str, bytes] = {}
        self.labels: dict[str, str] = {}
        self.annotations: dict[str, str] = {}

    def put(self, target: str, key: str, value: bytes) -> None:
        where = _target(target)
        if where == "data":
            self.data[key] = value
        elif where == "labels":
            self.labels[key] = value.decode("utf-8", "replace")
        else:
            self.annotations[key] = value.decode("utf-8", "replace")

    def execute(self, name: str, text: str) -> bytes:
        if time.monotonic() > self.deadline:
            raise _Failed(
                f"unable to execute template at key {name}: the templates of this "
                f"ExternalSecret exceeded the time limit of {ES_RENDER_BUDGET:g}s"
            )
        try:
            template = parse_eso(name, text)
        except ParseError as exc:
            raise _Failed(f"unable to parse template at key {name}: {exc}") from None
        try:
            out = template.execute_bytes(self.root)
        except TemplateError as exc:
            raise _Failed(f"unable to execute template at key {name}: {exc}") from None
        self.seen.append(out)
        return out

    def values(
        self, templates: Mapping[str, str], target: str, decoding: DecodingStrategy = "None"
    ) -> None:
        """Values scope: each key's template renders that key's value."""
        for key in sorted(templates):
            out = self.execute(key, templates[key])
            self.put(target, key, _decode(key, out, decoding))

    def keys_and_values(
        self, name: str, text: str, target: str, decoding: DecodingStrategy
    ) -> None:
        """KeysAndValues scope: the template renders a YAML mapping of keys to values."""
        out = self.execute(name, text)
        try:
            pairs = parse_keys_and_values(out)
        except KeysAndValuesError as exc:
            raise _Failed(f"could not unmarshal template to 'map[string][]byte': {exc}") from None
        for key in sorted(pairs):
            self.put(target, key, _decode(key, pairs[key].encode(), decoding))


def _target(target: str) -> _Target:
    lowered = target.lower() or "data"
    if lowered not in ("data", "labels", "annotations"):  # admission refuses these
        raise _Failed(
            f'templateFrom target="{target}" is not allowed when targeting a Secret, must be '
            'one of "Data", "Annotations" or "Labels"'
        )
    return lowered  # type: ignore[return-value]


def _decode(key: str, value: bytes, strategy: DecodingStrategy) -> bytes:
    try:
        return decode_value(value, strategy)
    except PermanentError as exc:
        raise _Failed(f"failed to decode rendered template value for key {key}: {exc}") from None


def _entry(
    render: _Render, entry: TemplateFrom, index: int, namespace: str, sources: SourceReader
) -> None:
    """One templateFrom entry: ConfigMap items, then Secret items, then the literal."""
    decoding = entry.values_decoding_strategy
    if entry.config_map is not None:
        ref = entry.config_map
        config_map = sources.config_map(namespace, ref.name)
        if config_map is None:
            raise _Failed(f'configmaps "{ref.name}" not found')
        for item in ref.items:
            if item.key not in config_map.data:
                raise _Failed(f"error in configmap {ref.name}: missing key {item.key}")
            text = config_map.data[item.key]
            if item.template_as == "Values":
                render.values({item.key: text}, entry.target, decoding)
            else:
                render.keys_and_values(item.key, text, entry.target, decoding)
    if entry.secret is not None:
        ref = entry.secret
        secret = sources.secret(namespace, ref.name)
        if secret is None:
            raise _Failed(f'secrets "{ref.name}" not found')
        for item in ref.items:
            if item.key not in secret.data:
                raise _Failed(f"error in secret {ref.name}: missing key {item.key}")
            raw = secret.data[item.key]
            render.seen.append(raw)
            if item.template_as == "Values":
                render.values({item.key: from_go_bytes(raw)}, entry.target, decoding)
            else:
                render.keys_and_values(item.key, from_go_bytes(raw), entry.target, decoding)
    if entry.literal is not None:
        render.keys_and_values(literal_name(index), entry.literal, entry.target, decoding)


def derived_values(values: Iterable[bytes]) -> Iterator[bytes]:
    """``values`` and what the commonest template steps make of them (base64 encoded or
    decoded, as ``b64enc``/``b64dec`` or a decoding strategy would): texts a failed template
    may quote. (Other derivations cannot all be foreseen: a template author who prints a
    transformed secret through ``fail`` still shows it to whoever reads the status.)"""
    for value in values:
        yield value
        yield base64.b64encode(value)
        yield base64.urlsafe_b64encode(value)
        for altchars in (None, b"-_"):
            try:
                yield base64.b64decode(value, altchars=altchars, validate=True)
            except (binascii.Error, ValueError):
                continue


def render_template(
    es: ExternalSecret, data: Mapping[str, bytes], sources: SourceReader
) -> RenderedTemplate:
    """Render ``es``'s template over ``data``. Raises :class:`TemplateFailure` with ESO's text,
    or a cluster error (prefixed like ESO's) when a templateFrom source could not be read."""
    template = es.spec.target.template
    assert template is not None
    namespace = es.metadata.namespace or "default"
    render = _Render(data)
    if template.merge_policy == "Merge" or not (template.data or template.template_from):
        render.data.update(data)
    try:
        _steps(render, template, namespace, sources)
    except _Failed as exc:
        raise TemplateFailure(exc.message, render.seen) from None
    problem = _kubernetes_problem(render)
    if problem is not None:
        raise TemplateFailure(problem, render.seen)
    return RenderedTemplate(
        render.data,
        render.labels,
        render.annotations,
        template.type,
        template.metadata.finalizers,
    )


def _steps(
    render: _Render, template: TargetTemplate, namespace: str, sources: SourceReader
) -> None:
    prefix = "error fetching templateFrom data: "
    for i, entry in enumerate(template.template_from):
        try:
            _entry(render, entry, i, namespace, sources)
        except _Failed as exc:
            raise _Failed(prefix + exc.message) from None
        except ExtSecretsError as exc:  # the cluster could not be read: keep what it means
            raise with_context(exc, prefix) from None
    prefix = "could not execute template: "
    for target, templates in (
        ("Data", template.data),
        ("Labels", template.metadata.labels),
        ("Annotations", template.metadata.annotations),
    ):
        try:
            render.values(templates, target)
        except _Failed as exc:
            raise _Failed(prefix + exc.message) from None


def _kubernetes_problem(render: _Render) -> str | None:
    """What the API server would refuse in what the templates wrote (its texts would quote a
    label value: this one names the key only)."""
    try:
        check_kubernetes_keys(render.data)
    except PermanentError as exc:
        return str(exc)
    for key in sorted(render.labels):
        problem = qualified_name_problem(key)
        if problem is not None:
            return f'label key "{key}" is refused by Kubernetes: {problem}'
        problem = label_value_problem(render.labels[key])
        if problem is not None:
            return f'the value of label "{key}" is refused by Kubernetes: {problem}'
    for key in sorted(render.annotations):
        problem = qualified_name_problem(key)
        if problem is not None:
            return f'annotation key "{key}" is refused by Kubernetes: {problem}'
    problem = annotations_size_problem(render.annotations)
    if problem is not None:
        return f"the templated annotations are refused by Kubernetes: {problem}"
    return None
