"""When `extsecrets run` refreshes, against the real API server and the AWS emulator: an ECR
token is renewed before it expires whatever the refreshInterval, also by a restarted operator;
a store's ExternalSecrets are read in one batch again after an AWS outage."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from typing import Any

import pytest
from aws_kit import client
from operator_kit import wait_for
from test_operator import b64, keys_secret, store, value

from extsecrets.sync.schedule import REFRESH_BY_ANNOTATION

pytestmark = pytest.mark.kube

AUTH = {
    "secretRef": {
        "accessKeyIDSecretRef": {"name": "awssm-secret", "key": "access-key"},
        "secretAccessKeySecretRef": {"name": "awssm-secret", "key": "secret-access-key"},
    }
}


def token_answer(token: str, expires_at: float) -> dict[str, Any]:
    return {
        "authorizationData": [
            {
                "authorizationToken": b64(f"AWS:{token}"),
                "expiresAt": expires_at,
                "proxyEndpoint": "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            }
        ]
    }


def seconds(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def refreshed_after(kube: Any, namespace: str, name: str, after: float) -> float:
    """The ExternalSecret's refreshTime once it is later than ``after``: the operator writes
    the Secret first and the status next, so a read in between still sees the last one."""

    def later() -> float | None:
        es = kube.external_secret(namespace, name) or {}
        stamp = (es.get("status") or {}).get("refreshTime")
        return seconds(stamp) if stamp and seconds(stamp) > after else None

    return wait_for(later, 30, f"a refreshTime after {after}")


def test_an_ecr_token_is_renewed_before_it_expires_also_after_a_restart(
    kube, aws, run_operator
) -> None:
    ns = kube.namespace()
    kube.apply(keys_secret(ns))
    kube.apply(
        {
            "apiVersion": "generators.external-secrets.io/v1alpha1",
            "kind": "ECRAuthorizationToken",
            "metadata": {"name": "ecr", "namespace": ns},
            "spec": {"region": "eu-west-1", "auth": AUTH},
        }
    )
    # three tokens, handed out in turn: the first lives a minute, the second two
    start = time.time()
    expiry = {"token-1": start + 60, "token-2": start + 130, "token-3": start + 3600}
    for token, at in expiry.items():
        aws.answer("ecr", "GetAuthorizationToken", token_answer(token, at))
    kube.apply(
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "pull", "namespace": ns},
            "spec": {
                "refreshInterval": "24h",
                "dataFrom": [
                    {
                        "sourceRef": {
                            "generatorRef": {"kind": "ECRAuthorizationToken", "name": "ecr"}
                        }
                    }
                ],
            },
        }
    )
    operator = run_operator("--namespace", ns)  # (other tests leave objects behind)
    wait_for(lambda: value(kube, ns, "pull", "password") == "token-1", 60, "the first token")
    synced = refreshed_after(kube, ns, "pull", 0)

    # nothing changes, yet the token is renewed half-way through its minute, before it expires
    wait_for(lambda: value(kube, ns, "pull", "password") == "token-2", 90, "the renewal")
    first = refreshed_after(kube, ns, "pull", synced)
    assert first < expiry["token-1"]
    secret = kube.secret(ns, "pull")
    renew_at = secret.metadata.annotations[REFRESH_BY_ANNOTATION]
    assert value(kube, ns, "pull", "expires_at") == str(int(expiry["token-2"]))

    # a new operator process renews the second one from what the Secret says, before it expires
    assert operator.stop() == 0
    run_operator("--namespace", ns)
    wait_for(lambda: value(kube, ns, "pull", "password") == "token-3", 120, "the next renewal")
    renewed = refreshed_after(kube, ns, "pull", first)
    assert renewed < expiry["token-2"]
    assert renewed >= seconds(renew_at)
    # and then not again for nearly an hour: exactly three token requests, nothing else changed
    time.sleep(5)
    assert len(aws.requests("ecr", "GetAuthorizationToken")) == 3
    assert (kube.external_secret(ns, "pull") or {})["metadata"]["generation"] == 1


def test_a_store_s_external_secrets_are_one_batch_again_after_an_aws_outage(
    kube, aws, run_operator
) -> None:
    names = [f"app/s{i}" for i in range(5)]
    sm = client(aws, "secretsmanager")
    for name in names:
        sm.create_secret(Name=name, SecretString=json.dumps({"v": name}))
    ns = kube.namespace()
    kube.apply(keys_secret(ns))
    # one request per call (no SDK retries), so requests count calls
    limited = store(ns)
    limited["spec"]["retrySettings"] = {"maxRetries": 1}
    kube.apply(limited)
    es_names = [f"es-{n}" for n in range(20)]
    for n, es in enumerate(es_names):
        kube.apply(
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "ExternalSecret",
                "metadata": {"name": es, "namespace": ns},
                "spec": {
                    "secretStoreRef": {"name": "store"},
                    "refreshInterval": "4s",
                    "data": [
                        {"secretKey": "v", "remoteRef": {"key": names[n % 5], "property": "v"}}
                    ],
                },
            }
        )

    def ready(status: str) -> bool:
        return all((kube.ready(ns, es) or ("",))[0] == status for es in es_names)

    def batches() -> list[list[str]]:
        return [
            sorted(r["params"]["SecretIdList"])
            for r in aws.requests("secretsmanager", "BatchGetSecretValue")
        ]

    run_operator("--namespace", ns)
    wait_for(lambda: ready("True"), 60, "every ExternalSecret synced")
    aws.clear_requests()
    time.sleep(10)
    before = batches()
    assert before
    assert all(ids == names for ids in before)

    # AWS answers 503 to every read for a while: the retries stay one call for all twenty
    aws.fail("secretsmanager", "BatchGetSecretValue", "ServiceUnavailable", status=503, count=-1)
    wait_for(lambda: ready("False"), 60, "every ExternalSecret failing")
    time.sleep(15)
    during = batches()[len(before) :]
    assert all(ids == names for ids in during)

    # AWS is back: within a round every call reads all five secrets for all twenty again
    aws.reset_faults()
    wait_for(lambda: ready("True"), 60, "every ExternalSecret synced again")
    time.sleep(5)
    aws.clear_requests()

    # Two rounds (refreshInterval 4s): how many fit in a stretch of wall time depends on the
    # machine, so the count is waited for, not asserted; what is exact is that every call of
    # every round reads the five secrets for all twenty at once (a round split in two, or a
    # call for fewer names, fails here).
    def two_rounds() -> list[list[str]] | None:
        found = batches()
        return found if len(found) >= 2 else None

    after = wait_for(two_rounds, 30, "two rounds after the outage")
    assert all(ids == names for ids in after)

    def refreshed_together() -> bool:
        listed = kube.custom.list_namespaced_custom_object(
            "external-secrets.io", "v1", ns, "externalsecrets"
        )["items"]
        return len({item["status"]["refreshTime"] for item in listed}) == 1

    wait_for(refreshed_together, 10, "one refreshTime for all twenty")
    assert base64.b64decode(kube.secret(ns, "es-0").data["v"]).decode() == "app/s0"
