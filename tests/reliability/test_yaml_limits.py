"""YAML limits (docs/reliability.md, "Bad input"): wherever extsecrets reads YAML (manifests
for ``validate`` and ``render``, the output of a ``KeysAndValues`` template, ``fromYaml``),
deep nesting, alias bombs ("billion laughs"), self-referencing aliases, huge documents, many
documents and characters YAML forbids are refused fast with a message naming the file, the
document and the line, never a traceback; the other documents and files are still used. A key
written twice in a mapping is an error naming the object, the path and both lines.

The limits are the constants of ``extsecrets.yaml_limits``. Each test here is the regression
test of one defect the suite found (named after the behaviour it now has).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from extsecrets import yaml_limits
from extsecrets.manifests import read_manifests
from extsecrets.sync.keys_and_values import KeysAndValuesError, parse_keys_and_values
from extsecrets.templates.funcs.eso_yaml import fromYaml
from extsecrets.yaml_limits import MAX_ALIAS_NODES, MAX_DEPTH, MAX_DOCUMENT_CHARS, MAX_DOCUMENTS

ESO = "external-secrets.io/v1"

STORE = """apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: store, namespace: app}
spec:
  provider:
    fake:
      data: {greeting: hello}
"""

EXTERNAL_SECRET = """apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: good, namespace: app}
spec:
  secretStoreRef: {name: store}
  target: {name: good-out}
  data:
  - secretKey: msg
    remoteRef: {key: greeting}
"""


def laughs(levels: int = 9, anchor: str = "l") -> str:
    """A flow sequence of 9 aliases of the one before, ``levels`` deep: 9**levels nodes."""
    lines = [f'&{anchor}0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"&{anchor}{i} [" + ", ".join([f"*{anchor}{i - 1}"] * 9) + "]")
    return lines


def bomb_in(kind: str) -> str:
    """An object of ``kind`` carrying a billion laughs where its users' data goes."""
    steps = laughs()
    if kind == "Secret":
        body = "apiVersion: v1\nkind: Secret\nmetadata: {name: bomb, namespace: app}\nstringData:\n"
        return body + "".join(f"  k{i}: {s}\n" for i, s in enumerate(steps))
    if kind == "ServiceAccount":
        body = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bomb\n  namespace: app\n"
        return body + "  annotations:\n" + "".join(f"    a{i}: {s}\n" for i, s in enumerate(steps))
    if kind == "ExternalSecret":
        body = EXTERNAL_SECRET.replace("name: good,", "name: bomb,")
        return body + "  dataFrom:\n" + "".join(f"  - extract: {{key: {s}}}\n" for s in steps)
    body = STORE.replace("name: store,", "name: bomb,")
    return body + "".join(f"      k{i}: {s}\n" for i, s in enumerate(steps))


@pytest.fixture
def render(extsecrets_cmd: Any, fake_plugin_dir: Path) -> Any:
    def run(*args: str) -> Any:
        return extsecrets_cmd("render", *args, env={"PYTHONPATH": str(fake_plugin_dir)})

    return run


def _good_files(folder: Path) -> None:
    (folder / "store.yaml").write_text(STORE)
    (folder / "es.yaml").write_text(EXTERNAL_SECRET)


def _rendered_names(stdout: str) -> list[str]:
    return [d["metadata"]["name"] for d in yaml.safe_load_all(stdout) if d]


# --- nesting ---------------------------------------------------------------------------------


def test_deep_nesting_is_refused_with_the_document_and_the_other_files_render(
    render: Any, tmp_path: Path
) -> None:
    """Was: a few thousand brackets raised a RecursionError traceback."""
    _good_files(tmp_path)
    deep = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: " + "[" * 3000
    (tmp_path / "deep.yaml").write_text(deep + "]" * 3000 + "\n")
    result = render("-f", str(tmp_path))
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stderr
    assert f"error: {tmp_path / 'deep.yaml'} (document 1, line 1): nested deeper than " in (
        result.stderr
    )
    assert f"{MAX_DEPTH} levels (line 4); not read" in result.stderr
    assert _rendered_names(result.stdout) == ["good-out"]


def test_nesting_up_to_the_limit_is_read() -> None:
    inner = "[" * (MAX_DEPTH - 1) + "x" + "]" * (MAX_DEPTH - 1)
    docs, errors = _read(f"data: {inner}\n")
    assert errors == []
    assert docs[0]["data"] is not None
    docs, errors = _read(f"data: [{inner}]\n")
    assert docs == []
    assert len(errors) == 1


def _read(text: str, name: str = "f.yaml") -> tuple[list[Any], list[str]]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text)
        docs, errors = read_manifests([str(path)])
        return [d.body for d in docs], [str(e).replace(str(path), name) for e in errors]


