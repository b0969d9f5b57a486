"""W3: first sync of many ExternalSecrets through the operator into a real API server.

Starts the test API server (tests/kube/apiserver.sh) and the AWS emulator, then for each
column in a namespace of its own: creates the store and the ExternalSecrets (not timed),
starts the operator as a process limited to that namespace, and measures the wall time until
every ExternalSecret is Ready (followed with a watch, so measuring costs the API server next to
nothing), the operator's peak RSS (VmHWM), the AWS calls (the emulator's request log) and the
writes (the API server's own ``apiserver_request_total``). Columns:

- ``extsecrets``: ``extsecrets run``;
- ``extsecrets-templated``: the same with a ``spec.target.template`` on every ExternalSecret
  (bench/templates.py's typical one: a key with printf and b64enc, a templated label);
- ``eso-model``: bench/eso_model_operator.py, stopped at ``--eso-timeout`` (it is slow);
- ``floor``: no operator: a plain client makes the writes any operator must make for a first
  sync (finalizer, Secret, status), 16 at a time: what the API server here can take.

Writes bench/results/w3.json (``--merge``: replaces only the columns run, keeps the others).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from kubernetes.client.rest import ApiException
from kubernetes.watch.watch import iter_resp_lines

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

from operator_kit import Kube, free_port, install_crds  # noqa: E402
from run import start_emulator  # noqa: E402
from templates import TYPICAL_DATA, TYPICAL_LABELS  # noqa: E402

from extsecrets_aws_auth.emulator import EmulatorClient  # noqa: E402

GROUP, VERSION = "external-secrets.io", "v1"
FINALIZER = "externalsecrets.external-secrets.io/externalsecret-cleanup"
WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE")
#: extra `extsecrets run` options, to try settings (the defaults are what is measured)
OPERATOR_ARGS = os.environ.get("W3_OPERATOR_ARGS", "").split()


def log(text: str) -> None:
    print(f"[bench W3] {text}", file=sys.stderr, flush=True)


# --- the objects ------------------------------------------------------------------------------


def make_namespace(
    kube: Kube, prefix: str, count: int, distinct: int, templated: bool = False
) -> str:
    """A namespace with static AWS keys, a SecretStore and ``count`` ExternalSecrets (each with
    the typical template when ``templated``)."""
    ns = kube.namespace(prefix)
    kube.core.create_namespaced_secret(
        ns,
        {"metadata": {"name": "keys"}, "stringData": {"id": "AKIAW3BENCH000000001", "secret": "s"}},
    )
    keys = {"name": "keys"}
    kube.apply(
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "SecretStore",
            "metadata": {"name": "store", "namespace": ns},
            "spec": {
                "provider": {
                    "aws": {
                        "service": "SecretsManager",
                        "region": "eu-central-1",
                        "auth": {
                            "secretRef": {
                                "accessKeyIDSecretRef": {**keys, "key": "id"},
                                "secretAccessKeySecretRef": {**keys, "key": "secret"},
                            }
                        },
                    }
                }
            },
        }
    )

    template = {"data": TYPICAL_DATA, "metadata": {"labels": TYPICAL_LABELS}}
    target = {"target": {"template": template}} if templated else {}

    def create(n: int) -> None:
        kube.custom.create_namespaced_custom_object(
            GROUP,
            VERSION,
            ns,
            "externalsecrets",
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "ExternalSecret",
                "metadata": {"name": f"es-{n}", "namespace": ns},
                "spec": {
                    "secretStoreRef": {"name": "store"},
                    "data": [{"secretKey": "v", "remoteRef": {"key": f"w3/secret-{n % distinct}"}}],
                    **target,
                },
            },
            _preload_content=False,
        ).read()

    log(f"{ns}: creating {count} ExternalSecrets")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(count)))
    return ns


# --- what reached the servers -----------------------------------------------------------------


def api_writes(kube: Kube) -> Counter[str]:
    """The API server's write requests, by ``VERB resource[/subresource]``."""
    served = kube.requests_served()
    return Counter({k: n for k, n in served.items() if k.split(" ", 1)[0] in WRITE_VERBS})


def is_ready(obj: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (obj.get("status") or {}).get("conditions") or []
    )


