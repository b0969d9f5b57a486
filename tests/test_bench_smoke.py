"""The benchmark harness at tiny sizes, so it keeps working (figures belong to bench/, not to
assertions on time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parent.parent / "bench" / "run.py"
W3 = BENCH.parent / "operator_w3.py"


def test_bench_smoke(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "results.json").read_text())
    w1 = next(r for r in data["results"] if r["workload"] == "W1")
    ours, model = w1["extsecrets"], w1["eso_model"]
    # the model builds credentials per ExternalSecret; extsecrets once
    assert model[0]["token_requests"] == w1["externalsecrets"]
    assert ours[0]["token_requests"] == 1
    # one batch read for the whole cycle; the model one read per key per ExternalSecret
    assert ours[0]["by_operation"]["secretsmanager:BatchGetSecretValue"] == 1
    assert model[0]["by_operation"]["secretsmanager:GetSecretValue"] == w1["externalsecrets"] * 3
    # W4: nothing changed, nothing written, no credentials asked for
    assert ours[1]["secret_writes"] == 0
    assert ours[1]["by_service"].get("sts", 0) == 0
    assert "| W1: 10 ES x 3 SecretsManager refs" in (tmp_path / "results.md").read_text()


@pytest.mark.kube
def test_w3_smoke(kube_server: str, tmp_path: Path) -> None:
    """W3 at 20 ExternalSecrets on the session's API server: all three columns run."""
    result = subprocess.run(
        [
            *(sys.executable, str(W3), "--externalsecrets", "20", "--distinct", "5"),
            *("--eso-timeout", "120", "--kubeconfig", kube_server, "--out", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    w3 = json.loads((tmp_path / "w3.json").read_text())
    ours, model = w3["extsecrets"], w3["eso-model"]
    assert ours["all_ready"]
    assert model["all_ready"]
    # counted where the requests arrived: the API server's metrics, the AWS emulator's log
    for column in (ours, model):
        assert column["api_writes_by_request"]["POST secrets"] == 20
        assert column["api_writes_by_request"]["PATCH externalsecrets"] == 20  # finalizers
    assert "secretsmanager:GetSecretValue" not in ours["aws_by_operation"]
    assert model["aws_by_operation"]["secretsmanager:GetSecretValue"] == 20
    assert w3["floor"]["api_writes"] == 60
