"""Characters that reorder how a line reads in a terminal (bidirectional controls, "Trojan
Source") are escaped in the problem lines ``extsecrets validate`` prints, like other controls."""

from __future__ import annotations

import pytest

from extsecrets.errors import escape_controls
from extsecrets.model import check_document
from extsecrets.model.problems import LINE_LIMIT
from extsecrets.plugins import PluginHost

BIDI = [
    "\u061c",
    "\u200e",
    "\u200f",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
]

MANIFEST = """\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: "invoice\u202efdp.exe"
  namespace: app
spec:
  secretStoreRef: {name: store}
  data:
  - secretKey: "key\u2067x"
    remoteRef: {key: db}
"""


def test_validate_prints_a_bidi_control_in_a_name_escaped(extsecrets_cmd) -> None:
    result = extsecrets_cmd("validate", "-f", "-", stdin=MANIFEST)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines, result.stderr
    assert all(line.startswith("ExternalSecret app/invoice\\u202efdp.exe: ") for line in lines)
    assert any("metadata.name" in line for line in lines), lines
    assert any("key\\u2067x" in line for line in lines), lines
    for char in BIDI:
        assert char not in result.stdout + result.stderr


@pytest.mark.parametrize("char", BIDI, ids=lambda c: f"U+{ord(c):04X}")
def test_every_bidi_control_is_escaped(char: str) -> None:
    assert escape_controls(f"a{char}b") == f"a\\u{ord(char):04x}b"


@pytest.mark.parametrize("char", ["\u202e", "\x01"], ids=["U+202E", "U+0001"])
def test_a_kind_of_controls_is_quoted_short_enough_to_stay_within_the_line_limit(
    char: str,
) -> None:
    """Each such character is written as six: a kind quoted whole made a line of 6,709."""
    doc = {
        "apiVersion": "generators.external-secrets.io/v1alpha1",
        "kind": char * 1000,
        "metadata": {"name": "gen", "namespace": "app"},
    }
    checked = check_document(doc, PluginHost.from_plugins({}))
    (line,) = [p.line(checked.ident) for p in checked.problems]
    assert line.startswith("warning: \\u" + f"{ord(char):04x}"), line[:40]
    assert "no installed plugin serves generator kind" in line
    assert len(line) <= LINE_LIMIT, len(line)
