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

from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

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
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_PORT = re.compile(r"(:[0-9]*)?")


def _go_quote(text: str) -> str:
    """Go's ``%q`` for the printable strings that get this far."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _authority(value: str) -> str:
    """The ``host[:port]`` part as Go's ``url.Parse`` cuts it (userinfo dropped)."""
    scheme = _SCHEME.match(value)
    rest = value[scheme.end() :] if scheme else value
    if not rest.startswith("//"):
        return ""
    return re.split(r"[/?#]", rest[2:], maxsplit=1)[0].rpartition("@")[2]


def _go_host_problem(host: str) -> str | None:
    """Go's ``parseHost``: a bracketed IPv6 host must close, a port must be digits."""
    if host.startswith("["):
        close = host.rfind("]")
        if close < 0:
            return "missing ']' in host"
        colon_port = host[close + 1 :]
    else:
        colon = host.rfind(":")
        colon_port = host[colon:] if colon >= 0 else ""
    if not _PORT.fullmatch(colon_port):
        return f"invalid port {_go_quote(colon_port)} after host"
    if " " in host:
        return 'invalid character " " in host name'
    return None


def _problem(value: str) -> str | None:
    """Why ``value`` cannot be an endpoint: in Go's ``url.Parse`` words where Go refuses it,
    else what botocore would refuse it for (``None``: usable)."""
    if _CONTROL.search(value):
        return "net/url: invalid control character in URL"
    quoted = f"parse {_go_quote(value)}"
    if value.startswith(":"):
        return f"{quoted}: missing protocol scheme"
    host = _authority(value)
    problem = _go_host_problem(host)
    if problem is not None:
        return f"{quoted}: {problem}"
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
        port = parts.port
    except ValueError:  # Python checks what Go leaves to the dialer: IPv6 literals, port range
        return f"{quoted}: invalid host or port {_go_quote(host)}"
    if parts.scheme not in ("http", "https") or not hostname:
        return f"{quoted}: an endpoint needs http:// or https:// and a host"
    if port == 0 or not (is_valid_endpoint_url(value) or is_valid_ipv6_endpoint_url(value)):
        return f"{quoted}: invalid host or port {_go_quote(host)}"
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
