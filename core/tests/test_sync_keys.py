"""ESO's key conversion, decoding and data hash (spec §6.3, §6.6)."""

from __future__ import annotations

import base64
import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extsecrets.errors import PermanentError
from extsecrets.sync.keys import (
    _STD,
    _URL,
    _go_corrupt_offset,
    check_null_bytes,
    convert_key,
    convert_keys,
    data_hash,
    decode_map,
    decode_value,
    validate_keys,
)


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


# --- Go's base64 error offsets, key validation --------------------------------------------------


@pytest.mark.parametrize(
    ("value", "strategy", "offset"),
    [
        (b"abc", "Base64", 0),  # a short last quantum: Go points at its start
        (b"abcd!", "Base64", 4),
        (b"ab=c", "Base64", 2),  # "=" where "==" is expected and not found
        (b"a===", "Base64", 1),
        (b"ab==x", "Base64", 4),  # data after the padding
        (b"-_8=", "Base64", 0),
        (b"+/8=", "Base64URL", 0),
        (b"ab\n==", "Base64", None),
    ],
)
def test_strict_decoding_finds_gos_offset_and_does_not_show_it(
    value: bytes, strategy: str, offset: int | None
) -> None:
    alphabet = _URL if strategy == "Base64URL" else _STD
    assert _go_corrupt_offset(value, alphabet) == offset
    if offset is None:
        assert decode_value(value, strategy) == b"i"  # type: ignore[arg-type]
        return
    with pytest.raises(PermanentError) as info:
        decode_value(value, strategy)  # type: ignore[arg-type]
    assert str(info.value) == "illegal base64 data"


@given(st.binary(max_size=40))
def test_auto_never_fails_and_strict_agrees_with_pythons_decoder(raw: bytes) -> None:
    out = decode_value(raw, "Auto")
    assert isinstance(out, bytes)
    try:
        expected: bytes | None = base64.b64decode(
            raw.replace(b"\n", b"").replace(b"\r", b""), validate=True
        )
    except (binascii.Error, ValueError):
        expected = None
    if expected is None:
        with pytest.raises(PermanentError):
            decode_value(raw, "Base64")
    else:
        assert decode_value(raw, "Base64") == expected


def test_decode_map_names_the_failing_key() -> None:
    with pytest.raises(PermanentError, match=r"^failure decoding key b: illegal base64 data"):
        decode_map({"a": b"aGk=", "b": b"!!", "c": b"??"}, "Base64")


def test_key_validation_texts() -> None:
    assert validate_keys({"": b"dropped", "ok": b"1"}) == {"ok": b"1"}
    with pytest.raises(PermanentError) as info:
        validate_keys({"a b": b"1"})
    assert str(info.value) == (
        "key has invalid character  , only alphanumeric, '-', '.' and '_' are allowed: a b"
    )
    long_key = "k" * 300
    with pytest.raises(PermanentError) as info:
        validate_keys({long_key: b"1"})
    assert str(info.value) == (
        f"key has length 300 but max is 253: (following is truncated): {'k' * 253}"
    )


@given(st.dictionaries(st.text(max_size=60), st.binary(max_size=4), max_size=8))
def test_converted_keys_always_validate(data: dict[str, bytes]) -> None:
    try:
        converted = convert_keys(data, "Unicode")
    except PermanentError:
        return  # two keys converted to one name
    kept = validate_keys({k: v for k, v in converted.items() if len(k.encode()) <= 253})
    assert set(kept) == {k for k in converted if k and len(k.encode()) <= 253}


@given(st.binary(max_size=20))
def test_null_byte_policy(value: bytes) -> None:
    check_null_bytes("k", value, "Ignore")
    if b"\x00" in value:
        with pytest.raises(
            PermanentError, match=r'^fetched secret value for key "k" contains null bytes$'
        ):
            check_null_bytes("k", value, "Fail")
    else:
        check_null_bytes("k", value, "Fail")
