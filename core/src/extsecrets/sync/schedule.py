"""When an ExternalSecret needs a provider read (spec §6.1), for the operator's scheduler.

A fetch is skipped when the refresh is not due **and** the target Secret is still as the last
sync left it (it exists, carries the managed label, and its data hash matches its data).
"""

from __future__ import annotations

import datetime as dt

from extsecrets.cluster.objects import ExternalSecretStatus, SecretObject
from extsecrets.model import ExternalSecret
from extsecrets.sync.keys import data_hash
from extsecrets.sync.status import synced_resource_version
from extsecrets.sync.target import DATA_HASH_ANNOTATION, MANAGED_LABEL

__all__ = ["never_synced", "next_refresh", "refresh_due", "target_valid"]


def never_synced(status: ExternalSecretStatus) -> bool:
    return not status.synced_resource_version or status.refresh_time is None


def refresh_due(es: ExternalSecret, status: ExternalSecretStatus, now: dt.datetime) -> bool:
    """ESO's ``shouldRefresh``: the refresh policy, spec or metadata changes, the interval.
    (``syncWindows`` are not evaluated: admission warns that they are not supported yet.)"""
    policy = es.spec.refresh_policy
    if policy == "CreatedOnce":
        return never_synced(status)
    changed = status.synced_resource_version != synced_resource_version(es)
    if policy == "OnChange":
        return never_synced(status) or changed
    interval = es.spec.refresh_interval.seconds
    if interval <= 0 and not never_synced(status):
        return False
    if changed or status.refresh_time is None or status.refresh_time > now:
        return True
    return status.refresh_time + dt.timedelta(seconds=interval) <= now


def target_valid(es: ExternalSecret, secret: SecretObject | None) -> bool:
    """The target is as a sync leaves it (``Orphan`` and ``None`` targets always count as valid:
    there is nothing extsecrets would repair)."""
    if es.spec.target.creation_policy in ("Orphan", "None"):
        return True
    if secret is None:
        return es.spec.target.creation_policy == "Merge"
    return secret.labels.get(MANAGED_LABEL) == "true" and secret.annotations.get(
        DATA_HASH_ANNOTATION
    ) == data_hash(secret.data)


def next_refresh(
    es: ExternalSecret, status: ExternalSecretStatus, now: dt.datetime
) -> dt.datetime | None:
    """When the next periodic refresh falls due (``None``: never, by policy or interval 0)."""
    if es.spec.refresh_policy in ("CreatedOnce", "OnChange"):
        return None
    interval = es.spec.refresh_interval.seconds
    if interval <= 0 or status.refresh_time is None:
        return None if interval <= 0 else now
    return max(now, status.refresh_time + dt.timedelta(seconds=interval))
