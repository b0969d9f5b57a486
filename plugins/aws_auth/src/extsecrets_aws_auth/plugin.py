"""Hook implementations of the AWS auth plugin (entry point ``aws-auth``)."""

from __future__ import annotations

import extsecrets
from extsecrets.types import AuthScheme, Registration
from extsecrets_aws_auth import AWS_AUTH_SCHEME


@extsecrets.hookimpl
def extsecrets_register() -> Registration:
    """Authenticate for every provider and generator naming the ``aws`` scheme."""
    return Registration(auth_schemes=[AuthScheme(AWS_AUTH_SCHEME)])
