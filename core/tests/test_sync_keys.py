"""ESO's key conversion, decoding and data hash (spec §6.3, §6.6)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extsecrets.errors import PermanentError
from extsecrets.sync.keys import convert_key, convert_keys, data_hash, decode_value


def test_the_two_worked_data_hashes_of_the_spec() -> None:
    assert data_hash({"foo": b"bar"}) == "f2a604b87eb0cf673761e8cfea850f901fe73a3d1b2f338802107f36"
    assert data_hash({}) == "74a974446e359fb3e6baff9bd0058950e6edd0f040888d9989b0a11b"


def test_data_hash_ignores_insertion_order_and_sees_every_byte() -> None:
    assert data_hash({"a": b"1", "b": b""}) == data_hash({"b": b"", "a": b"1"})
    assert data_hash({"a": b"1"}) != data_hash({"a": b"2"})


@pytest.mark.parametrize(
    ("key", "default", "unicode"),
    [
        (
            "/e2e/find/name/ns/one",
            "_e2e_find_name_ns_one",
            "_U002f_e2e_U002f_find_U002f_name_U002f_ns_U002f_one",
        ),
        ("ok-key_1.x", "ok-key_1.x", "ok-key_1.x"),
        ("clé ü", "clé_ü", "clé_U0020_ü"),
        ("a😀", "a_", "a_U1f600_"),
    ],
)
def test_conversion(key: str, default: str, unicode: str) -> None:
    assert convert_key(key, "Default") == default
    assert convert_key(key, "Unicode") == unicode


def test_conversion_collision_uses_esos_text() -> None:
    with pytest.raises(PermanentError, match=r"^secret name collision during conversion: a_b$"):
        convert_keys({"a/b": b"1", "a b": b"2"}, "Default")


@given(st.text())
def test_default_conversion_keeps_length_and_only_allowed_characters(key: str) -> None:
    out = convert_key(key, "Default")
    assert len(out) == len(key)
    assert convert_key(out, "Default") == out


@given(st.binary())
def test_base64_strategies_invert_encoding(raw: bytes) -> None:
    assert decode_value(base64.b64encode(raw), "Base64") == raw
    assert decode_value(base64.urlsafe_b64encode(raw), "Base64URL") == raw
    assert decode_value(base64.b64encode(raw), "Auto") == raw
    assert decode_value(raw, "None") == raw


def test_auto_falls_back_to_url_then_raw() -> None:
    url_only = base64.urlsafe_b64encode(b"\xfb\xff")  # b"-_8="
    assert decode_value(url_only, "Auto") == b"\xfb\xff"
    assert decode_value(b"not base64!", "Auto") == b"not base64!"
    assert decode_value(b"aGVs\nbG8=", "Base64") == b"hello"  # Go skips newlines


@pytest.mark.parametrize(
    ("value", "strategy"), [(b"-_8=", "Base64"), (b"+/8=", "Base64URL"), (b"abc", "Base64")]
)
def test_strict_strategies_refuse_other_input(value: bytes, strategy: str) -> None:
    with pytest.raises(PermanentError, match=rf"^error decoding value with {strategy}: "):
        decode_value(value, strategy)  # type: ignore[arg-type]
