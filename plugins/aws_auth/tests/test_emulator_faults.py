"""The emulator's fault injection (extsecrets_aws_auth.emulator): a fault for every service and
operation (an outage of all of AWS), and the arrival time of each recorded request."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from extsecrets_aws_auth.emulator import ANY


def client(aws: Any, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=aws.url,
        region_name="eu-central-1",
        aws_access_key_id="AKIAEMULATOR00000001",
        aws_secret_access_key="s",
        config=Config(retries={"total_max_attempts": 1}),
    )


def code_of(call: Any) -> str:
    with pytest.raises(ClientError) as info:
        call()
    return str(info.value.response["Error"]["Code"])


def test_a_wildcard_fault_fails_every_operation_of_every_service(aws) -> None:
    sm, ssm = client(aws, "secretsmanager"), client(aws, "ssm")
    sm.create_secret(Name="a", SecretString="x")
    ssm.put_parameter(Name="/a", Value="x", Type="String")
    aws.clear_requests()
    aws.fail(ANY, ANY, "ServiceUnavailable", status=503, count=3)

    assert code_of(lambda: sm.get_secret_value(SecretId="a")) == "ServiceUnavailable"
    assert code_of(lambda: ssm.get_parameter(Name="/a")) == "ServiceUnavailable"
    assert code_of(lambda: sm.batch_get_secret_value(SecretIdList=["a"])) == "ServiceUnavailable"
    # the count is spent: the next calls are answered by moto
    assert sm.get_secret_value(SecretId="a")["SecretString"] == "x"
    assert ssm.get_parameter(Name="/a")["Parameter"]["Value"] == "x"
    assert [(r["service"], r["operation"], r["status"]) for r in aws.requests()] == [
        ("secretsmanager", "GetSecretValue", 503),
        ("ssm", "GetParameter", 503),
        ("secretsmanager", "BatchGetSecretValue", 503),
        ("secretsmanager", "GetSecretValue", 200),
        ("ssm", "GetParameter", 200),
    ]


def test_a_wildcard_service_with_a_named_operation(aws) -> None:
    sm, ssm = client(aws, "secretsmanager"), client(aws, "ssm")
    sm.create_secret(Name="a", SecretString="x")
    ssm.put_parameter(Name="/a", Value="x", Type="String")
    aws.fail(ANY, "GetParameter", "ThrottlingException", count=-1)

    assert code_of(lambda: ssm.get_parameter(Name="/a")) == "ThrottlingException"
    assert code_of(lambda: ssm.get_parameter(Name="/a")) == "ThrottlingException"
    # another operation of the same service, and another service, are not touched
    assert ssm.get_parameters(Names=["/a"])["Parameters"][0]["Value"] == "x"
    assert sm.get_secret_value(SecretId="a")["SecretString"] == "x"
    aws.reset_faults()
    assert ssm.get_parameter(Name="/a")["Parameter"]["Value"] == "x"


def test_a_named_service_is_not_a_wildcard(aws) -> None:
    sm, ssm = client(aws, "secretsmanager"), client(aws, "ssm")
    sm.create_secret(Name="a", SecretString="x")
    ssm.put_parameter(Name="/a", Value="x", Type="String")
    aws.fail("ssm", ANY, "InternalServerError", status=500, count=-1)

    assert sm.get_secret_value(SecretId="a")["SecretString"] == "x"
    assert code_of(lambda: ssm.get_parameter(Name="/a")) == "InternalServerError"


def test_each_request_is_recorded_with_its_arrival_time(aws) -> None:
    sm = client(aws, "secretsmanager")
    before = time.time()
    sm.list_secrets()
    after = time.time()
    (request,) = aws.requests("secretsmanager", "ListSecrets")
    assert before <= request["time"] <= after


def test_a_fault_can_replace_every_other_at_once(aws) -> None:
    ssm = client(aws, "ssm")
    ssm.put_parameter(Name="/a", Value="x", Type="String")
    aws.fail(ANY, ANY, "InternalServerError", status=500, count=-1)
    assert code_of(lambda: ssm.get_parameter(Name="/a")) == "InternalServerError"
    aws.fail(ANY, ANY, "ServiceUnavailable", status=503, count=-1, replace=True)
    assert code_of(lambda: ssm.get_parameter(Name="/a")) == "ServiceUnavailable"
    # without replace the first fault added still answers first
    aws.fail(ANY, ANY, "ThrottlingException", count=-1)
    assert code_of(lambda: ssm.get_parameter(Name="/a")) == "ServiceUnavailable"