class _Limited(yaml_limits.LimitedComposer, yaml.SafeLoader):
    pass


def test_deep_flow_nesting_is_refused_before_the_scanner_reads_ahead() -> None:
    """Was: PyYAML's scanner read ahead through the brackets (checking every open level at each
    one) before the composer refused the 101st: 0.4 s per document of 3,000 brackets, so a
    file of such documents took minutes. Now the scanner stops at the 101st bracket."""
    loader = _Limited("data: " + "[" * 3000 + "]" * 3000 + "\n")
    try:
        with pytest.raises(yaml_limits.YamlLimitError) as err:
            loader.get_data()
        assert err.value.problem_mark.column == len("data: ") + MAX_DEPTH  # the 101st
        assert loader.pointer < len("data: ") + MAX_DEPTH + 10  # where the reader stopped
    finally:
        loader.dispose()


# --- aliases ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Secret", "ServiceAccount", "ExternalSecret", "SecretStore"])
def test_an_alias_bomb_is_refused_fast_in_any_object_and_the_other_files_render(
    render: Any, tmp_path: Path, kind: str, figures: Any
) -> None:
    """Was: accepted, and every reader of the object walked 9**9 nodes."""
    _good_files(tmp_path)
    (tmp_path / "bomb.yaml").write_text(bomb_in(kind))
    started = time.monotonic()
    result = render("-f", str(tmp_path))
    figures("render_seconds", round(time.monotonic() - started, 2))
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: {tmp_path / 'bomb.yaml'} (document 1, line 1): ")
    assert f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes (line " in errors[0]
    assert _rendered_names(result.stdout) == ["good-out"]


def test_a_merge_key_bomb_is_refused() -> None:
    """Was: PyYAML's merge of ``<<: [*m, *m, ...]`` copied 9**levels pairs into the mapping."""
    docs, errors = _read(_merge_bomb(12).decode())
    assert docs == []
    assert errors == [
        f"f.yaml (document 1, line 1): aliases expand to more than {MAX_ALIAS_NODES:,} nodes "
        "(line 5); not read"
    ]


def test_an_alias_inside_the_node_it_names_is_refused() -> None:
    """Was: a list containing itself, and a RecursionError in whatever walked it."""
    docs, errors = _read("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: &a [*a]\n")
    assert docs == []
    assert errors == [
        "f.yaml (document 1, line 1): the alias *a is inside the node it names (line 4); not read"
    ]


def test_aliases_within_the_limit_are_expanded() -> None:
    text = "a: &x {k: v}\nb: *x\nc: [*x, *x]\n"
    docs, errors = _read(text)
    assert errors == []
    assert docs == [{"a": {"k": "v"}, "b": {"k": "v"}, "c": [{"k": "v"}, {"k": "v"}]}]


def test_the_documents_after_a_refused_one_in_the_same_file_are_read() -> None:
    bomb = bomb_in("Secret")
    text = f"{STORE}---\n{bomb}---\n{EXTERNAL_SECRET}"
    docs, errors = _read(text)
    assert [d["metadata"]["name"] for d in docs] == ["store", "good"]
    assert len(errors) == 1
    assert errors[0].startswith("f.yaml (document 2, line 8): aliases expand to more than ")


def test_lines_after_a_refused_document_count_from_the_top_of_the_file() -> None:
    """The reader resumes after a refused document: its lines and a later document's (here a
    key written twice, and a syntax error) are still the file's."""
    from extsecrets.manifests import read_text

    deep = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: " + "[" * 300 + "\n"
    twice = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  a: '1'\n  a: '2'\n"
    docs, errors = read_text(f"{deep}---\n{twice}---\nx: [\n", "f.yaml")
    assert [(d.index, d.line) for d in docs] == [(2, 5)]
    assert [p.message for p in docs[0].problems] == [
        "key defined more than once: at line 10 and at line 11"
    ]
    assert [str(e) for e in errors] == [
        f"f.yaml (document 1, line 1): nested deeper than {MAX_DEPTH} levels (line 4); not read",
        "f.yaml:14:1: invalid YAML: expected the node content, but found '<stream end>'",
    ]


# --- sizes and counts --------------------------------------------------------------------------


def test_a_document_over_the_size_limit_is_refused_unparsed_and_the_next_one_read() -> None:
    huge = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  a: "
    huge += "x" * (MAX_DOCUMENT_CHARS + 1) + "\n"
    docs, errors = _read(f"{STORE}---\n{huge}---\n{EXTERNAL_SECRET}")
    assert [d["metadata"]["name"] for d in docs] == ["store", "good"]
    assert errors == [
        f"f.yaml:8: the document is larger than {MAX_DOCUMENT_CHARS:,} characters; not read"
    ]


def test_more_documents_than_the_limit_refuse_the_file_and_the_other_files_are_read(
    tmp_path: Path,
) -> None:
    (tmp_path / "many.yaml").write_text("---\nkind: A\n" * (MAX_DOCUMENTS + 1))
    (tmp_path / "store.yaml").write_text(STORE)
    docs, errors = read_manifests([str(tmp_path)])
    assert [d.body["metadata"]["name"] for d in docs] == ["store"]
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'many.yaml'}: more than {MAX_DOCUMENTS:,} documents; not read"
    ]


