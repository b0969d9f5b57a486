"""Types crossing the plugin boundary: secret material never shows, everything is hashable."""

from __future__ import annotations

import datetime as dt

import pytest

from extsecrets.errors import ConfigError, NotFoundError, TemporaryError
from extsecrets.types import (
    Credentials,
    FindRef,
    FrozenMap,
    Generated,
    RemoteRef,
    SecretBytes,
    SecretMap,
)

SECRET = b"hunter2-very-secret"


@pytest.mark.parametrize(
    "value",
    [
        SecretBytes(SECRET),
        SecretMap({"password": SecretBytes(SECRET)}),
        Credentials(value={"SecretAccessKey": SECRET.decode()}, expires_at=None),
        Generated({"password": SecretBytes(SECRET)}),
        [SecretBytes(SECRET)],
        {"k": SecretBytes(SECRET)},
    ],
)
def test_secret_material_never_appears_in_repr_or_str(value: object) -> None:
    for text in (repr(value), str(value), f"{value}", f"{value!r}"):
        assert "hunter2" not in text


def test_what_the_reprs_do_show() -> None:
    assert repr(SecretBytes(SECRET)) == "SecretBytes(<19 bytes>)"
    assert repr(SecretMap({"b": SecretBytes(b""), "a": SecretBytes(b"")})) == (
        "SecretMap(<keys ['a', 'b']>)"
    )
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert repr(Credentials("x", when)) == f"Credentials(<hidden>, expires_at={when!r})"


def test_refs_and_maps_are_hashable_and_compare_by_value() -> None:
    a = FindRef(name_regexp="^db", tags=FrozenMap({"team": "a"}))
    b = FindRef(name_regexp="^db", tags=FrozenMap({"team": "a"}))
    assert a == b
    assert len({a, b, RemoteRef("k"), RemoteRef("k")}) == 2
    assert FrozenMap({"a": "1"}) == {"a": "1"}
    assert FindRef(tags=FrozenMap()) != FindRef(tags=None)
    assert SecretMap({"a": SecretBytes(b"1")})["a"] == SecretBytes(b"1")


def test_errors() -> None:
    assert str(NotFoundError()) == "Secret does not exist"
    assert TemporaryError("throttled", retry_after=2.5).retry_after == 2.5
    err = ConfigError("must not be empty", path="spec.provider.aws.region")
    assert str(err) == "spec.provider.aws.region: must not be empty"
    assert err.reason == "must not be empty"
