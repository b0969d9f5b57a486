"""The template against extsecrets' conformance suite: subclass, say how to seed, done."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extsecrets.testing.conformance import NAMESPACE, ProviderConformance

TOKEN = "open-sesame"


class TestJsonFileConformance(ProviderConformance):
    entry_point = "jsonfile"
    provider = "jsonfile"
    batch_size = 10
    supports_versions = False

    @pytest.fixture(autouse=True)
    def backend(self, tmp_path: Path) -> None:
        self.file = tmp_path / "store.json"
        self.file.write_text(json.dumps({"token": TOKEN, "secrets": {}}))

    def _update(self, **changes: Any) -> None:
        data = json.loads(self.file.read_text())
        data.update(changes)
        self.file.write_text(json.dumps(data))

    def store_config(self) -> dict[str, Any]:
        return {"path": str(self.file), "tokenSecretRef": {"name": "token", "key": "token"}}

    def store_doc(self, config: dict[str, Any] | None = None) -> dict[str, Any]:
        return super().store_doc(config)

    def cluster(self, *docs: dict[str, Any]) -> Any:
        token = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "token", "namespace": NAMESPACE},
            "stringData": {"token": TOKEN},
        }
        return super().cluster(token, *docs)

    def seed(self, key: str, value: str | bytes, version: str | None = None) -> str | None:
        secrets = json.loads(self.file.read_text())["secrets"]
        secrets[key] = value.decode() if isinstance(value, bytes) else value
        self._update(secrets=secrets)
        return None

    def failing_auth_config(self) -> dict[str, Any]:
        return {**self.store_config(), "tokenSecretRef": {"name": "wrong", "key": "token"}}

    @contextlib.contextmanager
    def throttled(self) -> Iterator[None]:
        self._update(throttle=True)
        try:
            yield
        finally:
            self._update(throttle=False)
