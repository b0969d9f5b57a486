"""``make bench``: AWS calls, time and writes of extsecrets next to a model of ESO's call
pattern, in one run on this machine. See bench/README.md.

Counts come from what reached the servers: the AWS emulator's request recorder, and the local
cluster's own count of Secret writes, status writes and TokenRequests (it stands in for the API
server in W1, W2, W4 and W5).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

from extsecrets.cluster.local import LocalCluster
from extsecrets.plugins import PluginHost
from extsecrets.sync.credentials import NoCredentialCache
from extsecrets.sync.engine import Engine
from extsecrets_aws_auth.emulator import EmulatorClient
from extsecrets_aws_auth.reads import ESO_CALL_PATTERN_ENV

HERE = Path(__file__).parent
REGION = "eu-central-1"
NAMESPACE = "bench"
TARGETS = {
    "W1": {"secretsmanager": 25, "sts": 2, "token_requests": 1},
    "W2": {"ssm": 50},
    "W4": {"secret_writes": 0},
}


class _EmulatorProcess:
    """The AWS emulator in a process of its own, as a real server would be (in this process it
    would compete with the engine for the interpreter)."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory()
        url_file = Path(self._folder.name) / "url"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "extsecrets_aws_auth.emulator", "--url-file", str(url_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not (url_file.exists() and url_file.read_text()):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the AWS emulator did not start")
            time.sleep(0.1)
        self.url = url_file.read_text().strip()

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=30)
        self._folder.cleanup()


def start_emulator() -> _EmulatorProcess:
    return _EmulatorProcess()


def log(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def seed(url: str, service: str, distinct: int) -> None:
    client = boto3.client(
        "secretsmanager" if service == "SecretsManager" else "ssm",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="AKIASEEDER0000000001",
        aws_secret_access_key="seeder",
    )
    for i in range(distinct):
        if service == "SecretsManager":
            client.create_secret(Name=f"bench/secret-{i}", SecretString=json.dumps({"v": str(i)}))
        else:
            client.put_parameter(Name=f"/bench/param-{i}", Value=f"value-{i}", Type="String")


def manifests(service: str, externals: int, refs: int, distinct: int) -> list[dict[str, Any]]:
    """jwt auth with a role (W1/W2), ``externals`` ExternalSecrets of ``refs`` references each
    over ``distinct`` secrets, drawn with a fixed seed so every run reads the same keys."""
    pick = random.Random(42)
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": "reader",
                "namespace": NAMESPACE,
                "annotations": {
                    "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/irsa"
                },
            },
        },
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "SecretStore",
            "metadata": {"name": "store", "namespace": NAMESPACE},
            "spec": {
                "provider": {
                    "aws": {
                        "service": service,
                        "region": REGION,
                        "role": "arn:aws:iam::123456789012:role/reader",
                        "auth": {"jwt": {"serviceAccountRef": {"name": "reader"}}},
                    }
                }
            },
        },
    ]
    for n in range(externals):
        keys = pick.sample(range(distinct), refs)
        data = [
            {
                "secretKey": f"k{j}",
                "remoteRef": {"key": f"bench/secret-{k}", "property": "v"}
                if service == "SecretsManager"
                else {"key": f"/bench/param-{k}"},
            }
            for j, k in enumerate(keys)
        ]
        docs.append(
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "ExternalSecret",
                "metadata": {"name": f"es-{n}", "namespace": NAMESPACE},
                "spec": {"secretStoreRef": {"name": "store"}, "data": data},
            }
        )
    return docs


def calls(aws: EmulatorClient) -> Counter[str]:
    return Counter(f"{r['service']}:{r['operation']}" for r in aws.requests())


