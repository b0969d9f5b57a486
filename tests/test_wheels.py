"""Distributions as users get them: wheels installed into fresh virtual environments.

The plugin template installs beside extsecrets alone, is found through its entry point, syncs
through `extsecrets render`, and passes the conformance suite there; each AWS plugin's wheel
installed alone brings everything it needs (its declared dependencies, nothing borrowed from
this repository's environment)."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parent.parent
DISTS = {
    "extsecrets": ROOT / "core",
    "extsecrets-aws-auth": ROOT / "plugins" / "aws_auth",
    "extsecrets-aws-secretsmanager": ROOT / "plugins" / "aws_secretsmanager",
    "extsecrets-aws-ssm": ROOT / "plugins" / "aws_ssm",
    "extsecrets-aws-ecr": ROOT / "plugins" / "aws_ecr",
    "extsecrets-jsonfile": ROOT / "examples" / "plugin-template",
}


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(folder),
            *(str(p) for p in DISTS.values()),
        ],
        check=True,
        timeout=600,
    )
    return folder


def fresh_env(folder: Path, wheelhouse: Path, *requirements: str) -> Path:
    """A new virtual environment with ``requirements`` from the wheels (and their
    dependencies from the package index); returns its bin folder."""
    # no pip of its own (ensurepip is slow): this pip installs into it with --python
    venv.EnvBuilder(with_pip=False).create(folder)
    bin_dir = folder / "bin"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(bin_dir / "python"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",  # byte-compiling botocore alone takes most of the time
            "--find-links",
            str(wheelhouse),
            *requirements,
        ],
        check=True,
        timeout=900,
    )
    return bin_dir


def run(bin_dir: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "EXTSECRETS_STRICT_PLUGINS": "1"},
    )


def plugins_of(bin_dir: Path) -> dict[str, str]:
    listing = run(bin_dir, "extsecrets", "plugins", "--json")
    assert listing.returncode == 0, listing.stderr
    return {p["name"]: p["status"] for p in json.loads(listing.stdout)["plugins"]}


def test_the_plugin_template_from_its_wheel(wheelhouse: Path, tmp_path: Path) -> None:
    bin_dir = fresh_env(tmp_path / "venv", wheelhouse, "extsecrets-jsonfile[test]")
    assert plugins_of(bin_dir) == {"jsonfile": "active"}

    store_file = tmp_path / "store.json"
    store_file.write_text(json.dumps({"token": "t0k", "secrets": {"db": '{"user": "admin"}'}}))
    manifests = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "token", "namespace": "app"},
            "stringData": {"token": "t0k"},
        },
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "SecretStore",
            "metadata": {"name": "files", "namespace": "app"},
            "spec": {
                "provider": {
                    "jsonfile": {
                        "path": str(store_file),
                        "tokenSecretRef": {"name": "token", "key": "token"},
                    }
                }
            },
        },
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "db", "namespace": "app"},
            "spec": {
                "secretStoreRef": {"name": "files"},
                "data": [{"secretKey": "user", "remoteRef": {"key": "db", "property": "user"}}],
            },
        },
    ]
    path = tmp_path / "manifests.yaml"
    path.write_text(yaml.safe_dump_all(manifests))
    rendered = run(bin_dir, "extsecrets", "render", "-f", str(path))
    assert rendered.returncode == 0, rendered.stderr
    (secret,) = list(yaml.safe_load_all(rendered.stdout))
    assert secret["data"] == {"user": "YWRtaW4="}

    # the template's own tests: the conformance suite, in the user's environment
    tests = run(
        bin_dir,
        "python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        str(DISTS["extsecrets-jsonfile"] / "tests"),
        cwd=tmp_path,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "11 passed" in tests.stdout


@pytest.mark.parametrize(
    ("dist", "expected"),
    [
        ("extsecrets-aws-auth", {"aws-auth": "active"}),
        ("extsecrets-aws-secretsmanager", {"aws-auth": "active", "aws-secretsmanager": "active"}),
        ("extsecrets-aws-ssm", {"aws-auth": "active", "aws-ssm": "active"}),
        ("extsecrets-aws-ecr", {"aws-auth": "active", "aws-ecr": "active"}),
    ],
)
def test_each_aws_plugin_wheel_alone(
    wheelhouse: Path, tmp_path: Path, dist: str, expected: dict[str, str]
) -> None:
    bin_dir = fresh_env(tmp_path / "venv", wheelhouse, dist)
    assert plugins_of(bin_dir) == expected
