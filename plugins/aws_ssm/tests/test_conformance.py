"""The Parameter Store plugin against the conformance suite of extsecrets.testing."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import AWSProviderConformance, client

from extsecrets.testing.conformance import ProviderConformance


class TestParameterStoreConformance(AWSProviderConformance):
    throttle = ("ssm", "GetParameters")
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

    def seed(self, key: str, value: str | bytes, version: str | None = None) -> str | None:
        text = value.decode() if isinstance(value, bytes) else value
        answer = self.ssm.put_parameter(Name=key, Value=text, Type="SecureString", Overwrite=True)
        return str(answer["Version"]) if version is not None else None
