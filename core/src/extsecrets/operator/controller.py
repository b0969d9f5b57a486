"""The operator's reconcile loop: ExternalSecrets and stores, scheduled and batched.

Every change seen by the watches (an ExternalSecret, a store, a managed Secret) schedules the
objects it concerns; the loop takes whatever is due, decides for each ExternalSecret whether a
provider read is needed (spec §6.1), and hands all that are to the engine in one batch, so a
secret shared by many ExternalSecrets is read once. After a sync the next refresh is scheduled
on the grid of the store the ExternalSecret reads (:mod:`extsecrets.sync.schedule`), earlier for
expiring generated values; a failure is retried with exponential backoff, at one time for all
that failed together on one store, so a store's ExternalSecrets stay in one batch. Finalizers
and ``deletionPolicy`` on delete follow spec §6.8.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from extsecrets.cluster.invalid import (
    INVALID_PREFIX,
    VALID_AGAIN,
    invalid_message,
    invalid_reason,
)
from extsecrets.cluster.kube import KubeCluster
from extsecrets.cluster.objects import ExternalSecretStatus, ObjectRef, SecretObject
from extsecrets.errors import ExtSecretsError
from extsecrets.model import (
    ESO_API_VERSION,
    CheckedObject,
    ClusterSecretStore,
    ExternalSecret,
    SecretStore,
)
from extsecrets.operator.metrics import OperatorMetrics
from extsecrets.operator.scheduler import Scheduler
from extsecrets.sync.engine import Engine, SyncResult
from extsecrets.sync.schedule import (
    StoreGroup,
    annotated_refresh_by,
    expiring,
    grid_point,
    periodic,
    refresh_by,
    refresh_period,
    store_fraction,
    store_group,
    sync_needed,
    target_valid,
)
from extsecrets.sync.status import (
    ERROR_REASON,
    ReadyState,
    parse_status,
    ready_condition,
    status_after,
)
from extsecrets.sync.target import target_name

__all__ = ["FINALIZER", "Controller"]

log = logging.getLogger(__name__)

FINALIZER = "externalsecrets.external-secrets.io/externalsecret-cleanup"
STORE_REFRESH = 300.0
BACKOFF_START, BACKOFF_MAX = 5.0, 300.0
#: each backoff is BACKOFF_START doubled, times a jitter within ±JITTER
JITTER = 0.1
#: the shortest backoff: the least pause after a failed cycle
MIN_PAUSE = (1 - JITTER) * BACKOFF_START
#: doublings after which the backoff is at its maximum
_MAX_DOUBLINGS = math.ceil(math.log2(BACKOFF_MAX / BACKOFF_START))
#: keys due within this many seconds go out together (and count as due when taken)
WINDOW = 0.25
#: refreshes that fell due while the operator was down are spread over up to this long
RESTART_SPREAD = 30.0
#: a refreshTime read back from the status has whole seconds
_STATUS_SLACK = 1.0 + WINDOW
_NEVER = math.inf


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _meta(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = raw.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


_VOLATILE_META = ("resourceVersion", "managedFields")


def _status_only(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether ``new`` differs from ``old`` in its status (and resourceVersion) only."""
    if old.get("spec") != new.get("spec"):
        return False
    before, after = _meta(old), _meta(new)
    keys = (set(before) | set(after)) - set(_VOLATILE_META)
    return all(before.get(k) == after.get(k) for k in keys)


def _ref(raw: Mapping[str, Any]) -> ObjectRef:
    """What an event about the object ``raw`` is regarding."""
    meta = _meta(raw)
    namespace = meta.get("namespace")
    return ObjectRef(
        str(raw.get("apiVersion") or ESO_API_VERSION),
        str(raw.get("kind")),
        str(meta.get("name")),
        str(namespace) if namespace else None,
        meta.get("uid"),
    )


