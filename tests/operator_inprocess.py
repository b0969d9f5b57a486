"""`extsecrets run`'s Operator in the test process (for tests that need an in-memory plugin or
the engine's state), on the real API server, with its real HTTP endpoints on 127.0.0.1."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from operator_kit import wait_for

from extsecrets.operator.run import Operator, Options
from extsecrets.plugins import PluginHost


@contextmanager
def operator_in_process(
    host: PluginHost, kubeconfig: str, namespace: str, **options: Any
) -> Iterator[Operator]:
    """Run an Operator limited to ``namespace`` until the block ends; yields it once ready."""
    operator = Operator(
        host,
        Options(
            kubeconfig=kubeconfig,
            namespace=namespace,
            metrics_addr="127.0.0.1:0",
            health_addr="127.0.0.1:0",
            **options,
        ),
    )
    thread = threading.Thread(target=operator.run, name="test-operator", daemon=True)
    thread.start()
    try:
        wait_for(lambda: "health" in operator.addresses, 30, "the health endpoint")
        wait_for(lambda: get(operator, "/readyz")[0] == 200, 60, "the operator ready")
        yield operator
    finally:
        operator.shutdown()
        thread.join(timeout=60)
        operator.api.close()


def get(operator: Operator, path: str) -> tuple[int, str]:
    """(status, body) of a GET on the operator's endpoint serving ``path``; a refused
    connection raises (it is not an answer)."""
    host, port = operator.addresses["metrics" if path == "/metrics" else "health"]
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=10) as answer:
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode()


def sample(metrics: str, name: str) -> float | None:
    """The value of the unlabelled sample ``name`` in a /metrics page."""
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split(" ", 1)[1])
    return None
