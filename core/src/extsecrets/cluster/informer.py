"""List + watch of one kind of Kubernetes object into a local cache (packed JSON, paged lists)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from kubernetes.client.rest import ApiException
from kubernetes.watch.watch import iter_resp_lines

from extsecrets.cluster.apicalls import (
    REQUEST_TIMEOUT,
    Reachability,
    api_call,
    api_message,
    is_unavailable,
    unavailable,
)
from extsecrets.cluster.index import LabelIndex
from extsecrets.cluster.packing import CompactJSON
from extsecrets.cluster.port import ClusterError
from extsecrets.errors import ExtSecretsError, drop_debug_records

__all__ = ["Change", "Informer", "raw_call"]

log = logging.getLogger(__name__)


# the client logs response bodies (Secret data) at DEBUG
drop_debug_records("kubernetes.client.rest")

#: objects per page of a list
LIST_PAGE = 500
#: longest wait between two attempts to list or watch after a failure (seconds)
MAX_PAUSE = 16.0

Change = Callable[[str, Mapping[str, Any] | None, Mapping[str, Any] | None], None]


def _key(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def raw_call(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the client without its model classes: plain JSON is faster and keeps every field.
    An unreachable API server raises :class:`~extsecrets.cluster.port.ClusterUnavailableError`
    (see :mod:`extsecrets.cluster.apicalls`)."""
    return api_call("call the API server", call, *args, **kwargs)


