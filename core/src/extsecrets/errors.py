"""One error hierarchy for the core and every plugin.

The engine decides what to do from the class alone: ``NotFoundError`` drives the deletionPolicy,
``TemporaryError`` is retried with backoff, everything else fails the ExternalSecret and keeps the
Secret that was already synced. Messages end up in statuses and events, so they must never carry
a secret value; plugins sanitise provider messages before raising.
"""

from __future__ import annotations

import copy
import logging
import re

__all__ = [
    "AuthError",
    "ConfigError",
    "ExtSecretsError",
    "NotFoundError",
    "PermanentError",
    "PluginError",
    "ReferentAuthError",
    "TemporaryError",
    "drop_debug_records",
    "escape_controls",
    "sanitize",
    "with_context",
]

# Fragments of provider messages that identify a request or a credential, never useful to a user
# reading a status and sometimes sensitive (spec §0.11).
_SENSITIVE = [
    (re.compile(r"Credential=[^,\s]+"), "Credential=<redacted>"),
    (re.compile(r"(?i)(request[ _-]?id:?\s*)[0-9A-Za-z-]+"), r"\1<redacted>"),
    (re.compile(r"(?i)(x-amz-security-token[=:]\s*)\S+"), r"\1<redacted>"),
    (re.compile(r"(?i)(signature[=:]\s*)[0-9a-f]{16,}"), r"\1<redacted>"),
]


# C0 and C1 controls, DEL, the characters that end a line in some readers (U+2028/2029), and
# the bidirectional controls (U+061C, U+200E/200F, U+202A-202E, U+2066-2069): user input quoted
# in a message (a key, a name) must not start a new line of its own, or it could forge a log
# line or a status for another object, nor reorder how the rest of the line reads in a terminal
# ("Trojan Source").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def escape_controls(text: str) -> str:
    """``text`` on one line: control characters written as ``\\n``, ``\\t``, ``\\u001b``."""
    return _CONTROL.sub(_escape, text)


def sanitize(message: str) -> str:
    """``message`` with request ids and credential fragments blanked out, on one line (control
    characters escaped); the engine applies it to every message before it reaches a status, an
    event or a log line."""
    for pattern, replacement in _SENSITIVE:
        message = pattern.sub(replacement, message)
    return escape_controls(message)


class _NoDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def drop_debug_records(*loggers: str) -> None:
    """Drop the DEBUG records of these loggers whatever the logging set-up: client libraries
    log request and response bodies (secret values) at DEBUG, and turning debug logs on must
    never leak a secret."""
    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoDebug) for f in logger.filters):
            logger.addFilter(_NoDebug())


class ExtSecretsError(Exception):
    """Base of every error extsecrets raises on purpose; ``str()`` is the user-facing message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class NotFoundError(ExtSecretsError):
    """The remote secret does not exist; the ExternalSecret's deletionPolicy decides what follows.

    The default message is ESO's sentinel text, which users match on.
    """

    def __init__(self, message: str = "Secret does not exist") -> None:
        super().__init__(message)


class AuthError(ExtSecretsError):
    """Credentials could not be obtained or were refused (e.g. a missing role annotation)."""


class TemporaryError(ExtSecretsError):
    """Worth retrying: throttling, a 5xx answer, a timeout.

    ``retry_after`` is the provider's hint in seconds, when it gave one; the engine's backoff
    never waits less than that.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ExtSecretsError):
    """Retrying the same request will not help (access denied, malformed payload...)."""


class ConfigError(ExtSecretsError):
    """A manifest, a setting or an argument is wrong; ``path`` is the field as the user wrote it."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.reason = message


class ReferentAuthError(ExtSecretsError):
    """Credentials depend on the namespace of the ExternalSecret being served ("referent"
    auth), and there is none: a ClusterSecretStore validated on its own. Not a failure: the
    store is reported valid and credentials are checked per ExternalSecret."""


class PluginError(ExtSecretsError):
    """A plugin misbehaved: failed to load, claimed a name twice, raised something unexpected."""

    def __init__(self, message: str, *, plugin: str = "") -> None:
        super().__init__(message)
        self.plugin = plugin


def with_context(error: ExtSecretsError, prefix: str) -> ExtSecretsError:
    """A copy of ``error`` (same class, so the engine still knows what it means) whose message
    starts with ``prefix``: how ESO wraps errors as they travel up."""
    wrapped = copy.copy(error)
    wrapped.message = prefix + error.message
    wrapped.args = (wrapped.message,)
    return wrapped
