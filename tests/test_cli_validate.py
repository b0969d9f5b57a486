"""``extsecrets validate`` as users run it: files, folders, stdin, output lines, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from extsecrets.cli import main

SEED = sorted((Path(__file__).parent / "fixtures" / "seed").glob("*.yaml"))


def validate(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        main, ["validate", *args], input=stdin, env={"EXTSECRETS_STRICT_PLUGINS": "1"}
    )


def test_the_seed_page_has_seven_examples() -> None:
    assert len(SEED) == 7


@pytest.mark.parametrize("example", SEED, ids=[p.stem for p in SEED])
@pytest.mark.parametrize("service", ["SecretsManager", "ParameterStore"])
def test_every_seed_example_validates_on_its_own(
    example: Path, service: str, tmp_path: Path
) -> None:
    manifest = tmp_path / example.name
    manifest.write_text(example.read_text().replace("SecretsManager", service))
    result = validate("-f", str(manifest))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_all_seed_examples_in_one_folder_collide_on_their_shared_names() -> None:
    # Four examples are all called team-b-store; two in the same namespace is a real clash.
    result = validate("-f", str(SEED[0].parent))
    assert result.exit_code == 1
    folder = SEED[0].parent
    assert result.stdout == (
        "SecretStore default/team-b-store: metadata.name: defined more than once: in "
        f"{folder / '01-pod-identity-assume-role.yaml'} (document 1, line 1) and in "
        f"{folder / '02-secret-ref.yaml'} (document 1, line 1)\n"
        "SecretStore team-b/team-b-store: metadata.name: defined more than once: in "
        f"{folder / '06-session-tags-simple.yaml'} (document 1, line 1) and in "
        f"{folder / '07-session-tags-custom.yaml'} (document 1, line 1)\n"
    )


BAD = """\
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: shared}
spec:
  provider:
    aws:
      service: SecretsManager
      region: eu-west-1
      sessionTags: [{key: team, value: a}]
---
# a comment-only document and an empty one are skipped
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app, namespace: team-a}
spec:
  secretStoreRef: {name: shared, kind: ClusterSecretStore}
  target: {creationPolicy: Merge, deletionPolicy: Delete}
  data:
  - {secretKey: a, remoteRef: {key: k}}
"""


def test_lines_exit_code_and_warnings() -> None:
    result = validate("-f", "-", stdin=BAD)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "warning: ClusterSecretStore shared: spec.provider.aws.sessionTags: sessionTags has no "
        "effect without role: it is only sent on the AssumeRole of role",
        "ExternalSecret team-a/app: spec.target.deletionPolicy: deletionPolicy=Delete must not "
        "be used when the controller doesn't own the secret. Please set creationPolicy=Owner",
    ]


def test_warnings_alone_exit_zero() -> None:
    first = BAD.split("---")[0]
    result = validate("-f", "-", stdin=first)
    assert result.exit_code == 0
    assert result.stdout.startswith("warning: ClusterSecretStore shared: ")


def test_folders_are_read_recursively_and_broken_yaml_exits_2(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "es.yml").write_text(BAD.split("---")[2])
    (tmp_path / "a" / "notes.txt").write_text("not a manifest: [")
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: [x\n")
    result = validate("-f", str(tmp_path))
    assert result.exit_code == 2
    assert result.stdout.startswith("ExternalSecret team-a/app: spec.target.deletionPolicy: ")
    assert result.stderr == (
        f"error: {tmp_path / 'broken.yaml'}:4:1: invalid YAML: expected ',' or ']', but got "
        "'<stream end>'\n"
    )


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = validate("-f", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'nope.yaml'}: no such file or directory\n"


def test_documents_that_are_not_kubernetes_objects_are_skipped_with_a_note() -> None:
    result = validate("-f", "-", stdin="just: text\n---\n- a list\n")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "note: <stdin> (document 1, line 1): skipped, not a Kubernetes object (no apiVersion/kind)",
        "note: <stdin> (document 2, line 2): skipped, not a Kubernetes object (no apiVersion/kind)",
    ]


def test_list_objects_are_expanded() -> None:
    items = BAD.split("---")[2].replace("\n", "\n    ").strip()
    text = f"apiVersion: v1\nkind: List\nitems:\n  - {items}\n"
    result = validate("-f", "-", stdin=text)
    assert result.exit_code == 1
    assert result.stdout.startswith("ExternalSecret team-a/app: spec.target.deletionPolicy")


def test_namespace_defaults_to_default_for_duplicates_too() -> None:
    one = (
        "apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: s%s}\n"
        "spec: {provider: {aws: {service: ParameterStore, region: eu-west-1}}}\n"
    )
    text = one % "" + "---\n" + one % ", namespace: default"
    result = validate("-f", "-", stdin=text)
    assert result.exit_code == 1
    assert result.stdout == (
        "SecretStore default/s: metadata.name: defined more than once: in <stdin> (document 1, "
        "line 1) and in <stdin> (document 2, line 5)\n"
    )


def test_crds_and_manifests_print_the_deploy_files(extsecrets_cmd) -> None:
    import yaml

    crds = extsecrets_cmd("crds")
    assert crds.returncode == 0, crds.stderr
    names = {d["metadata"]["name"] for d in yaml.safe_load_all(crds.stdout) if d}
    assert names == {
        "secretstores.external-secrets.io",
        "clustersecretstores.external-secrets.io",
        "externalsecrets.external-secrets.io",
        "ecrauthorizationtokens.generators.external-secrets.io",
    }
    everything = extsecrets_cmd("manifests")
    kinds = [d["kind"] for d in yaml.safe_load_all(everything.stdout) if d]
    assert kinds.count("CustomResourceDefinition") == 4
    for kind in ("Namespace", "Deployment", "ServiceAccount", "ClusterRole", "RoleBinding"):
        assert kind in kinds
