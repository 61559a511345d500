"""The tantivy engine answers like the Whoosh engine: both index the same real articles
and are asked the same node trees; totals, matches, facets, date order and stored
articles must agree, before and after deletes and replacements."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("tantivy")

from wiresearch import analysis, formats, nodes, ranking  # noqa: E402
from wiresearch.dates import epoch_seconds  # noqa: E402
from wiresearch.engine import engine_class, tantivy_engine  # noqa: E402
from wiresearch.engine.tantivy_analysis import (  # noqa: E402
    FOLDED_ANALYZER,
    LEGACY_ANALYZER,
    WORDS_ANALYZER,
    folded_analyzer,
    index_term,
    indexed_text,
    words_analyzer,
)
from wiresearch.errors import IndexNotFoundError  # noqa: E402
from wiresearch.model import Article, RawRecord  # noqa: E402
from wiresearch.normalize import normalize  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
REUTERS = CORPORA / "reuters21578" / "reut2-000.sgm"
# The sample archive's BBC and CountryWire stories carry no date.
UNDATED = [REPO / "data" / "bbc", REPO / "data" / "countrywire"]
FACETS = ("country", "region", "topic", "source", "year", "month")


def read_articles(paths: list[Path]) -> list[Article]:
    articles = []
    for path in formats.walk(paths):
        source = formats.SourceFile(str(path), path.read_bytes())
        for item in formats.read_source(source):
            if isinstance(item, RawRecord):
                articles.append(normalize(item).article)
    return articles


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    if not REUTERS.is_file():
        pytest.skip(f"the Reuters-21578 corpus is not at {REUTERS}")
    reuters = read_articles([REUTERS])
    # Wire copies: the same story under another id and, mostly, the same time, so date
    # order has ties to break; every third carries only its day.
    copies = [dataclasses.replace(article, id=f"{article.id}-copy",
                                  date=article.date.date() if number % 3 == 0
                                  else article.date)
              for number, article in enumerate(reuters[::25])]
    return reuters + read_articles(UNDATED) + copies


def build(name: str, directory: Path, articles: list[Article]):
    engine_type = engine_class(name)
    engine = engine_type.create(directory)
    writer = engine.writer(fresh=True)
    for number, article in enumerate(articles):
        # Half analysed ahead, as reader processes do, half by the writer.
        prepared = engine_type.prepare(article) if number % 2 else None
        writer.add(article, cluster=article.id, prepared=prepared)
    writer.commit()
    return engine


@pytest.fixture(scope="module")
def pair(articles, tmp_path_factory):
    """(Whoosh searcher, tantivy searcher) over the same articles."""
    root = tmp_path_factory.mktemp("engines")
    engines = [build(name, root / name, articles) for name in ("whoosh", "tantivy")]
    searchers = [engine.searcher() for engine in engines]
    yield searchers
    for searcher in searchers:
        searcher.close()
    for engine in engines:
        engine.close()


def term(word: str) -> str:
    return analysis.term(word)


def text_fields(make) -> nodes.Node:
    return nodes.Or(tuple(make(name) for name in nodes.TEXT_FIELDS))


MARCH_1 = epoch_seconds(dt.date(1987, 3, 1))
MARCH_2 = epoch_seconds(dt.date(1987, 3, 2))
DATED = nodes.DateRange(None, None)

TREES = {
    "everything": nodes.MatchAll(),
    "nothing": nodes.MatchNone(),
    "body word": nodes.Term("body", term("oil")),
    "headline word": nodes.Term("headline", term("cocoa")),
    "dateline word": nodes.Term("dateline", term("london")),
    "word in any text field": text_fields(lambda name: nodes.Term(name, term("tokyo"))),
    "boosted fields": nodes.Or((nodes.Term("headline", term("bank"), 2.5),
                                nodes.Term("body", term("bank"), 1.0))),
    "two words": nodes.And((nodes.Term("body", term("oil")),
                            nodes.Term("body", term("prices")))),
    "word and not topic": nodes.And((nodes.Term("body", term("oil")),
                                     nodes.Not(nodes.Term("topic", "crude")))),
    "only exclusions": nodes.And((nodes.Not(nodes.Term("country", "US")),
                                  nodes.Not(nodes.Term("topic", "earn")))),
    "not at the top": nodes.Not(nodes.Term("topic", "earn")),
    "exact phrase": nodes.Phrase("body", (term("crude"), term("oil"))),
    "four-word phrase": nodes.Phrase("body", tuple(analysis.terms("New York Stock Exchange"))),
    "phrase in any text field": text_fields(
        lambda name: nodes.Phrase(name, tuple(analysis.terms("first quarter")))),
    "phrase, slop 1": nodes.Phrase("body", (term("oil"), term("prices")), 1),
    "phrase, slop 2": nodes.Phrase("body", (term("oil"), term("prices")), 2),
    "phrase, slop 3": nodes.Phrase("body", (term("company"), term("said")), 3),
    "phrase, slop 4": nodes.Phrase("body", (term("mln"), term("dlrs")), 4),
    "three words, slop 2": nodes.Phrase("body", tuple(analysis.terms("net profit mln")), 2),
    "three words, slop 3": nodes.Phrase("body", tuple(analysis.terms("shr cts net")), 3),
    "reversed words, slop 3": nodes.Phrase("body", (term("prices"), term("oil")), 3),
    "repeated word, slop 2": nodes.Phrase("body", (term("mln"), term("mln")), 2),
    "repeated word, slop 3": nodes.Phrase("body", (term("mln"), term("mln")), 3),
    "phrase, proximity slop": nodes.Phrase("body", (term("oil"), term("prices")),
                                           ranking.PROXIMITY_SLOP),
    "prefix": nodes.Prefix("body", "export"),
    "prefix in headlines": text_fields(lambda name: nodes.Prefix(name, "bank")),
    "keyword prefix": nodes.Prefix("topic", "money"),
    "fuzzy, distance 1": nodes.Fuzzy("body", term("wheat"), 1),
    "fuzzy, distance 2": nodes.Fuzzy("body", "cofee", 2),
    "fuzzy, distance 0": nodes.Fuzzy("body", term("sugar"), 0),
    "date range": nodes.DateRange(MARCH_1, MARCH_2),
    "from a day": nodes.DateRange(MARCH_2, None),
    "before a day": nodes.DateRange(None, MARCH_1),
    "dated": DATED,
    "undated": nodes.And((nodes.Not(DATED),)),
    "undated with a word": nodes.And((nodes.Term("body", term("market")), nodes.Not(DATED))),
    "country": nodes.Term("country", "US"),
    "countries": nodes.Or((nodes.Term("country", "GB"), nodes.Term("country", "JP"))),
    "region": nodes.Term("region", "Europe"),
    "topic": nodes.Term("topic", "grain"),
    "source": nodes.Term("source", "BBC"),
    "year": nodes.Term("year", "1987"),
    "month": nodes.Term("month", "1987-02"),
    "day": nodes.Term("day", "1987-03-02"),
    "filters and words": nodes.And((
        text_fields(lambda name: nodes.Term(name, term("oil"))), nodes.DateRange(MARCH_1, None),
        nodes.Not(nodes.Term("country", "US")))),
}
EMPTY = {"nothing"}


def meaning(whoosh, node: nodes.Node, everything: set[str]) -> set[str]:
    """The ids a tree stands for: leaves as Whoosh finds them, combined as sets."""
    if isinstance(node, nodes.Or):
        return set().union(*(meaning(whoosh, child, everything) for child in node.children))
    if isinstance(node, nodes.And):
        result = set(everything)
        for child in node.children:
            if isinstance(child, nodes.Not):
                result -= meaning(whoosh, child.child, everything)
            else:
                result &= meaning(whoosh, child, everything)
        return result
    if isinstance(node, nodes.Not):
        return everything - meaning(whoosh, node.child, everything)
    return set(whoosh.ids(node))


@pytest.mark.parametrize("name", TREES)
def test_same_matches(pair, name):
    whoosh, tantivy = pair
    query = TREES[name]
    expected = meaning(whoosh, query, set(whoosh.ids(nodes.MatchAll())))
    assert (len(expected) > 0) == (name not in EMPTY)
    assert set(tantivy.ids(query)) == expected
    assert tantivy.count(query) == len(expected)
    for sort in ("relevance", "newest", "oldest"):
        assert tantivy.search(query, sort, 0, 5)[0] == len(expected)
    assert whoosh.count(query) == len(expected)


@pytest.mark.parametrize("name", TREES)
def test_same_facet_counts(pair, name):
    whoosh, tantivy = pair
    for field in FACETS:
        assert tantivy.facet_counts(TREES[name], field) == whoosh.facet_counts(
            TREES[name], field), field


@pytest.mark.parametrize("limit", [7, 40])
def test_facets_past_the_bucket_limit_are_counted_by_slices(pair, monkeypatch, limit):
    """tantivy caps the buckets of one aggregation request: facets share a request only
    while their values fit, and a field with more values is counted slice by slice."""
    whoosh, tantivy = pair
    monkeypatch.setattr(tantivy_engine, "MAX_BUCKETS", limit)
    assert len(tantivy.values("topic")) > limit >= len(tantivy.values("source"))
    oil = nodes.Term("body", term("oil"))
    facets = [(field, node) for node in (nodes.MatchAll(), oil) for field in FACETS]
    _total, _hits, found = tantivy.search_faceted(oil, "relevance", 0, 3, facets)
    assert found == [whoosh.facet_counts(node, field) for field, node in facets]


def test_facets_with_more_values_than_tantivy_counts_at_once(tmp_path):
    """Real limits: topics and regions that each fit in one aggregation but not together,
    and countries past the limit on their own."""
    limit = tantivy_engine.MAX_BUCKETS
    per_article = {"topics": 40, "regions": 30, "countries": 66}
    articles = [Article(id=f"a{n}", source="Wire", headline=f"Story {n}", body="grain",
                        **{name: tuple(f"{name}-{n}-{i}" for i in range(count))
                           for name, count in per_article.items()})
                for n in range(1000)]
    assert per_article["topics"] * 1000 <= limit < (per_article["topics"]
                                                    + per_article["regions"]) * 1000
    assert per_article["countries"] * 1000 > limit
    engine = build("tantivy", tmp_path, articles)
    with engine.searcher() as searcher:
        facets = [(field, nodes.MatchAll()) for field in ("topic", "region", "country")]
        _total, _hits, found = searcher.search_faceted(
            nodes.Term("body", term("grain")), "relevance", 0, 1, facets)
    engine.close()
    expected = [{value: 1 for article in articles for value in getattr(article, name)}
                for name in per_article]
    assert found == expected


@pytest.mark.parametrize("name", TREES)
@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_same_date_order(pair, name, sort):
    whoosh, tantivy = pair
    query = TREES[name]
    _total, expected = whoosh.search(query, sort, 0, 10)
    _total, hits = tantivy.search(query, sort, 0, 10)
    assert [hit.article.id for hit in hits] == [hit.article.id for hit in expected]
    assert all(hit.score is None for hit in hits)
    _total, deep = tantivy.search(query, sort, 7, 30)
    assert [hit.article.id for hit in deep] == [
        hit.article.id for hit in whoosh.search(query, sort, 7, 30)[1]]


@pytest.mark.parametrize("name", ["everything", "undated", "body word", "country"])
@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_same_full_date_order(pair, name, sort):
    """Ties (wire copies, undated stories) come in insertion order in both."""
    whoosh, tantivy = pair
    query = TREES[name]
    assert [hit.article.id for hit in tantivy.iter_hits(query, sort)] == [
        hit.article.id for hit in whoosh.iter_hits(query, sort)]


@pytest.mark.parametrize("name", ["body word", "word in any text field", "two words",
                                  "phrase, slop 2", "fuzzy, distance 2", "filters and words"])
def test_relevance_order_is_by_score(pair, name):
    whoosh, tantivy = pair
    query = TREES[name]
    total, hits = tantivy.search(query, "relevance", 0, 20)
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert total == whoosh.count(query)
    streamed = [hit.article.id for hit in tantivy.iter_hits(query)]
    assert len(streamed) == len(set(streamed)) == total
    assert streamed[:20] == [hit.article.id for hit in hits]


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_a_bonus_adds_the_score_of_each_extra_that_matches(pair, count):
    """Whatever shape the bonus takes in tantivy (one union of the extras, or a level
    each past two), it matches what its base matches, and each hit scores its base
    plus every extra that matches it. The extras here are keyword terms, whose weights
    ranking leaves as they are."""
    _whoosh, tantivy = pair
    base = nodes.Term("body", term("oil"))
    extras = tuple(nodes.Term(field, value) for field, value in
                   [("topic", "crude"), ("country", "US"), ("topic", "ship"),
                    ("country", "GB"), ("region", "Europe")][:count])

    def scores(node):
        total, hits = tantivy.search(node, "relevance", 0, 10_000)
        return total, {hit.article.id: hit.score for hit in hits}

    base_total, base_scores = scores(base)
    total, bonus_scores = scores(nodes.Bonus(base, extras))
    assert total == base_total and bonus_scores.keys() == base_scores.keys()
    extra_scores = [scores(nodes.And((base, extra)))[1] for extra in extras]
    most = 0
    for article_id, score in bonus_scores.items():
        added = [found[article_id] - base_scores[article_id] for found in extra_scores
                 if article_id in found]
        assert score == pytest.approx(base_scores[article_id] + sum(added), rel=1e-5)
        most = max(most, len(added))
    assert most == min(count, 2) or most > 2


def test_same_stored_articles(pair, articles):
    whoosh, tantivy = pair
    for article in articles:
        stored = tantivy.get(article.id)
        assert stored == whoosh.get(article.id)
        # Everything but the duplicate signature, which neither engine stores.
        assert stored.article == dataclasses.replace(article, signature=0)
        assert stored.cluster == article.id and stored.score is None
    assert tantivy.get("reuters21578:no-such-story") is None


def test_dates_come_back_as_given(pair, articles):
    _whoosh, tantivy = pair
    kinds = {type(tantivy.get(article.id).article.date) for article in articles}
    assert kinds == {dt.datetime, dt.date, type(None)}
    stamped = next(a for a in articles if isinstance(a.date, dt.datetime))
    assert tantivy.get(stamped.id).article.date.tzinfo == dt.timezone.utc


def test_same_statistics(pair):
    whoosh, tantivy = pair
    assert tantivy.doc_count() == whoosh.doc_count()
    for field in nodes.KEYWORD_FIELDS:
        assert tantivy.values(field) == whoosh.values(field), field
    words = [term(word) for word in ("oil", "the", "cocoa", "exports", "zzzz", "said")]
    for field in nodes.TEXT_FIELDS:
        assert tantivy.term_statistics(field, words) == whoosh.term_statistics(field, words)
        assert tantivy.doc_frequency(field, term("oil")) == whoosh.doc_frequency(
            field, term("oil"))


ACCENTED = ("Zürich São Paulo Kraków Łódź Øresund Ærø Reykjavík Þórshöfn straße "
            "Dvořák Curaçao naïve ﬁnancial Ｔｏｋｙｏ H₂O m² ½ ﷺ ﷻ ŉ ทำ 𝐂ℌ İstanbul Αθήνα ΟΔΟΣ "
            "Москва Київ ёлка 서울 ŋə " + "x" * 45 + " end " + "é" * 25 + " ﷺ" * 13)


def tantivy_terms(text: str, analyzer=words_analyzer) -> list[tuple[int, str]]:
    return [(token.position, token.text)
            for token in analyzer().pre_tokenize(indexed_text(text)).tokens]


def python_terms(text: str) -> list[tuple[int, str]]:
    # A word that folds to nothing gives an empty term, which no query can ask for:
    # tantivy keeps its position only.
    return [(position, index_term(analysis.stem(word)))
            for position, _start, _end, word in analysis.tokens(text) if word]


def test_analysis_matches_python(articles):
    """tantivy indexes analysis.py's terms at analysis.py's positions."""
    texts = [ACCENTED, "x" * 39 + " " + "y" * 40 + " ok", "x \uff9e y"] + [
        text for article in articles
        for text in (article.headline, article.body, article.dateline)]
    for text in texts:
        expected = python_terms(text)
        assert tantivy_terms(text) == expected
        # Indexes of the earlier folded layout find the same words with their pattern.
        assert tantivy_terms(text, folded_analyzer) == expected
        # The bulk path the Whoosh engine indexes with gives the same.
        assert [(position, index_term(found)) for position, found in
                enumerate(analysis.positioned_terms(text)) if found] == expected


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60),
    # ASCII text takes its own path; words around the 40-byte limit are dropped.
    st.lists(st.one_of(st.text("ab_9", min_size=1, max_size=45), st.sampled_from(
        [" ", ". ", "\t", "\n", "-", "U.S.", "'s "])), max_size=12).map("".join)))
def test_analysis_matches_python_on_any_text(text):
    expected = python_terms(text)
    assert tantivy_terms(text) == expected
    assert tantivy_terms(text, folded_analyzer) == expected


@pytest.fixture
def small_pair(articles, tmp_path):
    chosen = articles[:150] + [a for a in articles if a.date is None]
    engines = [build(name, tmp_path / name, chosen) for name in ("whoosh", "tantivy")]
    yield engines
    for engine in engines:
        engine.close()


def test_deletes_and_replacements_agree(small_pair, articles):
    changed = dataclasses.replace(articles[3], headline="QUARTZ WATCHMAKERS MERGE",
                                  topics=("acq",), date=dt.date(1987, 4, 1))
    added = dataclasses.replace(articles[400], id="reuters21578:added")
    gone = [articles[5].id, articles[6].id, "reuters21578:never-indexed"]
    bbc_file = next(a.path for a in articles if a.source == "BBC")
    indexed = 150 + sum(1 for a in articles if a.date is None)
    expected = indexed - 2 - sum(1 for a in articles if a.path == bbc_file) + 1
    for engine in small_pair:
        writer = engine.writer()
        writer.delete(gone)
        writer.delete_path(bbc_file)
        writer.add(changed, cluster=changed.id)
        writer.add(added, cluster=articles[400].id, replace=False)
        writer.commit()
        # Cancelled changes leave no trace.
        writer = engine.writer()
        writer.delete([articles[7].id])
        writer.add(dataclasses.replace(articles[8], headline="NEVER COMMITTED"),
                   cluster=articles[8].id)
        writer.cancel()
    whoosh, tantivy = (engine.searcher() for engine in small_pair)
    everything = nodes.MatchAll()
    assert tantivy.doc_count() == whoosh.doc_count() == expected
    assert set(tantivy.ids(everything)) == set(whoosh.ids(everything))
    for article_id in (changed.id, added.id, articles[7].id, articles[8].id, gone[0]):
        assert tantivy.get(article_id) == whoosh.get(article_id)
    assert tantivy.get(changed.id).article.headline == "QUARTZ WATCHMAKERS MERGE"
    assert tantivy.get(articles[8].id).article.headline == articles[8].headline
    assert tantivy.get(gone[0]) is None
    quartz = nodes.Term("headline", term("quartz"))
    assert tantivy.count(quartz) == whoosh.count(quartz) == 1
    for field in ("topic", "month", "source"):
        assert tantivy.facet_counts(everything, field) == whoosh.facet_counts(
            everything, field)
    for sort in ("newest", "oldest"):
        assert [h.article.id for h in tantivy.iter_hits(everything, sort)] == [
            h.article.id for h in whoosh.iter_hits(everything, sort)]


def test_searcher_sees_the_last_commit_only(articles, tmp_path):
    engine = build("tantivy", tmp_path, articles[:10])
    before = engine.searcher()
    writer = engine.writer()
    writer.add(articles[10], cluster=articles[10].id)
    assert engine.searcher().doc_count() == 10
    writer.commit()
    elsewhere = engine_class("tantivy").open(tmp_path)
    assert before.doc_count() == 10 and before.get(articles[10].id) is None
    assert engine.searcher().doc_count() == elsewhere.searcher().doc_count() == 11


def test_a_committed_writer_is_finished(articles, tmp_path):
    engine = build("tantivy", tmp_path, [])
    writer = engine.writer()
    writer.commit()
    with pytest.raises(RuntimeError):
        writer.add(articles[0], cluster=articles[0].id)
    writer.cancel()  # nothing left to cancel: harmless
    engine.writer().commit()


def grown_in_earlier_layout(tokenizer: str, path: Path, chosen: list[Article]):
    """An index of an earlier layout (named by its text tokenizer; all of them stored
    values field by field), opened by today's engine and given `chosen` in two runs."""
    path.mkdir()
    tantivy_engine.tantivy.Index(tantivy_engine._schema(tokenizer), path=str(path),
                                 reuse=False)
    engine = engine_class("tantivy").open(path)
    for part in (chosen[:30], chosen[30:]):
        writer = engine.writer()
        for article in part:
            writer.add(article, cluster=article.id, prepared=engine.prepare(article))
        writer.commit()
    return engine


