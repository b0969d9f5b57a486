"""Sandbox limits of one render: time, output size and template call depth.

A render runs under a :class:`Limits`; the engine checks the deadline at every node and range
iteration, and the output size as it writes. Template functions that can run long or build large
values call :func:`check_deadline` / :func:`check_size`, which use the limits of the render in
progress (or the defaults outside a render).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import attrs

from .errors import LimitError

__all__ = [
    "DEFAULT_LIMITS",
    "Budget",
    "Limits",
    "check_deadline",
    "check_size",
    "current_budget",
]

MIB = 1 << 20


@attrs.frozen
class Limits:
    """Bounds of one render.

    ``timeout``: seconds of wall time for the whole render. 10 s by default: a legitimate ESO
    template can generate an RSA-4096 key (sprig's ``genPrivateKey "rsa"``), which takes up to a
    few seconds on a slow, shared 2-core machine, while a runaway template (a huge ``range``)
    is still stopped. ``max_output``: bytes of rendered output (and of any single value a
    function builds); ``max_depth``: nesting of ``template`` calls (Go allows 100000; Python's
    stack allows far fewer, so a recursive template stops at ours).
    """

    timeout: float = 10.0
    max_output: int = MIB
    max_depth: int = 100


DEFAULT_LIMITS = Limits()


class Budget:
    """The limits of one render in progress, with its deadline."""

    __slots__ = ("deadline", "limits")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.timeout

    def check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            limit = self.limits.timeout
            raise LimitError(f"template rendering exceeded the time limit of {limit}s")

    def check_size(self, size: int) -> None:
        if size > self.limits.max_output:
            raise LimitError(
                f"template output exceeds the size limit of {self.limits.max_output} bytes"
            )


_current: ContextVar[Budget | None] = ContextVar("extsecrets_template_budget", default=None)


def current_budget() -> Budget | None:
    """The budget of the render in progress in this context, if any."""
    return _current.get()


@contextmanager
def running(budget: Budget) -> Iterator[Budget]:
    """Make `budget` the current one while a render runs (the engine's use)."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def check_deadline() -> None:
    """Raise :class:`LimitError` when the current render is past its deadline."""
    budget = _current.get()
    if budget is not None:
        budget.check_deadline()


def check_size(size: int) -> None:
    """Raise :class:`LimitError` when `size` bytes exceed the current render's output limit.

    For a function about to build a value of `size` bytes (e.g. sprig's ``repeat``); outside a
    render the default limit applies.
    """
    budget = _current.get()
    limit = budget.limits.max_output if budget is not None else DEFAULT_LIMITS.max_output
    if size > limit:
        raise LimitError(f"template output exceeds the size limit of {limit} bytes")
