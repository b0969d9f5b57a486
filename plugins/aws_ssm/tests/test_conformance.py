"""The Parameter Store plugin against the conformance suite of extsecrets.testing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from aws_kit import client

from extsecrets.testing.conformance import ProviderConformance


class TestParameterStoreConformance(ProviderConformance):
    entry_point = "aws-ssm"
    provider = "aws"
    service = "ParameterStore"
    batch_size = 10

    @pytest.fixture(autouse=True)
    def backend(self, aws: Any) -> None:
        self.aws = aws
        self.ssm = client(aws, "ssm")

    @staticmethod
    def key() -> str:
        return "/" + ProviderConformance.key()

    def store_config(self) -> dict[str, Any]:
        return {"region": "eu-central-1"}

    def seed(self, key: str, value: str | bytes, version: str | None = None) -> str | None:
        text = value.decode() if isinstance(value, bytes) else value
        answer = self.ssm.put_parameter(Name=key, Value=text, Type="SecureString", Overwrite=True)
        return str(answer["Version"]) if version is not None else None

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
        self.aws.fail("ssm", "GetParameters", "ThrottlingException", count=-1)
        try:
            yield
        finally:
            self.aws.reset_faults()
