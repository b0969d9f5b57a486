"""From a parsed YAML document to a checked object: kind dispatch, strict structuring, the
provider or generator block structured by its plugin's type, then admission rules."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

import attrs

from extsecrets.model.admission import external_secret_problems, store_problems
from extsecrets.model.converter import FieldError, structure
from extsecrets.model.external_secret import ExternalSecret
from extsecrets.model.generator import GENERATORS_GROUP, Generator
from extsecrets.model.problems import AdmissionContext, PathItem, Problem, render_path, shorten
from extsecrets.model.store import ClusterSecretStore, ProviderConfig, SecretStore
from extsecrets.plugins import type_name
from extsecrets.types import GeneratorKind, ProviderService, provider_label

__all__ = [
    "ESO_API_VERSION",
    "Catalog",
    "CheckedObject",
    "ObjectId",
    "SelfChecking",
    "check_document",
]

log = logging.getLogger(__name__)

ESO_GROUP = "external-secrets.io"
ESO_API_VERSION = f"{ESO_GROUP}/v1"
CLUSTER_SCOPED = frozenset(
    {
        "ClusterSecretStore",
        "ClusterExternalSecret",
        "ClusterGenerator",
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
    }
)

Modelled: TypeAlias = SecretStore | ClusterSecretStore | ExternalSecret | Generator
_ESO_KINDS: dict[str, type[Any]] = {
    "SecretStore": SecretStore,
    "ClusterSecretStore": ClusterSecretStore,
    "ExternalSecret": ExternalSecret,
}


class Catalog(Protocol):
    """What the installed plugins serve (``extsecrets.plugins.PluginHost`` is one)."""

    def provider_claims(self, provider: str) -> list[ProviderService]: ...

    def provider(self, provider: str, service: str | None) -> ProviderService | None: ...

    def generator(self, kind: str) -> GeneratorKind | None: ...

    def describe_providers(self) -> str: ...

    def describe_generators(self) -> str: ...


@runtime_checkable
class SelfChecking(Protocol):
    """A plugin config type with admission rules of its own."""

    def admission_problems(self, context: AdmissionContext) -> Iterable[Problem]: ...


@attrs.frozen
class ObjectId:
    kind: str
    name: str
    namespace: str | None

    def __str__(self) -> str:
        name = shorten(self.name)
        where = f"{shorten(self.namespace)}/{name}" if self.namespace is not None else name
        return f"{shorten(self.kind)} {where}"


@attrs.frozen
class CheckedObject:
    """One document after checking. ``obj`` is set for the kinds extsecrets models, when no
    error was found; ``raw`` is the document as read (kept for kinds it does not model)."""

    ident: ObjectId
    raw: Mapping[str, Any] = attrs.field(repr=False)
    obj: Modelled | None = None
    problems: tuple[Problem, ...] = ()
    modelled: bool = False

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


def object_id(doc: Mapping[str, Any]) -> ObjectId:
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    kind = str(doc.get("kind"))
    name = meta.get("name")
    namespace = meta.get("namespace")
    if kind in CLUSTER_SCOPED:
        ns = None
    else:
        ns = namespace if isinstance(namespace, str) and namespace else "default"
    return ObjectId(kind, name if isinstance(name, str) and name else "<unnamed>", ns)


def check_document(doc: Mapping[str, Any], catalog: Catalog) -> CheckedObject:
    """Check one Kubernetes object (a mapping with ``apiVersion`` and ``kind``)."""
    ident = object_id(doc)
    api_version, kind = str(doc.get("apiVersion")), ident.kind
    group = api_version.rpartition("/")[0]
    if group == ESO_GROUP:
        if kind in _ESO_KINDS and api_version != ESO_API_VERSION:
            problem = Problem.at(
                ("apiVersion",),
                f"{shorten(api_version)} is not supported: extsecrets reads {ESO_API_VERSION} "
                f"(the {kind} fields are the same; change the apiVersion)",
            )
            return CheckedObject(ident, doc, None, (problem,), True)
        if kind not in _ESO_KINDS:
            note = Problem.at(
                ("kind",), f"{shorten(kind)} is not supported by extsecrets yet; ignored", "warning"
            )
            return CheckedObject(ident, doc, None, (note,), False)
        return _check_eso(ident, doc, _ESO_KINDS[kind], catalog)
    if group == GENERATORS_GROUP:
        return _check_generator(ident, doc, catalog)
    return CheckedObject(ident, doc)


def _with_defaults(doc: Mapping[str, Any], ident: ObjectId) -> dict[str, Any]:
    """The document as the API server would store it: namespace defaulted like kubectl does."""
    out = dict(doc)
    meta = out.get("metadata")
    # only a namespace left out is defaulted: one of the wrong type is reported as such
    if (
        isinstance(meta, Mapping)
        and meta.get("namespace") in (None, "")
        and ident.namespace is not None
    ):
        out["metadata"] = {**meta, "namespace": ident.namespace}
    return out


def _check_eso(
    ident: ObjectId, doc: Mapping[str, Any], cls: type[Any], catalog: Catalog
) -> CheckedObject:
    obj, problems = structure(_with_defaults(doc, ident), cls)
    if cls is ExternalSecret:
        if obj is not None:
            problems.extend(external_secret_problems(obj))
        return CheckedObject(ident, doc, obj if _clean(problems) else None, tuple(problems), True)

    # A store: its provider block is checked even when the rest of the spec is broken.
    provider, provider_problems = _resolve_provider(ident, doc, catalog)
    problems.extend(provider_problems)
    if obj is not None:
        problems.extend(store_problems(obj))
        if provider is not None:
            obj = attrs.evolve(obj, spec=attrs.evolve(obj.spec, provider=provider))
    return CheckedObject(
        ident, doc, obj if _clean(problems) and provider else None, tuple(problems), True
    )


def _clean(problems: Sequence[Problem]) -> bool:
    return not any(p.is_error for p in problems)


def _resolve_provider(
    ident: ObjectId, doc: Mapping[str, Any], catalog: Catalog
) -> tuple[ProviderConfig | None, list[Problem]]:
    spec = doc.get("spec")
    if not isinstance(spec, Mapping) or "provider" not in spec:
        return None, []  # reported by structuring (missing spec / provider)
    try:
        pc = ProviderConfig.from_wire(spec["provider"])
    except FieldError:
        return None, []  # reported by structuring
    path: tuple[PathItem, ...] = ("spec", "provider", pc.name)
    claims = catalog.provider_claims(pc.name)
    if not claims:
        return None, [
            Problem.at(
                path,
                f'no installed plugin serves provider "{pc.name}"; '
                f"installed: {catalog.describe_providers()}",
            )
        ]
    route = catalog.provider(pc.name, pc.service)
    config_types = {c.config_type for c in claims}
    config_type = (
        route.config_type
        if route
        else (next(iter(config_types)) if len(config_types) == 1 else None)
    )
    problems: list[Problem] = []
    config = None
    if config_type is not None:
        config, problems = _plugin_checked(ident, pc.raw, config_type, path, catalog)
    service_path = render_path((*path, "service"))
    # Unserved is only worth saying about a block that is otherwise right (a config that did not
    # structure, or a service its own rules reject, has been reported already).
    if (
        route is None
        and config is not None
        and not any(p.path == service_path and p.is_error for p in problems)
    ):
        label = provider_label(pc.name, pc.service)
        problems.append(
            Problem.at(
                (*path, "service"),
                f"no installed plugin serves provider {label}; "
                f"installed: {catalog.describe_providers()}",
            )
        )
    if config is None or route is None:
        return None, problems
    return attrs.evolve(pc, config=config), problems


def _plugin_checked(
    ident: ObjectId,
    raw: Any,
    config_type: type[Any],
    path: tuple[PathItem, ...],
    catalog: Catalog,
) -> tuple[Any, list[Problem]]:
    """``raw`` structured into a plugin's ``config_type`` and checked by the plugin's own rules
    (its attrs validators, its ``admission_problems``). That code is the plugin's: whatever it
    raises is a problem of this block that names the plugin and the exception's type only (its
    message may carry a secret), never an error of the whole batch."""
    config, problems = _guarded(
        lambda: structure(raw, config_type, path), "structuring", ident, path, config_type, catalog
    )
    if config is not None:
        ctx = AdmissionContext(ident.kind, ident.name, ident.namespace, path)
        checked = _guarded(
            lambda: (config, _self_check(config, ctx)),
            "admission_problems",
            ident,
            path,
            config_type,
            catalog,
        )
        problems.extend(checked[1])
    return config, problems


def _self_check(config: object, ctx: AdmissionContext) -> list[Problem]:
    if not isinstance(config, SelfChecking):
        return []
    found = list(config.admission_problems(ctx))
    for item in found:
        if not isinstance(item, Problem):
            raise TypeError(f"admission_problems yielded {type_name(item)}, expected Problem")
    return found


def _guarded(
    call: Callable[[], tuple[Any, list[Problem]]],
    step: str,
    ident: ObjectId,
    path: tuple[PathItem, ...],
    config_type: type[Any],
    catalog: Catalog,
) -> tuple[Any, list[Problem]]:
    try:
        return call()
    except Exception as exc:
        plugin, error = _plugin_name(catalog, config_type), type_name(exc)
        log.warning("%s: plugin %s failed in %s: %s", ident, plugin, step, error)
        message = f"plugin {plugin} failed in {step}: {error} (its message is not shown)"
        return None, [Problem.at(path, message)]


def _plugin_name(catalog: Catalog, config_type: type[Any]) -> str:
    """The entry point name of the plugin that registered ``config_type`` (a catalog that does
    not list its plugins: the type's module and name)."""
    for info in getattr(catalog, "plugins", ()):
        reg = info.registration
        if any(c.config_type is config_type for c in (*reg.providers, *reg.generators)):
            return str(info.name)
    return f"{config_type.__module__}.{config_type.__qualname__}"


def _check_generator(ident: ObjectId, doc: Mapping[str, Any], catalog: Catalog) -> CheckedObject:
    claim = catalog.generator(ident.kind)
    if claim is None:
        note = Problem.at(
            ("kind",),
            f"no installed plugin serves generator kind {shorten(ident.kind)}; "
            f"installed: {catalog.describe_generators()}",
            "warning",
        )
        return CheckedObject(ident, doc, None, (note,), False)
    api_version = str(doc.get("apiVersion"))
    if api_version != claim.api_version:
        problem = Problem.at(
            ("apiVersion",),
            f"{ident.kind} is served as {claim.api_version}, not {shorten(api_version)}",
        )
        return CheckedObject(ident, doc, None, (problem,), True)
    envelope, problems = structure(_with_defaults(doc, ident), Generator)
    if "spec" not in doc:
        problems.append(Problem.at(("spec",), "no config spec provided"))
        return CheckedObject(ident, doc, None, tuple(problems), True)
    config, spec_problems = _plugin_checked(
        ident, doc["spec"], claim.config_type, ("spec",), catalog
    )
    problems.extend(spec_problems)
    obj = (
        attrs.evolve(envelope, spec=config) if envelope is not None and config is not None else None
    )
    return CheckedObject(ident, doc, obj if _clean(problems) else None, tuple(problems), True)
