"""A manifest file that is not UTF-8 is named, never quoted: its bytes may be a Secret's."""

from __future__ import annotations

from pathlib import Path

from extsecrets.manifests import read_manifests


def test_a_manifest_that_is_not_utf8_is_named_without_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_bytes(b"kind: Secret\nstringData: {password: hunter2\xff}\n")
    docs, errors = read_manifests([str(path)])
    assert docs == []
    assert [str(e) for e in errors] == [f"{path}: cannot read: not valid UTF-8"]