def test_an_index_of_the_legacy_layout_is_read_and_grows_consistently(articles, tmp_path):
    """Indexes made before folding moved to our side keep working: they store text in
    the indexed fields and index it with tantivy's own folding; `check` advises a
    rebuild."""
    chosen = [a for a in articles if a.date is not None][:60]
    legacy = grown_in_earlier_layout(LEGACY_ANALYZER, tmp_path / "legacy", chosen)
    assert not legacy.folded and legacy.advice()
    whoosh = build("whoosh", tmp_path / "whoosh", chosen)
    current = build("tantivy", tmp_path / "current", chosen)
    assert current.folded and not current.advice()
    with legacy.searcher() as old, whoosh.searcher() as expected:
        for article in chosen[:5]:
            assert old.get(article.id) == expected.get(article.id)
        for word in ("oil", "said", "exports", "cocoa"):
            node = nodes.Term("body", term(word))
            assert old.count(node) == expected.count(node), word
    for engine in (legacy, whoosh, current):
        engine.close()


def test_an_index_of_the_earlier_folded_layout_grows_consistently(articles, tmp_path):
    """Indexes whose tokenizer split folded text with a pattern (before the text came
    split at spaces) take today's text and find the same words as a new index."""
    chosen = [a for a in articles if a.date is not None][:60]
    earlier = grown_in_earlier_layout(FOLDED_ANALYZER, tmp_path / "earlier", chosen)
    assert earlier.folded and not earlier.advice()
    current = build("tantivy", tmp_path / "current", chosen)
    with earlier.searcher() as old, current.searcher() as new:
        for article in chosen[:5]:
            assert old.get(article.id) == new.get(article.id)
        for word in ("oil", "said", "exports", "cocoa", "u"):
            node = nodes.Term("body", term(word))
            assert old.count(node) == new.count(node), word
        phrase = nodes.Phrase("body", tuple(analysis.terms(chosen[0].body)[:2]), 0, 1.0)
        assert old.count(phrase) == new.count(phrase) > 0
    for engine in (earlier, current):
        engine.close()