def test_a_file_over_the_size_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the limit made small for the test: the file is not written 16 MiB large
    monkeypatch.setattr("extsecrets.manifests.MAX_FILE_BYTES", 1000)
    (tmp_path / "big.yaml").write_text("# " + "x" * 1000 + "\n")
    (tmp_path / "store.yaml").write_text(STORE)
    docs, errors = read_manifests([str(tmp_path)])
    assert [d.body["metadata"]["name"] for d in docs] == ["store"]
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'big.yaml'}: larger than 1,000 bytes; not read"
    ]
    assert yaml_limits.MAX_FILE_BYTES == 16 * 1024 * 1024


# --- characters YAML forbids -------------------------------------------------------------------


def test_a_character_yaml_forbids_is_an_invalid_yaml_error_not_a_traceback(
    extsecrets_cmd: Any, tmp_path: Path
) -> None:
    """Was: yaml.reader.ReaderError escaped read_manifests (a traceback, exit 1)."""
    (tmp_path / "nul.yaml").write_text(
        'apiVersion: v1\nkind: Secret\nmetadata: {name: n}\nstringData: {a: "x\x00y"}\n'
    )
    (tmp_path / "store.yaml").write_text(STORE.replace("fake", "aws"))
    result = extsecrets_cmd("validate", "-f", str(tmp_path))
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"error: {tmp_path / 'nul.yaml'}:4: invalid YAML: character #x0000 is not allowed"
    )
    # the other file was checked: its problems are printed
    assert result.stdout.startswith("SecretStore app/store: spec.provider.aws")


# --- keys written twice -----------------------------------------------------------------------

DUPLICATE_DATA_FROM = """apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: twice, namespace: app}
spec:
  secretStoreRef: {name: store}
  target: {name: twice-out}
  dataFrom:
  - extract: {key: greeting}
  data:
  - secretKey: msg
    remoteRef: {key: greeting}
  dataFrom:
  - find: {name: {regexp: "."}}
"""


def test_a_key_written_twice_fails_validate_with_its_path_and_both_lines(
    extsecrets_cmd: Any, tmp_path: Path
) -> None:
    """Was: the last one won silently (here, a whole dataFrom entry disappeared)."""
    (tmp_path / "es.yaml").write_text(DUPLICATE_DATA_FROM)
    result = extsecrets_cmd("validate", "-f", str(tmp_path))
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "ExternalSecret app/twice: spec.dataFrom: key defined more than once: "
        "at line 7 and at line 12"
    ]


def test_render_refuses_an_external_secret_with_a_key_written_twice(
    render: Any, tmp_path: Path
) -> None:
    _good_files(tmp_path)
    (tmp_path / "twice.yaml").write_text(DUPLICATE_DATA_FROM)
    result = render("-f", str(tmp_path))
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "app/twice: invalid manifest: spec.dataFrom: key defined more than once: "
        "at line 7 and at line 12"
    ]
    assert _rendered_names(result.stdout) == ["good-out"]


