"""Key rewriting with Go's ReplaceAllString semantics on RE2."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extsecrets.errors import PermanentError
from extsecrets.model.external_secret import Rewrite, RewriteRegexp
from extsecrets.regex import compile_user_regex
from extsecrets.sync.rewrite import replace_all, rewrite_map


@pytest.mark.parametrize(
    ("pattern", "text", "template", "expected"),
    [
        ("(a)(b)", "ab", "$2$1", "ba"),
        ("(a)(b)", "ab", "${2}x", "bx"),
        ("(a)(b)", "ab", "$2x", ""),  # Go reads the group name "2x", which does not exist
        ("(?P<first>a)", "a", "${first}!", "a!"),
        ("(?P<first>a)", "a", "$first$$", "a$"),
        ("a", "a", "$", "$"),  # a lone $ is kept
        ("a", "a", "${unclosed", "${unclosed"),
        ("(a)|(b)", "b", "[$1]", "[]"),  # a group that did not take part is empty
        ("x*", "abxd", "-", "-a-b-d-"),  # no empty match right after a match
        (".*", "abc", "same", "same"),
        ("^a", "aaa", "b", "baa"),  # ^ matches at the start only
        ("é", "café-é", "e", "cafe-e"),
    ],
)
def test_replace_all_matches_go(pattern: str, text: str, template: str, expected: str) -> None:
    assert replace_all(compile_user_regex(pattern), text, template) == expected


@given(st.text(alphabet="ab-/", max_size=12), st.sampled_from(["a", "b+", "-", "[ab]/"]))
def test_literal_templates_agree_with_python_for_non_empty_patterns(
    text: str, pattern: str
) -> None:
    assert replace_all(compile_user_regex(pattern), text, "X") == re.sub(pattern, "X", text)


def test_rewrite_map_applies_operations_in_order() -> None:
    ops = (
        Rewrite(regexp=RewriteRegexp("^db-", "")),
        Rewrite(regexp=RewriteRegexp("(.*)", "APP_${1}")),
    )
    assert rewrite_map(ops, {"db-user": b"1", "x": b"2"}) == {"APP_user": b"1", "APP_x": b"2"}


def test_rewrite_collision_is_an_error_not_a_coin_toss() -> None:
    ops = (Rewrite(regexp=RewriteRegexp("^.", "k")),)
    with pytest.raises(PermanentError, match=r"failed rewrite operation\[0\]: .*collision.*: kb"):
        rewrite_map(ops, {"ab": b"1", "bb": b"2"})
