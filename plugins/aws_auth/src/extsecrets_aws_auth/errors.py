"""botocore exceptions mapped onto extsecrets' error hierarchy, with safe messages.

Shared by every AWS plugin, so throttling is retried and access denied is not, wherever it
happens. Messages keep AWS's and botocore's own text (users search for it) minus request ids,
and minus anything that can quote a value: parameter values botocore echoes when it refuses a
call, the body of an answer it cannot parse, the text of exceptions that are not botocore's.
"""

from __future__ import annotations

import logging
import re
import traceback

import botocore.exceptions
from botocore.exceptions import (
    BotoCoreError,
    CapacityNotAvailableError,
    ClientError,
    ConnectionError,
    CredentialRetrievalError,
    HTTPClientError,
    IncompleteReadError,
    NoAuthTokenError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    RefreshWithMFAUnsupportedError,
    SSOError,
    TokenRetrievalError,
)
from botocore.parsers import ResponseParserError

from extsecrets.errors import (
    AuthError,
    ExtSecretsError,
    PermanentError,
    TemporaryError,
    sanitize,
)
from extsecrets_aws_auth.metrics import unsent_call_failed

__all__ = ["THROTTLING_CODES", "classify", "error_code"]

log = logging.getLogger(__name__)

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
_AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidIdentityToken",
        "IDPCommunicationError",
        "IDPRejectedClaim",
        "RegionDisabledException",
    }
)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ``ClientError`` (``""`` for anything else)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def classify(exc: BaseException, prefix: str = "") -> ExtSecretsError:
    """The hierarchy error for a botocore exception; ``prefix`` starts its message."""
    if isinstance(exc, ExtSecretsError):
        return exc
    unsent_call_failed()  # a call botocore refused before sending is counted as an error
    if isinstance(exc, ClientError):
        text = prefix + sanitize(str(exc))
        code = error_code(exc)
        if code in THROTTLING_CODES or _status(exc) == 429:
            return TemporaryError(text)
        if _status(exc) >= 500:
            return TemporaryError(text)
        if code in _AUTH_CODES:
            return AuthError(text)
        return PermanentError(text)
    if isinstance(exc, ParamValidationError):
        return PermanentError(prefix + _validation_text(exc))
    if isinstance(exc, ResponseParserError):
        # its text carries the answer's body, which can hold a value
        return PermanentError(prefix + "unable to parse the answer from AWS (malformed response)")
    if isinstance(exc, BotoCoreError):
        text = prefix + sanitize(str(exc))
        # connection refused, DNS, TLS, proxy, connect and read timeouts, a connection closed
        # early, an answer cut short, the client-side retry quota spent: worth retrying
        if isinstance(
            exc,
            (ConnectionError, HTTPClientError, IncompleteReadError, CapacityNotAvailableError),
        ):
            return TemporaryError(text)
        if isinstance(exc, _CREDENTIAL_ERRORS):
            return AuthError(text)
        return PermanentError(text)
    # Not botocore's: a bug, whose text may quote anything; the log gets where it happened.
    log.error(
        "unexpected %s from the AWS client, at:\n%s",
        type(exc).__name__,
        "".join(traceback.format_tb(exc.__traceback__)),
    )
    return PermanentError(
        f"{prefix}unexpected error in the AWS client ({type(exc).__name__}); "
        "the controller log shows where"
    )


_CREDENTIAL_ERRORS = (
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    NoAuthTokenError,
    TokenRetrievalError,
    RefreshWithMFAUnsupportedError,
    SSOError,
    # ``aws login`` sessions (botocore 1.40 on)
    *((botocore.exceptions.LoginError,) if hasattr(botocore.exceptions, "LoginError") else ()),
)
# botocore's report: "Invalid type for parameter X, value: <the value>, type: ..."
_ECHOED_VALUE = re.compile(r", value: .*?, (?=type: |valid min (?:value|length): )", re.DOTALL)


def _validation_text(exc: ParamValidationError) -> str:
    """botocore's report, one line, without the values it quotes."""
    report = str(exc.kwargs.get("report", ""))
    lines = [line.strip() for line in _ECHOED_VALUE.sub(", ", report).splitlines()]
    return sanitize("Parameter validation failed: " + "; ".join(line for line in lines if line))
