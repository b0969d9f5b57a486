"""``extsecrets render``: sync the ExternalSecrets of some manifests against the real providers
on the local cluster, and say what came out.

Only the target Secrets of ExternalSecrets that synced are printed; Secrets that were given as
input are context, not output. An owner reference is printed only when the ExternalSecret's
manifest carries its real ``metadata.uid``: a made-up uid in an applied Secret would let the
garbage collector delete it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from extsecrets.cluster.local import LocalCluster
from extsecrets.cluster.objects import Condition, ExternalSecretStatus, SecretObject
from extsecrets.errors import escape_controls
from extsecrets.model import Problem
from extsecrets.model.documents import object_id
from extsecrets.model.problems import LINE_LIMIT, shorten
from extsecrets.plugins import PluginHost
from extsecrets.sync.engine import Engine
from extsecrets.sync.status import ERROR_REASON, to_wire

__all__ = ["Rendered", "render", "secret_manifest", "status_entry"]


@attrs.frozen
class Rendered:
    """What a render produced: Secrets to print, every ExternalSecret's status, and the
    failures and problems to report (``namespace/name: message`` and problem lines)."""

    secrets: tuple[SecretObject, ...]
    statuses: tuple[tuple[str, str, ExternalSecretStatus], ...]
    failures: tuple[str, ...]
    problems: tuple[str, ...]


def render(
    documents: Iterable[Any],
    host: PluginHost,
    *,
    plugin_timeout: float = 60.0,
    refused: Iterable[tuple[Mapping[str, Any], Sequence[Problem]]] = (),
) -> tuple[Rendered, LocalCluster]:
    """Sync the ExternalSecrets of ``documents``. The objects of ``refused`` (each with the
    errors found while reading it, such as a key defined twice) are not used: their problems
    are reported, an ExternalSecret among them fails as an invalid manifest."""
    cluster = LocalCluster.from_documents(documents, host)
    problems: list[str] = []
    failures: list[tuple[str, str, str]] = []
    statuses: list[tuple[str, str, ExternalSecretStatus]] = []
    for body, found in refused:
        ident = object_id(body)
        if ident.kind == "ExternalSecret" and found:
            first = _first_error(found)
            ns = ident.namespace or "default"
            failures.append((ns, ident.name, f"invalid manifest: {first}"))
            statuses.append((ns, ident.name, _invalid_status(first)))
        else:
            problems.extend(p.line(ident) for p in found)
    for obj in cluster.checked:
        if obj.ident.kind == "ExternalSecret" and obj.modelled and not obj.ok:
            first = _first_error(obj.problems)
            ns = obj.ident.namespace or "default"
            failures.append((ns, obj.ident.name, f"invalid manifest: {first}"))
            statuses.append((ns, obj.ident.name, _invalid_status(first)))
            problems.extend(p.line(obj.ident) for p in obj.problems if not p.is_error)
            continue
        problems.extend(p.line(obj.ident) for p in obj.problems)

    engine = Engine(host, cluster, plugin_timeout=plugin_timeout)
    results = engine.sync(cluster.external_secrets())
    secrets = []
    for result in results:
        statuses.append((result.namespace, result.name, result.status))
        if not result.ok:
            failures.append((result.namespace, result.name, result.error or "failed"))
        elif result.secret is not None:
            secrets.append(result.secret)
    rendered = Rendered(
        secrets=tuple(sorted(secrets, key=lambda s: (s.namespace, s.name))),
        statuses=tuple(sorted(statuses, key=lambda s: (s[0], s[1]))),
        failures=tuple(
            shorten(escape_controls(f"{shorten(ns)}/{shorten(name)}: {text}"), LINE_LIMIT)
            for ns, name, text in sorted(failures)
        ),
        problems=tuple(problems),
    )
    return rendered, cluster


def _first_error(problems: Iterable[Problem]) -> str:
    problem = next(p for p in problems if p.is_error)
    return f"{problem.path}: {problem.message}" if problem.path else problem.message


def _invalid_status(message: str) -> ExternalSecretStatus:
    return ExternalSecretStatus(
        (Condition("Ready", "False", ERROR_REASON, f"invalid manifest: {message}"),)
    )


def secret_manifest(secret: SecretObject, invented_uids: Iterable[str] = ()) -> dict[str, Any]:
    """A v1 Secret manifest, data base64-encoded; owner references with invented uids left out."""
    invented = set(invented_uids)
    meta: dict[str, Any] = {"name": secret.name, "namespace": secret.namespace}
    if secret.labels:
        meta["labels"] = dict(sorted(secret.labels.items()))
    if secret.annotations:
        meta["annotations"] = dict(sorted(secret.annotations.items()))
    owners = [
        {
            "apiVersion": o.api_version,
            "kind": o.kind,
            "name": o.name,
            "uid": o.uid,
            "controller": o.controller,
            "blockOwnerDeletion": o.block_owner_deletion,
        }
        for o in secret.owner_references
        if o.uid and o.uid not in invented
    ]
    if owners:
        meta["ownerReferences"] = owners
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": meta}
    if secret.immutable:
        out["immutable"] = True
    out["type"] = secret.type
    out["data"] = {k: base64.b64encode(secret.data[k]).decode() for k in sorted(secret.data)}
    return out


def status_entry(namespace: str, name: str, status: ExternalSecretStatus) -> dict[str, Any]:
    return {"namespace": namespace, "name": name, "conditions": to_wire(status)["conditions"]}