def by_service(counts: Counter[str]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for key, n in counts.items():
        out[key.split(":")[0]] += n
    return dict(out)


def run_mode(
    mode: str, docs: list[dict[str, Any]], aws: EmulatorClient, refreshes: int = 1
) -> list[dict[str, Any]]:
    """One first sync, then ``refreshes - 1`` refreshes in which nothing changed."""
    os.environ[ESO_CALL_PATTERN_ENV] = "1" if mode == "eso-model" else "0"
    host = PluginHost.load(strict=True)
    cluster = LocalCluster.from_documents(docs, host)
    engine = Engine(
        host,
        cluster,
        credential_cache=NoCredentialCache() if mode == "eso-model" else None,
    )
    rounds = []
    for _ in range(refreshes):
        aws.clear_requests()
        before = dict(cluster.counts)
        externals = cluster.external_secrets()
        started = time.perf_counter()
        if mode == "eso-model":  # one reconcile per ExternalSecret, nothing shared
            results = [r for es in externals for r in engine.sync([es])]
        else:
            results = engine.sync(externals)
        elapsed = time.perf_counter() - started
        failed = [r for r in results if not r.ok]
        if failed:
            raise SystemExit(f"{mode}: {len(failed)} failed, e.g. {failed[0].error}")
        counts = calls(aws)
        rounds.append(
            {
                "seconds": round(elapsed, 3),
                "aws_calls": sum(counts.values()),
                "by_service": by_service(counts),
                "by_operation": dict(sorted(counts.items())),
                **{k: cluster.counts[k] - before[k] for k in cluster.counts},
            }
        )
    os.environ.pop(ESO_CALL_PATTERN_ENV, None)
    return rounds


def workload(
    name: str,
    service: str,
    externals: int,
    refs: int,
    distinct: int,
    aws: EmulatorClient,
    refreshes: int = 1,
) -> dict[str, Any]:
    log(
        f"{name}: {externals} ExternalSecrets x {refs} {service} references over {distinct} secrets"
    )
    aws.reset()
    seed(aws.url, service, distinct)
    docs = manifests(service, externals, refs, distinct)
    ours = run_mode("extsecrets", docs, aws, refreshes)
    model = run_mode("eso-model", docs, aws, refreshes)
    return {
        "workload": name,
        "service": service,
        "externalsecrets": externals,
        "refs": refs,
        "distinct": distinct,
        "extsecrets": ours,
        "eso_model": model,
    }


def ratio(model: float, ours: float) -> str:
    if ours == 0:
        return "∞" if model else "-"
    return f"{model / ours:.0f}x"


def _row(label: str, measure: str, ours: Any, model: Any, target: str) -> str:
    times = ratio(float(model), float(ours))
    return f"| {label} | {measure} | {ours} | {model} | {times} | {target} |"


def markdown(
    results: list[dict[str, Any]], meta: dict[str, Any], w3: dict[str, Any] | None = None
) -> str:
    lines = [
        f"Machine: {meta['machine']}; Python {meta['python']}; {meta['date']}.",
        "",
        "| workload | measure | extsecrets | ESO (model) | ESO / extsecrets | target |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        ours, model = r["extsecrets"][0], r["eso_model"][0]
        label = (
            f"{r['workload']}: {r['externalsecrets']} ES x {r['refs']} {r['service']} refs"
            f" / {r['distinct']} secrets"
        )
        rows = [
            ("AWS calls", ours["aws_calls"], model["aws_calls"], ""),
        ]
        for service in sorted(set(ours["by_service"]) | set(model["by_service"])):
            target = TARGETS.get(r["workload"], {}).get(service)
            rows.append(
                (
                    f"{service} calls",
                    ours["by_service"].get(service, 0),
                    model["by_service"].get(service, 0),
                    f"≤ {target}" if target is not None else "",
                )
            )
        target = TARGETS.get(r["workload"], {}).get("token_requests")
        rows.append(
            (
                "TokenRequests",
                ours["token_requests"],
                model["token_requests"],
                f"≤ {target}" if target is not None else "",
            )
        )
        rows.append(("Secret writes", ours["secret_writes"], model["secret_writes"], ""))
        rows.append(("seconds", ours["seconds"], model["seconds"], ""))
        for i, (measure, a, b, tgt) in enumerate(rows):
            lines.append(_row(label if i == 0 else "", measure, a, b, tgt))
        if len(r["extsecrets"]) > 1:
            again, again_model = r["extsecrets"][1], r["eso_model"][1]
            w4 = "W4: the same, refreshed with nothing changed"
            for i, (measure, a, b, tgt) in enumerate(
                [
                    ("Secret writes", again["secret_writes"], again_model["secret_writes"], "= 0"),
                    ("status writes", again["status_writes"], again_model["status_writes"], ""),
                    ("AWS calls", again["aws_calls"], again_model["aws_calls"], ""),
                    (
                        "STS calls",
                        again["by_service"].get("sts", 0),
                        again_model["by_service"].get("sts", 0),
                        "",
                    ),
                    ("TokenRequests", again["token_requests"], again_model["token_requests"], ""),
                    ("seconds", again["seconds"], again_model["seconds"], ""),
                ]
            ):
                lines.append(_row(w4 if i == 0 else "", measure, a, b, tgt))
    if w3 is not None:
        lines += w3_rows(w3)
    return "\n".join(lines) + "\n"


def w3_rows(w3: dict[str, Any]) -> list[str]:
    """W3's rows, from bench/operator_w3.py's w3.json."""
    ours, model, floor = w3.get("extsecrets") or {}, w3.get("eso-model") or {}, w3.get("floor")
    count = w3["externalsecrets"]

    def seconds(column: dict[str, Any]) -> str:
        if not column:
            return "not run"
        if column["all_ready"]:
            return str(column["seconds"])
        return f"> {column['seconds']} ({column['ready']} of {count} Ready, stopped)"

    label = f"W3: first sync of {count} ES through the operator into the API server"
    if ours.get("date") and model and ours.get("date") != model.get("date"):
        # (operator_w3.py --merge: the columns come from different runs)
        label += f"; extsecrets measured {ours['date']}, the ESO model in an earlier run"
    rows = [
        ("seconds to all Ready", seconds(ours), seconds(model), "≤ 30"),
        (
            "peak RSS of the operator, MiB",
            ours.get("peak_rss_mib"),
            model.get("peak_rss_mib"),
            "≤ 150",
        ),
        (
            "operator CPU seconds",
            ours.get("operator_cpu_seconds"),
            model.get("operator_cpu_seconds"),
            "",
        ),
        ("AWS calls", ours.get("aws_calls"), model.get("aws_calls"), ""),
        ("API server writes", ours.get("api_writes"), model.get("api_writes"), ""),
    ]
    # a model column stopped early holds partial counts: no ratios then
    complete = bool(model.get("all_ready"))
    out = []
    for i, (measure, a, b, target) in enumerate(rows):
        times = ratio(float(b), float(a)) if complete and a and b else ""
        if b is not None and not complete and measure != "seconds to all Ready":
            b = f"{b} (when stopped)"
        out.append(f"| {label if i == 0 else ''} | {measure} | {a} | {b} | {times} | {target} |")
    if floor:
        out.append(
            f"| | floor: the same first-sync writes by a plain client, no operator, seconds"
            f" | {floor['seconds']} | | | |"
        )
    templated = w3.get("extsecrets-templated")
    if templated:  # bench/templates.py's typical template on every ExternalSecret
        label = f"W3 with a template on each of the {count} ES (printf, b64enc, a label)"
        for i, (measure, key) in enumerate(
            [
                ("seconds to all Ready", "seconds"),
                ("peak RSS of the operator, MiB", "peak_rss_mib"),
                ("operator CPU seconds", "operator_cpu_seconds"),
            ]
        ):
            value = seconds(templated) if key == "seconds" else templated.get(key)
            out.append(f"| {label if i == 0 else ''} | {measure} | {value} | | | |")
    return out


def templates_table(out: Path) -> str:
    """bench/templates.py's tables (``out/templates.md``), or nothing."""
    saved = out / "templates.md"
    return "\n## Templates (bench/templates.py)\n\n" + saved.read_text() if saved.exists() else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the harness")
    parser.add_argument("--out", default=str(HERE / "results"), help="folder for results.md/json")
    parser.add_argument(
        "--only-w5", action="store_true", help="run W5 alone (long sizes, in a folder of its own)"
    )
    parser.add_argument(
        "--w5",
        default="100,1000,5000",
        help="ExternalSecret counts of W5, comma separated (W1's count is reused, not rerun)",
    )
    parser.add_argument(
        "--table-only",
        action="store_true",
        help="only write results.md again from results.json and w3.json",
    )
    args = parser.parse_args(argv)
    import steady  # (here: steady imports this module)

    if args.table_only:
        out = Path(args.out)
        saved = json.loads((out / "results.json").read_text())
        w3_file = out / "w3.json"
        w3 = json.loads(w3_file.read_text()) if w3_file.exists() else None
        table = markdown(saved["results"], saved["meta"], w3) + steady.table(out)
        table += templates_table(out)
        (out / "results.md").write_text(table)
        print(table)
        return 0
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    emulator = start_emulator()
    aws = EmulatorClient(emulator.url)
    os.environ.update(
        {
            "AWS_SECRETSMANAGER_ENDPOINT": emulator.url,
            "AWS_SSM_ENDPOINT": emulator.url,
            "AWS_STS_ENDPOINT": emulator.url,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    sizes = (
        {"W1": (10, 3, 5), "W2": (10, 3, 5), "W5": [5, 10]}
        if args.smoke
        else {
            "W1": (1000, 3, 500),
            "W2": (1000, 3, 500),
            "W5": [int(n) for n in args.w5.split(",") if n],
        }
    )
    meta = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "python": platform.python_version(),
        "date": dt.date.today().isoformat(),
        "smoke": args.smoke,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []

    def save() -> str:
        # after every workload, so a long run interrupted keeps what it measured
        (out / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
        w3_file = out / "w3.json"
        w3 = json.loads(w3_file.read_text()) if w3_file.exists() and not args.smoke else None
        table = markdown(results, meta, w3)
        if not args.smoke:
            table += steady.table(out) + templates_table(out)
        (out / "results.md").write_text(table)
        return table

    try:
        if not args.only_w5:
            results.append(workload("W1", "SecretsManager", *sizes["W1"], aws, refreshes=2))
            save()
            results.append(workload("W2", "ParameterStore", *sizes["W2"], aws))
            save()
        distinct = sizes["W1"][2]
        for n in sizes["W5"]:
            if n == sizes["W1"][0]:
                continue  # W1 itself is that point of the curve
            results.append(workload(f"W5 ({n})", "SecretsManager", n, 3, distinct, aws))
            save()
        if not args.smoke and not args.only_w5:
            steady.main(["--out", str(out)], aws=aws)  # W6 (bench/steady.py), last: it resets AWS
    finally:
        emulator.stop()
    print(save())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
