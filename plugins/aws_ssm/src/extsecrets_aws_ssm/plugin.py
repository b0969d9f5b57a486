"""Hook implementations of the SSM Parameter Store plugin."""

from __future__ import annotations

import extsecrets
from extsecrets.types import Registration
from extsecrets_aws_auth import aws_service
from extsecrets_aws_ssm import SERVICE


@extsecrets.hookimpl
def extsecrets_register() -> Registration:
    """Serve ``spec.provider.aws`` with ``service: ParameterStore``; aws-auth authenticates."""
    return Registration(providers=[aws_service(SERVICE)])
