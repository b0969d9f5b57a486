"""sprig's regex (Go's regexp rules), semver (Masterminds/semver v3) and URL (net/url)
functions. Expected values from sprig's docs and Go's regexp/net/url documentation."""

from __future__ import annotations

from typing import Any

import pytest

from extsecrets.templates.errors import FuncError, FuncPanic
from extsecrets.templates.funcs import FUNCS


def call(name: str, *args: Any) -> Any:
    return FUNCS[name](*args)


def test_regex_from_the_docs() -> None:
    assert call("regexMatch", "^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[A-Za-z]{2,}$", "test@acme.com")
    assert call("regexFindAll", "[2,4,6,8]", "123456789", -1) == ["2", "4", "6", "8"]
    assert call("regexFindAll", "[2,4,6,8]", "123456789", 3) == ["2", "4", "6"]
    assert call("regexFind", "[a-zA-Z][1-9]", "abcd1234") == "d1"
    assert call("regexReplaceAll", "a(x*)b", "-ab-axxb-", "${1}W") == "-W-xxW-"
    assert call("regexReplaceAllLiteral", "a(x*)b", "-ab-axxb-", "${1}") == "-${1}-${1}-"
    assert call("regexSplit", "z+", "pizza", -1) == ["pi", "a"]
    assert call("regexSplit", "z+", "pizza", 1) == ["pizza"]
    assert call("regexQuoteMeta", "1.2.3") == "1\\.2\\.3"


def test_go_regexp_rules() -> None:
    # Go's FindAll skips an empty match right after a match (Python's re.findall does not)
    assert call("regexFindAll", "a*", "baaa", -1) == ["", "aaa"]
    assert call("regexReplaceAll", "a*", "baaac", "X") == "XbXcX"
    # $1W names the group "1W", which does not exist
    assert call("regexReplaceAll", "a(x*)b", "-ab-axxb-", "$1W") == "---"
    assert call(
        "regexReplaceAll", "(?P<first>\\w+) (?P<last>\\w+)", "John Smith", "$last, $first"
    ) == ("Smith, John")
    assert call("regexReplaceAll", "b", "abc", "$$") == "a$c"
    assert call("regexSplit", "", "abc", -1) == ["a", "b", "c"]
    assert call("regexSplit", "x", "", -1) == [""]
    assert call("regexSplit", "x", "axb", 0) == []


def test_invalid_bytes_match_as_replacement_characters() -> None:
    from extsecrets.templates.values import from_go_bytes

    s = from_go_bytes(b"a\xffb")
    # Go's regexp reads an invalid byte as U+FFFD of width 1 and returns the original bytes
    assert call("regexFindAll", ".", s, -1) == ["a", from_go_bytes(b"\xff"), "b"]
    assert call("regexReplaceAll", "(.)b", s, "<$1>") == "a<" + from_go_bytes(b"\xff") + ">"
    assert call("regexMatch", "\ufffd", s) is True


def test_regex_errors() -> None:
    assert call("regexMatch", "(", "x") is False
    with pytest.raises(FuncError) as err:
        call("mustRegexMatch", "(abc", "x")
    assert str(err.value) == "error parsing regexp: missing closing ): `(abc`"
    with pytest.raises(FuncPanic) as perr:
        call("regexFind", "(abc", "x")
    assert (
        str(perr.value)
        == "regexp: Compile(`(abc`): error parsing regexp: missing closing ): `(abc`"
    )
    with pytest.raises(FuncError):
        call("mustRegexReplaceAll", "[a", "x", "y")


