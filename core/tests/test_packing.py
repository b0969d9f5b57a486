"""Packed objects come back equal, and siblings of the first object take a fraction of their
JSON."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from extsecrets.cluster.packing import CompactJSON

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
objects = st.dictionaries(st.text(), json_values, max_size=6)


@given(st.lists(objects, min_size=1, max_size=5))
def test_every_object_comes_back_equal(items):
    packing = CompactJSON()
    packed = [packing.pack(o) for o in items]
    assert [packing.unpack(p) for p in packed] == items


def _external_secret(n: int) -> dict[str, object]:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {
            "name": f"es-{n}",
            "namespace": "team-a",
            "uid": f"4fa3edaf-dc3c-4725-a903-{n:012d}",
            "resourceVersion": str(1000 + n),
            "finalizers": ["externalsecrets.external-secrets.io/externalsecret-cleanup"],
        },
        "spec": {"data": [{"secretKey": "v", "remoteRef": {"key": f"app/secret-{n}"}}]},
        "status": {
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "SecretSynced", "message": "ok"}
            ]
        },
    }


def test_a_sibling_of_the_first_object_packs_to_under_a_quarter_of_its_json():
    packing = CompactJSON()
    packing.pack(_external_secret(0))
    sibling = _external_secret(4711)
    packed = packing.pack(sibling)
    assert len(packed) * 4 < len(json.dumps(sibling, separators=(",", ":")))
    assert packing.unpack(packed) == sibling
