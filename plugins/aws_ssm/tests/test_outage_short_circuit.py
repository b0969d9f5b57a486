"""Issue 17, item 1: once a GetParameters call of a cycle fails because of AWS (5xx,
throttling, a connection cut), the other groups of that cycle (10 names a call) fail with the
same temporary error without being sent; a 4xx about one name still splits
(reliability/outage_kit.py)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import PS_STORE, client
from reliability.outage_kit import Batched

from extsecrets_aws_ssm.fetch import BATCH_SIZE

#: 3 groups: 10, 10, 5
READS = Batched(
    store=PS_STORE % "",
    service="ssm",
    operation="GetParameters",
    ids_param="Names",
    size=BATCH_SIZE,
    endpoint_env="AWS_SSM_ENDPOINT",
    names=[f"/app/p{i:02d}" for i in range(2 * BATCH_SIZE + 5)],
)


@pytest.fixture
def ssm(aws: Any) -> Any:
    ssm = client(aws, "ssm")
    for name in READS.names:
        ssm.put_parameter(Name=name, Value=f"value of {name}", Type="SecureString")
    aws.clear_requests()
    return ssm


@pytest.mark.parametrize(
    ("code", "status"),
    [("ServiceUnavailable", 503), ("InternalServerError", 500), ("ThrottlingException", 400)],
)
def test_an_outage_costs_one_group_call_per_cycle(
    aws: Any, ssm: Any, code: str, status: int
) -> None:
    READS.outage(aws, code, status)


def test_a_connection_error_costs_one_group_call(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    READS.connection_cut(aws, monkeypatch)


def test_an_error_about_one_name_still_splits_and_the_other_groups_are_read(
    aws: Any, ssm: Any
) -> None:
    READS.one_bad_id(aws, "ValidationException")


def test_an_outage_met_while_splitting_stops_the_split(aws: Any, ssm: Any) -> None:
    READS.outage_during_split(aws, "ValidationException")
