from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_kit import ENV_KEY_ID
from ecr_public import EcrPublic


@pytest.fixture(autouse=True)
def env_identity(aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")


@pytest.fixture
def ecr_public(monkeypatch: pytest.MonkeyPatch) -> Iterator[EcrPublic]:
    responder = EcrPublic().start()
    monkeypatch.setenv("AWS_ECR_PUBLIC_ENDPOINT", responder.url)
    try:
        yield responder
    finally:
        responder.stop()