class ReadyWatch:
    """Follows the ExternalSecrets of a namespace with one watch; counts the Ready ones."""

    def __init__(self, kube: Kube, namespace: str) -> None:
        self.kube, self.namespace = kube, namespace
        self.ready: set[str] = set()
        self.version = self._list()

    def _list(self) -> str:
        answer = json.loads(
            self.kube.custom.list_namespaced_custom_object(
                GROUP, VERSION, self.namespace, "externalsecrets", _preload_content=False
            ).data
        )
        self.ready = {i["metadata"]["name"] for i in answer["items"] if is_ready(i)}
        return str(answer["metadata"]["resourceVersion"])

    def until(self, total: int, deadline: float) -> int:
        """Follow until ``total`` are Ready or the monotonic ``deadline``; the Ready count."""
        while len(self.ready) < total and time.monotonic() < deadline:
            left = max(1, int(deadline - time.monotonic()))
            try:
                response = self.kube.custom.list_namespaced_custom_object(
                    GROUP,
                    VERSION,
                    self.namespace,
                    "externalsecrets",
                    watch=True,
                    resource_version=self.version,
                    timeout_seconds=min(60, left),
                    _preload_content=False,
                )
            except ApiException as exc:
                if exc.status != 410:
                    raise
                self.version = self._list()
                continue
            try:
                for line in iter_resp_lines(response):
                    event = json.loads(line)
                    obj = event.get("object") or {}
                    if event.get("type") == "ERROR":
                        self.version = self._list()  # 410 Gone: too old, list again
                        break
                    self.version = obj["metadata"]["resourceVersion"]
                    name = obj["metadata"]["name"]
                    if event["type"] != "DELETED" and is_ready(obj):
                        self.ready.add(name)
                    else:
                        self.ready.discard(name)
                    if len(self.ready) >= total:
                        break
            finally:
                response.close()
                response.release_conn()
        return len(self.ready)


# --- the columns --------------------------------------------------------------------------------


