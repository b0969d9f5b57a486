"""Keeping the values of a cycle out of the texts it produces.

A provider's error message may quote a value (a backend that echoes what it refused, a parser
that shows its input); plugins sanitise what they know of, but the engine is the last place that
sees both the values read in a cycle and every message bound for a status, an event, a log line
or stderr. :class:`ValueScrubber` replaces those values in a message with ``<redacted>``.

Values shorter than :data:`MIN_SCRUBBED` characters are left alone: blanking every ``true`` or
``80`` would make messages unreadable while hiding nothing worth a secret. Textual values are
also searched line by line (a PEM block quoted one line at a time) and, for JSON documents, leaf
by leaf (an error naming one field of a secret).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["MIN_SCRUBBED", "REDACTED", "ValueScrubber"]

MIN_SCRUBBED = 6
REDACTED = "<redacted>"


def _leaves(document: Any) -> Iterator[str]:
    if isinstance(document, dict):
        for value in document.values():
            yield from _leaves(value)
    elif isinstance(document, list):
        for value in document:
            yield from _leaves(value)
    elif isinstance(document, str):
        yield document
    elif isinstance(document, (int, float)) and not isinstance(document, bool):
        yield json.dumps(document)


def _fragments(value: bytes) -> Iterator[str]:
    """The texts a message could quote of ``value``."""
    text = value.decode("utf-8", "replace")
    yield text
    yield from text.splitlines()
    if text[:1] in ("{", "["):
        try:
            leaves = list(_leaves(json.loads(text)))
        except (ValueError, RecursionError):  # not JSON, or nested beyond reason
            leaves = []
        yield from leaves


class ValueScrubber:
    """Built from the values of one cycle; :meth:`scrub` is cheap until a message is scrubbed
    (the pattern is compiled on first use, since most cycles produce no error)."""

    def __init__(self, values: Iterable[bytes]) -> None:
        self._values = list(values)
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._values:
                fragments = {
                    f.strip()
                    for v in self._values
                    for f in _fragments(v)
                    if len(f.strip()) >= MIN_SCRUBBED
                }
                self._values = []
                if fragments:
                    # longest first, so a value is never half-replaced by one of its lines
                    alternatives = sorted(fragments, key=len, reverse=True)
                    self._pattern = re.compile("|".join(map(re.escape, alternatives)))
            return self._pattern

    def scrub(self, message: str) -> str:
        pattern = self._compiled()
        return message if pattern is None else pattern.sub(REDACTED, message)
