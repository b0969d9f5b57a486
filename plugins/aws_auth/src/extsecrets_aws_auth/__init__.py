"""AWS authentication for extsecrets, shared by every AWS plugin."""

from extsecrets_aws_auth.config import AWSAuth, AWSProvider

__all__ = ["AWS_AUTH_SCHEME", "AWSAuth", "AWSProvider"]

AWS_AUTH_SCHEME = "aws"
