"""The Secrets Manager plugin against the conformance suite of extsecrets.testing."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import AWSProviderConformance, client


class TestSecretsManagerConformance(AWSProviderConformance):
    throttle = ("secretsmanager", "BatchGetSecretValue")
    entry_point = "aws-secretsmanager"
    provider = "aws"
    service = "SecretsManager"
    batch_size = 20

    @pytest.fixture(autouse=True)
    def backend(self, aws: Any) -> None:
        self.aws = aws
        self.sm = client(aws, "secretsmanager")

    def seed(self, key: str, value: str | bytes, version: str | None = None) -> str | None:
        payload = {"SecretBinary": value} if isinstance(value, bytes) else {"SecretString": value}
        try:
            self.sm.create_secret(Name=key, **payload)
        except self.sm.exceptions.ResourceExistsException:
            self.sm.put_secret_value(SecretId=key, **payload)
        if version is None:
            return None
        return "uuid/" + self.sm.describe_secret(SecretId=key)["VersionIdsToStages"].popitem()[0]
