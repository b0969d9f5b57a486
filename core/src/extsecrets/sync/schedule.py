"""When an ExternalSecret needs a provider read (spec §6.1), for the operator's scheduler.

A fetch is skipped when the refresh is not due **and** the target Secret is still as the last
sync left it (it exists, carries the managed label, and its data hash matches its data).

Two rules of our own decide *when* a refresh is due (docs/operator.md, "Scheduling"):

- **The store grid.** A periodic refresh falls on the last point, at or before
  ``last refresh + refreshInterval``, of a grid shared by everything that reads the same store:
  the times ``offset + k * refreshInterval`` (UTC seconds), ``offset`` taken from a hash of the
  store's identity. ExternalSecrets of one store with the same interval (or intervals that divide
  each other) are then due at the same instant and read in one batch, however they drifted
  apart (created at different times, retried after a failure); different stores fall at
  different offsets, so they do not all refresh at once.
- **Expiring generated values** (ECR tokens) are renewed ``min(5 min, half their remaining
  life)`` before they expire, never sooner than :data:`RENEW_FLOOR` after the last sync. The time
  goes on the target Secret as the annotation :data:`REFRESH_BY_ANNOTATION`, so a restarted
  operator still renews them in time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

import attrs

from extsecrets.cluster.convert import parse_rfc3339
from extsecrets.cluster.objects import ExternalSecretStatus, SecretObject
from extsecrets.model import ExternalSecret
from extsecrets.sync.keys import data_hash
from extsecrets.sync.status import synced_resource_version
from extsecrets.sync.target import DATA_HASH_ANNOTATION, MANAGED_LABEL

__all__ = [
    "REFRESH_BY_ANNOTATION",
    "RENEW_FLOOR",
    "RENEW_MARGIN",
    "StoreGroup",
    "annotated_refresh_by",
    "expiring",
    "grid_point",
    "never_synced",
    "periodic",
    "refresh_by",
    "refresh_period",
    "renew_delay",
    "store_fraction",
    "store_group",
    "sync_needed",
    "target_valid",
    "with_refresh_by",
]

#: On the target Secret: when the operator renews the expiring generated values it holds (UTC)
REFRESH_BY_ANNOTATION = "extsecrets.io/refresh-by"
#: renew generated values this long before they expire (less when they live shorter)
RENEW_MARGIN = 300.0
#: and never sooner than this after the last sync: a value that arrives already expired (or
#: nearly) is fetched again every 10 s, not in a loop
RENEW_FLOOR = 10.0
_WEEK = 7 * 24 * 3600

#: What an ExternalSecret reads: (kind, namespace or "", name) of its store
StoreGroup = tuple[str, str, str]


def never_synced(status: ExternalSecretStatus) -> bool:
    return not status.synced_resource_version or status.refresh_time is None


def sync_needed(es: ExternalSecret, status: ExternalSecretStatus, now: dt.datetime) -> bool:
    """ESO's ``shouldRefresh`` (spec §6.1) without the interval, which the grid decides: a sync
    whatever the time when never synced; when the spec, labels or annotations changed (not with
    ``CreatedOnce``, nor with ``refreshInterval`` 0: one fetch, even after edits, as ESO); when
    ``refreshTime`` is in the future (clock skew, as ESO). ``syncWindows`` are not evaluated:
    admission warns that they are not supported yet."""
    if never_synced(status):
        return True
    policy = es.spec.refresh_policy
    if policy == "CreatedOnce":
        return False
    changed = status.synced_resource_version != synced_resource_version(es)
    if policy == "OnChange":
        return changed
    if es.spec.refresh_interval.seconds <= 0:
        return False
    return changed or (status.refresh_time is not None and status.refresh_time > now)


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


# --- the store grid ------------------------------------------------------------------------------


def store_group(es: ExternalSecret) -> StoreGroup:
    """The store an ExternalSecret reads (``spec.secretStoreRef``, else the first entry's
    ``sourceRef.storeRef``); one that reads generators only is a group of its own."""
    namespace = es.metadata.namespace or "default"
    ref = es.spec.secret_store_ref
    if ref is None or not ref.name:
        sources = [f.source_ref for f in es.spec.data_from] + [d.source_ref for d in es.spec.data]
        refs = [s.store_ref for s in sources if s is not None and s.store_ref is not None]
        ref = next((r for r in refs if r.name), None)
    if ref is None or not ref.name:
        return ("ExternalSecret", namespace, es.metadata.name)
    if ref.kind == "ClusterSecretStore":
        return (ref.kind, "", ref.name)
    return (ref.kind, namespace, ref.name)


def store_fraction(group: StoreGroup) -> float:
    """A number in [0, 1) fixed by the store's identity: it places the store's grid and its
    share of a spread, the same in every operator process."""
    digest = hashlib.sha256("\x00".join(group).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def grid_point(at: float, interval: float, group: StoreGroup) -> float:
    """The last point at or before ``at`` (UTC seconds) of ``group``'s grid for ``interval``.
    Computed as ``offset + k * interval`` so that every caller gets the very same float."""
    offset = float(math.floor(store_fraction(group) * _WEEK))
    return offset + math.floor((at - offset) / interval) * interval


def refresh_period(es: ExternalSecret) -> float | None:
    """``refreshInterval`` in seconds when the ExternalSecret is refreshed periodically."""
    if es.spec.refresh_policy in ("CreatedOnce", "OnChange"):
        return None
    interval = es.spec.refresh_interval.seconds
    return interval if interval > 0 else None


def periodic(es: ExternalSecret, synced_at: float, slack: float) -> float | None:
    """The next periodic refresh after a sync at ``synced_at`` (UTC seconds), on the store grid:
    never later than ``refreshInterval + slack`` after it (``slack`` absorbs how early the sync
    may have run, and the whole seconds of a ``refreshTime`` read back from the status)."""
    interval = refresh_period(es)
    if interval is None:
        return None
    return grid_point(synced_at + interval + slack, interval, store_group(es))


# --- expiring generated values ---------------------------------------------------------------


def renew_delay(expires_at: dt.datetime, now: dt.datetime) -> float:
    """Seconds from ``now`` until values expiring at ``expires_at`` are renewed: 5 minutes
    before they expire, or half-way through what is left of their life when that is shorter
    (a token that lives 1 minute is renewed after 30 s); 0 when they have expired."""
    left = (expires_at - now).total_seconds()
    return max(left - min(RENEW_MARGIN, left / 2), 0.0)


def refresh_by(es: ExternalSecret, synced_at: float, renew_at: float | None) -> float | None:
    """When expiring generated values must be renewed (UTC seconds), honouring the refresh
    policy and :data:`RENEW_FLOOR`; ``None`` when nothing expires."""
    if renew_at is None or es.spec.refresh_policy in ("CreatedOnce", "OnChange"):
        return None
    return max(renew_at, synced_at + RENEW_FLOOR)


def expiring(es: ExternalSecret, refresh_after: float | None) -> bool:
    """Whether the engine's ``refresh_after`` was brought forward by an expiry."""
    interval = es.spec.refresh_interval.seconds
    return refresh_after is not None and (interval <= 0 or refresh_after < interval)


def with_refresh_by(
    secret: SecretObject, es: ExternalSecret, refresh_after: float | None, now: dt.datetime
) -> SecretObject:
    """``secret`` annotated with when its expiring generated values are renewed (the annotation
    goes when nothing in it expires, so a Secret without such values never changes for it)."""
    annotations = dict(secret.annotations)
    if expiring(es, refresh_after):
        assert refresh_after is not None
        at = now + dt.timedelta(seconds=refresh_after)
        annotations[REFRESH_BY_ANNOTATION] = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        annotations.pop(REFRESH_BY_ANNOTATION, None)
    if annotations == secret.annotations:
        return secret
    return attrs.evolve(secret, annotations=annotations)


def annotated_refresh_by(secret: SecretObject | None) -> float | None:
    """The renewal time a sync wrote on ``secret`` (UTC seconds), if any."""
    if secret is None:
        return None
    at = parse_rfc3339(secret.annotations.get(REFRESH_BY_ANNOTATION))
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).timestamp()