@pytest.mark.parametrize(
    ("constraint", "version", "want"),
    [
        # Masterminds/semver's documented constraint syntax
        (">= 1.2.3", "1.2.3", True),
        ("^1.2.3", "1.9.9", True),
        ("^1.2.3", "2.0.0", False),
        ("^0.2.3", "0.2.9", True),
        ("^0.2.3", "0.3.0", False),
        ("~1.2.3", "1.2.9", True),
        ("~1.2.3", "1.3.0", False),
        ("~1", "1.9.0", True),
        ("1.2.x", "1.2.7", True),
        ("1.2.x", "1.3.0", False),
        ("*", "1.2.3", True),
        (">= 1.2, < 3.0.0", "2.5.0", True),
        ("1.2 - 1.4.5", "1.4.5", True),
        ("1.2 - 1.4.5", "1.4.6", False),
        (">1.x", "2.0.0", True),
        (">1.x", "1.9.0", False),
        ("!=4.1", "4.1.0", False),
        ("< 2 || >= 3", "3.1.0", True),
        # a prerelease matches only constraints with a prerelease
        ("*", "1.2.3-beta", False),
        (">=1.2.0-0", "1.2.3-beta", True),
        ("v1.2.3", "1.2.3", True),
    ],
)
def test_semver_compare(constraint: str, version: str, want: bool) -> None:
    assert call("semverCompare", constraint, version) is want


def test_semver_values_and_errors() -> None:
    v = call("semver", "v1.2.3-rc.1+build.5")
    assert str(v) == "1.2.3-rc.1+build.5"
    assert v.Major() == 1
    assert v.Minor() == 2
    assert v.Patch() == 3
    assert v.Prerelease() == "rc.1"
    assert v.Metadata() == "build.5"
    assert v.Original() == "v1.2.3-rc.1+build.5"
    assert str(call("semver", "1.2")) == "1.2.0"
    assert v.Compare(call("semver", "1.2.3")) == -1
    assert call("semver", "1.2.3-alpha.10").LessThan(call("semver", "1.2.3-alpha.9")) is False
    assert call("toJson", v) == '"1.2.3-rc.1+build.5"'
    for bad, message in [
        ("1.2.3.4", "invalid semantic version"),
        ("1.2.3-01", "version segment starts with 0"),
        ("1.2.3+a..b", "invalid semantic version"),
    ]:
        with pytest.raises(FuncError) as err:
            call("semver", bad)
        assert str(err.value) == message
    with pytest.raises(FuncError) as err:
        call("semverCompare", "foo", "1.2.3")
    assert str(err.value) == "improper constraint: foo"


def test_url_parse_and_join() -> None:
    # sprig's docs
    assert call("urlParse", "proto://auth@host:80/path?query#fragment") == {
        "scheme": "proto",
        "host": "host:80",
        "hostname": "host",
        "path": "/path",
        "query": "query",
        "opaque": "",
        "fragment": "fragment",
        "userinfo": "auth",
    }
    parts = {
        "fragment": "fragment",
        "host": "host:80",
        "path": "/path",
        "query": "query",
        "scheme": "proto",
    }
    assert call("urlJoin", parts) == "proto://host:80/path?query#fragment"
    # net/url details: escaping, IPv6 hosts, opaque URLs, the scheme lower-cased
    got = call("urlParse", "HTTPS://u%20x:p%40ss@[::1]:8443/a%2Fb c?x=1%202#f%20g")
    assert got["scheme"] == "https"
    assert got["hostname"] == "::1"
    assert got["path"] == "/a/b c"
    assert got["userinfo"] == "u%20x:p%40ss"
    assert got["fragment"] == "f g"
    assert got["query"] == "x=1%202"
    assert call("urlParse", "mailto:someone@example.com")["opaque"] == "someone@example.com"
    assert call("urlJoin", {"scheme": "https", "host": "h", "path": "a b", "userinfo": "u:p"}) == (
        "https://u:p@h/a%20b"
    )


def test_url_errors_panic() -> None:
    with pytest.raises(FuncPanic) as err:
        call("urlParse", "http://[::1")
    assert str(err.value) == "unable to parse url: parse \"http://[::1\": missing ']' in host"
    with pytest.raises(FuncPanic) as err:
        call("urlParse", "http://h:port/")
    assert (
        str(err.value)
        == 'unable to parse url: parse "http://h:port/": invalid port ":port" after host'
    )
    with pytest.raises(FuncPanic) as err:
        call("urlParse", "a%zz")
    assert str(err.value) == 'unable to parse url: parse "a%zz": invalid URL escape "%zz"'
    with pytest.raises(FuncPanic) as err:
        call("urlJoin", {"host": 1})
    assert str(err.value) == "unable to parse host key, must be of type string, but int found"
