"""``extsecrets demo``: what ``render`` does, told for a person.

It syncs the manifests like ``render`` and prints the Secrets (values masked unless asked),
every ExternalSecret's Ready condition, and the backend calls the plugins made, by provider and
call (from the collected ``extsecrets_api_calls`` hook). ``make demo`` runs it against a local
AWS emulator over ``examples/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from extsecrets.cluster.objects import SecretObject
from extsecrets.render import Rendered

__all__ = ["report"]


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _value(data: bytes, show: bool) -> str:
    if not show:
        return f"{'*' * 8} ({len(data)} bytes)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(data)} bytes of binary>"
    return text if len(text) <= 60 else text[:57] + "..."


def _secrets(secrets: Iterable[SecretObject], show: bool) -> list[str]:
    lines = []
    for secret in secrets:
        lines.append(f"  {secret.namespace}/{secret.name} ({secret.type}, {len(secret.data)} keys)")
        for key in sorted(secret.data):
            lines.append(f"      {key}: {_value(secret.data[key], show)}")
    return lines or ["  (none)"]


def report(
    rendered: Rendered, calls: Mapping[tuple[str, str, str], int], *, show_values: bool
) -> str:
    lines = [
        "Secrets written" + ("" if show_values else " (values masked; --show-values shows them)")
    ]
    lines += _secrets(rendered.secrets, show_values)
    lines += ["", "ExternalSecrets"]
    rows = [("NAMESPACE", "NAME", "READY", "REASON", "MESSAGE")]
    for namespace, name, status in rendered.statuses:
        ready = status.condition("Ready")
        rows.append(
            (namespace, name, ready.status, ready.reason, ready.message)
            if ready
            else (namespace, name, "-", "-", "-")
        )
    lines += ["  " + line for line in _table(rows)]
    if rendered.failures:
        lines += ["", "Failures"] + [f"  {line}" for line in rendered.failures]
    lines += ["", "Calls to the providers"]
    merged: dict[tuple[str, str], dict[str, int]] = {}
    for (provider, call, outcome), count in calls.items():
        per_outcome = merged.setdefault((provider, call), {})
        per_outcome[outcome] = per_outcome.get(outcome, 0) + count
    call_rows = [("PROVIDER", "CALL", "CALLS", "ERRORS")]
    for (provider, call), by_status in sorted(merged.items()):
        total = sum(by_status.values())
        call_rows.append((provider, call, str(total), str(total - by_status.get("success", 0))))
    lines += ["  " + line for line in _table(call_rows)] if len(call_rows) > 1 else ["  (none)"]
    total = sum(calls.values())
    lines += [
        "",
        f"{len(rendered.secrets)} Secrets from {len(rendered.statuses)} ExternalSecrets; "
        f"{total} provider calls.",
    ]
    return "\n".join(lines)
