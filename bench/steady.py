"""W6: the operator's refreshes in steady state, through an AWS outage.

1,000 ExternalSecrets over 10 SecretStores (Secrets Manager, static keys, 20 secrets a store,
3 references an ExternalSecret), refreshIntervals of 1, 2 or 5 minutes, created at random
moments of the first minute. The operator's own controller and engine run them for 30 rounds of
one minute; in rounds 10 and 11 every Secrets Manager read fails (503). Reported: AWS calls per
round before, during and after the fault, against the aligned figure (one call per store per
round: what reads a store is refreshed together).

It runs the operator's code as it is (`extsecrets.operator.controller.Controller`, the engine,
the AWS plugins) against the AWS emulator in a process of its own; the API server is the local
cluster in memory (what the controller reads of it is kept as the watches would keep it). Time
runs as it does while the operator works and jumps over its idle waits, so 30 minutes of
refreshes take a few minutes.

    python bench/steady.py [--es 1000] [--rounds 30] [--out bench/results]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import heapq
import json
import logging
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3

from extsecrets.cluster.local import LocalCluster
from extsecrets.cluster.objects import ExternalSecretStatus, ObjectRef, SecretObject
from extsecrets.model import CheckedObject, ExternalSecret
from extsecrets.model.documents import check_document
from extsecrets.operator.controller import Controller
from extsecrets.operator.metrics import OperatorMetrics
from extsecrets.plugins import PluginHost
from extsecrets.sync.engine import Engine
from extsecrets.sync.schedule import grid_point
from extsecrets.sync.status import to_wire
from extsecrets_aws_auth.emulator import EmulatorClient

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from run import REGION, log, start_emulator  # noqa: E402

NAMESPACE = "steady"
STORES = 10
SECRETS_PER_STORE = 20
REFS = 3
INTERVALS = (60, 120, 300)
ROUND = 60.0
FAULT = (10, 12)  # rounds [start, end) in which every Secrets Manager read fails


class WarpClock:
    """Real time while the operator works; a jump over each idle wait."""

    def __init__(self) -> None:
        self._skipped = 0.0
        self._mono0 = time.monotonic()
        self._wall0 = time.time()

    def mono(self) -> float:
        return time.monotonic() + self._skipped

    def wall(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._wall0 + self.mono() - self._mono0, dt.UTC)

    def skip_to(self, at: float) -> None:
        self._skipped += max(0.0, at - self.mono())


class _Cache:
    def __init__(self, view: ClusterView) -> None:
        self._view = view

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._view.raw(namespace, name)


class ClusterView:
    """What the controller reads and writes of the Kubernetes adapter, over the local cluster
    the engine writes to (statuses and Secrets land there)."""

    def __init__(self, local: LocalCluster, host: PluginHost) -> None:
        self.local = local
        self.host = host
        self.external_secrets = _Cache(self)
        self._docs: dict[tuple[str, str], dict[str, Any]] = {}
        self._finalizers: dict[tuple[str, str], list[str]] = {}

    def add(self, doc: Mapping[str, Any]) -> None:
        doc = copy.deepcopy(dict(doc))
        if doc["kind"] == "ExternalSecret":
            meta = doc["metadata"]
            meta.update(uid=str(uuid.uuid4()), generation=1)
            self._docs[(meta["namespace"], meta["name"])] = doc
        checked = self.local.apply(doc)
        if not checked.ok:
            raise SystemExit(
                f"invalid manifest: {[p.line(checked.ident) for p in checked.problems]}"
            )

    def raw(self, namespace: str, name: str) -> dict[str, Any] | None:
        doc = self._docs.get((namespace, name))
        if doc is None:
            return None
        out = dict(doc, metadata=dict(doc["metadata"]))
        out["metadata"]["finalizers"] = self._finalizers.get((namespace, name), [])
        status = self.local.statuses.get((namespace, name))
        if status is not None:
            out["status"] = to_wire(status)
        return out

    def checked(self, raw: Mapping[str, Any]) -> CheckedObject:
        return check_document(raw, self.host)

    def set_finalizers(self, raw: Mapping[str, Any], finalizers: list[str]) -> None:
        meta = raw["metadata"]
        self._finalizers[(meta["namespace"], meta["name"])] = list(finalizers)

    def get_secret(
        self, namespace: str, name: str, *, managed_only: bool = False
    ) -> SecretObject | None:
        return self.local.get_secret(namespace, name)

    def patch_external_secret_status(
        self, meta: Mapping[str, Any], status: ExternalSecretStatus
    ) -> None:
        self.local.statuses[(str(meta["namespace"]), str(meta["name"]))] = status

    def write_status(self, es: ExternalSecret, status: ExternalSecretStatus) -> None:
        self.local.write_status(es, status)

    def record_event(self, regarding: ObjectRef, type: Any, reason: str, message: str) -> None:
        pass  # (events cost the operator nothing here: they are sent in the background)


def seed(url: str) -> None:
    client = boto3.client(
        "secretsmanager",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="AKIASEEDER0000000001",
        aws_secret_access_key="seeder",
    )
    for s in range(STORES):
        for i in range(SECRETS_PER_STORE):
            client.create_secret(Name=f"steady/{s}/{i}", SecretString=json.dumps({"v": str(i)}))


def manifests(externals: int, pick: random.Random) -> tuple[list[dict[str, Any]], list[Any]]:
    """The stores and their key Secret, and the ExternalSecrets with the second of the first
    round at which each is created."""
    base: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "aws-keys", "namespace": NAMESPACE},
            "stringData": {"id": "AKIASTEADY0000000001", "secret": "steady"},
        }
    ]
    keys = {
        "accessKeyIDSecretRef": {"name": "aws-keys", "key": "id"},
        "secretAccessKeySecretRef": {"name": "aws-keys", "key": "secret"},
    }
    for s in range(STORES):
        base.append(
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "SecretStore",
                "metadata": {"name": f"store-{s}", "namespace": NAMESPACE},
                "spec": {
                    # one request per call: a failed call is not retried by the SDK
                    "retrySettings": {"maxRetries": 1},
                    "provider": {
                        "aws": {
                            "service": "SecretsManager",
                            "region": REGION,
                            "auth": {"secretRef": keys},
                        }
                    },
                },
            }
        )
    timed = []
    for n in range(externals):
        s = n % STORES
        data = [
            {"secretKey": f"k{j}", "remoteRef": {"key": f"steady/{s}/{i}", "property": "v"}}
            for j, i in enumerate(pick.sample(range(SECRETS_PER_STORE), REFS))
        ]
        doc = {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": f"es-{n}", "namespace": NAMESPACE},
            "spec": {
                "secretStoreRef": {"name": f"store-{s}"},
                "refreshInterval": f"{pick.choice(INTERVALS)}s",
                "data": data,
            },
        }
        timed.append((pick.uniform(0, ROUND), n, doc))
    return base, sorted(timed, key=lambda t: (t[0], t[1]))


def aligned(docs: list[Any], wall_start: float, rounds: int) -> list[int]:
    """Calls per round when everything of a store that is due goes in one batch: one call per
    distinct refresh instant of each store (its 20 secrets fit one BatchGetSecretValue), the
    instants being the points of the store's grid (``extsecrets.sync.schedule``) for the
    intervals its ExternalSecrets have. Round 0, the first syncs, is not counted."""
    intervals: dict[int, set[int]] = {}
    for _, n, doc in docs:
        intervals.setdefault(n % STORES, set()).add(int(doc["spec"]["refreshInterval"][:-1]))
    out = [0]
    for r in range(1, rounds):
        begin, end = wall_start + r * ROUND, wall_start + (r + 1) * ROUND
        calls = 0
        for s, periods in intervals.items():
            group = ("SecretStore", NAMESPACE, f"store-{s}")
            points = set()
            for interval in periods:
                at = grid_point(end, interval, group)
                while at >= begin:
                    if at < end:
                        points.add(at)
                    at -= interval
            calls += len(points)
        out.append(calls)
    return out


def run(externals: int, rounds: int, aws: EmulatorClient, seed_value: int = 42) -> dict[str, Any]:
    pick = random.Random(seed_value)
    host = PluginHost.load(strict=True)
    base, timed = manifests(externals, pick)
    view = ClusterView(LocalCluster(host), host)
    for doc in base:
        view.add(doc)
    clock = WarpClock()
    engine = Engine(host, view.local, clock=clock.wall)
    controller = Controller(
        engine,
        view,  # type: ignore[arg-type]
        OperatorMetrics(host),
        clock=clock.wall,
        monotonic=clock.mono,
        rng=random.Random(seed_value),
    )
    scheduler = controller.scheduler
    start = clock.mono()
    end = start + rounds * ROUND
    # what happens at a given time besides the controller's own schedule
    events: list[tuple[float, int, Callable[[], None]]] = []
    for at, n, doc in timed:

        def create(doc: dict[str, Any] = doc) -> None:
            view.add(doc)
            meta = doc["metadata"]
            controller.on_external_secret("ADDED", None, view.raw(NAMESPACE, meta["name"]))

        events.append((start + at, n, create))
    fault = {"service": "secretsmanager", "operation": "BatchGetSecretValue"}
    events.append(
        (
            start + FAULT[0] * ROUND,
            externals,
            lambda: aws.fail(**fault, code="ServiceUnavailable", status=503, count=-1),
        )
    )
    events.append((start + FAULT[1] * ROUND, externals + 1, aws.reset_faults))
    heapq.heapify(events)

    per_round: list[Counter[str]] = [Counter() for _ in range(rounds)]
    wall_start = clock.wall().timestamp()
    aws.clear_requests()
    started = time.perf_counter()
    while True:
        now = clock.mono()
        while events and events[0][0] <= now:
            heapq.heappop(events)[2]()
        keys = scheduler.take(controller.batch_size, wait=0)
        if keys:
            r = min(int((clock.mono() - start) // ROUND), rounds - 1)
            controller.process(keys)
            found = aws.requests()
            aws.clear_requests()
            per_round[r].update(f"{q['service']}:{q['operation']}" for q in found)
            continue
        next_at = min(
            [t for t in (scheduler.next_due(), events[0][0] if events else None) if t is not None],
            default=end,
        )
        if next_at >= end:
            break
        clock.skip_to(next_at)
    seconds = time.perf_counter() - started
    reads = [c["secretsmanager:BatchGetSecretValue"] for c in per_round]
    expected = aligned(timed, wall_start, rounds)
    before, during = range(2, FAULT[0]), range(FAULT[0], FAULT[1])
    after = range(FAULT[1], rounds)
    back = next(
        (r - FAULT[1] for r in after if all(reads[x] == expected[x] for x in range(r, rounds))),
        None,
    )
    return {
        "externalsecrets": externals,
        "stores": STORES,
        "intervals": list(INTERVALS),
        "rounds": rounds,
        "round_seconds": ROUND,
        "fault_rounds": list(FAULT),
        "calls_per_round": reads,
        "aligned_per_round": expected,
        "other_calls": sum(sum(c.values()) for c in per_round) - sum(reads),
        "mean_before": _mean(reads, before),
        "mean_aligned_before": _mean(expected, before),
        "mean_during": _mean(reads, during),
        "mean_after": _mean(reads, after),
        "mean_aligned_after": _mean(expected, after),
        "rounds_to_aligned_after_fault": back,
        "seconds": round(seconds, 1),
    }


def _mean(values: list[int], rounds: range) -> float:
    picked = [values[r] for r in rounds]
    return round(sum(picked) / len(picked), 2) if picked else 0.0


def rows(w6: dict[str, Any]) -> list[str]:
    """W6's rows for the table of bench/run.py."""
    label = (
        f"W6: {w6['externalsecrets']} ES on {w6['stores']} stores, steady refreshes, "
        f"AWS outage in rounds {w6['fault_rounds'][0]}-{w6['fault_rounds'][1] - 1}"
    )
    back = w6["rounds_to_aligned_after_fault"]
    measures = [
        (
            "reads per 1-min round before the fault (aligned figure)",
            f"{w6['mean_before']} ({w6['mean_aligned_before']})",
        ),
        ("reads per round during the fault", w6["mean_during"]),
        (
            "reads per round after the fault (aligned figure)",
            f"{w6['mean_after']} ({w6['mean_aligned_after']})",
        ),
        (
            "rounds after the fault until every round is at the aligned figure",
            "never" if back is None else back,
        ),
    ]
    return [
        f"| {label if i == 0 else ''} | {measure} | {value} | | | ≤ 1 round |"
        if "until" in measure
        else f"| {label if i == 0 else ''} | {measure} | {value} | | | |"
        for i, (measure, value) in enumerate(measures)
    ]