class Controller:
    def __init__(
        self,
        engine: Engine,
        cluster: KubeCluster,
        metrics: OperatorMetrics,
        *,
        batch_size: int = 500,
        clock: Callable[[], dt.datetime] = _utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.cluster = cluster
        self.metrics = metrics
        self.batch_size = batch_size
        self._clock = clock
        self._random = rng or random.Random()
        self.scheduler = Scheduler(monotonic, window=WINDOW)
        # wall time (UTC seconds) minus monotonic time: planned times convert to the
        # scheduler's clock with one offset, so equal plans give equal due times
        self._offset = clock().timestamp() - monotonic()
        self._failures: dict[Hashable, int] = {}
        # ExternalSecret key -> when its next refresh is planned (UTC seconds; inf: never).
        # Read back from the status (and the Secret's refresh-by annotation) when missing.
        self._planned: dict[Hashable, float] = {}
        # one backoff jitter per (store, failure count) in a cycle
        self._jitter: dict[tuple[Hashable, int], float] = {}
        self._retry_lock = threading.Lock()
        # store -> the shortest refreshInterval among its periodic ExternalSecrets: its batches
        # fall on the points of that grid, and a failure is retried no later than the next one
        self._store_step: dict[StoreGroup, float] = {}
        # Secret -> ExternalSecrets writing it and back, for those with a spec.target.name
        # other than their own name
        self._targets: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self._target_of: dict[tuple[str, str], tuple[str, str]] = {}
        self._index_lock = threading.Lock()
        self._stop = threading.Event()
        self.cycles = 0
        #: when the iteration under way started (``time.monotonic``, real time whatever clock
        #: plans the refreshes), ``None`` while the loop waits for work: the liveness check
        self._iteration_started: float | None = None

    # --- watch callbacks (called on the informer threads: cheap, no API calls) ----------------

    def on_external_secret(
        self, kind: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> None:
        obj = new or old
        assert obj is not None
        meta = _meta(obj)
        key = (str(meta.get("namespace")), str(meta.get("name")))
        if kind == "DELETED" or new is None:
            self._unindex(key)
            self.scheduler.forget(("es", *key))
            self._planned.pop(("es", *key), None)
            self._failures.pop(("es", *key), None)
            self.metrics.forget(*key)
            return
        if old is not None and _status_only(old, new):
            return  # our own status writes: the next refresh is planned already
        spec = new.get("spec") if isinstance(new.get("spec"), Mapping) else {}
        target = (spec.get("target") or {}).get("name") if isinstance(spec, Mapping) else None
        self._index(key, (key[0], str(target or key[1])))
        status = new.get("status") if isinstance(new.get("status"), Mapping) else {}
        # never-synced objects go first
        first = not (status or {}).get("syncedResourceVersion")
        self.scheduler.schedule(("es", *key), self.scheduler.now() - (1.0 if first else 0.0))

    def on_secret(
        self, kind: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> None:
        """A managed Secret changed or went away: check whoever writes it (repairs hand edits)."""
        obj = new or old
        assert obj is not None
        meta = _meta(obj)
        where = (str(meta.get("namespace")), str(meta.get("name")))
        with self._index_lock:
            owners = list(self._targets.get(where, ()))
            # an ExternalSecret without a target name writes the Secret of its own name
            if where not in self._target_of:
                owners.append(where)
        for owner in owners:
            self.scheduler.schedule(("es", *owner))

    def on_store(
        self, kind: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> None:
        obj = new or old
        assert obj is not None
        meta = _meta(obj)
        key = (
            "store",
            str(obj.get("kind")),
            str(meta.get("namespace") or ""),
            str(meta.get("name")),
        )
        if new is None:
            self.scheduler.forget(key)
            return
        if old is None or _meta(old).get("generation") != meta.get("generation"):
            self.scheduler.schedule(key)

    def _index(self, es: tuple[str, str], target: tuple[str, str]) -> None:
        """Remember which Secret ``es`` writes when it is not the one of its own name (the
        usual case costs no memory: see :meth:`on_secret`)."""
        with self._index_lock:
            previous = self._target_of.get(es)
            if previous == target or (previous is None and target == es):
                return
            self._unindex_locked(es)
            if target != es:
                self._target_of[es] = target
                self._targets.setdefault(target, set()).add(es)

    def _unindex(self, es: tuple[str, str]) -> None:
        with self._index_lock:
            self._unindex_locked(es)

    def _unindex_locked(self, es: tuple[str, str]) -> None:
        previous = self._target_of.pop(es, None)
        if previous is not None:
            owners = self._targets.get(previous, set())
            owners.discard(es)
            if not owners:
                self._targets.pop(previous, None)

    # --- the loop ---------------------------------------------------------------------------------

    def run(self) -> None:
        """Reconcile until :meth:`stop`."""
        while not self._stop.is_set():
            keys = self.scheduler.take(self.batch_size, wait=1.0)
            if not keys or self._stop.is_set():
                continue
            self._iteration_started = time.monotonic()
            try:
                self.process(keys)
            except Exception:
                log.exception("reconcile cycle failed")
                for key in keys:
                    self._retry(key, "cycle")
            finally:
                self._iteration_started = None

    def busy_for(self) -> float:
        """Seconds the iteration under way has been running; 0 while the loop waits for work
        (an idle loop is a healthy one)."""
        started = self._iteration_started
        return 0.0 if started is None else time.monotonic() - started

    def stop(self) -> None:
        self._stop.set()
        self.scheduler.wake()

    def process(self, keys: Iterable[Hashable]) -> None:
        es_keys = [k for k in keys if isinstance(k, tuple) and k[0] == "es"]
        store_keys = [k for k in keys if isinstance(k, tuple) and k[0] == "store"]
        self._jitter.clear()
        offset = self._clock().timestamp() - self.scheduler.now()
        if abs(offset - self._offset) > 1.0:  # the wall clock was set: plan on the new one
            self._offset = offset
        if store_keys:
            self._validate_stores(store_keys)
        if es_keys:
            self._sync(es_keys)
        self.cycles += 1

    # --- ExternalSecrets --------------------------------------------------------------------------

    def _sync(self, keys: list[Any]) -> None:
        now = self._clock()

        def prepare(key: Any) -> ExternalSecret | None:
            _, namespace, name = key
            raw = self.cluster.external_secrets.get(namespace, name)
            if raw is None:
                return None
            try:
                return self._prepare(raw, now)
            except ExtSecretsError as exc:
                log.warning(
                    "not synced", extra={"externalsecret": f"{namespace}/{name}", "error": str(exc)}
                )
                # (what fails here fails for a cluster reason: retried together)
                self._retry(key, "prepare")
                return None

        # each may patch its finalizer first: several at once
        with ThreadPoolExecutor(
            self.engine.workers, thread_name_prefix="extsecrets-prepare"
        ) as pool:
            due = [es for es in pool.map(prepare, keys) if es is not None]
        if not due:
            return
        started = self._planning_time()
        results = self.engine.sync(due)
        finished = self._planning_time()
        for es, result in zip(due, results, strict=True):
            self._after(es, result, started, finished)

    def _planning_time(self) -> float:
        """Now, in UTC seconds, as refreshes are planned: the scheduler's clock plus the offset
        of the wall clock, so a plan is due exactly when the scheduler says so (the wall clock
        may drift meanwhile; a step of more than 1 s moves the offset, see :meth:`process`)."""
        return self.scheduler.now() + self._offset

    def _prepare(self, raw: Mapping[str, Any], now: dt.datetime) -> ExternalSecret | None:
        """The ExternalSecret if it needs a sync now; otherwise its next refresh is scheduled."""
        meta = _meta(raw)
        namespace, name = str(meta.get("namespace")), str(meta.get("name"))
        finalizers = list(meta.get("finalizers") or [])
        if meta.get("deletionTimestamp"):
            self._finalize(raw, finalizers)
            return None
        checked = self.cluster.checked(raw)
        if checked.obj is None or not isinstance(checked.obj, ExternalSecret):
            self._invalid(raw, checked, now)
            return None
        es = checked.obj
        self._valid_again(raw, now)
        if FINALIZER not in finalizers:
            self.cluster.set_finalizers(raw, [*finalizers, FINALIZER])
        status = parse_status(raw.get("status"))
        if sync_needed(es, status, now):
            return es
        key = ("es", namespace, name)
        secret = self.cluster.get_secret(namespace, target_name(es))
        planned = self._planned.get(key)
        if planned is None:
            planned = self._planned[key] = self._plan_from_status(es, status, secret)
        if planned <= self._planning_time() + WINDOW or not target_valid(es, secret):
            return es
        self.scheduler.schedule(key, planned - self._offset)
        return None

    def _plan_from_status(
        self,
        es: ExternalSecret,
        status: ExternalSecretStatus,
        secret: SecretObject | None,
    ) -> float:
        """The next refresh of an ExternalSecret this process has not synced (it started, or
        took over), from ``refreshTime`` and the Secret's refresh-by annotation. One that fell
        due meanwhile waits its store's share of up to :data:`RESTART_SPREAD`: stores do not
        all refresh at once, a store's ExternalSecrets still do."""
        assert status.refresh_time is not None  # (never-synced ones need a sync anyway)
        synced = status.refresh_time.timestamp()
        plans = (
            periodic(es, synced, _STATUS_SLACK),
            refresh_by(es, synced, annotated_refresh_by(secret)),
        )
        planned = min((p for p in plans if p is not None), default=_NEVER)
        wall = self._planning_time()
        if planned > wall:
            return planned
        interval = es.spec.refresh_interval.seconds
        spread = min(RESTART_SPREAD, interval / 10) if interval > 0 else RESTART_SPREAD
        return wall + store_fraction(store_group(es)) * spread

    def _after(self, es: ExternalSecret, result: SyncResult, now: float, finished: float) -> None:
        """Plan the next refresh of a synced ExternalSecret (on its store's grid, or when its
        generated values must be renewed), or retry a failed one. ``now`` and ``finished``:
        when the engine started and finished, in UTC seconds as refreshes are planned."""
        key = ("es", result.namespace, result.name)
        ready = result.status.condition("Ready")
        self.metrics.synced(result.namespace, result.name, result.ok, ready.status if ready else "")
        group = store_group(es)
        step = refresh_period(es)
        if step is not None and step < self._store_step.get(group, _NEVER):
            self._store_step[group] = step
        if result.ok:
            self._failures.pop(key, None)
            plans = [periodic(es, now, WINDOW)]
            if expiring(es, result.refresh_after):
                assert result.refresh_after is not None
                plans.append(refresh_by(es, now, now + result.refresh_after))
            planned = min((p for p in plans if p is not None), default=_NEVER)
            self._planned[key] = planned
            if planned < _NEVER:
                self.scheduler.schedule(key, planned - self._offset)
            return
        log.warning(
            "sync failed",
            extra={"externalsecret": f"{result.namespace}/{result.name}", "error": result.error},
        )
        if result.retry:
            self._retry(key, group, finished, self._next_batch(group, finished))

    def _next_batch(self, group: StoreGroup, finished: float) -> float | None:
        """The store's next refresh instant at least :data:`MIN_PAUSE` after a cycle that
        ``finished``: the first such point of its grid for the shortest refreshInterval its
        ExternalSecrets have (longer ones that divide by it fall on the same points). Never
        sooner: a cycle that outlasted the interval (slow or throttled calls) must not be
        followed by the next one at once, nor a retry that fell just before a grid point by
        another one on it."""
        step = self._store_step.get(group)
        if step is None:
            return None
        return grid_point(finished + MIN_PAUSE + step, step, group)

    def _retry(
        self,
        key: Hashable,
        group: StoreGroup | str | None = None,
        now: float | None = None,
        until: float | None = None,
        *,
        interval: float = 0.0,
    ) -> None:
        """Retry ``key`` with exponential backoff: 5 s doubling to 5 min, no longer than
        ``interval`` (when set) and no later than ``until`` (UTC seconds; the store's next
        batch, never sooner than 4.5 s after ``now``: :meth:`_next_batch`). Everything of one
        ``group`` (a store) that fails in one cycle with the same count of failures is retried
        at the very same time, so it stays one batch; groups get different jitter (±10 %)."""
        with self._retry_lock:  # (prepare runs in threads)
            failures = self._failures.get(key, 0) + 1
            self._failures[key] = failures
            slot = (key if group is None else group, failures)
            jitter = self._jitter.get(slot)
            if jitter is None:
                jitter = self._jitter[slot] = self._random.uniform(1 - JITTER, 1 + JITTER)
        # (the exponent stops growing once past the maximum: 2.0**1024 would overflow after
        # a thousand failures, an hour and a half of a failing 5 s interval)
        delay = min(BACKOFF_START * 2.0 ** min(failures - 1, _MAX_DOUBLINGS), BACKOFF_MAX)
        if interval > 0:
            delay = min(delay, max(interval, BACKOFF_START))
        at = (self._planning_time() if now is None else now) + delay * jitter
        self.scheduler.schedule(key, (at if until is None else min(at, until)) - self._offset)

    def _invalid(self, raw: Mapping[str, Any], checked: CheckedObject, now: dt.datetime) -> None:
        """An ExternalSecret extsecrets cannot use: every admission problem, as `extsecrets
        validate` prints it, in its Ready condition and in a Warning event; written once (not
        again while the problems stay the same)."""
        message = invalid_message(checked)
        old = parse_status(raw.get("status"))
        current = old.condition("Ready")
        if current is not None and current.status == "False" and current.message == message:
            return
        meta = _meta(raw)
        status = status_after(old, ReadyState(False, ERROR_REASON, message), now)
        self.cluster.patch_external_secret_status(meta, status)
        self.cluster.record_event(_ref(raw), "Warning", "UpdateFailed", message)
        log.warning("invalid manifest", extra={"object": str(checked.ident), "error": message})

    def _admitted(self, raw: Mapping[str, Any], checked: CheckedObject, now: dt.datetime) -> bool:
        """Whether a store or generator passes admission. If it does not, its Ready condition
        and a Warning event say why, once (not again while the problems stay the same). Once
        an edit fixed it, a Normal event says it is valid again; a store's Ready is then the
        store validation's, a generator's says valid again."""
        kind = str(raw.get("kind"))
        ready = parse_status(raw.get("status")).condition("Ready")
        if checked.obj is None:
            message = invalid_message(checked)
            if ready is not None and ready.status == "False" and ready.message == message:
                return False
            reason = invalid_reason(kind, checked)
            state = ReadyState(False, reason, message)
            self.cluster.write_ready(raw, ready_condition(ready, state, now))
            self.cluster.record_event(_ref(raw), "Warning", reason, message)
            log.warning("invalid manifest", extra={"object": str(checked.ident), "error": message})
            return False
        self._valid_again(raw, now)
        return True

    def _valid_again(self, raw: Mapping[str, Any], now: dt.datetime) -> None:
        """``raw`` passes admission: if its Ready condition still holds our admission failure,
        a Normal event says it is valid again. A generator's Ready says so too; an
        ExternalSecret's and a store's are written by the sync or validation that follows."""
        ready = parse_status(raw.get("status")).condition("Ready")
        if ready is None or ready.status != "False" or not ready.message.startswith(INVALID_PREFIX):
            return
        if raw.get("kind") not in ("ExternalSecret", "SecretStore", "ClusterSecretStore"):
            state = ReadyState(True, "Valid", VALID_AGAIN)
            self.cluster.write_ready(raw, ready_condition(ready, state, now))
        self.cluster.record_event(_ref(raw), "Normal", "Valid", VALID_AGAIN)

    def _finalize(self, raw: Mapping[str, Any], finalizers: list[str]) -> None:
        """Spec §6.8: with deletionPolicy Delete, the Secret goes if this ExternalSecret controls
        it; then the finalizer is removed."""
        if FINALIZER not in finalizers:
            return
        meta = _meta(raw)
        namespace, name = str(meta.get("namespace")), str(meta.get("name"))
        spec: Mapping[str, Any] = raw.get("spec") or {}
        target: Mapping[str, Any] = spec.get("target") or {}
        if target.get("deletionPolicy") == "Delete":
            secret = self.cluster.get_secret(namespace, str(target.get("name") or name))
            controller = secret.controller if secret is not None else None
            if secret is not None and controller is not None and controller.uid == meta.get("uid"):
                self.cluster.delete_secret(namespace, secret.name, secret.resource_version)
        self.cluster.set_finalizers(raw, [f for f in finalizers if f != FINALIZER])

    # --- stores -------------------------------------------------------------------------------

    def _validate_stores(self, keys: list[Any]) -> None:
        """Stores and generators that changed or are due: admission first (:meth:`_admitted`),
        then each store is validated with its provider (spec §6.9) and scheduled again after
        its ``refreshInterval``; a failed validation, or a status that could not be written,
        sooner, with backoff (as ESO's requeue). Generators have nothing more to check."""
        now = self._clock()
        stores: list[SecretStore | ClusterSecretStore] = []
        intervals: dict[tuple[str, str, str], float] = {}
        for key in keys:
            _, kind, namespace, name = key
            informer = self.cluster.informer_for(kind)
            raw = informer.get(namespace, name) if informer is not None else None
            if raw is None:
                continue
            checked = self.cluster.checked(raw)
            try:
                admitted = self._admitted(raw, checked, now)
            except ExtSecretsError as exc:
                log.warning(
                    "status not written", extra={"object": str(checked.ident), "error": str(exc)}
                )
                self._retry(key)
                continue
            self._failures.pop(key, None)
            if not admitted or not isinstance(checked.obj, (SecretStore, ClusterSecretStore)):
                continue
            store = checked.obj
            stores.append(store)
            refresh = store.spec.refresh_interval
            intervals[(kind, namespace, name)] = (
                refresh.seconds if refresh and refresh.seconds > 0 else STORE_REFRESH
            )
        for result in self.engine.validate_stores(stores):
            where = (result.kind, result.namespace or "", result.name)
            key = ("store", *where)
            interval = intervals.get(where, STORE_REFRESH)
            if not result.ok:
                log.warning(
                    "store not valid",
                    extra={"store": f"{result.kind} {result.name}", "error": result.error},
                )
            if result.unwritten is not None:
                log.warning(
                    "status not written",
                    extra={"store": f"{result.kind} {result.name}", "error": result.unwritten},
                )
            if result.ok and result.unwritten is None:
                self._failures.pop(key, None)
                self.scheduler.schedule(key, self.scheduler.now() + interval)
            else:
                self._retry(key, interval=interval)
