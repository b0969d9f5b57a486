"""The label index answers a label query exactly as a scan of every object would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from extsecrets.cluster.index import LabelIndex

names = st.sampled_from(["a", "b", "c", "d"])
namespaces = st.sampled_from(["ns1", "ns2"])
labels = st.dictionaries(st.sampled_from(["k1", "k2"]), st.sampled_from(["x", "y"]), max_size=2)
operations = st.lists(st.tuples(namespaces, names, st.none() | labels), max_size=30)


@given(operations, namespaces, labels)
def test_names_match_a_scan_after_any_sequence_of_changes(ops, namespace, query):
    index = LabelIndex()
    truth: dict[tuple[str, str], dict[str, str]] = {}
    for ns, name, have in ops:
        index.record(ns, name, have)
        if have is None:
            truth.pop((ns, name), None)
        else:
            truth[(ns, name)] = have
    expected = sorted(
        name
        for (ns, name), have in truth.items()
        if ns == namespace and all(have.get(k) == v for k, v in query.items())
    )
    assert index.names(namespace, query) == expected


def test_a_relabelled_object_leaves_its_old_label():
    index = LabelIndex()
    index.record("ns", "s", {"created-by": "one"})
    index.record("ns", "s", {"created-by": "two"})
    assert index.names("ns", {"created-by": "one"}) == []
    assert index.names("ns", {"created-by": "two"}) == ["s"]
