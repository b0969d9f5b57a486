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
TEMPLATES = BENCH.parent / "templates.py"


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


def test_templates_bench_smoke(tmp_path: Path) -> None:
    """bench/templates.py at tiny sizes: every case renders through the sync's template code
    what its template writes, parses are counted, the cache passes and the sync run."""
    result = subprocess.run(
        [sys.executable, str(TEMPLATES), "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads((tmp_path / "templates.json").read_text())
    cases = {c["case"]: c for c in data["cases"]}
    # renders per ExternalSecret: one per data key, label, annotation and templateFrom item
    assert {name: c["renders_per_es"] for name, c in cases.items()} == {
        "typical": 2,
        "ecr-dockerconfigjson": 2,
        "dockerconfigjson-tojson": 1,
        "config-range": 1,
        "labels-annotations": 5,
        "templatefrom-configmap": 2,
        "pkcs12": 2,
        "pem-filter": 2,
    }
    for case in cases.values():
        # cold: every template parsed; warm: none (the cache answers by text)
        assert (case["parses_cold"], case["parses_warm"]) == (case["renders_per_es"], 0)
        assert (case["hit_rate_cold"], case["hit_rate_warm"]) == (0.0, 1.0)
    assert cases["typical"]["labels"] == 1
    assert cases["labels-annotations"]["labels"] == 2
    assert cases["labels-annotations"]["annotations"] == 2
    assert cases["ecr-dockerconfigjson"]["annotations"] == 1
    assert cases["pkcs12"]["output_keys"] == ["tls.crt", "tls.key"]
    assert cases["templatefrom-configmap"]["output_keys"] == [
        "DB_PASSWORD",
        "DB_URL",
        "DB_USER",
        "datasources.yaml",
    ]
    # the ConfigMap is read once however often the ExternalSecret renders
    assert cases["templatefrom-configmap"]["configmap_reads"] == 1
    (cache,) = data["cache"]
    assert [(p["renders"], p["parses"]) for p in cache["passes"]] == [(10, 10), (10, 0), (10, 0)]
    assert data["cache_memory"]["entries"] == 10
    assert data["sync"]["externalsecrets"] == 10
    assert data["sync"]["sample_secret_ok"] is True
    assert "| labels-annotations:" in (tmp_path / "templates.md").read_text()


@pytest.mark.kube
def test_w3_smoke(kube_server: str, tmp_path: Path) -> None:
    """W3 at 20 ExternalSecrets on the session's API server: all four columns run."""
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
    ours, model, templated = w3["extsecrets"], w3["eso-model"], w3["extsecrets-templated"]
    assert ours["all_ready"]
    assert model["all_ready"]
    assert templated["all_ready"]
    # the templated column's Secrets hold what the template made (checked on es-0's)
    assert templated["sample_secret_ok"] is True
    assert "sample_secret_ok" not in ours
    # counted where the requests arrived: the API server's metrics, the AWS emulator's log
    for column in (ours, model, templated):
        assert column["api_writes_by_request"]["POST secrets"] == 20
        assert column["api_writes_by_request"]["PATCH externalsecrets"] == 20  # finalizers
    assert "secretsmanager:GetSecretValue" not in ours["aws_by_operation"]
    assert model["aws_by_operation"]["secretsmanager:GetSecretValue"] == 20
    assert w3["floor"]["api_writes"] == 60
