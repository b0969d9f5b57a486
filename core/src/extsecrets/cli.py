"""The ``extsecrets`` command."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from importlib import resources
from typing import Any

import click
import yaml

from extsecrets import __version__
from extsecrets.cluster.local import LocalCluster
from extsecrets.errors import PluginError
from extsecrets.manifests import Document, is_kubernetes_object, read_manifests
from extsecrets.model import CheckedObject, Problem, check_document
from extsecrets.plugins import PluginHost, PluginInfo
from extsecrets.render import Rendered, secret_manifest, status_entry
from extsecrets.render import render as render_manifests

#: the -f option of every command that reads manifests
manifest_paths = click.option(
    "-f",
    "--filename",
    "targets",
    multiple=True,
    required=True,
    metavar="PATH",
    help="A manifest file, a folder (read recursively) or - for stdin. Repeatable.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="extsecrets")
def main() -> None:
    """Keep Kubernetes Secrets in sync with external secret stores.

    Reads External Secrets Operator manifests (external-secrets.io/v1); every backend is a
    plugin found through the `extsecrets` entry-point group.
    """


def _load_plugins() -> PluginHost:
    try:
        return PluginHost.load()
    except PluginError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document (see docs/cli.md).")
def plugins(as_json: bool) -> None:
    """List installed plugins: name, distribution, version, status and what each serves."""
    # The listing shows every failure with its reason; no need for the loader's log lines too.
    logging.getLogger("extsecrets.plugins").setLevel(logging.ERROR)
    host = _load_plugins()
    infos = host.plugins
    if as_json:
        click.echo(json.dumps({"plugins": [i.to_json() for i in infos]}, indent=2))
        return
    if not infos:
        click.echo("no plugins installed (entry-point group: extsecrets)")
        return
    rows = [("NAME", "DISTRIBUTION", "VERSION", "STATUS", "SERVES")]
    rows += [(i.name, i.distribution or "-", i.version or "-", i.status, _serves(i)) for i in infos]
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[4]
        )
    for info in infos:
        if info.reason:
            click.echo(f"{info.name}: {info.status}: {info.reason}")


def _serves(info: PluginInfo) -> str:
    reg = info.registration
    parts = [f"provider {p.label}" for p in reg.providers]
    parts += [f"generator {g.kind}" for g in reg.generators]
    parts += [f"auth {a.name}" for a in reg.auth_schemes]
    return ", ".join(parts) or "-"


@main.command()
@manifest_paths
def validate(targets: Sequence[str]) -> None:
    """Check manifests with the admission rules only; no provider is called.

    Prints one line per problem, `Kind namespace/name: path: message`; exits 1 when any
    error was found, 2 when a file could not be read or parsed.
    """
    host = _load_plugins()
    documents, broken = read_manifests(targets)
    for err in broken:
        click.echo(f"error: {err}", err=True)

    checked: list[tuple[CheckedObject, Document]] = []
    for doc in documents:
        body = doc.body
        if not is_kubernetes_object(body):
            click.echo(
                f"note: {doc.where}: skipped, not a Kubernetes object (no apiVersion/kind)",
                err=True,
            )
            continue
        checked.append((check_document(body, host), doc))

    failed = False
    seen: dict[tuple[str, str, str | None, str], str] = {}
    for obj, doc in checked:
        where = doc.where
        problems = [*doc.problems, *obj.problems]
        group = str(obj.raw.get("apiVersion")).rpartition("/")[0]
        key = (group, obj.ident.kind, obj.ident.namespace, obj.ident.name)
        if key in seen:
            problems.append(
                Problem("metadata.name", f"defined more than once: in {seen[key]} and in {where}")
            )
        else:
            seen[key] = where
        for problem in problems:
            failed = failed or problem.is_error
            click.echo(problem.line(obj.ident))
    if broken:
        sys.exit(2)
    if failed:
        sys.exit(1)


@main.command()
@manifest_paths
@click.option(
    "-o",
    "--output",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
    help="Secrets as multi-document YAML, or as one JSON v1 List.",
)
@click.option(
    "--status",
    "show_status",
    is_flag=True,
    help="Print every ExternalSecret's conditions instead of the Secrets.",
)
@click.option(
    "--plugin-timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="How long one plugin call may take before the ExternalSecrets needing it fail.",
)
def render(targets: Sequence[str], output: str, show_status: bool, plugin_timeout: float) -> None:
    """Sync every ExternalSecret in the manifests against the real providers, on a local
    in-memory cluster, and print the Secrets they produce.

    Stores, ExternalSecrets, generators, and the Secrets, ServiceAccounts and Namespaces they
    refer to are read from the manifests. Failures go to stderr as `namespace/name: error`;
    exits 1 when any ExternalSecret failed, 2 when a file could not be read or parsed.
    """
    host = _load_plugins()
    broken, rendered, cluster = _render(targets, host, plugin_timeout)
    for line in rendered.failures:
        click.echo(line, err=True)

    if show_status:
        entries = [status_entry(ns, name, status) for ns, name, status in rendered.statuses]
        if output == "json":
            click.echo(json.dumps(entries, indent=2))
        else:
            click.echo(yaml.safe_dump(entries, sort_keys=False), nl=False)
    else:
        manifests = [secret_manifest(s, cluster.assigned_uids) for s in rendered.secrets]
        if output == "json":
            click.echo(
                json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests}, indent=2)
            )
        elif manifests:
            click.echo(yaml.safe_dump_all(manifests, sort_keys=False), nl=False)
    if broken:
        sys.exit(2)
    if rendered.failures:
        sys.exit(1)


@main.command()
@click.option(
    "--kubeconfig", type=click.Path(dir_okay=False), help="Default: $KUBECONFIG, else in-cluster."
)
@click.option("--namespace", default=None, help="Watch this namespace only (default: all).")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Plugin calls and Kubernetes writes run at once.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="ExternalSecrets handed to the engine at once.",
)
@click.option(
    "--metrics-addr",
    default=":8080",
    show_default=True,
    help="Prometheus metrics address (0: off).",
)
@click.option(
    "--health-addr",
    default=":8081",
    show_default=True,
    help="/healthz and /readyz address (0: off).",
)
@click.option(
    "--leader-elect/--no-leader-elect",
    default=False,
    show_default=True,
    help="Run only while holding a Lease, so several replicas can run.",
)
@click.option(
    "--leader-election-namespace",
    default=None,
    help="Namespace of the Lease (default: $POD_NAMESPACE, else default).",
)
@click.option("--lease-name", default="extsecrets-leader", show_default=True)
@click.option(
    "--plugin-timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
)
@click.option(
    "--liveness-timeout",
    type=click.FloatRange(min=0),
    default=0.0,
    metavar="SECONDS",
    help="Longest iteration of the reconcile loop before /healthz answers 503 "
    "(0: 5 x --plugin-timeout + 60).",
)
@click.option(
    "--controller-class",
    default="",
    help="Serve only stores whose spec.controller is this (empty: stores without one).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
def run(
    kubeconfig: str | None,
    namespace: str | None,
    concurrency: int,
    batch_size: int,
    metrics_addr: str,
    health_addr: str,
    leader_elect: bool,
    leader_election_namespace: str | None,
    lease_name: str,
    plugin_timeout: float,
    liveness_timeout: float,
    controller_class: str,
    log_level: str,
) -> None:
    """Run the operator: keep the cluster's Secrets in sync with their ExternalSecrets."""
    from extsecrets.operator import logs
    from extsecrets.operator.run import Operator, Options

    logs.configure(log_level)
    host = _load_plugins()
    options = Options(
        kubeconfig=kubeconfig,
        namespace=namespace,
        concurrency=concurrency,
        batch_size=batch_size,
        metrics_addr=metrics_addr,
        health_addr=health_addr,
        leader_elect=leader_elect,
        lease_namespace=leader_election_namespace,
        lease_name=lease_name,
        plugin_timeout=plugin_timeout,
        liveness_timeout=liveness_timeout,
        controller_class=controller_class,
    )
    operator = Operator(host, options)
    operator.install_signal_handlers()
    operator.run()


