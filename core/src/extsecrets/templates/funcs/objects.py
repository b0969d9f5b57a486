"""Go struct and pointer values that template functions return (``time.Time``, sprig's
``certificate``, ``*semver.Version``).

A template reaches their fields (``.Cert``) and methods (``.Format "2006"``, ``.Major``) through
:meth:`GoObject.go_field` and :meth:`GoObject.go_method`; ``str()`` is fmt's ``%v``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

__all__ = ["GoObject"]


class GoObject:
    """A Go value of a named struct (or pointer-to-struct) type."""

    go_type: ClassVar[str] = "struct {}"
    go_kind: ClassVar[str] = "struct"
    # exported field names, in declaration order (fmt prints them in this order)
    go_fields: ClassVar[tuple[str, ...]] = ()
    # method name -> attribute of the Python object implementing it
    go_methods: ClassVar[dict[str, str]] = {}

    def go_field(self, name: str) -> Any:
        """The value of an exported field; KeyError if the type has no such field."""
        if name not in self.go_fields:
            raise KeyError(name)
        return getattr(self, name)

    def go_method(self, name: str) -> Callable[..., Any] | None:
        """The bound method `name` (it carries its ``go_signature``), or None."""
        attr = self.go_methods.get(name)
        if attr is None:
            return None
        method: Callable[..., Any] = getattr(self, attr)
        return method

    def __str__(self) -> str:
        # fmt's %v of a struct: {field1 field2}
        from extsecrets.templates.values import fmt_v

        return "{" + " ".join(fmt_v(getattr(self, f)) for f in self.go_fields) + "}"
