"""The AWS auth plugin against the auth scheme conformance suite of extsecrets.testing."""

from __future__ import annotations

from extsecrets.testing.conformance import AuthSchemeConformance


class TestAWSAuthConformance(AuthSchemeConformance):
    entry_point = "aws-auth"
    scheme = "aws"
