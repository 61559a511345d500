"""Ranking choices beyond BM25 (wiresearch/ranking.py), on every engine."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import write_articles
from wiresearch import Archive, nodes, ranking
from wiresearch.querylang import parse

FILLER = "grain shipments from the northern ports were slower than expected this week"



@pytest.fixture
def proximity_archive(tmp_path, engine_name):
    """Two stories with the same words: in one `interest` and `rates` stand apart (and
    `rates` comes twice, so plain BM25 puts it first), in the other they are neighbours.
    The far one is indexed first, so that it also wins any tie."""
    folder = write_articles(tmp_path / "wire", [
        ("far", "Market report", f"Interest was high. {FILLER}. Rates fell, rates rose."),
        ("near", "Market report", f"Interest rates were high. {FILLER}. Nothing rose."),
        ("other1", "Coffee harvest", f"Coffee {FILLER}."),
        ("other2", "Cocoa harvest", f"Cocoa {FILLER} again."),
        ("other3", "Rates only", f"Rates {FILLER}."),
    ])
    archive = Archive(tmp_path / "index")
    archive.index([folder], engine=engine_name)
    yield archive
    archive.close()


@pytest.mark.parametrize("query", ["interest rates", "interest OR rates"])
def test_neighbouring_words_rank_above_scattered_ones(proximity_archive, query):
    ids = [hit.id for hit in proximity_archive.search(query).hits]
    assert ids.index("json:near") < ids.index("json:far")


def test_the_bonus_changes_no_count(proximity_archive):
    assert proximity_archive.search("interest rates").total == 2
    assert proximity_archive.search("interest OR rates").total == 3
    faceted = proximity_archive.search("interest rates", facets=["year"])
    assert faceted.facets["year"][0].count == 2
    exported = [row["id"] for row in proximity_archive.export("interest OR rates",
                                                               fields=["id"])]
    assert set(exported) == {"json:far", "json:near", "json:other3"}
    assert exported.index("json:near") < exported.index("json:far")


def test_bonus_pairs_only_neighbouring_plain_words():
    plain = parse("interest rates cut").node
    boosted = ranking.with_proximity(plain)
    phrases = [node for node in nodes.walk(boosted) if isinstance(node, nodes.Phrase)]
    assert {node.terms for node in phrases} == {("interest", "rate"), ("rate", "cut")}
    assert {node.field for node in phrases} == set(ranking.PROXIMITY_FIELDS)
    # Fields, phrases, negations and single words are left as they are.
    for text in ("interest", '"interest rates"', "headline:interest rates",
                 "interest -rates", "interest*"):
        node = parse(text).node
        assert not any(isinstance(n, nodes.Phrase) and n.slop == ranking.PROXIMITY_SLOP
                       for n in nodes.walk(ranking.with_proximity(node))), text


def test_words_of_every_story_weigh_next_to_nothing(tmp_path, engine_name):
    """'officials' and 'said' are in every story, 'palladium' in one: the story that has
    the rare word once ranks above the one that repeats the common words in headline and
    body (with an idf of at least 1 for every word, as Whoosh's own, it did not)."""
    stories = [(f"s{n}", f"Officials said {n}", f"Officials said {FILLER}.")
               for n in range(18)]
    stories.append(("common", "Officials said, officials said",
                    "Officials said it. " * 6 + FILLER))
    stories.append(("rare", "Officials said", f"Officials said {FILLER}. Palladium."))
    folder = write_articles(tmp_path / "wire", stories)
    with Archive(tmp_path / "index") as archive:
        archive.index([folder], engine=engine_name)
        results = archive.search("officials OR said OR palladium")
    assert results.total == 20
    assert results.hits[0].id == "json:rare"


def test_engines_scoring_fields_apart_get_their_own_weights():
    node = ranking.for_per_field_scoring(ranking.with_proximity(parse("interest rates").node))
    found = {(n.field, type(n).__name__): n.boost for n in nodes.walk(node)
             if isinstance(n, (nodes.Term, nodes.Phrase))}
    for name, weight in ranking.PER_FIELD_WEIGHTS.items():
        assert found[(name, "Term")] == pytest.approx(weight)
    for name in ranking.PROXIMITY_FIELDS:
        assert found[(name, "Phrase")] == pytest.approx(
            ranking.PER_FIELD_WEIGHTS[name] * ranking.PER_FIELD_PROXIMITY_WEIGHT)
    excluded = ranking.for_per_field_scoring(parse("interest -rates").node)
    assert excluded.children[1] == parse("interest -rates").node.children[1]


def test_a_word_weighed_by_similar_stories_keeps_the_field_weights():
    weights = ranking.FIELD_WEIGHTS
    node = nodes.Or(tuple(nodes.Term(name, "cocoa", weights[name] * 0.3)
                          for name in ("headline", "body")))
    text, fields, factor = ranking.word_in_fields(node)
    assert (text, fields) == ("cocoa", {"headline": weights["headline"],
                                        "body": weights["body"]})
    assert factor == pytest.approx(0.3)
    rescaled = ranking.for_per_field_scoring(node)
    assert [child.boost for child in rescaled.children] == pytest.approx(
        [ranking.PER_FIELD_WEIGHTS[name] * 0.3 for name in ("headline", "body")])
    # Boosts of no known pattern are the field weights themselves.
    odd = nodes.Or((nodes.Term("headline", "cocoa", 1.0), nodes.Term("body", "cocoa", 1.0)))
    assert ranking.word_in_fields(odd) == ("cocoa", {"headline": 1.0, "body": 1.0}, 1.0)
    assert ranking.word_in_fields(nodes.Or((nodes.Term("headline", "cocoa"),
                                            nodes.Term("body", "coffe")))) is None


def test_expansion_words_in_a_bonus_keep_the_weights_of_words():
    """A bonus holds proximity phrases, with their own weight, and the words query
    expansion adds, which an engine scoring fields apart weighs as the query's words."""
    word = nodes.Or(tuple(nodes.Term(name, "cocoa", ranking.FIELD_WEIGHTS[name] * 0.3)
                          for name in ("headline", "body")))
    proximity = ranking.with_proximity(parse("interest rates").node)
    rescaled = ranking.for_per_field_scoring(nodes.Bonus(proximity.base,
                                                         proximity.extras + (word,)))
    assert rescaled.extras[-1] == ranking.for_per_field_scoring(word)
    assert rescaled.extras[:-1] == ranking.for_per_field_scoring(proximity).extras


fields = st.sampled_from([*nodes.TEXT_FIELDS, "topic"])
boosts = st.sampled_from([1.0, 0.3, 2.5])
leaves = st.one_of(
    st.builds(nodes.Term, fields, st.text(max_size=3), boosts),
    st.builds(nodes.Phrase, fields, st.lists(st.text(max_size=3), min_size=2,
                                             max_size=3).map(tuple), st.integers(0, 5), boosts),
    st.builds(nodes.Prefix, fields, st.text(max_size=3), boosts),
    st.builds(nodes.Fuzzy, fields, st.text(max_size=3), st.integers(0, 2), boosts))
trees = st.recursive(leaves, lambda children: st.one_of(
    st.builds(nodes.And, st.lists(children, min_size=1, max_size=3).map(tuple)),
    st.builds(nodes.Or, st.lists(children, min_size=1, max_size=3).map(tuple)),
    st.builds(nodes.Not, children)), max_leaves=8)


def reference_rescaled(node, factor=1.0):
    """for_per_field_scoring spelled with dataclasses.replace, field by field."""
    if isinstance(node, (nodes.Term, nodes.Phrase, nodes.Prefix, nodes.Fuzzy)):
        if node.field not in ranking.FIELD_WEIGHTS:
            return node
        return dataclasses.replace(node, boost=node.boost * factor * ranking.PER_FIELD_WEIGHTS[
            node.field] / ranking.FIELD_WEIGHTS[node.field])
    if isinstance(node, (nodes.And, nodes.Or)):
        return dataclasses.replace(node, children=tuple(reference_rescaled(child, factor)
                                                        for child in node.children))
    if isinstance(node, nodes.Bonus):
        phrase = factor * ranking.PER_FIELD_PROXIMITY_WEIGHT / ranking.PROXIMITY_WEIGHT
        return nodes.Bonus(reference_rescaled(node.base, factor),
                           tuple(reference_rescaled(e, phrase if isinstance(e, nodes.Phrase)
                                                    else factor) for e in node.extras))
    return node


@given(base=trees, extras=st.lists(leaves, max_size=3))
def test_rescaling_changes_boosts_only(base, extras):
    for node in (base, nodes.Bonus(base, tuple(extras))):
        assert ranking.for_per_field_scoring(node) == reference_rescaled(node)