def test_an_index_that_stores_fields_one_by_one_gives_back_the_same(articles, tmp_path):
    """Indexes made before articles were stored as one record each keep working and
    growing: the same hits, articles and clusters as a new index, and a new index
    stores only the cluster and the record. Its schema names a tokenizer no earlier
    layout did, which the wiresearch of those layouts refuses as another version's."""
    chosen = articles[:60]
    earlier = grown_in_earlier_layout(WORDS_ANALYZER, tmp_path / "earlier", chosen)
    current = build("tantivy", tmp_path / "current", chosen)
    assert not earlier.layout.recorded and current.layout.recorded
    assert current.layout.tokenizer not in (WORDS_ANALYZER, FOLDED_ANALYZER, LEGACY_ANALYZER)
    with earlier.searcher() as old, current.searcher() as new:
        for article in chosen:
            assert old.get(article.id) == new.get(article.id)
        query = nodes.Term("body", term("said"))
        assert old.search_faceted(query, "newest", 0, 20, []) == \
            new.search_faceted(query, "newest", 0, 20, [])
        everything = tantivy_engine.tantivy.Query.all_query()
        first = new._searcher.search(everything, 1).hits[0][1]
        stored = new._searcher.doc(first).to_dict()
        assert sorted(stored) == ["cluster", tantivy_engine.RECORD]
    for engine in (earlier, current):
        engine.close()


