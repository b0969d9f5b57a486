"""Generator objects (``generators.external-secrets.io``): the envelope is the core's, ``spec``
is structured by the config type of the plugin serving the kind."""

from __future__ import annotations

from typing import Any

import attrs

from extsecrets.model.meta import ObjectMeta

__all__ = ["GENERATORS_GROUP", "Generator"]

GENERATORS_GROUP = "generators.external-secrets.io"


@attrs.frozen
class Generator:
    api_version: str
    kind: str
    metadata: ObjectMeta
    spec: Any = attrs.field(default=None)
    status: Any = attrs.field(default=None, eq=False, repr=False)