def _render(
    targets: Sequence[str], host: PluginHost, plugin_timeout: float
) -> tuple[list[Any], Rendered, LocalCluster]:
    """Read the manifests (unreadable files and problems reported on stderr) and sync them."""
    documents, broken = read_manifests(targets)
    for err in broken:
        click.echo(f"error: {err}", err=True)
    objects = [d for d in documents if is_kubernetes_object(d.body)]
    rendered, cluster = render_manifests(
        [d.body for d in objects if not d.problems],
        host,
        plugin_timeout=plugin_timeout,
        refused=[(d.body, d.problems) for d in objects if d.problems],
    )
    for line in rendered.problems:
        click.echo(line, err=True)
    return list(broken), rendered, cluster


def _deploy_file(name: str) -> str:
    return resources.files("extsecrets").joinpath("deploy", name).read_text(encoding="utf-8")


@main.command()
def crds() -> None:
    """Print the CustomResourceDefinitions of the kinds extsecrets serves."""
    click.echo(_deploy_file("crds.yaml"), nl=False)


@main.command("manifests")
def manifests_command() -> None:
    """Print everything to deploy the operator: CRDs, namespace, RBAC, Deployment."""
    parts = [_deploy_file(n).strip() for n in ("crds.yaml", "deployment.yaml", "rbac.yaml")]
    click.echo("\n---\n".join(parts))


@main.command()
@manifest_paths
@click.option("--show-values", is_flag=True, help="Print secret values instead of masking them.")
def demo(targets: Sequence[str], show_values: bool) -> None:
    """Sync the manifests like `render` and explain the result: the Secrets (values masked),
    each ExternalSecret's Ready condition, and the calls made to the providers.

    `make demo` runs this over examples/ against a local AWS emulator.
    """
    from extsecrets.demo import report

    host = _load_plugins()
    broken, rendered, _ = _render(targets, host, 60.0)
    click.echo(report(rendered, host.api_calls(), show_values=show_values))
    if broken or rendered.failures:
        sys.exit(1)
