"""Leader election through a ``coordination.k8s.io/v1`` Lease, as client-go does it.

The holder renews the lease every ``retry_period``; a candidate takes it over once it has not
been renewed for ``lease_duration``. A leader that cannot renew within ``renew_deadline`` stops
leading (the operator then exits, so a fresh process competes again). On a clean shutdown the
leader hands the lease back at once so a standby takes over without waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from extsecrets.cluster.convert import parse_rfc3339

__all__ = ["LEASE_DURATION", "RENEW_DEADLINE", "RETRY_PERIOD", "LeaderElector"]

log = logging.getLogger(__name__)

#: client-go's defaults (seconds): a lease not renewed for LEASE_DURATION may be taken over; its
#: holder gives up leading when it could not renew for RENEW_DEADLINE; both sides try every
#: RETRY_PERIOD
LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD = 15.0, 10.0, 2.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _micro(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    def __init__(
        self,
        api: k8s.ApiClient,
        namespace: str,
        name: str,
        identity: str,
        *,
        lease_duration: float = LEASE_DURATION,
        renew_deadline: float = RENEW_DEADLINE,
        retry_period: float = RETRY_PERIOD,
    ) -> None:
        self._api = k8s.CoordinationV1Api(api)
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.leading = threading.Event()
        self._stop = threading.Event()
        # held by a renewal and by the release: once stopped, no renewal can write the lease
        # back after it was handed over
        self._lease_lock = threading.Lock()
        #: monotonic time of the last successful acquire or renewal
        self._renewed_at = -float("inf")

    def _body(self, now: dt.datetime, acquire: dt.datetime, transitions: int) -> dict[str, Any]:
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": int(self.lease_duration),
            "acquireTime": _micro(acquire),
            "renewTime": _micro(now),
            "leaseTransitions": transitions,
        }

    def try_acquire_or_renew(self) -> bool:
        """One attempt; True when this process holds the lease afterwards."""
        with self._lease_lock:
            if self._stop.is_set():
                return False
            started = time.monotonic()
            held = self._acquire_or_renew()
            if held:
                # from when the attempt started: the lease's renewTime is no earlier
                self._renewed_at = started
            return held

    def holds_lease(self) -> bool:
        """Whether this process may write now: it leads, and renewed the lease less than
        ``renew_deadline`` ago (shorter than ``lease_duration``, after which a standby takes
        over). A process that was frozen (stopped, swapped out, starved) past that deadline
        finds out here, before a write, rather than when its renewal thread next runs."""
        if not self.leading.is_set() or self._stop.is_set():
            return False
        return time.monotonic() - self._renewed_at < self.renew_deadline

    def _acquire_or_renew(self) -> bool:
        now = _now()
        try:
            lease = self._api.read_namespaced_lease(self.name, self.namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise
            body = {
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": self._body(now, now, 0),
            }
            try:
                self._api.create_namespaced_lease(self.namespace, body)
                return True
            except ApiException as create_exc:
                if create_exc.status == 409:
                    return False
                raise
        spec = lease.spec
        holder = spec.holder_identity or ""
        renewed = parse_rfc3339(spec.renew_time)
        duration = spec.lease_duration_seconds or self.lease_duration
        held_by_other = holder not in ("", self.identity)
        if held_by_other and renewed and renewed + dt.timedelta(seconds=duration) > now:
            return False
        transitions = (spec.lease_transitions or 0) + (0 if holder == self.identity else 1)
        acquired = parse_rfc3339(spec.acquire_time) if holder == self.identity else now
        body = {
            "metadata": {"resourceVersion": lease.metadata.resource_version},
            "spec": self._body(now, acquired or now, transitions),
        }
        try:
            self._api.replace_namespaced_lease(
                self.name,
                self.namespace,
                {**body, "metadata": {**body["metadata"], "name": self.name}},
            )
        except ApiException as exc:
            if exc.status == 409:
                return False
            raise
        return True

    def release(self) -> None:
        """Hand the lease back (only if still ours). A renewal still in flight on the election
        thread can win the race for the lease object (409): read it again and retry."""
        with self._lease_lock:
            for _ in range(3):
                if self._release_once():
                    return

    def _release_once(self) -> bool:
        """One attempt; ``False`` when the lease changed under us and is worth another try."""
        try:
            lease = self._api.read_namespaced_lease(self.name, self.namespace)
            if lease.spec.holder_identity != self.identity:
                return True
            now = _now()
            body = {
                "metadata": {"name": self.name, "resourceVersion": lease.metadata.resource_version},
                "spec": {
                    "holderIdentity": "",
                    "leaseDurationSeconds": 1,
                    "renewTime": _micro(now),
                    "acquireTime": _micro(now),
                    "leaseTransitions": lease.spec.lease_transitions or 0,
                },
            }
            self._api.replace_namespaced_lease(self.name, self.namespace, body)
        except ApiException as exc:
            if exc.status == 409:
                return False
            log.warning("lease not released: %s", exc.reason)
        return True

    def run(self, on_started: Callable[[], None], on_lost: Callable[[], None]) -> None:
        """Block until leading, call ``on_started``, then renew until stopped or lost."""
        while not self._stop.is_set():
            try:
                if self.try_acquire_or_renew():
                    break
            except Exception as exc:
                log.warning("leader election: %s", exc)
            self._stop.wait(self.retry_period)
        if self._stop.is_set():
            return
        log.info("became leader", extra={"lease": f"{self.namespace}/{self.name}"})
        self.leading.set()
        on_started()
        last_renew = _now()
        while not self._stop.wait(self.retry_period):
            try:
                if self.try_acquire_or_renew():
                    last_renew = _now()
                    continue
            except Exception as exc:
                log.warning("lease renewal failed: %s", exc)
            if (_now() - last_renew).total_seconds() > self.renew_deadline:
                log.error("lost the leader lease")
                self.leading.clear()
                on_lost()
                return

    def stop(self) -> None:
        self._stop.set()
        if self.leading.is_set():
            self.release()
            self.leading.clear()
