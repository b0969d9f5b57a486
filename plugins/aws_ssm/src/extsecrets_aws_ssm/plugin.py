"""Hook implementations of the SSM Parameter Store plugin."""

from __future__ import annotations

import extsecrets
from extsecrets.types import ProviderService, Registration
from extsecrets_aws_auth import AWS_AUTH_SCHEME, AWSProvider
from extsecrets_aws_ssm import SERVICE


@extsecrets.hookimpl
def extsecrets_register() -> Registration:
    """Serve ``spec.provider.aws`` with ``service: ParameterStore``; aws-auth authenticates."""
    return Registration(
        providers=[
            ProviderService(
                provider="aws", service=SERVICE, config_type=AWSProvider, auth=AWS_AUTH_SCHEME
            )
        ]
    )
