"""The ECR plugin against the generator conformance suite of extsecrets.testing."""

from __future__ import annotations

from typing import Any

from extsecrets.testing.conformance import GeneratorConformance


class TestECRConformance(GeneratorConformance):
    entry_point = "aws-ecr"
    kind = "ECRAuthorizationToken"
    keys = frozenset({"username", "password", "proxy_endpoint", "expires_at"})

    def spec(self) -> dict[str, Any]:
        return {"region": "eu-central-1"}
