"""botocore exceptions mapped onto extsecrets' error hierarchy, with safe messages.

Shared by every AWS plugin, so throttling is retried and access denied is not, wherever it
happens. Messages keep AWS's own text (users search for it) minus request ids.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from extsecrets.errors import (
    AuthError,
    ExtSecretsError,
    PermanentError,
    TemporaryError,
    sanitize,
)

__all__ = ["THROTTLING_CODES", "classify", "error_code"]

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
    text = prefix + sanitize(str(exc))
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in THROTTLING_CODES or _status(exc) == 429:
            return TemporaryError(text)
        if _status(exc) >= 500:
            return TemporaryError(text)
        if code in _AUTH_CODES:
            return AuthError(text)
        return PermanentError(text)
    if isinstance(exc, (EndpointConnectionError, ConnectionError, ReadTimeoutError)):
        return TemporaryError(text)
    if isinstance(exc, NoCredentialsError):
        return AuthError(text)
    if isinstance(exc, BotoCoreError):
        return PermanentError(text)
    return PermanentError(prefix + type(exc).__name__)
