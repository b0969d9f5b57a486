"""PluginHost: registration checks, routing by name, conflicts, collected hooks.

Plugins here are in-memory objects registered through ``PluginHost.from_plugins``, which runs
the same registration path as entry-point loading (tested against real distributions in
tests/test_plugin_loading.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import pytest

import extsecrets
from extsecrets.errors import ConfigError, NotFoundError, PluginError
from extsecrets.plugins import PluginHost
from extsecrets.types import (
    AuthScheme,
    Credentials,
    FetchRef,
    GeneratorKind,
    GeneratorView,
    ProviderService,
    Registration,
    RemoteRef,
    SecretBytes,
    StoreView,
)


@attrs.frozen
class Cfg:
    region: str = ""


class Provider:
    """Serves one provider/service and records what it was asked."""

    def __init__(self, provider: str, service: str | None, auth: str | None = None) -> None:
        self.claim = ProviderService(provider, Cfg, service=service, auth=auth)
        self.calls: list[tuple[str, list[FetchRef]]] = []

    @extsecrets.hookimpl
    def extsecrets_register(self) -> Registration:
        return Registration(providers=[self.claim])

    @extsecrets.hookimpl
    def extsecrets_fetch(self, store: StoreView, refs: Sequence[FetchRef]) -> dict[Any, Any]:
        self.calls.append((store.name, list(refs)))
        return {
            r: SecretBytes(f"{self.claim.label}:{r.key}".encode())
            for r in refs
            if isinstance(r, RemoteRef) and r.key != "missing"
        } | {r: NotFoundError() for r in refs if isinstance(r, RemoteRef) and r.key == "missing"}


class Auth:
    def __init__(self, scheme: str = "aws") -> None:
        self.scheme = scheme
        self.seen: list[tuple[str, str]] = []

    @extsecrets.hookimpl
    def extsecrets_register(self) -> Registration:
        return Registration(auth_schemes=[AuthScheme(self.scheme)])

    @extsecrets.hookimpl
    def extsecrets_authenticate(self, subject: Any, namespace: str) -> Credentials:
        self.seen.append((subject.name, namespace))
        return Credentials(value=("token", subject.name))

    @extsecrets.hookimpl
    def extsecrets_credentials_key(self, subject: Any, namespace: str) -> tuple[str, str]:
        return (subject.name, namespace)


def store(provider: str = "aws", service: str | None = "SecretsManager") -> StoreView:
    return StoreView("SecretStore", "s", "ns", provider, service, Cfg())


def test_fetch_is_routed_to_the_plugin_that_claimed_the_service_only() -> None:
    sm, ssm = Provider("aws", "SecretsManager"), Provider("aws", "ParameterStore")
    host = PluginHost.from_plugins({"sm": sm, "ssm": ssm})
    ref = RemoteRef("db")
    answers = host.fetch(store(service="ParameterStore"), None, [ref])
    assert answers[ref] == SecretBytes(b"aws/ParameterStore:db")
    assert sm.calls == []
    assert ssm.calls == [("s", [ref])]


def test_a_whole_provider_claim_serves_every_service() -> None:
    whole = Provider("vault", None)
    host = PluginHost.from_plugins({"vault": whole})
    ref = RemoteRef("k")
    assert host.fetch(store("vault", "anything"), None, [ref])[ref] == SecretBytes(b"vault:k")


def test_per_reference_errors_and_unanswered_references_come_back_per_reference() -> None:
    class Forgetful(Provider):
        @extsecrets.hookimpl
        def extsecrets_fetch(self, store: StoreView, refs: Sequence[FetchRef]) -> dict[Any, Any]:
            return {}

    host = PluginHost.from_plugins({"sm": Provider("aws", "SecretsManager")})
    missing, ok = RemoteRef("missing"), RemoteRef("ok")
    answers = host.fetch(store(), None, [missing, ok])
    assert isinstance(answers[missing], NotFoundError)
    assert answers[ok] == SecretBytes(b"aws/SecretsManager:ok")

    forgetful = PluginHost.from_plugins({"f": Forgetful("aws", "SecretsManager")})
    answer = forgetful.fetch(store(), None, [ok])[ok]
    assert isinstance(answer, PluginError)
    assert "gave no answer" in str(answer)


def test_unknown_provider_lists_what_is_installed() -> None:
    host = PluginHost.from_plugins({"sm": Provider("aws", "SecretsManager")})
    with pytest.raises(ConfigError) as info:
        host.fetch(store("gcp", None), None, [RemoteRef("k")])
    assert (
        str(info.value)
        == "no installed plugin serves provider gcp; installed: aws/SecretsManager (sm)"
    )


def test_authenticate_is_routed_by_the_scheme_the_provider_names() -> None:
    aws, other = Auth("aws"), Auth("other")
    host = PluginHost.from_plugins(
        {"auth": aws, "auth2": other, "sm": Provider("aws", "SecretsManager", auth="aws")}
    )
    creds = host.authenticate(store(), "team-a", cluster=None)
    assert creds is not None
    assert creds.value == ("token", "s")
    assert aws.seen == [("s", "team-a")]
    assert other.seen == []
    assert host.credentials_key(store(), "team-a", cluster=None) == ("s", "team-a")


def test_a_provider_without_auth_scheme_gets_no_credentials() -> None:
    host = PluginHost.from_plugins({"sm": Provider("aws", "SecretsManager", auth=None)})
    assert host.authenticate(store(), "ns", cluster=None) is None
    assert host.credentials_key(store(), "ns", cluster=None) is None


def test_an_auth_scheme_nobody_serves_is_a_config_error() -> None:
    host = PluginHost.from_plugins({"sm": Provider("aws", "SecretsManager", auth="aws")})
    with pytest.raises(ConfigError, match="no installed plugin serves auth scheme aws"):
        host.authenticate(store(), "ns", cluster=None)


def test_two_plugins_claiming_one_service_both_fail_naming_each_other() -> None:
    host = PluginHost.from_plugins(
        {
            "a": Provider("aws", "SecretsManager"),
            "b": Provider("aws", "SecretsManager"),
            "c": Provider("aws", "ParameterStore"),
        },
        strict=False,
    )
    status = {p.name: (p.status, p.reason) for p in host.plugins}
    assert status["c"] == ("active", None)
    assert status["a"][0] == status["b"][0] == "failed"
    assert "provider aws/SecretsManager is also claimed by (no distribution) (entry point b)" in (
        status["a"][1] or ""
    )
    assert "(entry point a)" in (status["b"][1] or "")
    assert host.provider("aws", "SecretsManager") is None


def test_a_whole_provider_claim_conflicts_with_a_service_claim() -> None:
    host = PluginHost.from_plugins(
        {"a": Provider("aws", None), "b": Provider("aws", "SecretsManager")}, strict=False
    )
    assert [p.status for p in host.plugins] == ["failed", "failed"]


def test_strict_mode_makes_a_conflict_fatal() -> None:
    with pytest.raises(PluginError, match="is also claimed by"):
        PluginHost.from_plugins(
            {"a": Provider("aws", "SecretsManager"), "b": Provider("aws", "SecretsManager")},
            strict=True,
        )


class Typo:
    @extsecrets.hookimpl
    def extsecrets_register(self) -> Registration:
        return Registration()

    @extsecrets.hookimpl
    def extsecrets_fecth(self) -> None:
        return None


class Unmarked:
    @extsecrets.hookimpl
    def extsecrets_register(self) -> Registration:
        return Registration()

    def extsecrets_fetch(self) -> None:
        return None


class ImportsAPlugin:
    """Attributes that merely start with ``extsecrets_`` (an imported package) are fine."""

    extsecrets_aws_auth = object()

    @extsecrets.hookimpl
    def extsecrets_register(self) -> Registration:
        return Registration()


@pytest.mark.parametrize(
    ("plugin", "reason"),
    [
        (object(), "it does not implement extsecrets_register"),
        (Typo(), "unknown hook(s): extsecrets_fecth"),
        (Unmarked(), "extsecrets_fetch not decorated with @extsecrets.hookimpl"),
    ],
)
def test_malformed_plugins_are_refused(plugin: object, reason: str) -> None:
    host = PluginHost.from_plugins({"p": plugin}, strict=False)
    (info,) = host.plugins
    assert info.status == "failed"
    assert info.reason == f"registration failed: PluginError: {reason}"


def test_names_that_only_look_like_hooks_are_ignored() -> None:
    (info,) = PluginHost.from_plugins({"p": ImportsAPlugin()}).plugins
    assert info.status == "active"


def test_a_registration_of_the_wrong_type_is_refused() -> None:
    class Wrong:
        @extsecrets.hookimpl
        def extsecrets_register(self) -> Any:
            return {"providers": []}

    class NotAttrs:
        @extsecrets.hookimpl
        def extsecrets_register(self) -> Registration:
            return Registration(providers=[ProviderService("x", dict)])

    @attrs.define
    class Mutable:
        value: str = ""

    class NotHashable:
        @extsecrets.hookimpl
        def extsecrets_register(self) -> Registration:
            return Registration(providers=[ProviderService("y", Mutable)])

    host = PluginHost.from_plugins(
        {"w": Wrong(), "n": NotAttrs(), "h": NotHashable()}, strict=False
    )
    reasons = {p.name: p.reason or "" for p in host.plugins}
    assert "returned dict, expected Registration" in reasons["w"]
    assert "is not an attrs class" in reasons["n"]
    assert "is not hashable: declare it @attrs.frozen" in reasons["h"]


def test_a_plugin_that_raises_fails_with_its_exception_type_only() -> None:
    class Leaky(Provider):
        @extsecrets.hookimpl
        def extsecrets_fetch(self, store: StoreView, refs: Sequence[FetchRef]) -> dict[Any, Any]:
            raise ValueError("password=hunter2")

    host = PluginHost.from_plugins({"leaky": Leaky("aws", "SecretsManager")})
    with pytest.raises(PluginError) as info:
        host.fetch(store(), None, [RemoteRef("k")])
    assert str(info.value) == "plugin leaky failed in extsecrets_fetch: ValueError"
    assert "hunter2" not in repr(info.value)


def test_a_claimed_hook_that_is_not_implemented_is_a_plugin_error() -> None:
    class RegistersOnly:
        @extsecrets.hookimpl
        def extsecrets_register(self) -> Registration:
            return Registration(generators=[GeneratorKind("Fake", "g/v1", Cfg)])

    host = PluginHost.from_plugins({"r": RegistersOnly()})
    gen = GeneratorView("g/v1", "Fake", "f", "ns", Cfg())
    with pytest.raises(PluginError, match="does not implement extsecrets_generate"):
        host.generate(gen, None, cluster=None)


def test_session_tags_merge_in_name_order_and_builtin_tags_win() -> None:
    class Tagger:
        def __init__(self, tags: dict[str, str]) -> None:
            self.tags = tags

        @extsecrets.hookimpl
        def extsecrets_register(self) -> Registration:
            return Registration()

        @extsecrets.hookimpl
        def extsecrets_session_tags(self, namespace: str) -> dict[str, str]:
            return {**self.tags, "ns": namespace}

    host = PluginHost.from_plugins(
        {
            "b": Tagger({"team": "b", "esoNamespace": "spoofed"}),
            "a": Tagger({"team": "a", "x": "1"}),
            "sm": Provider("aws", "SecretsManager"),
        }
    )
    tags = host.session_tags(store(), "team-a", builtin={"esoNamespace": "team-a"})
    assert tags == {"team": "b", "x": "1", "ns": "team-a", "esoNamespace": "team-a"}
