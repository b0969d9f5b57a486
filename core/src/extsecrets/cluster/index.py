"""Object names by the value of one label, so that a label query costs the size of its answer.

The engine asks, for every ExternalSecret it syncs, which Secrets of its namespace carry its
``created-by`` label (the Owner policy's orphan search). Scanning every cached Secret for that
made a cycle quadratic in the number of ExternalSecrets; this index answers from a set lookup.
Only the label asked for is indexed: an index of every label would cost more memory than the
cached Secrets themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

__all__ = ["LabelIndex"]


class LabelIndex:
    """Names per (namespace, value of ``label``); thread-safe."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._value_of: dict[tuple[str, str], str] = {}
        self._names: dict[tuple[str, str], set[str]] = {}
        self._lock = threading.Lock()

    def record(self, namespace: str, name: str, labels: Mapping[str, str] | None) -> None:
        """Record the labels ``namespace/name`` has now; ``None`` when it is gone."""
        key = (namespace, name)
        value = None if labels is None else labels.get(self.label)
        with self._lock:
            old = self._value_of.pop(key, None)
            if old is not None:
                names = self._names.get((namespace, old))
                if names is not None:
                    names.discard(name)
                    if not names:
                        del self._names[(namespace, old)]
            if value is not None:
                value = str(value)
                self._value_of[key] = value
                self._names.setdefault((namespace, value), set()).add(name)

    def names(self, namespace: str, value: str) -> list[str]:
        """Sorted names in ``namespace`` whose label has ``value``."""
        with self._lock:
            return sorted(self._names.get((namespace, value), ()))
