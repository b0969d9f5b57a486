"""Fixtures shared by every test folder: the local AWS emulator.

The emulator is moto's server on 127.0.0.1 with a request recorder
(:mod:`extsecrets_aws_auth.emulator`). CI starts one before the tests and names it in
``EXTSECRETS_TEST_AWS_URL``; without that variable the session starts its own in this process
and stops it at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The leak scan (tests/leak_scan.py): every seeded secret value looked for in everything the
# code under test said during the session.
pytest_plugins = ["leak_scan", "pytester"]

AWS_URL_ENV = "EXTSECRETS_TEST_AWS_URL"
_ENDPOINT_VARIABLES = (
    "AWS_STS_ENDPOINT",
    "AWS_SECRETSMANAGER_ENDPOINT",
    "AWS_SSM_ENDPOINT",
    "AWS_ECR_ENDPOINT",
)


@pytest.fixture(scope="session")
def aws_emulator() -> Iterator[Any]:
    from leak_scan import harvesting_client

    from extsecrets_aws_auth.emulator import Emulator

    url = os.environ.get(AWS_URL_ENV)
    emulator = None if url else Emulator().start()
    client = harvesting_client(url or emulator.url)  # type: ignore[union-attr]
    try:
        yield client
    finally:
        client.harvest()  # the values the last test seeded
        if emulator is not None:
            emulator.stop()


@pytest.fixture
def aws(aws_emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """A clean emulator, reached only through ESO's endpoint variables; no AWS identity from
    this machine (no keys, no shared files, no instance metadata) leaks into the test."""
    aws_emulator.reset()
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name in _ENDPOINT_VARIABLES:
        monkeypatch.setenv(name, aws_emulator.url)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return aws_emulator
