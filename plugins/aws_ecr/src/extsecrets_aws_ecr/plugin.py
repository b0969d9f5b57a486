"""Hook implementations of the ECR plugin."""

from __future__ import annotations

import extsecrets
from extsecrets.types import GeneratorKind, Registration
from extsecrets_aws_auth import AWS_AUTH_SCHEME
from extsecrets_aws_ecr import API_VERSION, KIND
from extsecrets_aws_ecr.config import ECRAuthorizationTokenSpec


@extsecrets.hookimpl
def extsecrets_register() -> Registration:
    """Serve the ECRAuthorizationToken generator; the auth plugin authenticates."""
    return Registration(
        generators=[
            GeneratorKind(
                kind=KIND,
                api_version=API_VERSION,
                config_type=ECRAuthorizationTokenSpec,
                auth=AWS_AUTH_SCHEME,
            )
        ]
    )
