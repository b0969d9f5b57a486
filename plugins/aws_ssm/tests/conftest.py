from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_kit import ENV_KEY_ID

from extsecrets_aws_ssm.fetch import DENIED


@pytest.fixture(autouse=True)
def env_identity(aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """The controller's own identity: environment keys (the default chain)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")


@pytest.fixture(autouse=True)
def forget_denials() -> Iterator[None]:
    """No denial remembered from another test, and none left for the next one."""
    DENIED._until.clear()
    yield
    DENIED._until.clear()
