"""W3: first sync of many ExternalSecrets through ``extsecrets run`` into a real API server.

Starts the test API server (tests/kube/apiserver.sh), the AWS emulator, creates the objects with
the official client, starts the operator as a process and measures the wall time until every
ExternalSecret is Ready and the operator's peak RSS (VmHWM). Writes bench/results/w3.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

from operator_kit import Kube, free_port, install_crds  # noqa: E402

from extsecrets_aws_auth.emulator import Emulator  # noqa: E402


def log(text: str) -> None:
    print(f"[bench W3] {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--externalsecrets", type=int, default=10000)
    parser.add_argument("--distinct", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="extsecrets-w3-"))
    script = ROOT / "tests" / "kube" / "apiserver.sh"
    emulator = Emulator().start()
    operator = None
    subprocess.run(["bash", str(script), "start", str(work)], check=True, stdout=subprocess.DEVNULL)
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
        ns = kube.namespace("w3")
        kube.core.create_namespaced_secret(
            ns,
            {
                "metadata": {"name": "keys"},
                "stringData": {"id": "AKIAW3BENCH000000001", "secret": "s"},
            },
        )
        refs = {"name": "keys"}
        kube.apply(
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "SecretStore",
                "metadata": {"name": "store", "namespace": ns},
                "spec": {
                    "provider": {
                        "aws": {
                            "service": "SecretsManager",
                            "region": "eu-central-1",
                            "auth": {
                                "secretRef": {
                                    "accessKeyIDSecretRef": {**refs, "key": "id"},
                                    "secretAccessKeySecretRef": {**refs, "key": "secret"},
                                }
                            },
                        }
                    }
                },
            }
        )
        log(f"creating {args.externalsecrets} ExternalSecrets")

        def create(n: int) -> None:
            kube.apply(
                {
                    "apiVersion": "external-secrets.io/v1",
                    "kind": "ExternalSecret",
                    "metadata": {"name": f"es-{n}", "namespace": ns},
                    "spec": {
                        "secretStoreRef": {"name": "store"},
                        "data": [
                            {
                                "secretKey": "v",
                                "remoteRef": {"key": f"w3/secret-{n % args.distinct}"},
                            }
                        ],
                    },
                }
            )

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(create, range(args.externalsecrets)))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EXTSECRETS_"))}
        env.update(
            {
                "AWS_SECRETSMANAGER_ENDPOINT": emulator.url,
                "AWS_STS_ENDPOINT": emulator.url,
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )
        log("starting the operator")
        started = time.monotonic()
        operator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "extsecrets",
                "run",
                "--kubeconfig",
                str(work / "kubeconfig"),
                "--metrics-addr",
                f"127.0.0.1:{free_port()}",
                "--health-addr",
                f"127.0.0.1:{free_port()}",
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(work / "operator.log").open("wb"),
        )
        ready = 0
        while time.monotonic() - started < args.timeout:
            items = kube.custom.list_namespaced_custom_object(
                "external-secrets.io", "v1", ns, "externalsecrets"
            )["items"]
            ready = sum(
                1
                for es in items
                if any(
                    c.get("type") == "Ready" and c.get("status") == "True"
                    for c in (es.get("status") or {}).get("conditions") or []
                )
            )
            if ready == args.externalsecrets:
                break
            time.sleep(2)
        elapsed = time.monotonic() - started
        status = Path(f"/proc/{operator.pid}/status").read_text()
        peak_kib = int(
            next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
        )
        result = {
            "workload": "W3",
            "externalsecrets": args.externalsecrets,
            "ready": ready,
            "seconds_to_all_ready": round(elapsed, 1),
            "peak_rss_mib": round(peak_kib / 1024, 1),
        }
        log(json.dumps(result))
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "w3.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result))
        return 0 if ready == args.externalsecrets else 1
    finally:
        if operator is not None:
            operator.terminate()
            operator.wait(timeout=30)
        subprocess.run(
            ["bash", str(script), "stop", str(work)], check=False, stdout=subprocess.DEVNULL
        )
        emulator.stop()


if __name__ == "__main__":
    raise SystemExit(main())
