"""Shared data for the template engine tests: Go's exec_test.go fields, as model values."""

from __future__ import annotations

from typing import Any

import pytest

from extsecrets.templates import clear_cache
from extsecrets.templates.values import GoMap, GoSlice


def tval() -> dict[str, Any]:
    """The parts of Go's tVal test struct that are plain data, as a map."""
    return {
        "I": 17,
        "U": {"V": "v"},
        "SI": GoSlice([3, 4, 5], elem="int"),
        "SIEmpty": GoSlice([], elem="int"),
        "SB": GoSlice([True, False], elem="bool"),
        "MSI": GoMap({"one": 1, "two": 2, "three": 3}, elem="int"),
        "MSIone": GoMap({"one": 1}, elem="int"),
        "MSIEmpty": GoMap({}, elem="int"),
        "Empty0": None,
        "Empty3": GoSlice([7, 8], elem="int"),
        "FloatZero": 0.0,
        "ComplexZero": 0j,
        "PSI": GoSlice([21, 22, 23], elem="int"),
    }


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_cache()
