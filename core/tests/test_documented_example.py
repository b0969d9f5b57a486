"""The minimal plugin printed in the hook specs' docstring really works."""

from __future__ import annotations

import textwrap
import types

import extsecrets
from extsecrets import hookspecs
from extsecrets.plugins import PluginHost
from extsecrets.types import RemoteRef, SecretBytes, StoreView


def documented_plugin() -> types.ModuleType:
    doc = hookspecs.__doc__ or ""
    block = doc.split("A complete minimal plugin", 1)[1].split("::\n", 1)[1]
    lines = []
    for line in block.splitlines():
        if line.strip() and not line.startswith("    "):
            break
        lines.append(line)
    module = types.ModuleType("documented_plugin")
    exec(textwrap.dedent("\n".join(lines)), module.__dict__)
    return module


def test_the_documented_plugin_registers_and_fetches() -> None:
    module = documented_plugin()
    host = PluginHost.from_plugins({"inline": module})
    (info,) = host.plugins
    assert info.status == "active"
    config = module.InlineProvider(values=extsecrets.FrozenMap({"db": "s3cret"}))
    store = StoreView("SecretStore", "s", "ns", "inline", None, config)
    found, missing = RemoteRef("db"), RemoteRef("nope")
    answers = host.fetch(store, None, [found, missing])
    assert answers[found] == SecretBytes(b"s3cret")
    assert isinstance(answers[missing], extsecrets.NotFoundError)
