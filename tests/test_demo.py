"""`make demo`'s script, as a newcomer runs it: a local AWS emulator, the examples, a report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_the_demo_syncs_every_example_and_counts_the_calls() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "run_demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for name in ("database", "team-secrets", "settings", "registry"):
        assert f"team-b     {name}" in out
    assert "False" not in out.split("ExternalSecrets")[1].split("Calls to the providers")[0]
    assert "AWS/SecretsManager  BatchGetSecretValue" in out
    assert "AWS/ECR             GetAuthorizationToken  1" in out
    # values are masked unless asked for
    assert "new-password" not in out
    assert "==> stopping the AWS emulator" in out


def test_the_demo_shows_values_when_asked() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "run_demo.py"), "--show-values"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "password: new-password" in result.stdout
    assert "previous-password: old-password" in result.stdout
