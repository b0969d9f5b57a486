"""The loader against real installed distributions: the four AWS plugins of this repository
and three test plugins (one that works, one that fails to import, one that claims a name that
is already claimed), all found through their entry points."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

Run = Callable[..., subprocess.CompletedProcess[str]]

AWS = {
    "aws-auth": (
        "extsecrets-aws-auth",
        {"providers": [], "generators": [], "authSchemes": ["aws"]},
    ),
    "aws-ecr": (
        "extsecrets-aws-ecr",
        {
            "providers": [],
            "generators": [
                {
                    "apiVersion": "generators.external-secrets.io/v1alpha1",
                    "kind": "ECRAuthorizationToken",
                    "auth": "aws",
                }
            ],
            "authSchemes": [],
        },
    ),
    "aws-secretsmanager": (
        "extsecrets-aws-secretsmanager",
        {
            "providers": [{"provider": "aws", "service": "SecretsManager", "auth": "aws"}],
            "generators": [],
            "authSchemes": [],
        },
    ),
    "aws-ssm": (
        "extsecrets-aws-ssm",
        {
            "providers": [{"provider": "aws", "service": "ParameterStore", "auth": "aws"}],
            "generators": [],
            "authSchemes": [],
        },
    ),
}


def listing(run: Run, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    out = run("plugins", "--json", env=env)
    assert out.returncode == 0, out.stderr
    return {p["name"]: p for p in json.loads(out.stdout)["plugins"]}


def test_the_four_aws_plugins_are_found_through_their_entry_points(extsecrets_cmd: Run) -> None:
    plugins = listing(extsecrets_cmd, {"EXTSECRETS_STRICT_PLUGINS": "1"})
    assert set(plugins) == set(AWS)
    for name, (dist, serves) in AWS.items():
        assert plugins[name] == {
            "name": name,
            "distribution": dist,
            "version": "0.1.0",
            "status": "active",
            "reason": None,
            "serves": serves,
        }


def test_failures_are_recorded_and_the_rest_keep_working(
    extsecrets_cmd: Run, test_plugins_dir: Path
) -> None:
    plugins = listing(extsecrets_cmd, {"PYTHONPATH": str(test_plugins_dir)})
    assert plugins["test-good"]["status"] == "active"
    assert plugins["test-good"]["distribution"] == "extsecrets-test-good"
    assert plugins["test-good"]["version"] == "1.2.3"
    assert plugins["test-good"]["serves"]["providers"] == [
        {"provider": "inline", "service": None, "auth": None}
    ]
    broken = plugins["test-broken"]
    assert broken["status"] == "failed"
    assert broken["reason"] == (
        "import failed: ModuleNotFoundError: No module named "
        "'extsecrets_test_dependency_that_is_not_installed'"
    )
    # Both claimants of aws/SecretsManager lose it, each naming the other's distribution.
    assert plugins["test-conflict"]["status"] == "failed"
    assert (
        "provider aws/SecretsManager is also claimed by extsecrets-aws-secretsmanager 0.1.0"
        in (plugins["test-conflict"]["reason"])
    )
    assert plugins["aws-secretsmanager"]["status"] == "failed"
    assert (
        "extsecrets-test-conflict 1.2.3 (entry point test-conflict)"
        in (plugins["aws-secretsmanager"]["reason"])
    )
    assert "EXTSECRETS_DISABLE_PLUGINS" in plugins["aws-secretsmanager"]["reason"]
    for name in ("aws-auth", "aws-ecr", "aws-ssm"):
        assert plugins[name]["status"] == "active"


def test_disabled_plugins_are_not_imported(extsecrets_cmd: Run, test_plugins_dir: Path) -> None:
    env = {
        "PYTHONPATH": str(test_plugins_dir),
        "EXTSECRETS_DISABLE_PLUGINS": "test-conflict, test-broken",
        "EXTSECRETS_STRICT_PLUGINS": "1",
    }
    plugins = listing(extsecrets_cmd, env)
    assert plugins["test-broken"]["status"] == "disabled"
    assert plugins["test-conflict"]["status"] == "disabled"
    assert plugins["aws-secretsmanager"]["status"] == "active"
    assert plugins["test-good"]["status"] == "active"


def test_strict_mode_makes_any_failure_fatal(extsecrets_cmd: Run, test_plugins_dir: Path) -> None:
    out = extsecrets_cmd(
        "plugins", env={"PYTHONPATH": str(test_plugins_dir), "EXTSECRETS_STRICT_PLUGINS": "1"}
    )
    assert out.returncode == 3
    assert out.stdout == ""
    assert out.stderr.startswith(
        "error: plugin extsecrets-test-broken 1.2.3 (entry point "
        "test-broken) failed: import failed: ModuleNotFoundError"
    )


def test_a_third_party_provider_is_used_by_validate(
    extsecrets_cmd: Run, test_plugins_dir: Path
) -> None:
    store = (
        "apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: s}\n"
        "spec:\n  provider:\n    inline:\n      values: {a: b}\n"
    )
    env = {"PYTHONPATH": str(test_plugins_dir), "EXTSECRETS_DISABLE_PLUGINS": "test-broken"}
    ok = extsecrets_cmd("validate", "-f", "-", env=env, stdin=store)
    assert (ok.returncode, ok.stdout) == (0, "")
    bad = extsecrets_cmd("validate", "-f", "-", env=env, stdin=store.replace("values", "valuse"))
    assert bad.returncode == 1
    assert bad.stdout == (
        "SecretStore default/s: spec.provider.inline.valuse: unknown field (did you mean values?)\n"
    )


def test_the_text_listing(extsecrets_cmd: Run, test_plugins_dir: Path) -> None:
    out = extsecrets_cmd("plugins", env={"PYTHONPATH": str(test_plugins_dir)})
    assert out.returncode == 0
    rows = [line.split() for line in out.stdout.splitlines()]
    assert rows[0] == ["NAME", "DISTRIBUTION", "VERSION", "STATUS", "SERVES"]
    assert [
        "aws-ssm",
        "extsecrets-aws-ssm",
        "0.1.0",
        "active",
        "provider",
        "aws/ParameterStore",
    ] in rows
    assert "test-broken: failed: import failed: ModuleNotFoundError" in out.stdout
