from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

import extsecrets
from extsecrets.model import AdmissionContext, Problem
from extsecrets.plugins import PluginHost
from extsecrets.types import FrozenMap, GeneratorKind, ProviderService, Registration


@attrs.frozen
class FakeProvider:
    """``spec.provider.fake``: a stand-in plugin config with one rule of its own."""

    service: str
    values: FrozenMap = FrozenMap()
    label: str = ""

    def admission_problems(self, context: AdmissionContext) -> Iterator[Problem]:
        if self.label == "bad":
            yield context.problem(("label",), "label must not be bad")


@attrs.frozen
class FakeGeneratorSpec:
    length: int = 8


class FakePlugin:
    @extsecrets.hookimpl
    def extsecrets_register(self) -> Registration:
        return Registration(
            providers=[
                ProviderService("fake", FakeProvider, service="One"),
                ProviderService("fake", FakeProvider, service="Two"),
            ],
            generators=[
                GeneratorKind(
                    "Password", "generators.external-secrets.io/v1alpha1", FakeGeneratorSpec
                )
            ],
        )


@pytest.fixture
def host() -> PluginHost:
    return PluginHost.from_plugins({"fake": FakePlugin()})
