"""Errors of the template engine; their messages are Go's ``text/template`` texts.

A template function reports a Go ``error`` result by raising :class:`FuncError` with the Go error's
text, and a Go panic by raising :class:`FuncPanic`; the engine turns either into Go's
``error calling <name>: <text>`` at the position of the call.

Go's messages can quote template data (``%q`` of a key, a function's error about its input): a
caller that shows them to someone who must not see the data must sanitise them first.
"""

from __future__ import annotations

__all__ = [
    "ExecError",
    "FuncError",
    "FuncPanic",
    "LimitError",
    "ParseError",
    "TemplateError",
]


class TemplateError(Exception):
    """Base of every error of the template engine; ``str(err)`` is Go's full message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ParseError(TemplateError):
    """The template text does not parse: ``template: <name>:<line>: <what>``."""

    def __init__(self, message: str, *, name: str = "", line: int = 0, detail: str = "") -> None:
        super().__init__(message)
        self.name = name
        self.line = line
        self.detail = detail or message


class ExecError(TemplateError):
    """Execution failed: ``template: <name>:<line>:<col>: executing "<name>" at <...>: <what>``.

    ``detail`` is the part after the location (Go's own error); ``location`` the part before.
    """

    def __init__(self, message: str, *, location: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.location = location
        self.detail = detail or message


class LimitError(ExecError):
    """A sandbox limit was reached (time, output size, template call depth).

    Raised by the engine with its location, or by a template function with just the reason (the
    engine adds the location). It is never turned into ``error calling <name>``.
    """


class FuncError(TemplateError):
    """Raised by a template function: the Go function returned this error text."""


class FuncPanic(FuncError):
    """Raised by a template function: the Go function panicked with this value's text."""
