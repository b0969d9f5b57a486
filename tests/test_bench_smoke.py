"""The benchmark harness at tiny sizes, so it keeps working (figures belong to bench/, not to
assertions on time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parent.parent / "bench" / "run.py"


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
