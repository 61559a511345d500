from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiresearch.catalog import Catalog

WORDS = st.sampled_from(["cocoa", "coffee", "copper", "crude", "dollar", "zinc"])
FILE_VOCABULARY = st.dictionaries(WORDS, st.integers(1, 1000), max_size=6)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(FILE_VOCABULARY, max_size=4), max_size=4),
       st.lists(FILE_VOCABULARY, max_size=3))
def test_vocabulary_sums_committed_files_and_forgets_a_rolled_back_batch(
        tmp_path_factory, batches, abandoned):
    catalog = Catalog(tmp_path_factory.mktemp("catalog"))
    expected: Counter[str] = Counter()
    for batch in batches:
        catalog.begin()
        for counts in batch:
            catalog.add_vocabulary(counts)
            expected.update(counts)
        catalog.commit()
    catalog.begin()
    for counts in abandoned:
        catalog.add_vocabulary(counts)
    catalog.rollback()
    assert catalog.vocabulary() == dict(expected)
    catalog.close()


def test_articles_held_back_are_seen_by_lookups_and_deletes(tmp_path):
    catalog = Catalog(tmp_path)
    catalog.begin()
    # More ids than one lookup query takes.
    ids = [f"rtr:{number}" for number in range(2000)]
    for number, article_id in enumerate(ids):
        catalog.put_doc(article_id, f"/a/{number % 3}.sgm", "sum", number, article_id)
    found = catalog.docs([*ids, "rtr:unknown"])
    assert sorted(found) == sorted(ids)
    assert found["rtr:1999"].path == "/a/1.sgm" and found["rtr:1999"].signature == 1999
    assert catalog.owner("rtr:5") == "/a/2.sgm"
    catalog.put_doc("rtr:late", "/a/0.sgm", "sum", 7, "rtr:late")
    catalog.delete_docs(["rtr:late"])
    catalog.commit()
    assert catalog.owner("rtr:late") is None
    assert catalog.doc_count() == len(ids)
    catalog.close()


def test_signatures_above_the_signed_range_come_back_whole(tmp_path):
    catalog = Catalog(tmp_path)
    catalog.begin()
    catalog.put_doc("rtr:1", "/a.sgm", "sum", 2**64 - 1, "rtr:1")
    catalog.commit()
    assert catalog.docs(["rtr:1"])["rtr:1"].signature == 2**64 - 1
    catalog.close()
