"""Custom endpoints from ESO's environment variables (spec §2.8).

``AWS_SECRETSMANAGER_ENDPOINT``, ``AWS_SSM_ENDPOINT``, ``AWS_STS_ENDPOINT``, ``AWS_ECR_ENDPOINT``
and ``AWS_ECR_PUBLIC_ENDPOINT`` are ESO's names; botocore does not read them, so we do, for every
client of that service (STS hops included). Unset, botocore resolves the endpoint itself, which
keeps the standard ``AWS_ENDPOINT_URL_*`` variables working.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from extsecrets.errors import ConfigError

__all__ = ["ENDPOINT_VARIABLES", "endpoint_for", "endpoint_settings"]

# botocore service name -> (ESO's variable, the name ESO's error messages use)
ENDPOINT_VARIABLES: Mapping[str, tuple[str, str]] = {
    "secretsmanager": ("AWS_SECRETSMANAGER_ENDPOINT", "secretsmanager"),
    "ssm": ("AWS_SSM_ENDPOINT", "ssm"),
    "sts": ("AWS_STS_ENDPOINT", "sts"),
    "ecr": ("AWS_ECR_ENDPOINT", "ecr"),
    "ecr-public": ("AWS_ECR_PUBLIC_ENDPOINT", "ecr public"),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _problem(value: str) -> str | None:
    """Why Go's ``url.Parse`` (or botocore) would refuse ``value``, in Go's words."""
    if _CONTROL.search(value):
        return "net/url: invalid control character in URL"
    if value.startswith(":"):
        return f'parse "{value}": missing protocol scheme'
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f'parse "{value}": an endpoint needs http:// or https:// and a host'
    if " " in parts.netloc:
        return f'parse "{value}": invalid character " " in host name'
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return f'parse "{value}": invalid port "{parts.netloc.rpartition(":")[2]}" after host'
    return None


def endpoint_for(service: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The custom endpoint of ``service`` (a botocore service name), or ``None``."""
    entry = ENDPOINT_VARIABLES.get(service)
    if entry is None:
        return None
    variable, label = entry
    value = (os.environ if environ is None else environ).get(variable, "")
    if not value:
        return None
    problem = _problem(value)
    if problem is not None:
        raise ConfigError(f"failed to parse {label} endpoint {value}: {problem}")
    return value


def endpoint_settings(environ: Mapping[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """Every custom endpoint in force, for credential cache keys."""
    env = os.environ if environ is None else environ
    return tuple(
        (service, env[variable])
        for service, (variable, _) in sorted(ENDPOINT_VARIABLES.items())
        if env.get(variable)
    )