def test_an_index_of_an_unknown_text_layout_is_refused(tmp_path):
    path = tmp_path / "other"
    path.mkdir()
    schema = tantivy_engine.tantivy.SchemaBuilder()
    schema.add_text_field("body", tokenizer_name="en_stem")
    tantivy_engine.tantivy.Index(schema.build(), path=str(path), reuse=False)
    with pytest.raises(IndexNotFoundError, match="another version"):
        engine_class("tantivy").open(path)


def test_open_needs_an_index(tmp_path):
    with pytest.raises(IndexNotFoundError):
        engine_class("tantivy").open(tmp_path)
    with pytest.raises(IndexNotFoundError):
        engine_class("tantivy").open(tmp_path / "missing")


def test_a_vanished_segment_is_an_os_error_and_damage_is_reported(articles, tmp_path):
    """Another process's writer may collect a segment while we open: callers retry on
    OSError. A damaged index says so."""
    build("tantivy", tmp_path, articles[:5]).close()
    segment = next(tmp_path.glob("*.store"))
    segment.unlink()
    with pytest.raises(OSError):
        engine_class("tantivy").open(tmp_path)
    (tmp_path / "meta.json").write_text("{not json")
    with pytest.raises(IndexNotFoundError, match="damaged"):
        engine_class("tantivy").open(tmp_path)


