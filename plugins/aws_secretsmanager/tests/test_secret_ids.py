"""Secret ids: checked against the API model before any call, and answers matched by what AWS
returns (Name, ARN), with what no answer settles read alone. Counted from the emulator."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from aws_kit import SM_STORE, AuthWorld, client, data_of, external_secret, synced

from extsecrets_aws_secretsmanager.fetch import aliases


@pytest.fixture
def sm(aws: Any) -> Any:
    sm = client(aws, "secretsmanager")
    for name in ("a", "b", "c"):
        sm.create_secret(Name=name, SecretString=f"value of {name}")
    aws.clear_requests()
    return sm


def reads(aws: Any) -> list[tuple[str, Any]]:
    return [
        (r["operation"], r["params"].get("SecretIdList") or r["params"].get("SecretId"))
        for r in aws.requests("secretsmanager")
    ]


def test_aliases_are_name_arn_and_partial_arn() -> None:
    arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:team/db-AbC123"
    assert aliases({"Name": "team/db", "ARN": arn}) == {
        "team/db",
        arn,
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:team/db",
    }
    # no random suffix (an emulator's made-up ARN): no partial form; wrong types: ignored
    assert aliases({"Name": 5, "ARN": "arn:x"}) == {"arn:x"}


@pytest.mark.parametrize(
    "entry",
    [
        {"key": "", "version": "AWSPREVIOUS"},
        {"key": "", "version": "uuid/0123456789abcdef0123456789abcdef"},
        {"key": "", "metadataPolicy": "Fetch"},
        {"key": "a b"},
    ],
)
def test_every_read_checks_the_id_before_sending(aws: Any, sm: Any, entry: dict[str, Any]) -> None:
    world = AuthWorld(
        SM_STORE % "",
        external_secret(
            "e", data=[{"secretKey": "x", "remoteRef": {**entry, "key": "placeholder"}}]
        ),
    )
    (es,) = world.cluster.external_secrets()
    remote = es.spec.data[0].remote_ref
    bad = attrs.evolve(
        es,
        spec=attrs.evolve(
            es.spec,
            data=(
                attrs.evolve(es.spec.data[0], remote_ref=attrs.evolve(remote, key=entry["key"])),
            ),
        ),
    )
    (result,) = world.engine.sync([bad])
    assert "err: invalid secret id: " in (result.error or "")
    assert reads(aws) == []


def test_an_id_answered_by_two_secrets_is_read_alone(aws: Any, sm: Any) -> None:
    """One name in two accounts (possible when full ARNs of another account are read in the
    same call): the name's answer is not guessed, it is asked for alone."""
    arn = sm.describe_secret(SecretId="a")["ARN"]
    other = arn.replace("123456789012", "210987654321")
    aws.clear_requests()
    aws.answer(
        "secretsmanager",
        "BatchGetSecretValue",
        {
            "SecretValues": [
                {"Name": "a", "ARN": other, "SecretString": "other account"},
                {"Name": "a", "ARN": arn, "SecretString": "value of a"},
                {"Name": "b", "ARN": arn.replace(":a-", ":b-"), "SecretString": "value of b"},
            ],
            "Errors": [],
        },
    )
    world = AuthWorld(
        SM_STORE % "",
        external_secret(
            "e",
            data=[
                {"secretKey": "a", "remoteRef": {"key": "a"}},
                {"secretKey": "b", "remoteRef": {"key": "b"}},
            ],
        ),
    )
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {"a": b"value of a", "b": b"value of b"}
    assert reads(aws) == [("BatchGetSecretValue", ["a", "b"]), ("GetSecretValue", "a")]


def test_an_error_for_an_id_not_sent_settles_nothing(aws: Any, sm: Any) -> None:
    """An answer that names the failing id differently from the request is not taken as "not
    found" for the request (with deletionPolicy Delete that would drop the key): it is asked."""
    aws.answer(
        "secretsmanager",
        "BatchGetSecretValue",
        {
            "SecretValues": [],
            "Errors": [{"SecretId": "A", "ErrorCode": "ResourceNotFoundException"}],
        },
    )
    world = AuthWorld(
        SM_STORE % "",
        external_secret(
            "e",
            data=[{"secretKey": "a", "remoteRef": {"key": "a"}}],
            target={"deletionPolicy": "Delete"},
        ),
    )
    assert synced(world)["app/e"].ok
    assert data_of(world, "e") == {"a": b"value of a"}
    assert reads(aws) == [("BatchGetSecretValue", ["a"]), ("GetSecretValue", "a")]


def test_a_denied_batch_still_falls_back_without_splitting(aws: Any, sm: Any) -> None:
    aws.fail("secretsmanager", "BatchGetSecretValue", "AccessDeniedException", count=-1)
    world = AuthWorld(
        SM_STORE % "",
        external_secret(
            "e", data=[{"secretKey": k, "remoteRef": {"key": k}} for k in ("a", "b", "c")]
        ),
    )
    assert synced(world)["app/e"].ok
    assert reads(aws) == [
        ("BatchGetSecretValue", ["a", "b", "c"]),
        ("GetSecretValue", "a"),
        ("GetSecretValue", "b"),
        ("GetSecretValue", "c"),
    ]
