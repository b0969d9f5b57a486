"""Pieces the AWS service plugins share when they read: the session out of the credentials,
paginated calls, and the answer of a ``find`` from per-name outcomes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from extsecrets.errors import ExtSecretsError, NotFoundError, PermanentError, PluginError
from extsecrets.types import Credentials, SecretBytes, SecretMap
from extsecrets_aws_auth.session import AWSSession

__all__ = ["ESO_CALL_PATTERN_ENV", "eso_call_pattern", "found_map", "pages", "session_from"]

#: Benchmarks only: read one secret per call, as External Secrets Operator does, so its call
#: pattern can be measured on the same machine (bench/). Never needed in production.
ESO_CALL_PATTERN_ENV = "EXTSECRETS_BENCH_ESO_CALL_PATTERN"


def eso_call_pattern() -> bool:
    return os.environ.get(ESO_CALL_PATTERN_ENV, "") == "1"


def session_from(credentials: Credentials | None, plugin: str) -> AWSSession:
    """The AWS session the auth plugin put in ``credentials``."""
    session = credentials.value if credentials is not None else None
    if not isinstance(session, AWSSession):
        raise PluginError("the aws auth scheme gave no AWS session", plugin=plugin)
    return session


def pages(call: Callable[..., Mapping[str, Any]], **params: Any) -> Iterator[Mapping[str, Any]]:
    """Every page of a paginated call, following ``NextToken``."""
    while True:
        page = call(**params)
        yield page
        token = page.get("NextToken")
        if not token:
            return
        params["NextToken"] = token


def found_map(
    outcomes: Iterable[tuple[str, bytes | ExtSecretsError]], what: str
) -> SecretMap | ExtSecretsError:
    """What a ``find`` answers: every value by name; a name deleted since it was listed is left
    out; any other failure fails the find, naming every ``what`` that could not be read."""
    out: dict[str, SecretBytes] = {}
    failed = []
    for name, outcome in outcomes:
        if isinstance(outcome, NotFoundError):
            continue
        if isinstance(outcome, ExtSecretsError):
            failed.append(f"{name} ({outcome})")
            continue
        out[name] = SecretBytes(outcome)
    if failed:
        return PermanentError(f"could not read every matching {what}: " + "; ".join(failed))
    return SecretMap(out)