def table(out: Path) -> str:
    """W6's rows from ``out/steady.json`` (for bench/run.py's table), or nothing."""
    saved = out / "steady.json"
    return "\n".join(rows(json.loads(saved.read_text()))) + "\n" if saved.exists() else ""


def main(argv: list[str] | None = None, aws: EmulatorClient | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--es", type=int, default=1000, help="ExternalSecrets")
    parser.add_argument("--rounds", type=int, default=30, help="rounds of one minute")
    parser.add_argument("--out", default=str(HERE / "results"), help="folder for steady.json")
    args = parser.parse_args(argv)
    if args.rounds <= FAULT[1]:
        parser.error(f"--rounds must be more than {FAULT[1]}")
    emulator = None
    if aws is None:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                del os.environ[name]
        emulator = start_emulator()
        aws = EmulatorClient(emulator.url)
        os.environ.update(
            {"AWS_SECRETSMANAGER_ENDPOINT": emulator.url, "AWS_EC2_METADATA_DISABLED": "true"}
        )
    # a failing refresh logs a warning per ExternalSecret: not what this measures
    logging.getLogger("extsecrets").setLevel(logging.ERROR)
    try:
        aws.reset()
        seed(aws.url)
        log(f"W6: {args.es} ExternalSecrets, {args.rounds} rounds of {ROUND:g} s, fault {FAULT}")
        result = run(args.es, args.rounds, aws)
    finally:
        aws.reset_faults()
        if emulator is not None:
            emulator.stop()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "steady.json").write_text(json.dumps(result, indent=2))
    log(f"W6: calls per round {result['calls_per_round']}")
    log(f"W6: aligned figure  {result['aligned_per_round']}")
    print("\n".join(rows(result)))
    return result


if __name__ == "__main__":
    main()
