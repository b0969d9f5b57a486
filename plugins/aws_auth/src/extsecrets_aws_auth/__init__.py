"""AWS authentication for extsecrets, shared by every AWS plugin."""

from extsecrets.types import ProviderService
from extsecrets_aws_auth.config import AWSAuth, AWSProvider

__all__ = ["AWS_AUTH_SCHEME", "AWSAuth", "AWSProvider", "aws_service"]

AWS_AUTH_SCHEME = "aws"


def aws_service(service: str) -> ProviderService:
    """The claim of an AWS service plugin: ``spec.provider.aws`` with this ``service``,
    structured as :class:`AWSProvider`, authenticated by this plugin."""
    return ProviderService(
        provider="aws", service=service, config_type=AWSProvider, auth=AWS_AUTH_SCHEME
    )