def test_deleting_a_bundle_deletes_its_members(articles, tmp_path):
    members = [dataclasses.replace(article, id=f"bundle:{number}",
                                   path=f"/wires/day.zip!ap/{number}.xml")
               for number, article in enumerate(articles[:3])]
    engine = build("tantivy", tmp_path, members + articles[3:5])
    writer = engine.writer()
    writer.delete_path("/wires/day.zip")
    writer.commit()
    assert sorted(engine.searcher().ids(nodes.MatchAll())) == sorted(
        article.id for article in articles[3:5])


def test_other_files_in_the_folder_survive(articles, tmp_path):
    """The catalog and the journal live beside the engine's files in a generation."""
    catalog = sqlite3.connect(tmp_path / "catalog.sqlite")
    catalog.execute("CREATE TABLE files (path TEXT)")
    catalog.commit()
    catalog.close()
    (tmp_path / "journal.json").write_text("[]")
    engine = engine_class("tantivy").create(tmp_path)
    # Many small commits with deletes: tantivy merges segments and collects the old ones.
    for batch in range(12):
        writer = engine.writer()
        for article in articles[batch * 20:(batch + 1) * 20]:
            writer.add(article, cluster=article.id)
        writer.delete([articles[batch * 10].id])
        writer.commit()
    assert engine.searcher().doc_count() == 240 - 12
    assert (tmp_path / "journal.json").read_text() == "[]"
    catalog = sqlite3.connect(tmp_path / "catalog.sqlite")
    assert catalog.execute("SELECT count(*) FROM files").fetchone() == (0,)
    catalog.close()


