from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_kit import install_into
from oracle_conftest_plugin import go_oracle  # noqa: F401  (the Go template oracle fixture)

HERE = Path(__file__).parent
TEST_DISTS = HERE / "plugin_dists"


@pytest.fixture(scope="session")
def test_plugins_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test plugin distributions, really installed (with pip) into a folder of their own,
    so they are only visible to the commands that put that folder on their path."""
    target = tmp_path_factory.mktemp("plugins")
    install_into(
        target, *(d for d in sorted(TEST_DISTS.iterdir()) if (d / "pyproject.toml").exists())
    )
    return target


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def extsecrets_cmd() -> Run:
    """Run ``python -m extsecrets ARGS`` as a user would, with extra environment."""

    def run(
        *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("EXTSECRETS_")}
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "extsecrets", *args],
            capture_output=True,
            text=True,
            env=full_env,
            input=stdin,
            timeout=60,
        )

    return run


FAKE_PROVIDER = HERE / "fake_provider"


@pytest.fixture(scope="session")
def fake_plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fake provider distribution, installed with pip into a folder of its own."""
    target = tmp_path_factory.mktemp("fake-plugin")
    install_into(target, FAKE_PROVIDER)
    return target


@pytest.fixture(scope="session")
def fake_plugin(fake_plugin_dir: Path) -> tuple[Any, Any]:
    """(plugin host with only the fake plugin, the fake plugin module)."""
    from engine_kit import load_fake

    return load_fake(fake_plugin_dir)


@pytest.fixture
def world(fake_plugin: tuple[Any, Any]) -> Iterator[Callable[..., Any]]:
    """Build a World (see engine_kit) from manifests; the fake plugin's call log starts empty."""
    from engine_kit import World

    host, plugin = fake_plugin
    plugin.CALLS.clear()
    plugin.RELEASE.clear()
    yield lambda *docs, **engine: World(host, plugin, docs, **engine)
    plugin.RELEASE.set()  # let any call a test left hanging return


@pytest.fixture(scope="session")
def kube_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real kube-apiserver + etcd + controller manager on 127.0.0.1, with our CRDs; yields
    its admin kubeconfig. CI starts one and names it in EXTSECRETS_TEST_KUBECONFIG; without
    it the session starts its own with tests/kube/apiserver.sh (building it once, cached)."""
    from leak_scan import harvest_kube
    from operator_kit import SCRIPT, api_for, install_crds

    given = os.environ.get("EXTSECRETS_TEST_KUBECONFIG")
    if given:
        install_crds(api_for(given))
        try:
            yield given
        finally:
            harvest_kube(api_for(given))
        return
    folder = tmp_path_factory.mktemp("kube")
    subprocess.run(["bash", str(SCRIPT), "start", str(folder)], check=True, timeout=1800)
    try:
        kubeconfig = str(folder / "kubeconfig")
        install_crds(api_for(kubeconfig))
        yield kubeconfig
        harvest_kube(api_for(kubeconfig))
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], check=False, timeout=120)


@pytest.fixture
def kube(kube_server: str) -> Any:
    from operator_kit import Kube

    return Kube(kube_server)


@pytest.fixture
def run_operator(
    kube_server: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """Start `extsecrets run` processes; every one is stopped when the test ends. They log at
    DEBUG (unless the test asks for another level); their logs and last /metrics page go to the
    leak scan (tests/leak_scan.py)."""
    from leak_scan import LEAKS
    from operator_kit import OperatorProcess

    started: list[Any] = []

    def start(*args: str, wait: bool = True) -> Any:
        process = OperatorProcess(
            kube_server,
            tmp_path / f"operator-{len(started)}.log",
            "--log-level",
            "debug",  # a later --log-level among args wins
            *args,
        )
        started.append(process)
        if wait:
            process.wait_ready()
        return process

    yield start
    for process in started:
        if process.process.poll() is None:
            LEAKS.text(f"{request.node.nodeid}: {process.log_path.name} /metrics", process.scrape())
        process.stop()
        LEAKS.text(f"{request.node.nodeid}: {process.log_path.name}", process.logs())
