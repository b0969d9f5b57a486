"""The Secrets Manager plugin against the conformance suite of extsecrets.testing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from aws_kit import client

from extsecrets.testing.conformance import ProviderConformance


class TestSecretsManagerConformance(ProviderConformance):
    entry_point = "aws-secretsmanager"
    provider = "aws"
    service = "SecretsManager"
    batch_size = 20

    @pytest.fixture(autouse=True)
    def backend(self, aws: Any) -> None:
        self.aws = aws
        self.sm = client(aws, "secretsmanager")

    def store_config(self) -> dict[str, Any]:
        return {"region": "eu-central-1"}

    def seed(self, key: str, value: str | bytes, version: str | None = None) -> str | None:
        payload = {"SecretBinary": value} if isinstance(value, bytes) else {"SecretString": value}
        try:
            self.sm.create_secret(Name=key, **payload)
        except self.sm.exceptions.ResourceExistsException:
            self.sm.put_secret_value(SecretId=key, **payload)
        if version is None:
            return None
        return "uuid/" + self.sm.describe_secret(SecretId=key)["VersionIdsToStages"].popitem()[0]

    def failing_auth_config(self) -> dict[str, Any]:
        missing = {"name": "no-such-secret", "key": "k"}
        return {
            "region": "eu-central-1",
            "auth": {
                "secretRef": {"accessKeyIDSecretRef": missing, "secretAccessKeySecretRef": missing}
            },
        }

    @contextlib.contextmanager
    def throttled(self) -> Iterator[None]:
        self.aws.fail("secretsmanager", "BatchGetSecretValue", "ThrottlingException", count=-1)
        try:
            yield
        finally:
            self.aws.reset_faults()
