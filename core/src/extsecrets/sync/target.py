"""The Secret an ExternalSecret asks for (spec §6.5, §6.6; with ``target.template``, templates
spec §1.4): its data, labels, annotations, type, finalizers and owner reference, given the
Secret that exists now."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import attrs

from extsecrets.cluster.objects import OwnerReference, SecretObject
from extsecrets.errors import ExtSecretsError
from extsecrets.model import ESO_API_VERSION, ExternalSecret
from extsecrets.sync.keys import data_hash
from extsecrets.sync.template import RenderedTemplate

__all__ = [
    "CREATED_BY_LABEL",
    "DATA_HASH_ANNOTATION",
    "MANAGED_LABEL",
    "OwnershipError",
    "created_by",
    "desired_secret",
    "field_manager",
    "kept_secret",
    "target_name",
]

MANAGED_LABEL = "reconcile.external-secrets.io/managed"
CREATED_BY_LABEL = "reconcile.external-secrets.io/created-by"
DATA_HASH_ANNOTATION = "reconcile.external-secrets.io/data-hash"
# The ExternalSecret's own kubectl record would make kubectl treat the Secret as applied from it.
_NOT_COPIED = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
_FIELD_MANAGER = "externalsecrets.external-secrets.io/"
_MAX_FIELD_MANAGER = 128


class OwnershipError(ExtSecretsError):
    """The target is controlled by someone else. ``ready_message`` is the condition text."""

    def __init__(self, message: str, ready_message: str) -> None:
        super().__init__(message)
        self.ready_message = ready_message


def target_name(es: ExternalSecret) -> str:
    return es.spec.target.name or es.metadata.name


def created_by(es: ExternalSecret) -> str:
    """The ``created-by`` label value: sha3-224 hex of ``<namespace>/<name>``."""
    return hashlib.sha3_224(f"{es.metadata.namespace}/{es.metadata.name}".encode()).hexdigest()


def field_manager(es: ExternalSecret) -> str:
    """The field manager that records which data keys this ExternalSecret wrote."""
    name = _FIELD_MANAGER + es.metadata.name
    if len(name) <= _MAX_FIELD_MANAGER:
        return name
    return _FIELD_MANAGER + "sha3-" + hashlib.sha3_224(es.metadata.name.encode()).hexdigest()


def owner_reference(es: ExternalSecret) -> OwnerReference:
    return OwnerReference(
        ESO_API_VERSION,
        "ExternalSecret",
        es.metadata.name,
        es.metadata.uid or "",
        controller=True,
        block_owner_deletion=True,
    )


def _is_mine(ref: OwnerReference, es: ExternalSecret) -> bool:
    return ref.kind == "ExternalSecret" and ref.name == es.metadata.name


def check_ownership(es: ExternalSecret, existing: SecretObject | None) -> None:
    """Refuse to write a Secret controlled by another ExternalSecret (or, for Owner, by any
    other controller)."""
    controller = existing.controller if existing is not None else None
    if controller is None or _is_mine(controller, es):
        return
    name = target_name(es)
    if controller.kind == "ExternalSecret":
        raise OwnershipError(
            f"unable to mutate secret {name}: secret is owned by another ExternalSecret: "
            f"{controller.name}",
            "target is owned by another ExternalSecret",
        )
    if es.spec.target.creation_policy == "Owner":
        raise OwnershipError(
            f"unable to mutate secret {name}: could not set controller reference on secret: "
            f"it is controlled by {controller.kind} {controller.name}",
            "failed to take ownership of target secret",
        )


def desired_secret(
    es: ExternalSecret,
    existing: SecretObject | None,
    data: Mapping[str, bytes],
    rendered: RenderedTemplate | None = None,
) -> SecretObject:
    """The Secret after this sync. Merge policies keep the keys others wrote and drop the ones
    this ExternalSecret wrote before and no longer produces; the others start from nothing.
    Labels and annotations this ExternalSecret wrote before are dropped, then its own (without
    a template) or the rendered ones (with one) are set. ``rendered``: the template's output."""
    policy = es.spec.target.creation_policy
    namespace = es.metadata.namespace or "default"
    manager = field_manager(es)
    merged: dict[str, bytes] = {}
    if existing is not None and policy in ("Merge", "CreateOrMerge"):
        previously = existing.managed_keys.get(manager, frozenset())
        merged = {k: v for k, v in existing.data.items() if k not in previously}
    merged.update(data if rendered is None else rendered.data)

    labels = _kept_metadata(existing, "labels", manager)
    annotations = _kept_metadata(existing, "annotations", manager)
    if rendered is None:
        labels.update({k: v for k, v in es.metadata.labels.items() if k not in _NOT_COPIED})
        annotations.update(
            {k: v for k, v in es.metadata.annotations.items() if k not in _NOT_COPIED}
        )
    else:
        labels.update(rendered.labels)
        annotations.update(rendered.annotations)
    labels[MANAGED_LABEL] = "true"
    if policy == "Owner":
        labels[CREATED_BY_LABEL] = created_by(es)
    else:
        labels.pop(CREATED_BY_LABEL, None)
    annotations[DATA_HASH_ANNOTATION] = data_hash(merged)

    owners = [o for o in (existing.owner_references if existing else ()) if not _is_mine(o, es)]
    if policy == "Owner":
        owners.append(owner_reference(es))

    base = existing or SecretObject(namespace, target_name(es))
    finalizers = base.finalizers
    secret_type = base.type
    if rendered is not None:
        if not base.deleting:
            finalizers += tuple(f for f in rendered.finalizers if f not in finalizers)
        secret_type = rendered.type or secret_type
    return attrs.evolve(
        base,
        data=merged,
        type=secret_type,
        labels=labels,
        annotations=annotations,
        owner_references=owners,
        immutable=base.immutable or es.spec.target.immutable,
        finalizers=finalizers,
    )


def kept_secret(es: ExternalSecret, existing: SecretObject) -> SecretObject:
    """An immutable templated target that exists already: ESO does not render again (templates
    spec §1.9), so data, type and metadata stay; only the managed label, the data hash and the
    ownership are brought up to date."""
    policy = es.spec.target.creation_policy
    labels = dict(existing.labels)
    labels[MANAGED_LABEL] = "true"
    if policy == "Owner":
        labels[CREATED_BY_LABEL] = created_by(es)
    else:
        labels.pop(CREATED_BY_LABEL, None)
    annotations = dict(existing.annotations)
    annotations[DATA_HASH_ANNOTATION] = data_hash(existing.data)
    owners = [o for o in existing.owner_references if not _is_mine(o, es)]
    if policy == "Owner":
        owners.append(owner_reference(es))
    return attrs.evolve(
        existing, labels=labels, annotations=annotations, owner_references=owners, immutable=True
    )


def _kept_metadata(existing: SecretObject | None, field: str, manager: str) -> dict[str, str]:
    """The labels (annotations) of ``existing`` less those ``manager`` wrote before."""
    if existing is None:
        return {}
    current = existing.labels if field == "labels" else existing.annotations
    owned = (existing.managed_labels if field == "labels" else existing.managed_annotations).get(
        manager, frozenset()
    )
    return {k: v for k, v in current.items() if k not in owned}
