"""List + watch of one kind of Kubernetes object into a local cache (raw JSON dicts)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kubernetes.client.rest import ApiException
from kubernetes.watch.watch import iter_resp_lines

from extsecrets.cluster.index import LabelIndex
from extsecrets.cluster.port import ClusterError

__all__ = ["Change", "Informer", "raw_call"]

log = logging.getLogger(__name__)


class _NoBodies(logging.Filter):
    """The client logs response bodies (Secret data) at DEBUG: never let them through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


logging.getLogger("kubernetes.client.rest").addFilter(_NoBodies())

Change = Callable[[str, Mapping[str, Any] | None, Mapping[str, Any] | None], None]


def _key(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def raw_call(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the client without its model classes: plain JSON is faster and keeps every field."""
    response = call(*args, _preload_content=False, **kwargs)
    return json.loads(response.data or b"null")


class Informer:
    """Keeps a local copy of one kind of object by list + watch, relisting after a 410."""

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
        index_labels: bool = False,
        watch_seconds: int = 240,
    ) -> None:
        self.name = name
        self._list = list_call
        self._api_version = api_version
        self._kind = kind
        self._selector = label_selector
        self._on_change = on_change
        self._transform = transform or _drop_managed_fields
        #: names by label, kept when ``index_labels`` (see :meth:`matching`)
        self._labels = LabelIndex() if index_labels else None
        self._watch_seconds = watch_seconds
        self._items: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.synced = threading.Event()
        #: how many times the informer listed (the first list, then every relist after a 410)
        self.lists = 0

    # --- the cache --------------------------------------------------------------------------------

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            return self._items.get((namespace, name))

    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items.values())

    def matching(self, namespace: str, labels: Mapping[str, str]) -> list[dict[str, Any]]:
        """Cached objects of ``namespace`` carrying every label of ``labels``, by name."""
        if self._labels is None:
            raise TypeError(f"informer {self.name} keeps no label index")
        names = self._labels.names(namespace, labels)
        with self._lock:
            found = (self._items.get((namespace, n)) for n in names)
            return [obj for obj in found if obj is not None]

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
        with self._lock:
            old = self._items.get(key)
            if kind == "DELETED":
                self._items.pop(key, None)
                new = None
            else:
                if old is not None and _older(obj, old):
                    return
                self._items[key] = obj
                new = obj
            if self._labels is not None:
                meta = (new.get("metadata") or {}) if new is not None else None
                self._labels.record(*key, None if meta is None else meta.get("labels") or {})
        if self._on_change is not None and (old is not None or new is not None):
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
        answer = raw_call(self._list, **self._selector_args())
        self.lists += 1
        fresh = {}
        for item in answer.get("items") or []:
            item.setdefault("apiVersion", self._api_version)
            item.setdefault("kind", self._kind)
            fresh[_key(item)] = item
        with self._lock:
            gone = [v for k, v in self._items.items() if k not in fresh]
        for obj in gone:
            self._apply("DELETED", obj)
        for obj in fresh.values():
            self._apply("ADDED", obj)
        self.synced.set()
        return str((answer.get("metadata") or {}).get("resourceVersion") or "")

    def _events(self, version: str) -> Iterator[dict[str, Any]]:
        """One watch request from ``version``, event by event, as plain JSON. (The client's own
        ``Watch.stream`` fails on an ERROR event when it does not build model objects.)"""
        response = self._list(
            watch=True,
            resource_version=version,
            timeout_seconds=self._watch_seconds,
            allow_watch_bookmarks=True,
            _preload_content=False,
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
                pause = 1.0
            except ApiException as exc:
                if exc.status == 410:
                    version = ""
                    continue
                log.warning("informer %s: %s; retrying in %.0fs", self.name, exc.reason, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, 30.0)
            except Exception as exc:
                if self._stop.is_set():
                    return
                log.warning("informer %s: %s; retrying in %.0fs", self.name, exc, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, 30.0)
                version = ""


def _drop_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The default transform: ``managedFields`` are often the larger part of an object and the
    engine does not read them (Secrets keep the part it does: see ``compact_managed_fields``)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return obj


def _older(candidate: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """resourceVersions are opaque, but etcd's are integers: compare when both are."""
    a = (candidate.get("metadata") or {}).get("resourceVersion")
    b = (current.get("metadata") or {}).get("resourceVersion")
    try:
        return int(str(a)) < int(str(b))
    except ValueError:
        return False
