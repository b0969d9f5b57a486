"""Registry credentials from ECR and ECR Public (spec §5).

A token is ``base64("<user>:<password>")``; it must split into exactly two parts. Private ECR
answers with ``proxy_endpoint`` too; ECR Public's API lives in ``us-east-1`` only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from extsecrets.errors import ExtSecretsError, PermanentError
from extsecrets.sync.keys import decode_value
from extsecrets.types import Generated, SecretBytes
from extsecrets_aws_auth.errors import classify
from extsecrets_aws_auth.session import AWSSession
from extsecrets_aws_ecr.config import ECRAuthorizationTokenSpec

__all__ = ["PUBLIC_REGION", "generate"]

PUBLIC_REGION = "us-east-1"


def _credentials(token: str) -> tuple[str, str]:
    decoded = decode_value(token.encode(), "Base64").decode("utf-8", "replace")
    parts = decoded.split(":")
    if len(parts) != 2:
        raise PermanentError("unexpected token format")
    return parts[0], parts[1]


def _unix(value: Any) -> tuple[str, dt.datetime]:
    when = (
        value if isinstance(value, dt.datetime) else dt.datetime.fromtimestamp(float(value), dt.UTC)
    )
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return str(int(when.timestamp())), when


def _private(session: AWSSession) -> Generated:
    try:
        answer = session.client("ecr").get_authorization_token()
    except Exception as exc:
        raise classify(exc, "unable to get authorization token: ") from None
    data = answer.get("authorizationData", [])
    if len(data) != 1:
        raise PermanentError(
            f"unexpected number of authorization tokens. expected 1, found {len(data)}"
        )
    entry: Mapping[str, Any] = data[0]
    user, password = _credentials(entry.get("authorizationToken", ""))
    expires, when = _unix(entry["expiresAt"])
    values = {
        "username": user,
        "password": password,
        "proxy_endpoint": entry.get("proxyEndpoint", ""),
        "expires_at": expires,
    }
    return Generated({k: SecretBytes(v.encode()) for k, v in values.items()}, expires_at=when)


def _public(session: AWSSession) -> Generated:
    try:
        answer = session.client("ecr-public", region=PUBLIC_REGION).get_authorization_token()
    except Exception as exc:
        raise classify(exc, "unable to get public authorization token: ") from None
    entry: Mapping[str, Any] = answer.get("authorizationData", {})
    user, password = _credentials(entry.get("authorizationToken", ""))
    expires, when = _unix(entry["expiresAt"])
    values = {"username": user, "password": password, "expires_at": expires}
    return Generated({k: SecretBytes(v.encode()) for k, v in values.items()}, expires_at=when)


def generate(spec: ECRAuthorizationTokenSpec, session: AWSSession) -> Generated:
    """A fresh token: ECR Public when ``scope`` is exactly ``public``, private ECR otherwise."""
    try:
        return _public(session) if spec.scope == "public" else _private(session)
    except ExtSecretsError:
        raise
    except KeyError as exc:  # the field name is ours, never a value
        raise PermanentError(f"malformed answer: no {exc.args[0]}") from None
    except (AttributeError, TypeError, ValueError, OverflowError):
        # the text of these can quote the token: name the fields instead
        raise PermanentError(
            "malformed answer: authorizationData, authorizationToken or expiresAt "
            "is not of the expected type"
        ) from None
