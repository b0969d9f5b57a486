"""The label index answers a label query exactly as a scan of every object would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from extsecrets.cluster.index import LabelIndex

names = st.sampled_from(["a", "b", "c", "d"])
namespaces = st.sampled_from(["ns1", "ns2"])
labels = st.dictionaries(st.sampled_from(["k", "other"]), st.sampled_from(["x", "y"]), max_size=2)
operations = st.lists(st.tuples(namespaces, names, st.none() | labels), max_size=30)


@given(operations, namespaces, st.sampled_from(["x", "y"]))
def test_names_match_a_scan_after_any_sequence_of_changes(ops, namespace, value):
    index = LabelIndex("k")
    truth: dict[tuple[str, str], dict[str, str]] = {}
    for ns, name, have in ops:
        index.record(ns, name, have)
        if have is None:
            truth.pop((ns, name), None)
        else:
            truth[(ns, name)] = have
    expected = sorted(
        name for (ns, name), have in truth.items() if ns == namespace and have.get("k") == value
    )
    assert index.names(namespace, value) == expected


def test_a_relabelled_object_leaves_its_old_value():
    index = LabelIndex("created-by")
    index.record("ns", "s", {"created-by": "one"})
    index.record("ns", "s", {"created-by": "two"})
    assert index.names("ns", "one") == []
    assert index.names("ns", "two") == ["s"]
