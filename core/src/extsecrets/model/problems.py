"""What admission finds wrong with an object: problems with a path as the user wrote it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

import attrs

from extsecrets.errors import escape_controls

Severity: TypeAlias = Literal["error", "warning"]
PathItem: TypeAlias = str | int


#: the characters of a user's value (a name, a key, a field's text) a message quotes
QUOTE_LIMIT = 100
#: the longest problem line (the rest of a longer one is left out from its middle)
LINE_LIMIT = 2_000


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text``, or when longer than ``limit`` its start and end around the count of the
    characters left out: a megabyte of name or key stays a readable message."""
    if len(text) <= limit:
        return text
    tail = min(20, limit // 4)
    head = limit - tail
    return f"{text[:head]}...({len(text) - head - tail:,} characters)...{text[len(text) - tail :]}"


def render_path(path: Sequence[PathItem]) -> str:
    """``["spec", "data", 0, "remoteRef"]`` -> ``spec.data[0].remoteRef`` (keys shortened)."""
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        elif out:
            out += f".{shorten(item)}"
        else:
            out = shorten(item)
    return out


@attrs.frozen
class Problem:
    """One finding: ``path`` is relative to the object's root (``spec.provider.aws.role``)."""

    path: str
    message: str
    severity: Severity = "error"

    @classmethod
    def at(cls, path: Sequence[PathItem], message: str, severity: Severity = "error") -> Problem:
        return cls(render_path(path), message, severity)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def line(self, subject: object) -> str:
        """``Kind namespace/name: path: message``, prefixed ``warning: `` for a warning."""
        text = (
            f"{subject}: {self.path}: {self.message}"
            if self.path
            else (f"{subject}: {self.message}")
        )
        text = shorten(escape_controls(text), LINE_LIMIT)  # one line, whatever the manifest holds
        return f"warning: {text}" if self.severity == "warning" else text


@attrs.frozen
class AdmissionContext:
    """Where the object being checked lives, for rules that depend on it.

    ``kind`` is the object's kind (``SecretStore``, ``ClusterSecretStore``,
    ``ECRAuthorizationToken``...); ``namespace`` is ``None`` for cluster-scoped objects.
    ``path`` is where the config being checked sits inside the object (``spec.provider.aws``),
    so a plugin's rules can report paths as the user wrote them.
    """

    kind: str
    name: str
    namespace: str | None
    path: tuple[PathItem, ...] = ()

    def problem(
        self, rel: Sequence[PathItem], message: str, severity: Severity = "error"
    ) -> Problem:
        """A problem at ``rel`` below :attr:`path`."""
        return Problem.at((*self.path, *rel), message, severity)