def run_operator(
    column: str,
    kube: Kube,
    aws: EmulatorClient,
    work: Path,
    env: dict[str, str],
    ns: str,
    count: int,
    timeout: float,
) -> dict[str, Any]:
    kubeconfig = str(work / "kubeconfig")
    if column.startswith("extsecrets"):
        argv = [sys.executable, "-m", "extsecrets", "run", "--kubeconfig", kubeconfig]
        argv += ["--namespace", ns, "--log-level", "warning", *OPERATOR_ARGS]
        argv += ["--metrics-addr", f"127.0.0.1:{free_port()}"]
        argv += ["--health-addr", f"127.0.0.1:{free_port()}"]
    else:
        argv = [sys.executable, str(HERE / "eso_model_operator.py"), kubeconfig, ns]
    watch = ReadyWatch(kube, ns)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())  # the machine is shared: say how busy
    aws.clear_requests()
    writes_before = api_writes(kube)
    log(f"{column}: starting the operator on {ns}")
    started = time.monotonic()
    operator = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / f"operator-{column}.log").open("wb"),
    )
    try:
        ready = watch.until(count, started + timeout)
        elapsed = time.monotonic() - started
        load_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
        status = Path(f"/proc/{operator.pid}/status").read_text()
        # utime and stime, in clock ticks (fields 14 and 15 of /proc/PID/stat)
        ticks = Path(f"/proc/{operator.pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]
        cpu = sum(int(t) for t in ticks) / os.sysconf("SC_CLK_TCK")
    finally:
        operator.terminate()
        try:
            operator.wait(timeout=60)
        except subprocess.TimeoutExpired:
            operator.kill()  # never leave it behind, but say so: a stop should take seconds
            operator.wait()
            raise

    def kib(field: str) -> int:
        return int(next(line.split()[1] for line in status.splitlines() if field in line))

    # the operator is stopped: what it sent is all in
    writes = api_writes(kube) - writes_before
    calls = Counter(f"{r['service']}:{r['operation']}" for r in aws.requests())
    result = {
        "date": dt.date.today().isoformat(),
        "loadavg_at_start": load,
        "loadavg_when_all_ready": load_end,
        "ready": ready,
        "seconds": round(elapsed, 1),
        "all_ready": ready == count,
        "peak_rss_mib": round(kib("VmHWM") / 1024, 1),
        "rss_mib_when_all_ready": round(kib("VmRSS") / 1024, 1),
        "operator_cpu_seconds": round(cpu, 1),
        "aws_calls": sum(calls.values()),
        "aws_by_operation": dict(sorted(calls.items())),
        "api_writes": sum(writes.values()),
        "api_writes_by_request": dict(sorted(writes.items())),
    }
    if column == "extsecrets-templated":
        result["sample_secret_ok"] = templated_secret_ok(kube, ns)
    log(f"{column}: {json.dumps(result)}")
    return result


def templated_secret_ok(kube: Kube, ns: str) -> bool:
    """es-0's Secret holds what the typical template makes of its value (``value-0``): the
    column measured templates, not a plain sync."""
    secret = kube.core.read_namespaced_secret("es-0", ns)
    data = secret.data or {}
    labels = secret.metadata.labels or {}
    return (
        set(data) == {"v"}
        and base64.b64decode(data["v"]) == base64.b64encode(b"user:value-0")
        and labels.get("app") == "value-0"
    )


def floor(kube: Kube, ns: str, count: int, threads: int = 16) -> dict[str, Any]:
    """The writes of a first sync with no operator logic at all: finalizer, Secret, status."""
    custom, core = kube.custom, kube.core

    def one(n: int) -> None:
        name = f"es-{n}"
        custom.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            ns,
            "externalsecrets",
            name,
            {"metadata": {"finalizers": [FINALIZER]}},
            _preload_content=False,
        ).read()
        core.create_namespaced_secret(
            ns,
            {"metadata": {"name": name}, "data": {"v": "dmFsdWU="}},
            _preload_content=False,
        ).read()
        custom.patch_namespaced_custom_object_status(
            GROUP,
            VERSION,
            ns,
            "externalsecrets",
            name,
            {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
            _preload_content=False,
        ).read()

    log(f"floor: {count} x (finalizer, Secret, status) with {threads} threads")
    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    elapsed = time.monotonic() - started
    result = {"seconds": round(elapsed, 1), "api_writes": 3 * count, "threads": threads}
    log(f"floor: {json.dumps(result)}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--externalsecrets", type=int, default=10000)
    parser.add_argument("--distinct", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=900, help="extsecrets column")
    parser.add_argument("--eso-timeout", type=float, default=1200, help="ESO model column")
    parser.add_argument(
        "--columns",
        default="extsecrets,extsecrets-templated,eso-model,floor",
        help="comma-separated columns to run",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the columns of the existing w3.json that this run does not measure",
    )
    parser.add_argument(
        "--kubeconfig", help="use this API server instead of starting tests/kube/apiserver.sh"
    )
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args(argv)
    columns = [c for c in args.columns.split(",") if c]
    count = args.externalsecrets
    work = Path(tempfile.mkdtemp(prefix="extsecrets-w3-"))
    script = ROOT / "tests" / "kube" / "apiserver.sh"
    emulator = start_emulator()
    if args.kubeconfig:
        shutil.copy(args.kubeconfig, work / "kubeconfig")
    else:
        subprocess.run(
            ["bash", str(script), "start", str(work)], check=True, stdout=subprocess.DEVNULL
        )
    try:
        kube = Kube(str(work / "kubeconfig"))
        install_crds(kube.api)
        sm = boto3.client(
            "secretsmanager",
            endpoint_url=emulator.url,
            region_name="eu-central-1",
            aws_access_key_id="AKIASEEDER0000000001",
            aws_secret_access_key="seeder",
        )
        log(f"seeding {args.distinct} secrets")
        for i in range(args.distinct):
            sm.create_secret(Name=f"w3/secret-{i}", SecretString=f"value-{i}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EXTSECRETS_"))}
        env.update(
            {
                # as the shipped Deployment sets it (deploy/deployment.yaml)
                "MALLOC_ARENA_MAX": "2",
                "AWS_SECRETSMANAGER_ENDPOINT": emulator.url,
                "AWS_STS_ENDPOINT": emulator.url,
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )
        aws = EmulatorClient(emulator.url)
        results: dict[str, Any] = {"workload": "W3", "externalsecrets": count}
        saved = Path(args.out) / "w3.json"
        if args.merge and saved.exists():
            before = json.loads(saved.read_text())
            if before.get("externalsecrets") != count:
                raise SystemExit(f"--merge: {saved} is of {before.get('externalsecrets')} ES")
            results.update(before)
        for column in columns:
            templated = column == "extsecrets-templated"
            ns = make_namespace(kube, column, count, args.distinct, templated)
            if column == "floor":
                results[column] = floor(kube, ns, count)
                continue
            timeout = args.timeout if column.startswith("extsecrets") else args.eso_timeout
            results[column] = run_operator(column, kube, aws, work, env, ns, count, timeout)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "w3.json").write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results))
        ours = [results[c] for c in columns if c.startswith("extsecrets")]
        return 0 if all(c["all_ready"] for c in ours) else 1
    finally:
        if not args.kubeconfig:
            subprocess.run(
                ["bash", str(script), "stop", str(work)], check=False, stdout=subprocess.DEVNULL
            )
        emulator.stop()


if __name__ == "__main__":
    raise SystemExit(main())
