"""Parameter ids: checked before any call, every form (name, ARN, each with a version or a
label) matched to what AWS returns, and what no answer settles read alone. Counted from the
emulator."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import PS_STORE, AuthWorld, client, data_of, external_secret, synced


@pytest.fixture
def ssm(aws: Any) -> Any:
    ssm = client(aws, "ssm")
    for i in range(1, 4):
        ssm.put_parameter(Name="/app/db", Value=f"v{i}", Type="SecureString", Overwrite=i > 1)
    ssm.label_parameter_version(Name="/app/db", ParameterVersion=2, Labels=["prod"])
    ssm.put_parameter(Name="/app/other", Value="o", Type="String")
    aws.clear_requests()
    return ssm


def reads(aws: Any) -> list[tuple[str, Any]]:
    return [
        (r["operation"], r["params"].get("Names") or r["params"].get("Name"))
        for r in aws.requests("ssm")
    ]


def es(*keys: str, **spec: Any) -> dict[str, Any]:
    return external_secret(
        "e",
        data=[{"secretKey": f"k{i}", "remoteRef": {"key": k}} for i, k in enumerate(keys)],
        **spec,
    )


def test_names_and_arns_with_versions_and_labels(aws: Any, ssm: Any) -> None:
    arn = ssm.get_parameter(Name="/app/db")["Parameter"]["ARN"]
    aws.clear_requests()
    keys = ("/app/db", arn, f"{arn}:1", "/app/db:1", "/app/db:prod", f"{arn}:prod", "/app/other")
    world = AuthWorld(PS_STORE % "", es(*keys, target={"deletionPolicy": "Delete"}))
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {
        "k0": b"v3",
        "k1": b"v3",
        "k2": b"v1",
        "k3": b"v1",
        "k4": b"v2",
        "k5": b"v2",
        "k6": b"o",
    }
    # moto answers without Selector: the plain and the labelled reads of one parameter, however
    # it is named, go to different calls; its name and ARN share one
    assert reads(aws) == [
        ("GetParameters", ["/app/db", arn, f"{arn}:1", "/app/db:1", "/app/other"]),
        ("GetParameters", ["/app/db:prod", f"{arn}:prod"]),
    ]


def test_a_prefix_that_is_an_arn_head(aws: Any, ssm: Any) -> None:
    arn = ssm.get_parameter(Name="/app/db")["Parameter"]["ARN"]
    aws.clear_requests()
    head = arn[: -len("/app/db")]
    world = AuthWorld(PS_STORE % head, es("/app/db", "/app/other:1"))
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {"k0": b"v3", "k1": b"o"}
    assert reads(aws) == [("GetParameters", [arn, f"{head}/app/other:1"])]


def test_a_malformed_answer_fails_only_what_it_concerns(aws: Any, ssm: Any) -> None:
    """A value of the wrong type fails its readers; a name the answer lists as invalid is not
    found; a name it leaves out is read alone."""
    aws.answer(
        "ssm",
        "GetParameters",
        {
            "Parameters": [{"Name": "/app/other", "Value": 5}, {"Value": "no name"}],
            "InvalidParameters": ["/app/gone"],
        },
    )
    world = AuthWorld(
        PS_STORE % "",
        external_secret("bad", data=[{"secretKey": "x", "remoteRef": {"key": "/app/other"}}]),
        external_secret("good", data=[{"secretKey": "x", "remoteRef": {"key": "/app/db"}}]),
        external_secret(
            "gone",
            data=[{"secretKey": "x", "remoteRef": {"key": "/app/gone"}}],
            target={"deletionPolicy": "Delete"},
        ),
    )
    results = synced(world)
    assert results["app/bad"].error == (
        "error processing spec.data[0] (key: /app/other), err: malformed answer from Parameter "
        "Store: the value is not text"
    )
    assert results["app/good"].ok
    assert data_of(world, "good") == {"x": b"v3"}
    assert results["app/gone"].ok
    assert results["app/gone"].status.condition("Ready").reason == "SecretDeleted"
    assert reads(aws) == [
        ("GetParameters", ["/app/other", "/app/gone", "/app/db"]),
        ("GetParameter", "/app/db"),
    ]


def test_a_name_with_spaces_at_its_ends_is_sent(aws: Any, ssm: Any) -> None:
    """AWS trims spaces at either end of a name, so such a key is not refused here; moto does
    not trim: not found."""
    world = AuthWorld(PS_STORE % "", es(" /app/db "))
    assert synced(world)["app/e"].error == (
        "error processing spec.data[0] (key:  /app/db ), err: Secret does not exist"
    )
    assert reads(aws) == [("GetParameters", [" /app/db "])]


def test_metadata_reads_check_the_name_first(aws: Any, ssm: Any) -> None:
    world = AuthWorld(
        PS_STORE % "",
        external_secret(
            "e", data=[{"secretKey": "x", "remoteRef": {"key": "/a b", "metadataPolicy": "Fetch"}}]
        ),
    )
    assert synced(world)["app/e"].error == (
        "error processing spec.data[0] (key: /a b), err: invalid parameter name: it holds "
        "characters AWS never accepts (U+0020)"
    )
    assert reads(aws) == []
