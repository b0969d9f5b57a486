"""sprig's lists, dictionaries, defaults and reflection. Expected values from sprig's docs and
from reading list.go/dict.go/defaults.go and mergo (merge rules), Go's reflect (type names)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from extsecrets.templates.errors import FuncError, FuncPanic, LimitError
from extsecrets.templates.funcs import FUNCS
from extsecrets.templates.values import GoMap, GoSlice, Int64, Uint8, fmt_v


def call(name: str, *args: Any) -> Any:
    return FUNCS[name](*args)


def test_list_functions_from_the_docs() -> None:
    assert call("list", 1, 2, 3) == [1, 2, 3]
    assert call("first", [1, 2, 3]) == 1
    assert call("rest", [1, 2, 3]) == [2, 3]
    assert call("last", [1, 2, 3]) == 3
    assert call("initial", [1, 2, 3]) == [1, 2]
    assert call("append", [1, 2, 3], 6) == [1, 2, 3, 6]
    assert call("prepend", [1, 2, 3], 0) == [0, 1, 2, 3]
    assert call("concat", [1, 2, 3], [4, 5], [6]) == [1, 2, 3, 4, 5, 6]
    assert call("reverse", [1, 2, 3]) == [3, 2, 1]
    assert call("uniq", [1, 1, 1, 2]) == [1, 2]
    assert call("without", [1, 2, 3, 4], 3) == [1, 2, 4]
    assert call("without", [1, 2, 3, 4], 1, 4) == [2, 3]
    assert call("has", 4, [1, 2, 3, 4]) is True
    assert call("has", "hello", None) is False
    assert call("compact", [1, "", "foo", True, None, 0, False]) == [1, "foo", True]
    assert call("slice", [1, 2, 3, 4, 5], 1, 3) == [2, 3]
    assert call("slice", [1, 2, 3, 4, 5], 3) == [4, 5]
    assert call("chunk", 3, [1, 2, 3, 4, 5, 6, 7, 8]) == [[1, 2, 3], [4, 5, 6], [7, 8]]
    assert call("chunk", 4, [1, 2, 3, 4, 5, 6, 7, 8]) == [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert call("until", 5) == [0, 1, 2, 3, 4]
    assert call("untilStep", 3, 6, 2) == [3, 5]
    assert call("sortAlpha", ["b", "a", "C"]) == ["C", "a", "b"]


def test_empty_lists_give_nil() -> None:
    assert call("first", []) is None
    assert call("last", []) is None
    # rest/initial of an empty list are nil slices: `[]` when printed, `null` in JSON
    assert fmt_v(call("rest", [])) == "[]"
    assert call("toJson", call("rest", [])) == "null"
    assert call("toJson", call("initial", [])) == "null"
    assert call("toJson", call("list")) == "[]"
    assert call("slice", []) is None


def test_list_errors_are_go_texts() -> None:
    with pytest.raises(FuncError) as err:
        call("mustFirst", "abc")
    assert str(err.value) == "Cannot find first on type string"
    assert not isinstance(err.value, FuncPanic)
    # the non-must variant panics with the same error
    with pytest.raises(FuncPanic) as perr:
        call("first", {"a": 1})
    assert str(perr.value) == "Cannot find first on type map"
    with pytest.raises(FuncError) as err:
        call("mustPush", 3, 1)
    assert str(err.value) == "Cannot push on type int"
    with pytest.raises(FuncError) as err:
        call("mustSlice", "abc", 1)
    assert str(err.value) == "list should be type of slice or array but string"
    # reflect.TypeOf(nil).Kind() dereferences nil
    with pytest.raises(FuncPanic) as perr:
        call("first", None)
    assert str(perr.value) == "runtime error: invalid memory address or nil pointer dereference"
    with pytest.raises(FuncPanic) as perr:
        call("concat", [1], "x")
    assert str(perr.value) == "Cannot concat type string as list"
    with pytest.raises(FuncPanic) as perr:
        call("slice", [1, 2, 3], 2, 1)
    assert str(perr.value) == "reflect.Value.Slice: slice index out of bounds"
    with pytest.raises(FuncPanic) as perr:
        call("chunk", 0, [1, 2])
    assert str(perr.value) == "runtime error: makeslice: len out of range"


def test_deep_equal_compares_go_types() -> None:
    # reflect.DeepEqual: int 1 and int64 1 differ, so uniq keeps both
    assert call("uniq", [1, Int64(1), 1.0, "1", 1]) == [1, Int64(1), 1.0, "1"]
    assert call("deepEqual", [1, {"a": [2]}], [1, {"a": [2]}]) is True
    assert call("deepEqual", 1, Int64(1)) is False
    assert call("deepEqual", math.nan, math.nan) is False
    assert call("has", True, [1]) is False


def test_bytes_are_a_slice_of_uint8() -> None:
    assert call("first", b"AB") == 65
    assert isinstance(call("first", b"AB"), Uint8)


def test_seq_from_the_docs() -> None:
    assert call("seq", 5) == "1 2 3 4 5"
    assert call("seq", -3) == "1 0 -1 -2 -3"
    assert call("seq", 0, 2) == "0 1 2"
    assert call("seq", 2, -2) == "2 1 0 -1 -2"
    assert call("seq", 0, 2, 10) == "0 2 4 6 8 10"
    assert call("seq", 0, -2, -5) == "0 -2 -4"
    assert call("seq") == ""
    assert call("seq", 1, 2, 3, 4) == ""


def test_size_limits_on_generated_lists() -> None:
    with pytest.raises(LimitError):
        call("until", 10**9)
    with pytest.raises(LimitError):
        call("untilStep", 0, 10**12, 1)
    with pytest.raises(LimitError):
        call("seq", 1, 10**9)


def test_dict_functions() -> None:
    d = call("dict", "name1", "value1", "name2", "value2", "name3")
    assert d == {"name1": "value1", "name2": "value2", "name3": ""}
    assert call("dict", 1, 2) == {"1": 2}
    assert call("get", {"a": 1}, "a") == 1
    assert call("get", {"a": 1}, "b") == ""
    m: dict[str, Any] = {"a": 1}
    assert call("set", m, "b", 2) is m
    assert m == {"a": 1, "b": 2}
    assert call("unset", m, "a") == {"b": 2}
    assert call("hasKey", m, "b") is True
    assert call("pluck", "name1", {"name1": "v1"}, {"x": 1}, {"name1": "v2"}) == ["v1", "v2"]
    assert sorted(call("keys", {"a": 1}, {"b": 2})) == ["a", "b"]
    assert call("pick", {"a": 1, "b": 2, "c": 3}, "a", "c") == {"a": 1, "c": 3}
    assert call("omit", {"a": 1, "b": 2, "c": 3}, "a", "c") == {"b": 2}
    assert sorted(call("values", {"a": 1, "b": 2})) == [1, 2]
    nested = {"a": [1, {"b": 2}]}
    copy = call("deepCopy", nested)
    assert copy == nested
    assert copy["a"] is not nested["a"]
    with pytest.raises(FuncPanic) as err:
        call("set", None, "a", 1)
    assert str(err.value) == "assignment to entry in nil map"


def test_dig() -> None:
    d = {"user": {"role": {"humanName": "admin"}}}
    assert call("dig", "user", "role", "humanName", "guest", d) == "admin"
    assert call("dig", "user", "missing", "guest", d) == "guest"
    with pytest.raises(FuncPanic) as err:
        call("dig", "x", d)
    assert str(err.value) == "dig needs at least three arguments"
    with pytest.raises(FuncPanic) as err:
        call("dig", "user", "role", "humanName", "x", "guest", d)
    assert str(err.value) == (
        "interface conversion: interface {} is string, not map[string]interface {}"
    )


def test_merge_keeps_destination_values() -> None:
    # sprig's docs: merge gives the destination precedence, mergeOverwrite the sources
    dst = {"default": "default", "overwrite": "me", "key": True, "nested": {"a": 1}}
    src = {"overwrite": "overwritten", "key": False, "new": "x", "nested": {"a": 2, "b": 3}}
    out = call("merge", dst, src)
    assert out is dst
    assert out == {
        "default": "default",
        "overwrite": "me",
        "key": True,
        "new": "x",
        "nested": {"a": 1, "b": 3},
    }
    dst2 = {"default": "default", "overwrite": "me", "key": True}
    out2 = call("mergeOverwrite", dst2, {"overwrite": "overwritten", "key": False})
    assert out2 == {"default": "default", "overwrite": "overwritten", "key": False}


def test_merge_fills_empty_destination_values() -> None:
    # mergo sets a key whose destination value is empty ("" / 0 / false / nil)
    out = call(
        "merge", {"a": "", "b": 0, "c": None, "d": "keep"}, {"a": "x", "b": 5, "c": 1, "d": "y"}
    )
    assert out == {"a": "x", "b": 5, "c": 1, "d": "keep"}
    # mergeOverwrite copies empty source values too, but not into nested maps it merges
    out = call("mergeOverwrite", {"a": "x", "n": {"k": "v"}}, {"a": "", "n": {"j": 1}})
    assert out == {"a": "", "n": {"k": "v", "j": 1}}
    assert call("mustMerge", {"a": 1}, None) == {"a": 1}


def test_defaults() -> None:
    assert call("default", "foo", "") == "foo"
    assert call("default", "foo", "bar") == "bar"
    assert call("default", "foo") == "foo"
    assert call("default", "foo", 0) == "foo"
    assert call("default", "foo", []) == "foo"
    for v in ("", 0, 0.0, False, None, [], {}):
        assert call("empty", v) is True
    assert call("empty", "0") is False
    assert call("coalesce", 0, None, "", "x", "y") == "x"
    assert call("coalesce", 0, "") is None
    assert call("all", 1, "a", [1]) is True
    assert call("all", 1, "") is False
    assert call("any", 0, "", "x") is True
    assert call("any") is False
    assert call("ternary", "foo", "bar", True) == "foo"
    assert call("ternary", "foo", "bar", False) == "bar"


def test_type_names_are_go_reflect_strings() -> None:
    assert call("typeOf", 1) == "int"
    assert call("typeOf", call("add", 1, 2)) == "int64"
    assert call("typeOf", 1.5) == "float64"
    assert call("typeOf", "s") == "string"
    assert call("typeOf", None) == "<nil>"
    assert call("typeOf", [1]) == "[]interface {}"
    assert call("typeOf", call("splitList", ",", "a,b")) == "[]string"
    assert call("typeOf", call("split", ",", "a,b")) == "map[string]string"
    assert call("typeOf", {"a": 1}) == "map[string]interface {}"
    assert call("typeOf", b"x") == "[]uint8"
    assert call("typeOf", call("until", 2)) == "[]int"
    assert call("typeOf", call("semver", "1.2.3")) == "*semver.Version"
    assert call("typeIsLike", "semver.Version", call("semver", "1.2.3")) is True
    assert call("typeIs", "int", 1) is True
    assert call("kindOf", [1]) == "slice"
    assert call("kindOf", {"a": 1}) == "map"
    assert call("kindOf", None) == "invalid"
    assert call("kindOf", call("semver", "1.2.3")) == "ptr"
    assert call("kindIs", "int64", Int64(1)) is True


def test_keys_is_a_string_slice() -> None:
    keys = call("keys", GoMap({"a": "1"}, elem="string"))
    assert isinstance(keys, GoSlice)
    assert keys.elem == "string"