KILLED_WRITER = textwrap.dedent("""
    import dataclasses, pickle, sys
    from pathlib import Path
    from wiresearch.engine import engine_class

    articles = pickle.loads(Path(sys.argv[2]).read_bytes())
    engine = engine_class("tantivy").open(Path(sys.argv[1]))
    for batch in range(100_000):
        writer = engine.writer()
        for article in articles:
            writer.add(dataclasses.replace(article, id=f"{article.id}#{batch}"),
                       cluster=article.id, replace=False)
        writer.commit()
        print(batch, flush=True)
""")


def test_a_killed_writer_leaves_the_last_commit(articles, tmp_path):
    index = tmp_path / "index"
    engine_class("tantivy").create(index).close()
    batch = articles[:100]
    (tmp_path / "articles.pickle").write_bytes(pickle.dumps(batch))
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(index), str(tmp_path / "articles.pickle")],
        stdout=subprocess.PIPE, text=True)
    try:
        committed = [int(process.stdout.readline()) for _ in range(3)]
    finally:
        # Mid-batch: the fourth batch is being added or committed.
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()
    assert committed == [0, 1, 2]
    engine = engine_class("tantivy").open(index)
    count = engine.searcher().doc_count()
    assert count % len(batch) == 0 and count >= 300
    writer = engine.writer()
    writer.add(articles[200], cluster=articles[200].id)
    writer.commit()
    searcher = engine.searcher()
    assert searcher.doc_count() == count + 1
    assert searcher.get(articles[200].id).article == dataclasses.replace(articles[200],
                                                                           signature=0)
    assert len(set(searcher.ids(nodes.MatchAll()))) == count + 1
