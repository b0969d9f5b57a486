"""What the operator writes on an object that fails admission: the problems as
``extsecrets validate`` prints them (``path: message``), in a status and an event."""

from __future__ import annotations

from extsecrets.errors import sanitize
from extsecrets.model import CheckedObject

__all__ = ["INVALID_PREFIX", "VALID_AGAIN", "invalid_message", "invalid_reason", "problems_text"]

#: how an admission failure starts in a Ready message (and how the operator recognises its own)
INVALID_PREFIX = "invalid manifest: "
#: the Normal event (and a generator's Ready message) once an edit fixed the object
VALID_AGAIN = "valid again"
#: problems listed in one message; `extsecrets validate` lists them all
_LIMIT = 10

_STORE_KINDS = frozenset({"SecretStore", "ClusterSecretStore"})


def problems_text(checked: CheckedObject) -> str:
    """The errors of ``checked``, ``path: message`` each, ``; ``-separated, on one line."""
    errors = [p for p in checked.problems if p.is_error]
    parts = [f"{p.path}: {p.message}" if p.path else p.message for p in errors[:_LIMIT]]
    if len(errors) > _LIMIT:
        parts.append(f"and {len(errors) - _LIMIT} more (see extsecrets validate)")
    if not parts:  # not modelled at all (only notes): nothing more precise to say
        parts = [p.message for p in checked.problems] or ["not usable by extsecrets"]
    return sanitize("; ".join(parts))


def invalid_message(checked: CheckedObject) -> str:
    return INVALID_PREFIX + problems_text(checked)


def invalid_reason(kind: str, checked: CheckedObject) -> str:
    """The Ready=False reason, ESO's where it has one: ``InvalidProviderConfig`` for a store
    whose provider block is wrong, ``InvalidStoreConfiguration`` for a store wrong elsewhere
    (ESO's reason when it cannot even find the provider), ``SecretSyncedError`` for an
    ExternalSecret. Generators have no status in ESO; theirs reads like a store's provider."""
    if kind == "ExternalSecret":
        return "SecretSyncedError"
    if kind in _STORE_KINDS:
        paths = [p.path for p in checked.problems if p.is_error]
        if paths and all(p.startswith("spec.provider") for p in paths):
            return "InvalidProviderConfig"
        return "InvalidStoreConfiguration"
    return "InvalidProviderConfig"
