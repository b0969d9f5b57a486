"""Pieces the AWS service plugins share when they read: the session out of the credentials,
paginated calls, the answer of a ``find`` from per-name outcomes, and batched calls that one
bad id cannot break for the other ids of its batch."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from botocore.exceptions import ClientError, ParamValidationError

from extsecrets.errors import (
    ExtSecretsError,
    NotFoundError,
    PermanentError,
    PluginError,
    TemporaryError,
)
from extsecrets.properties import go_json_object
from extsecrets.types import Credentials, SecretBytes, SecretMap
from extsecrets_aws_auth.errors import classify
from extsecrets_aws_auth.session import AWSSession

__all__ = [
    "ESO_CALL_PATTERN_ENV",
    "Outage",
    "caused_by_request",
    "eso_call_pattern",
    "found_map",
    "id_problem",
    "length_limits",
    "pages",
    "session_from",
    "split_failing",
    "tags_object",
]

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


# --- batched reads that one bad id cannot break ---------------------------------------------

R = TypeVar("R")
# 4xx answers about the request as a whole (signature, clock, the action itself): splitting
# the ids would only repeat them.
_CALL_LEVEL_CODES = frozenset(
    {
        "IncompleteSignature",
        "InvalidAction",
        "InvalidSignatureException",
        "MissingAction",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "OptInRequired",
        "RequestExpired",
        "UnknownOperationException",
    }
)


def caused_by_request(exc: BaseException) -> bool:
    """Whether a failed call may have failed because of an id it carried: botocore refused a
    parameter, or AWS answered a 4xx that is neither throttling nor about access or the call
    as a whole. Asking for fewer ids can then get the others through; anything else
    (throttling, 5xx, connection, access denied, an answer that could not be parsed) is about
    the call, not its ids."""
    if isinstance(exc, ParamValidationError):
        return True
    if not isinstance(exc, ClientError):
        return False
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return (
        400 <= status < 500
        and status not in (403, 429)
        and code not in _CALL_LEVEL_CODES
        and type(classify(exc)) is PermanentError
    )


class Outage:
    """The first batch call of one store's cycle that failed because of AWS rather than the
    request (a 5xx, throttling, a connection error or timeout: a temporary error, botocore's
    attempts spent): the calls of that cycle not sent yet fail with it without being sent, as
    they would only spend their own attempts on the same failure. One per reader, so one
    service and one identity; the next cycle asks AWS again."""

    def __init__(self) -> None:
        self.cause: BaseException | None = None

    def note(self, exc: BaseException) -> None:
        """Remember ``exc`` when it is the first failure about AWS itself."""
        if (
            self.cause is None
            and not caused_by_request(exc)
            and isinstance(classify(exc), TemporaryError)
        ):
            self.cause = exc


def split_failing(
    ids: Sequence[str],
    call: Callable[[list[str]], Mapping[str, R]],
    error: Callable[[BaseException], ExtSecretsError],
    outage: Outage | None = None,
) -> dict[str, R | ExtSecretsError]:
    """``call(ids)``; when it fails because of some id (:func:`caused_by_request`), the ids are
    split in halves and each half asked again, down to the single ids that fail, which get
    ``error(exc)``; the others still get their answers, in as few calls as the splitting allows.

    ``call`` answers the ids it could match (it may leave some out) or raises. A failure that is
    not about the ids is raised when it happens on ``ids`` as a whole (the caller keeps its own
    handling: retries, fallbacks), and given to the ids of that part when it happens on a part.
    Calls are deterministic enough to infer one: when the first half of a failing part succeeds,
    the second half must fail, so it is split without being asked as a whole.

    With ``outage``, a failure about AWS (:meth:`Outage.note`) is noted there, and once one is
    known no call is made: every id not answered yet gets ``error`` of it (``ids`` as a whole
    included, which then raise nothing).
    """
    out: dict[str, R | ExtSecretsError] = {}

    def ask(part: list[str], failed: BaseException | None, top: bool) -> bool:
        """Answer ``part`` into ``out``; True when one call did it all."""
        if failed is None and outage is not None and outage.cause is not None:
            out.update(dict.fromkeys(part, error(outage.cause)))
            return False
        if failed is None:
            try:
                out.update(call(part))
                return True
            except Exception as exc:
                if outage is not None:
                    outage.note(exc)
                if not caused_by_request(exc):
                    if top:
                        raise
                    out.update(dict.fromkeys(part, error(exc)))
                    return False
                failed = exc
        if len(part) == 1:
            out[part[0]] = error(failed)
            return False
        half = (len(part) + 1) // 2
        left_whole = ask(part[:half], None, False)
        ask(part[half:], failed if left_whole else None, False)
        return False

    ask(list(ids), None, True)
    return out


# --- ids checked before they are sent ---------------------------------------------------------


def length_limits(client: Any, operation: str, member: str) -> tuple[int, int]:
    """(min, max) length of a string parameter of ``operation``, or of the strings of a list
    parameter, as the service model botocore ships says (botocore refuses the whole call
    otherwise)."""
    shape = client.meta.service_model.operation_model(operation).input_shape.members[member]
    if shape.type_name == "list":
        shape = shape.member
    return int(shape.metadata.get("min", 0)), int(shape.metadata.get("max", 2**31))


def id_problem(
    value: str, what: str, limits: tuple[int, int], never: re.Pattern[str], *, trimmed: bool = False
) -> PermanentError | None:
    """Why ``value`` can never name anything, or ``None``: outside the API model's length
    ``limits``, or holding a character that ``never`` matches (shown as code points, so the
    message stays one plain line); with ``trimmed``, AWS drops spaces at either end, so only
    the characters between them are checked."""
    low, high = limits
    if not value:
        return PermanentError(f"invalid {what}: it is empty")
    if len(value) < low:
        return PermanentError(f"invalid {what}: {len(value)} characters, at least {low} needed")
    if len(value) > high:
        return PermanentError(
            f"invalid {what}: {len(value)} characters, AWS accepts at most {high}"
        )
    bad = sorted(set(never.findall(value.strip(" ") if trimmed else value)))
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad[:5]) + (", ..." if len(bad) > 5 else "")
        return PermanentError(f"invalid {what}: it holds characters AWS never accepts ({shown})")
    return None


def tags_object(tags: object, service: str) -> bytes | PermanentError:
    """A resource's tag list (``[{"Key": ..., "Value": ...}]``) as the JSON object ESO makes of
    it; an entry whose key or value is not text is a malformed answer of ``service``."""
    pairs = [t for t in tags if isinstance(t, Mapping)] if isinstance(tags, list) else []
    if any(not isinstance(t.get("Key"), str) or not isinstance(t.get("Value"), str) for t in pairs):
        return PermanentError(f"malformed answer from {service}: a tag is not text")
    return go_json_object({t["Key"]: t["Value"] for t in pairs})
