"""Facet buckets: the commonest values first, ties by value, `size` of them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wiresearch.facets import facet_named, spelling_key

# Values that are all spelt apart (lower case, no commas or spaces to tell apart).
counts = st.dictionaries(st.text("abcdefgh0123-", min_size=1, max_size=3), st.integers(0, 6),
                         max_size=60)


@given(counts=counts, size=st.integers(1, 25), name=st.sampled_from(["topic", "country"]))
def test_buckets_are_the_commonest_values_ties_by_value(counts, size, name):
    facet = facet_named(name)
    found = facet.buckets(counts, size)
    everything = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    assert [(bucket.value, bucket.count) for bucket in found] == everything[:size]
    assert [bucket.label for bucket in found] == \
        [facet.label(value) for value, _count in everything[:size]]
    assert found.truncated == (len(counts) > size)


@given(counts=st.dictionaries(st.text("aAbB, ", min_size=1, max_size=4), st.integers(1, 6),
                              max_size=40), size=st.integers(1, 25))
def test_spellings_of_one_source_or_topic_are_one_bucket(counts, size):
    found = facet_named("source").buckets(counts, 1000)
    merged: dict[str, int] = {}
    for value, count in counts.items():
        merged[spelling_key(value)] = merged.get(spelling_key(value), 0) + count
    assert {spelling_key(bucket.value): bucket.count for bucket in found} == merged
    assert len(found) == len(merged)
    for bucket in found:  # shown as its commonest spelling
        assert counts[bucket.value] == max(count for value, count in counts.items()
                                           if spelling_key(value) == spelling_key(bucket.value))
    assert [b.value for b in facet_named("source").buckets(counts, size)] == \
        [b.value for b in found][:size]
