"""split_failing: a batched call that fails because of some ids is split until only those ids
fail; the calls made are counted on an in-memory stand-in for the AWS call."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError

from extsecrets.errors import ExtSecretsError, PermanentError, TemporaryError
from extsecrets_aws_auth.errors import classify
from extsecrets_aws_auth.reads import caused_by_request, split_failing


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "BatchGetSecretValue",
    )


class Batch:
    """Answers every id with its upper case, unless the call holds a bad id: then raises."""

    def __init__(self, bad: set[str], exc: Exception | None = None) -> None:
        self.bad = bad
        self.exc = exc or client_error("ValidationException", 400)
        self.calls: list[list[str]] = []

    def __call__(self, ids: list[str]) -> Mapping[str, str]:
        self.calls.append(ids)
        if self.bad & set(ids):
            raise self.exc
        return {i: i.upper() for i in ids}


IDS = [f"id{n}" for n in range(20)]


def test_no_failure_is_one_call() -> None:
    batch = Batch(set())
    assert split_failing(IDS, batch, classify) == {i: i.upper() for i in IDS}
    assert batch.calls == [IDS]


@pytest.mark.parametrize(
    ("bad", "sizes"),
    [
        # the culprit first: every first half fails down to the culprit alone; then every
        # second half on the way back is read (depth first)
        ({"id0"}, [20, 10, 5, 3, 2, 1, 1, 1, 2, 5, 10]),
        # the culprit last: every first half is read, so every second half must hold the
        # culprit and is split unasked; the culprit itself is never asked alone
        ({"id19"}, [20, 10, 5, 3, 1]),
        # 20 fails, 10 fails, 5 read, 3 of the other 5 fail, 2 read (so id7 is inferred), then
        # the remaining 2 and 10
        ({"id7"}, [20, 10, 5, 3, 2, 2, 10]),
    ],
)
def test_one_bad_id_fails_alone(bad: set[str], sizes: list[int]) -> None:
    batch = Batch(bad)
    out = split_failing(IDS, batch, classify)
    assert [len(c) for c in batch.calls] == sizes
    assert set(out) == set(IDS)
    (culprit,) = bad
    assert isinstance(out[culprit], PermanentError)
    assert all(out[i] == i.upper() for i in IDS if i != culprit)


def test_two_bad_ids() -> None:
    batch = Batch({"id3", "id15"})
    out = split_failing(IDS, batch, classify)
    assert {i for i, o in out.items() if isinstance(o, ExtSecretsError)} == {"id3", "id15"}
    assert len(batch.calls) == 15
    assert len(out) == 20


def test_every_id_bad_costs_at_most_twice_the_ids() -> None:
    batch = Batch(set(IDS))
    out = split_failing(IDS, batch, classify)
    assert all(isinstance(o, PermanentError) for o in out.values())
    assert len(out) == 20
    assert len(batch.calls) == 39


@pytest.mark.parametrize(
    "exc",
    [
        client_error("ThrottlingException", 400),
        client_error("InternalFailure", 500),
        client_error("AccessDeniedException", 400),
        client_error("SomethingForbidden", 403),
        client_error("InvalidSignatureException", 400),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
    ],
)
def test_a_failure_not_about_the_ids_is_raised_unsplit(exc: Exception) -> None:
    assert not caused_by_request(exc)
    batch = Batch(set(IDS), exc)
    with pytest.raises(type(exc)):
        split_failing(IDS, batch, classify)
    assert batch.calls == [IDS]


def test_botocore_refusing_a_parameter_is_about_the_ids() -> None:
    assert caused_by_request(ParamValidationError(report="Invalid length for parameter"))
    assert caused_by_request(client_error("InvalidParameterException", 400))


def test_a_failure_not_about_the_ids_inside_a_split_fails_that_part_only() -> None:
    calls: list[list[str]] = []

    def call(ids: list[str]) -> Mapping[str, str]:
        calls.append(ids)
        if len(calls) == 1:
            raise client_error("ValidationException", 400)
        if len(calls) == 2:
            raise client_error("ThrottlingException", 400)
        return {i: i.upper() for i in ids}

    out = split_failing(IDS, call, classify)
    assert all(isinstance(out[i], TemporaryError) for i in IDS[:10])
    assert all(out[i] == i.upper() for i in IDS[10:])
    assert [len(c) for c in calls] == [20, 10, 10]


def test_ids_a_call_leaves_out_stay_out() -> None:
    out = split_failing(["a", "b"], lambda ids: {"a": "A"}, classify)
    assert out == {"a": "A"}
