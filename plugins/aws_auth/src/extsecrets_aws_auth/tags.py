"""Session tags of the final AssumeRole (spec §0.1, the seed page's ``sessionTagsPolicy``).

Precedence on a key clash, lowest first: tags contributed by other plugins, the manual
``sessionTags`` list, ``customSessionTags`` (policy ``Custom``), then the built-ins
``esoNamespace``, ``esoStoreName``, ``esoStoreKind`` (policies ``Simple`` and ``Custom``),
which nothing overrides. Policy ``None`` sends the manual list only.
"""

from __future__ import annotations

from collections.abc import Mapping

from extsecrets_aws_auth.config import AWSProvider

__all__ = ["builtin_tags", "effective_tags"]


def builtin_tags(namespace: str, store_name: str, store_kind: str) -> dict[str, str]:
    return {"esoNamespace": namespace, "esoStoreName": store_name, "esoStoreKind": store_kind}


def effective_tags(
    config: AWSProvider,
    namespace: str,
    store_name: str,
    store_kind: str,
    contributed: Mapping[str, str] | None = None,
) -> tuple[tuple[str, str], ...]:
    """The tags to send, as ``(key, value)`` pairs in a stable order."""
    automatic = config.session_tags_policy in ("Simple", "Custom")
    tags: dict[str, str] = {}
    if automatic:
        tags.update(contributed or {})
    tags.update({t.key: t.value for t in config.session_tags})
    if config.session_tags_policy == "Custom":
        tags.update({k: v for k, v in config.custom_session_tags.items() if k and v})
    if automatic:
        tags.update(builtin_tags(namespace, store_name, store_kind))
    return tuple(tags.items())
