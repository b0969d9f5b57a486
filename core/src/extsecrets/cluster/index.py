"""Object names by label, so that a label query costs the size of its answer.

The engine asks, for every ExternalSecret it syncs, which Secrets of its namespace carry its
``created-by`` label (the Owner policy's orphan search). Scanning every cached Secret for that
made a cycle quadratic in the number of ExternalSecrets; this index answers from a set lookup.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from typing import TypeVar

__all__ = ["LabelIndex"]

_Key = tuple[str, str]  # (namespace, name)
_T = TypeVar("_T", bound=Hashable)


class LabelIndex:
    """Names per namespace and per (namespace, label, value); thread-safe."""

    def __init__(self) -> None:
        self._labels: dict[_Key, dict[str, str]] = {}
        self._by_label: dict[tuple[str, str, str], set[str]] = {}
        self._by_namespace: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def record(self, namespace: str, name: str, labels: Mapping[str, str] | None) -> None:
        """Record the labels ``namespace/name`` has now; ``None`` when it is gone."""
        key = (namespace, name)
        with self._lock:
            old = self._labels.pop(key, None)
            if old is not None:
                for label, value in old.items():
                    self._discard(self._by_label, (namespace, label, value), name)
                self._discard(self._by_namespace, namespace, name)
            if labels is None:
                return
            new = {str(k): str(v) for k, v in labels.items()}
            self._labels[key] = new
            for label, value in new.items():
                self._by_label.setdefault((namespace, label, value), set()).add(name)
            self._by_namespace.setdefault(namespace, set()).add(name)

    def clear(self) -> None:
        with self._lock:
            self._labels.clear()
            self._by_label.clear()
            self._by_namespace.clear()

    def names(self, namespace: str, labels: Mapping[str, str]) -> list[str]:
        """Sorted names in ``namespace`` that carry every label of ``labels``."""
        with self._lock:
            if not labels:
                return sorted(self._by_namespace.get(namespace, ()))
            sets = [self._by_label.get((namespace, k, v), set()) for k, v in labels.items()]
            smallest = min(sets, key=len)
            return sorted(n for n in smallest if all(n in s for s in sets))

    @staticmethod
    def _discard(table: dict[_T, set[str]], key: _T, name: str) -> None:
        names = table.get(key)
        if names is not None:
            names.discard(name)
            if not names:
                del table[key]
