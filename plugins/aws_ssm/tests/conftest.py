from __future__ import annotations

import pytest
from aws_kit import ENV_KEY_ID


@pytest.fixture(autouse=True)
def env_identity(aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """The controller's own identity: environment keys (the default chain)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
