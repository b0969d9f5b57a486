"""Text built from user input stays one line and value-free; keys the API server refuses are
refused before anything is written (issue 15, items 12 and 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from engine_kit import external_secret, ref, store

# --- one line, whatever the input holds --------------------------------------------------------

FORGED = "db\nERROR app/other: forged failure"


def test_a_key_holding_a_newline_cannot_forge_a_line(world) -> None:
    w = world(
        store(data={"k": "v"}, failKeys=[FORGED]),
        external_secret(data=[ref("a", FORGED)]),
    )
    result = w.sync()["app/e"]
    assert result.error == (
        "error processing spec.data[0] (key: db\\nERROR app/other: forged failure), "
        "err: fake backend cannot read db\\nERROR app/other: forged failure"
    )
    assert w.events("UpdateFailed") == [result.error]


def test_every_control_character_is_escaped(world) -> None:
    key = "a\tb\rc\x1b[31md\u2028e\x7f"
    w = world(store(failKeys=[key]), external_secret(data=[ref("a", key)]))
    error = w.sync()["app/e"].error
    assert error is not None
    assert error.endswith("cannot read a\\tb\\rc\\u001b[31md\\u2028e\\u007f")
    assert error.isprintable()


# --- values read in the same cycle --------------------------------------------------------------

VALUE = "s3cr3t-Value-Read-This-Cycle"


def test_a_provider_error_quoting_a_value_of_the_cycle_is_scrubbed(world) -> None:
    # The backend's error message quotes the reference, which happens to be a value another
    # ExternalSecret of the same cycle read: it must not reach the status, the event or the result.
    w = world(
        store(data={"k": VALUE}, failKeys=[VALUE]),
        external_secret("reader", data=[ref("a", "k")]),
        external_secret("failing", data=[ref("b", VALUE)]),
    )
    results = w.sync()
    assert results["app/reader"].ok
    error = results["app/failing"].error
    assert error == (
        "error processing spec.data[0] (key: <redacted>), err: fake backend cannot read <redacted>"
    )
    assert all(VALUE not in e for e in w.events())
    assert VALUE not in repr(w.status("failing"))


def test_json_leaves_and_lines_of_a_value_are_scrubbed_too(world) -> None:
    document = '{"user": "admin", "password": "pw-LEAF-7731"}'
    pem = "-----BEGIN KEY-----\nMIIBline-one-of-key\nMIIBline-two-of-key\n-----END KEY-----"
    w = world(
        store(data={"doc": document, "pem": pem}, failKeys=["pw-LEAF-7731", "MIIBline-two-of-key"]),
        external_secret("reader", data=[ref("d", "doc"), ref("p", "pem")]),
        external_secret("leaf", data=[ref("x", "pw-LEAF-7731")]),
        external_secret("line", data=[ref("x", "MIIBline-two-of-key")]),
    )
    results = w.sync()
    assert results["app/reader"].ok
    for name in ("leaf", "line"):
        error = results[f"app/{name}"].error
        assert error is not None
        assert error.endswith("err: fake backend cannot read <redacted>"), error
    # short, common values are left alone: "admin" (5 characters) would blank ordinary words
    assert "admin" not in " ".join(r.error or "" for r in results.values())


def test_without_values_read_the_message_is_unchanged(world) -> None:
    w = world(
        store(failKeys=["plain-key-name"]), external_secret(data=[ref("a", "plain-key-name")])
    )
    assert w.sync()["app/e"].error == (
        "error processing spec.data[0] (key: plain-key-name), "
        "err: fake backend cannot read plain-key-name"
    )


# --- keys Kubernetes refuses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "why"),
    [
        (".", "must not be '.'"),
        ("..", "must not be '..'"),
        ("..data", "must not start with '..'"),
        (
            "pässword",
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
            "(regex used for validation is '[-._a-zA-Z0-9]+')",
        ),
    ],
)
def test_a_key_kubernetes_refuses_fails_before_writing(world, key: str, why: str) -> None:
    w = world(
        store(data={"doc": f'{{"{key}": "x", "fine": "y"}}'}),
        external_secret(data_from=[{"extract": {"key": "doc"}}]),
    )
    result = w.sync()["app/e"]
    assert not result.ok
    assert result.error == (
        "error processing spec.dataFrom[0].extract, err: invalid secret keys (TIP: use rewrite "
        f'or conversionStrategy to change keys): key "{key}" is refused by Kubernetes in a '
        f"Secret: {why}"
    )
    assert w.secret("e") is None
    assert w.cluster.counts["secret_writes"] == 0


def test_a_rewrite_fixes_such_a_key(world) -> None:
    w = world(
        store(data={"doc": '{"..data": "x"}'}),
        external_secret(
            data_from=[
                {
                    "extract": {"key": "doc"},
                    "rewrite": [{"regexp": {"source": "^[.]+", "target": "dots-"}}],
                }
            ]
        ),
    )
    assert w.sync()["app/e"].ok
    assert w.data("e") == {"dots-data": "x"}


@pytest.mark.parametrize(
    ("key", "why"),
    [(".", "must not be '.'"), ("..", "must not be '..'"), ("..data", "must not start with '..'")],
)
def test_validate_refuses_such_a_secret_key(
    extsecrets_cmd, fake_plugin_dir, tmp_path, key: str, why: str
) -> None:
    manifest = tmp_path / "es.yaml"
    manifest.write_text(yaml.safe_dump_all([store(), external_secret(data=[ref(key, "k")])]))
    result = extsecrets_cmd(
        "validate", "-f", str(manifest), env={"PYTHONPATH": str(fake_plugin_dir)}
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"ExternalSecret app/e: spec.data[0].secretKey: {why}"]


def test_render_exits_1_and_prints_no_secret_with_such_a_key(
    extsecrets_cmd, fake_plugin_dir, tmp_path: Path
) -> None:
    docs = [
        store(data={"doc": '{"..data": "x"}'}),
        external_secret(data_from=[{"extract": {"key": "doc"}}]),
    ]
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    result = extsecrets_cmd("render", "-f", str(path), env={"PYTHONPATH": str(fake_plugin_dir)})
    assert result.returncode == 1
    assert result.stdout.strip() == ""
    assert result.stderr.splitlines() == [
        "app/e: error processing spec.dataFrom[0].extract, err: invalid secret keys (TIP: use "
        'rewrite or conversionStrategy to change keys): key "..data" is refused by Kubernetes '
        "in a Secret: must not start with '..'"
    ]