def test_a_key_written_twice_in_a_list_item_names_the_item() -> None:
    text = "kind: List\napiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Secret\n"
    text += "  metadata: {name: s}\n  stringData:\n    a: '1'\n    a: '2'\n"
    from extsecrets.manifests import read_text

    docs, errors = read_text(text, "f.yaml")
    assert errors == []
    assert [(p.path, p.message) for p in docs[0].problems] == [
        ("stringData.a", "key defined more than once: at line 8 and at line 9")
    ]


def test_merge_keys_are_not_keys_written_twice() -> None:
    docs, errors = _read("base: &b {a: 1}\nx:\n  <<: *b\n  <<: {c: 2}\n  a: 3\n")
    assert errors == []
    assert docs[0]["x"] == {"a": 3, "c": 2}


# --- fromYaml and the KeysAndValues output ------------------------------------------------------


def test_from_yaml_refuses_deep_nesting_as_go_yaml_would_with_an_error() -> None:
    """Was: RecursionError out of the template function."""
    out = fromYaml("x: " + "[" * 5000 + "]" * 5000)
    assert out == {
        "Error": f"error converting YAML to JSON: yaml: nested deeper than {MAX_DEPTH} levels"
    }


def test_from_yaml_refuses_an_alias_bomb() -> None:
    """Was: 9**9 nodes built in memory before the output size limit could stop them."""
    text = "".join(f"k{i}: {s}\n" for i, s in enumerate(laughs()))
    out = fromYaml(text)
    assert out == {
        "Error": "error converting YAML to JSON: yaml: aliases expand to more than "
        f"{MAX_ALIAS_NODES:,} nodes"
    }


def test_from_yaml_refuses_an_alias_inside_its_own_node() -> None:
    """Was: RecursionError."""
    out = fromYaml("x: &a [*a]")
    assert out == {
        "Error": "error converting YAML to JSON: yaml: the alias *a is inside the node it names"
    }


def _merge_bomb(levels: int) -> bytes:
    lines = ['m0: &m0 {x: "1"}']
    for i in range(1, levels):
        lines.append(f"m{i}: &m{i} {{<<: [" + ", ".join([f"*m{i - 1}"] * 9) + "]}")
    lines.append("<<: [" + ", ".join([f"*m{levels - 1}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


def test_keys_and_values_output_with_a_merge_bomb_is_refused() -> None:
    """Was: the merges expanded to 9**levels pairs before any check."""
    with pytest.raises(KeysAndValuesError) as err:
        parse_keys_and_values(_merge_bomb(8))
    assert str(err.value) == (
        f"error converting YAML to JSON: yaml: aliases expand to more than {MAX_ALIAS_NODES:,} "
        "nodes"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: " + "[" * 5000 + "]" * 5000, f"nested deeper than {MAX_DEPTH} levels"),
        ("a: &a {<<: *a}", "the alias *a is inside the node it names"),
    ],
    ids=["deep", "self-merge"],
)
def test_keys_and_values_output_too_deep_or_self_merging_is_an_error(
    text: str, problem: str
) -> None:
    """Was: RecursionError out of the KeysAndValues reader."""
    with pytest.raises(KeysAndValuesError) as err:
        parse_keys_and_values(text.encode())
    assert str(err.value) == f"error converting YAML to JSON: yaml: {problem}"


def test_figures_of_the_refusals(figures: Any) -> None:
    """How long each refusal takes in process (recorded, not asserted: machines are shared)."""
    from extsecrets.manifests import read_text

    cases = {
        "nesting_3000_brackets": "data: " + "[" * 3000 + "]" * 3000 + "\n",
        "alias_bomb_9_levels": "".join(f"k{i}: {s}\n" for i, s in enumerate(laughs())),
        "document_over_3_mib": "a: " + "x" * (MAX_DOCUMENT_CHARS + 1) + "\n",
        "documents_over_50000": "---\nkind: A\n" * (MAX_DOCUMENTS + 1),
    }
    for name, text in cases.items():
        started = time.monotonic()
        docs, errors = read_text(text, "f.yaml")
        figures(f"{name}_seconds", round(time.monotonic() - started, 3))
        assert docs == []
        assert len(errors) == 1, name
