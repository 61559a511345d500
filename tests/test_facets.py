"""Facet buckets: the commonest values first, ties by value, `size` of them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wiresearch.facets import facet_named

counts = st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 6), max_size=60)


@given(counts=counts, size=st.integers(1, 25), name=st.sampled_from(["topic", "country"]))
def test_buckets_are_the_commonest_values_ties_by_value(counts, size, name):
    facet = facet_named(name)
    found = facet.buckets(counts, size)
    everything = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    assert [(bucket.value, bucket.count) for bucket in found] == everything[:size]
    assert [bucket.label for bucket in found] == \
        [facet.label(value) for value, _count in everything[:size]]
    assert found.truncated == (len(counts) > size)