class Informer:
    """Keeps a local copy of one kind of object by list + watch, relisting after a 410 and
    after the API server was unreachable (the watch broke: what changed meanwhile is only
    known from a fresh list)."""

    def __init__(
        self,
        name: str,
        list_call: Callable[..., Any],
        *,
        api_version: str,
        kind: str,
        label_selector: str | None = None,
        on_change: Change | None = None,
        transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        index_label: str | None = None,
        watch_seconds: int = 240,
        unserved: str | None = None,
    ) -> None:
        """``unserved``: for a resource that may not be served (a generator kind whose CRD
        is not installed), what to say when the API server answers 404 to the list. The
        informer then counts as listed, with no objects, and keeps trying (see
        :meth:`_not_served`); without it, a 404 is a failure retried like any other."""
        self.name = name
        self._list = list_call
        self._api_version = api_version
        self._kind = kind
        self._selector = label_selector
        self._on_change = on_change
        self._transform = transform or _drop_managed_fields
        #: names by the value of one label (see :meth:`matching`)
        self._labels = LabelIndex(index_label) if index_label else None
        self._watch_seconds = watch_seconds
        self._items: dict[tuple[str, str], _Stored] = {}
        self._packing = CompactJSON()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.synced = threading.Event()
        #: how many times the informer listed (the first list, then every relist)
        self.lists = 0
        self._outage = Reachability(log, f"informer {name}")
        self._unserved = unserved
        #: ``False`` while the API server answers 404 for the resource (see ``unserved``)
        self.served = True

    @property
    def api_version(self) -> str:
        return self._api_version

    # --- the cache --------------------------------------------------------------------------------
    # Objects are kept packed (extsecrets.cluster.packing): each read unpacks a fresh copy
    # (tens of microseconds), which callers may also change freely.

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            stored = self._items.get((namespace, name))
        return None if stored is None else self._decode(stored)

    def matching(self, namespace: str, labels: Mapping[str, str]) -> list[dict[str, Any]]:
        """Cached objects of ``namespace`` carrying every label of ``labels``, by name; from the
        index when ``labels`` has the indexed label, else by a scan."""
        if self._labels is not None and self._labels.label in labels:
            names = self._labels.names(namespace, labels[self._labels.label])
            with self._lock:
                found = [self._items.get((namespace, n)) for n in names]
        else:
            with self._lock:
                found = [v for (ns, _), v in sorted(self._items.items()) if ns == namespace]
        objects = (self._decode(s) for s in found if s is not None)
        return [o for o in objects if _has_labels(o, labels)]

    def _decode(self, stored: _Stored) -> dict[str, Any]:
        return self._packing.unpack(stored.packed)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def put(self, obj: Mapping[str, Any]) -> None:
        """Record an object just written (newer resourceVersions only)."""
        self._apply("MODIFIED", dict(obj))

    def forget(self, namespace: str, name: str) -> None:
        with self._lock:
            self._items.pop((namespace, name), None)
            if self._labels is not None:
                self._labels.record(namespace, name, None)

    def _apply(self, kind: str, obj: dict[str, Any]) -> None:
        obj = self._transform(obj)
        obj.setdefault("apiVersion", self._api_version)
        obj.setdefault("kind", self._kind)
        key = _key(obj)
        deleted = kind == "DELETED"
        # a deleted object is not kept: nothing to pack
        stored = None if deleted else _Stored(_version(obj), self._packing.pack(obj))
        with self._lock:
            previous = self._items.get(key)
            if stored is None:
                self._items.pop(key, None)
            else:
                if previous is not None and _older(stored.version, previous.version):
                    return
                self._items[key] = stored
            if self._labels is not None:
                meta = obj.get("metadata") or {}
                self._labels.record(*key, None if deleted else meta.get("labels") or {})
        new = None if deleted else obj
        if self._on_change is not None and (previous is not None or new is not None):
            old = None if previous is None else self._decode(previous)
            try:
                self._on_change(kind, old, new)
            except Exception:
                log.exception("informer %s: change handler failed", self.name)

    # --- the loop ---------------------------------------------------------------------------------

    def start(self) -> Informer:
        self._thread = threading.Thread(target=self._run, name=f"informer-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching. The thread may sit in a blocking read until the next event (closing
        the response from here would block on the reader's lock); it is a daemon thread, gone
        with the process, and it checks the flag after every event."""
        self._stop.set()

    def _selector_args(self) -> dict[str, Any]:
        return {"label_selector": self._selector} if self._selector else {}

    def _relist(self) -> str:
        """List everything in pages of ``LIST_PAGE`` (as client-go's reflector does): a single
        answer with every ExternalSecret would be parsed all at once, the largest moment of the
        operator's memory. Objects gone since the last list are reported deleted."""
        seen: set[tuple[str, str]] = set()
        token: str | None = None
        while True:
            page = {"limit": LIST_PAGE, **({"_continue": token} if token else {})}
            answer = api_call(f"list {self.name}", self._list, **self._selector_args(), **page)
            for item in answer.get("items") or []:
                item.setdefault("apiVersion", self._api_version)
                item.setdefault("kind", self._kind)
                seen.add(_key(item))
                self._apply("ADDED", item)
            meta = answer.get("metadata") or {}
            token = meta.get("continue")
            if not token:
                break
        self.lists += 1
        if not self.served:
            self.served = True
            log.info("informer %s: the resource is served now", self.name)
        with self._lock:
            gone = [self._decode(v) for k, v in self._items.items() if k not in seen]
        for obj in gone:
            self._apply("DELETED", obj)
        self.synced.set()
        return str(meta.get("resourceVersion") or "")

    def _not_served(self) -> None:
        """The API server does not serve the resource (404): nothing of it exists. Objects
        listed before (the CRD was deleted since) are reported deleted; the informer counts as
        synced, so the operator does not wait for it; said once, until it is served again."""
        with self._lock:
            gone = [self._decode(v) for v in self._items.values()]
        for obj in gone:
            self._apply("DELETED", obj)
        if self.served:
            self.served = False
            log.warning(
                "informer %s: %s; checking again in the background", self.name, self._unserved
            )
        self.synced.set()

    def _events(self, version: str) -> Iterator[dict[str, Any]]:
        """One watch request from ``version``, event by event, as plain JSON. (The client's own
        ``Watch.stream`` fails on an ERROR event when it does not build model objects.)"""
        response = self._list(
            watch=True,
            resource_version=version,
            timeout_seconds=self._watch_seconds,
            allow_watch_bookmarks=True,
            _preload_content=False,
            # the server ends the watch after timeout_seconds: a read that waits much longer
            # is a connection that died without a word (a host gone, a partition)
            _request_timeout=(REQUEST_TIMEOUT[0], self._watch_seconds + REQUEST_TIMEOUT[1]),
            **self._selector_args(),
        )
        try:
            for line in iter_resp_lines(response):
                if line:
                    yield json.loads(line)
        finally:
            response.close()
            response.release_conn()

    def _run(self) -> None:
        version = ""
        pause = 1.0
        while not self._stop.is_set():
            try:
                if not version:
                    version = self._relist()
                    self._outage.succeeded()
                for event in self._events(version):
                    if self._stop.is_set():
                        return
                    kind, obj = event.get("type"), event.get("object") or {}
                    if kind == "ERROR":
                        if obj.get("code") == 410:
                            version = ""  # too old: list again
                            break
                        raise ClusterError(str(obj.get("message", "watch error")))
                    version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                    if kind != "BOOKMARK":
                        self._apply(str(kind), obj)
                # the watch ran its course: the API server is answering
                self._outage.succeeded()
                pause = 1.0
            except ApiException as exc:
                if exc.status == 410:
                    version = ""
                    continue
                if exc.status == 404 and self._unserved is not None:
                    self._not_served()
                    version = ""
                    self._stop.wait(pause)
                    pause = min(pause * 2, MAX_PAUSE)
                    continue
                self._outage.failed(_describe(f"watch {self.name}", exc))
                self._stop.wait(pause)
                pause = min(pause * 2, MAX_PAUSE)
            except Exception as exc:
                if self._stop.is_set():
                    return
                self._outage.failed(_describe(f"watch {self.name}", exc))
                self._stop.wait(pause)
                pause = min(pause * 2, MAX_PAUSE)
                # the watch broke (the API server went away, or restarted): list again
                version = ""


def _describe(what: str, exc: Exception) -> Exception:
    """A failure of the watch loop as a one-line error: errors of ours as they are, failures
    of the connection sanitised (see :func:`~extsecrets.cluster.apicalls.unavailable`)."""
    if isinstance(exc, ExtSecretsError):
        return exc
    if is_unavailable(exc):
        return unavailable(what, exc)
    if isinstance(exc, ApiException):
        return ClusterError(f"could not {what}: {exc.status} {api_message(exc)}")
    return ClusterError(f"could not {what}: unexpected {type(exc).__name__}")


def _drop_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The default transform: ``managedFields`` are often the larger part of an object and the
    engine does not read them (Secrets keep the part it does: see ``compact_managed_fields``)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return obj


class _Stored(NamedTuple):
    version: str
    packed: bytes


def _has_labels(obj: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    have = (obj.get("metadata") or {}).get("labels") or {}
    return all(have.get(k) == v for k, v in labels.items())


def _version(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def _older(candidate: str, current: str) -> bool:
    """resourceVersions are opaque, but etcd's are integers: compare when both are."""
    try:
        return int(candidate) < int(current)
    except ValueError:
        return False
