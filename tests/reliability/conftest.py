"""The reliability suite (docs/reliability.md): faults, bad input and leaks, each scenario run
against the AWS emulator and the real kube-apiserver with `extsecrets run` as a real process.

Every test here is marked ``reliability``. ``make test`` runs the short variants;
``make reliability`` runs the long ones (``EXTSECRETS_RELIABILITY=long``): more objects, longer
faults, more fuzzed cases. The figures a scenario measures (calls during an outage, time to
recover, conflicts retried, cases fuzzed, leaks found) are recorded with the ``figures`` fixture,
printed at the end of the run and, with ``EXTSECRETS_RELIABILITY_REPORT=FILE``, written to FILE
as JSON: docs/reliability.md quotes them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

LONG = os.environ.get("EXTSECRETS_RELIABILITY", "") == "long"

#: scenario -> figure -> value, in the order recorded
_FIGURES: dict[str, dict[str, Any]] = {}


def scale(short: int, long: int) -> int:
    """``short`` in ``make test``, ``long`` in ``make reliability``."""
    return long if LONG else short


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


Record = Callable[[str, Any], None]


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Record:
    """``figures(name, value)`` records a measured figure of this test's scenario (the test's
    name without its ``test_`` prefix, and its parameters)."""
    scenario = request.node.name.removeprefix("test_")

    def record(name: str, value: Any) -> None:
        _FIGURES.setdefault(scenario, {})[name] = value

    return record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES:
        return
    variant = "long" if LONG else "short"
    terminalreporter.section(f"reliability figures ({variant} variants)")
    for scenario, values in _FIGURES.items():
        terminalreporter.write_line(scenario)
        for name, value in values.items():
            terminalreporter.write_line(f"    {name}: {value}")
    report = os.environ.get("EXTSECRETS_RELIABILITY_REPORT")
    if report:
        Path(report).write_text(
            json.dumps({"variant": variant, "figures": _FIGURES}, indent=2) + "\n",
            encoding="utf-8",
        )
