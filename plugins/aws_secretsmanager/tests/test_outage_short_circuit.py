"""Issue 17, item 1: once a BatchGetSecretValue call of a cycle fails because of AWS (5xx,
throttling, a connection cut), the other chunks of that cycle (20 ids a call) fail with the
same temporary error without being sent; a 4xx about one id still splits
(reliability/outage_kit.py)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import SM_STORE, client
from reliability.outage_kit import Batched

from extsecrets_aws_secretsmanager.fetch import BATCH_SIZE

#: 3 chunks: 20, 20, 5
READS = Batched(
    store=SM_STORE % "",
    service="secretsmanager",
    operation="BatchGetSecretValue",
    ids_param="SecretIdList",
    size=BATCH_SIZE,
    endpoint_env="AWS_SECRETSMANAGER_ENDPOINT",
    names=[f"s{i:02d}" for i in range(2 * BATCH_SIZE + 5)],
)


@pytest.fixture
def sm(aws: Any) -> Any:
    sm = client(aws, "secretsmanager")
    for name in READS.names:
        sm.create_secret(Name=name, SecretString=f"value of {name}")
    aws.clear_requests()
    return sm


@pytest.mark.parametrize(
    ("code", "status"),
    [("ServiceUnavailable", 503), ("InternalServiceError", 500), ("ThrottlingException", 400)],
)
def test_an_outage_costs_one_chunk_call_per_cycle(
    aws: Any, sm: Any, code: str, status: int
) -> None:
    READS.outage(aws, code, status)


def test_a_connection_error_costs_one_chunk_call(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    READS.connection_cut(aws, monkeypatch)


def test_an_error_about_one_id_still_splits_and_the_other_chunks_are_read(
    aws: Any, sm: Any
) -> None:
    READS.one_bad_id(aws, "ValidationException")


def test_an_outage_met_while_splitting_stops_the_split(aws: Any, sm: Any) -> None:
    READS.outage_during_split(aws, "ValidationException")
