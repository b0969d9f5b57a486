"""Hook implementations of the ECR plugin."""

from __future__ import annotations

from typing import Any

import extsecrets
from extsecrets.types import Credentials, Generated, GeneratorKind, GeneratorView, Registration
from extsecrets_aws_auth import AWS_AUTH_SCHEME
from extsecrets_aws_auth.reads import session_from
from extsecrets_aws_ecr import API_VERSION, KIND
from extsecrets_aws_ecr.config import ECRAuthorizationTokenSpec
from extsecrets_aws_ecr.tokens import generate


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


@extsecrets.hookimpl
def extsecrets_generate(
    generator: GeneratorView, credentials: Credentials | None, cluster: Any
) -> Generated:
    """A new registry token on every call (ECR tokens last 12 hours)."""
    return generate(generator.config, session_from(credentials, "aws-ecr"))
