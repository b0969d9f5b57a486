"""`extsecrets run`'s flags are checked before anything starts."""

from __future__ import annotations

from typing import Any


def test_a_negative_liveness_timeout_is_refused_naming_the_flag(extsecrets_cmd: Any) -> None:
    done = extsecrets_cmd("run", "--liveness-timeout", "-1")
    assert done.returncode == 2
    assert "Invalid value for '--liveness-timeout'" in done.stderr
    assert "Traceback" not in done.stderr
