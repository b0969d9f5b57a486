"""ExternalSecret status as ESO writes it (spec §6.7): one ``Ready`` condition with ESO's reasons
and messages, ``refreshTime``, ``syncedResourceVersion`` and ``binding``."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from extsecrets.cluster.convert import parse_rfc3339
from extsecrets.cluster.objects import Condition, ExternalSecretStatus
from extsecrets.model import ExternalSecret

__all__ = [
    "ReadyState",
    "go_string_map",
    "parse_status",
    "ready_condition",
    "status_after",
    "synced_resource_version",
]

# Ready=True reasons and messages
SYNCED = ("SecretSynced", "secret synced")
RETAINED = ("SecretSynced", "secret retained due to DeletionPolicy=Retain")
DELETED = ("SecretDeleted", "secret deleted due to DeletionPolicy=Delete")
MISSING = ("SecretMissing", "secret will not be created due to CreationPolicy=Merge")
# Ready=False: reason SecretSyncedError with one of these messages
ERROR_REASON = "SecretSyncedError"
NO_PROVIDER_DATA = "could not get secret data from provider"
NOT_DELETED = "could not delete secret"
ORPHANS_NOT_DELETED = "could not delete orphaned secrets"
NOT_UPDATED = "could not update secret"
IMMUTABLE = "could not update secret, target is immutable"
OWNED_BY_OTHER = "target is owned by another ExternalSecret"
NO_OWNERSHIP = "failed to take ownership of target secret"


@attrs.frozen
class ReadyState:
    ok: bool
    reason: str
    message: str


def go_string_map(data: Mapping[str, str] | None) -> str:
    """Go's ``%+v`` of a ``map[string]string``: ``map[a:1 b:2]``, keys sorted."""
    return "map[" + " ".join(f"{k}:{(data or {})[k]}" for k in sorted(data or {})) + "]"


def synced_resource_version(es: ExternalSecret) -> str:
    """``<generation>-<sha3-224 of the labels and annotations>``, as ESO computes it."""
    meta = es.metadata
    text = f"map[annotations:{go_string_map(meta.annotations)} labels:{go_string_map(meta.labels)}]"
    return f"{meta.generation or 0}-{hashlib.sha3_224(text.encode()).hexdigest()}"


def parse_status(raw: Any) -> ExternalSecretStatus:
    """The status an ExternalSecret carries (a manifest's mapping, or one the engine wrote)."""
    if isinstance(raw, ExternalSecretStatus):
        return raw
    if not isinstance(raw, Mapping):
        return ExternalSecretStatus()
    conditions = []
    for c in raw.get("conditions") or ():
        if isinstance(c, Mapping) and c.get("status") in ("True", "False", "Unknown"):
            conditions.append(
                Condition(
                    str(c.get("type", "")),
                    c["status"],
                    str(c.get("reason", "")),
                    str(c.get("message", "")),
                    parse_rfc3339(c.get("lastTransitionTime")),
                )
            )
    binding = raw.get("binding")
    return ExternalSecretStatus(
        tuple(conditions),
        parse_rfc3339(raw.get("refreshTime")),
        str(raw.get("syncedResourceVersion") or ""),
        str(binding.get("name")) if isinstance(binding, Mapping) and binding.get("name") else None,
    )


def ready_condition(previous: Condition | None, state: ReadyState, now: dt.datetime) -> Condition:
    """The Ready condition for ``state``; its ``lastTransitionTime`` moves only on a flip."""
    status: Literal["True", "False"] = "True" if state.ok else "False"
    since = (
        previous.last_transition_time
        if previous is not None and previous.status == status and previous.last_transition_time
        else now
    )
    return Condition("Ready", status, state.reason, state.message, since)


def status_after(
    old: ExternalSecretStatus,
    state: ReadyState,
    now: dt.datetime,
    *,
    synced: ExternalSecret | None = None,
    binding: str | None = None,
) -> ExternalSecretStatus:
    """The status after a sync: ``synced`` (the ExternalSecret, on success paths) moves
    ``refreshTime`` and ``syncedResourceVersion``; ``lastTransitionTime`` moves only when
    Ready flips."""
    ready = ready_condition(old.condition("Ready"), state, now)
    others = tuple(c for c in old.conditions if c.type != "Ready")
    return ExternalSecretStatus(
        conditions=(*others, ready),
        refresh_time=now if synced is not None else old.refresh_time,
        synced_resource_version=(
            synced_resource_version(synced) if synced is not None else old.synced_resource_version
        ),
        binding_name=binding or old.binding_name,
    )


def to_wire(status: ExternalSecretStatus) -> dict[str, Any]:
    """The status as Kubernetes stores it (camelCase, RFC 3339 times)."""

    def stamp(value: dt.datetime | None) -> str | None:
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None

    out: dict[str, Any] = {
        "conditions": [
            {
                "type": c.type,
                "status": c.status,
                "reason": c.reason,
                "message": c.message,
                "lastTransitionTime": stamp(c.last_transition_time),
            }
            for c in status.conditions
        ],
    }
    if status.refresh_time is not None:
        out["refreshTime"] = stamp(status.refresh_time)
    if status.synced_resource_version:
        out["syncedResourceVersion"] = status.synced_resource_version
    if status.binding_name:
        out["binding"] = {"name": status.binding_name}
    return out
