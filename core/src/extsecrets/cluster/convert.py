"""Kubernetes objects as JSON (manifests, API answers) to and from the port's attrs types."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping
from typing import Any

from extsecrets.cluster.objects import ConfigMapObject, OwnerReference, SecretObject
from extsecrets.model import Problem
from extsecrets.types import FrozenMap

__all__ = [
    "compact_managed_fields",
    "config_map_from_dict",
    "managed_metadata",
    "parse_rfc3339",
    "managed_keys",
    "secret_from_dict",
    "secret_to_dict",
    "str_map",
]


def str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def managed_keys(meta: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Data keys each field manager owns, from ``metadata.managedFields`` (``f:data`` entries)."""
    out: dict[str, set[str]] = {}
    for entry in meta.get("managedFields") or ():
        if not isinstance(entry, Mapping):
            continue
        data = (entry.get("fieldsV1") or {}).get("f:data")
        if isinstance(data, Mapping):
            keys = {k[2:] for k in data if isinstance(k, str) and k.startswith("f:")}
            out.setdefault(str(entry.get("manager", "")), set()).update(keys)
    return {m: frozenset(k) for m, k in out.items()}


def managed_metadata(meta: Mapping[str, Any], field: str) -> dict[str, frozenset[str]]:
    """Label (``field="labels"``) or annotation keys each field manager owns."""
    out: dict[str, set[str]] = {}
    for entry in meta.get("managedFields") or ():
        if not isinstance(entry, Mapping):
            continue
        metadata = (entry.get("fieldsV1") or {}).get("f:metadata")
        owned = metadata.get(f"f:{field}") if isinstance(metadata, Mapping) else None
        if isinstance(owned, Mapping):
            keys = {k[2:] for k in owned if isinstance(k, str) and k.startswith("f:")}
            out.setdefault(str(entry.get("manager", "")), set()).update(keys)
    return {m: frozenset(k) for m, k in out.items()}


def config_map_from_dict(doc: Mapping[str, Any], namespace: str, name: str) -> ConfigMapObject:
    """A v1 ConfigMap as stored: its ``data`` (values are strings)."""
    return ConfigMapObject(namespace, name, str_map(doc.get("data")))


def secret_from_dict(
    doc: Mapping[str, Any], namespace: str, name: str
) -> tuple[SecretObject, list[Problem]]:
    """A v1 Secret as the API server stores it: ``stringData`` folded into ``data``."""
    problems: list[Problem] = []
    data: dict[str, bytes] = {}
    raw = doc.get("data")
    for key, value in raw.items() if isinstance(raw, Mapping) else ():
        try:
            data[str(key)] = base64.b64decode(str(value or ""), validate=True)
        except (binascii.Error, ValueError):
            problems.append(Problem.at(("data", str(key)), "illegal base64 data"))
    string_data = doc.get("stringData")
    for key, value in string_data.items() if isinstance(string_data, Mapping) else ():
        data[str(key)] = str(value).encode()
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    owners = tuple(
        OwnerReference(
            str(o.get("apiVersion", "")),
            str(o.get("kind", "")),
            str(o.get("name", "")),
            str(o.get("uid", "")),
            bool(o.get("controller", False)),
            bool(o.get("blockOwnerDeletion", False)),
        )
        for o in (meta.get("ownerReferences") or ())
        if isinstance(o, Mapping)
    )
    secret = SecretObject(
        namespace,
        name,
        data,
        type=str(doc.get("type") or "Opaque"),
        labels=FrozenMap(str_map(meta.get("labels"))),
        annotations=FrozenMap(str_map(meta.get("annotations"))),
        owner_references=owners,
        immutable=bool(doc.get("immutable", False)),
        finalizers=tuple(str(f) for f in meta.get("finalizers") or ()),
        managed_keys=managed_keys(meta),
        managed_labels=managed_metadata(meta, "labels"),
        managed_annotations=managed_metadata(meta, "annotations"),
        resource_version=str(meta["resourceVersion"]) if meta.get("resourceVersion") else None,
        uid=str(meta["uid"]) if meta.get("uid") else None,
        deleting=bool(meta.get("deletionTimestamp")),
    )
    return secret, problems


def secret_to_dict(secret: SecretObject) -> dict[str, Any]:
    """The v1 Secret body to send to the API server."""
    meta: dict[str, Any] = {
        "name": secret.name,
        "namespace": secret.namespace,
        "labels": dict(secret.labels),
        "annotations": dict(secret.annotations),
        "ownerReferences": [
            {
                "apiVersion": o.api_version,
                "kind": o.kind,
                "name": o.name,
                "uid": o.uid,
                "controller": o.controller,
                "blockOwnerDeletion": o.block_owner_deletion,
            }
            for o in secret.owner_references
        ],
    }
    if secret.finalizers:
        meta["finalizers"] = list(secret.finalizers)
    if secret.resource_version:
        meta["resourceVersion"] = secret.resource_version
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta,
        "type": secret.type,
        "data": {k: base64.b64encode(v).decode() for k, v in secret.data.items()},
    }
    if secret.immutable:
        body["immutable"] = True
    return body


def rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: Any) -> dt.datetime | None:
    """A Kubernetes timestamp (``2026-01-02T03:04:05Z``, with or without fraction) as an aware
    datetime; a datetime YAML already parsed passes (naive ones are UTC); else ``None``."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def compact_managed_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with only what :func:`managed_keys` and :func:`managed_metadata` read of its
    ``managedFields`` (the manager and its data, label and annotation keys): a cache of many
    Secrets then holds a fraction of the bytes."""
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return doc
    owned: dict[str, dict[str, Any]] = {}
    for manager, keys in managed_keys(meta).items():
        owned.setdefault(manager, {})["f:data"] = {f"f:{k}": {} for k in sorted(keys)}
    for field in ("labels", "annotations"):
        for manager, keys in managed_metadata(meta, field).items():
            fields = owned.setdefault(manager, {}).setdefault("f:metadata", {})
            fields[f"f:{field}"] = {f"f:{k}": {} for k in sorted(keys)}
    meta["managedFields"] = [
        {"manager": manager, "fieldsV1": fields} for manager, fields in owned.items()
    ]
    return doc
