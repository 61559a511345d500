"""The Whoosh engine's own evaluation of queries gives exactly what Whoosh's matchers
give: the same documents, the same scores, on an index with several segments and
deleted documents. The one exception is a word looked for in several fields, which
ranking scores as one (BM25F) where Whoosh scores each field apart: its expected scores
are worked out here from Whoosh's reader."""

import dataclasses
import json
import shutil
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import collectors

from tests.conftest import DATA
from wiresearch import Archive, nodes, ranking
from wiresearch.engine import whoosh_engine
from wiresearch.engine.whoosh_engine import compile_node
from wiresearch.ingest import FileTask, process_file
from wiresearch.querylang import parse

QUERIES = [
    "oil", "oil prices", "cocoa OR coffee", "bank -england", '"money market"',
    '"oil prices"~3', "export*", "lavrov~", "trade deficit japan", "said", "dlrs mln",
    "headline:cocoa", "country:US oil", "date:1987-03 gold", "(gold OR silver) -mine",
    "region:Europe", "topic:crude OR topic:heat", "*", "-oil", "the",
]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    folder = tmp_path_factory.mktemp("segments")
    source = folder / "data"
    shutil.copytree(DATA, source)
    moved = folder / "later"
    shutil.move(source / "bbc", moved)
    archive = Archive(folder / "index")
    archive.index([source], engine="whoosh")
    shutil.move(moved, source / "bbc")
    archive.index([source])  # a second segment
    (source / "bbc" / "tech" / "001.txt").unlink()
    sgm = source / "reuters21578" / "reut2-000.sgm"
    sgm.write_bytes(sgm.read_bytes().replace(b"OIL", b"PETROL", 3))
    archive.index([source])  # deletions and replacements
    engine_searcher = archive._reader()
    yield engine_searcher
    archive.close()


def whoosh_scores(searcher, node):
    collector = collectors.UnlimitedCollector()
    collector.replace = 0
    searcher._searcher.search_with_collector(compile_node(node), collector)
    return {docnum: score for score, docnum in collector.items}


def bm25f_from_reader(searcher, text, weights, factor):
    """BM25F of one word over fields, from the postings and field lengths Whoosh's reader
    gives: sum of weight * tf / (1 - B + B * length / average), saturated once with K1,
    times ranking's idf of the field where the word is commonest and the query weight."""
    reader, whoosh_searcher = searcher._reader, searcher._searcher
    K1, B = ranking.BM25_K1, ranking.BM25_B
    weighted = defaultdict(float)
    for field, weight in weights.items():
        if (field, text) not in reader:
            continue
        average = whoosh_searcher.avg_field_length(field)
        postings = reader.postings(field, text)
        while postings.is_active():
            docnum = postings.id()
            if not reader.is_deleted(docnum):
                length = reader.doc_field_length(docnum, field, 1)
                weighted[docnum] += weight * postings.weight() / (1 - B + B * length / average)
            postings.next()
    idf = ranking.idf(reader.doc_count_all(),
                      max(reader.doc_frequency(field, text) for field in weights))
    return {docnum: factor * idf * tf * (K1 + 1) / (K1 + tf)
            for docnum, tf in weighted.items()}


def expected_scores(searcher, node):
    """What the ranking says each match scores: words in several fields by BM25F,
    everything else by Whoosh's matchers, combined as Whoosh combines them (an AND or an
    OR adds up its matching children, a NOT only removes, a bonus adds its extras to the
    base's matches)."""
    word = ranking.word_in_fields(node)
    if word is not None:
        return bm25f_from_reader(searcher, *word)
    if isinstance(node, nodes.Bonus):
        scores = expected_scores(searcher, node.base)
        for extra in node.extras:
            for docnum, score in expected_scores(searcher, extra).items():
                if docnum in scores:
                    scores[docnum] += score
        return scores
    if isinstance(node, (nodes.And, nodes.Or)):
        scored = [expected_scores(searcher, child) for child in node.children
                  if not isinstance(child, nodes.Not)]
        excluded = set().union(*(searcher._searcher.docs_for_query(compile_node(child.child))
                                 for child in node.children if isinstance(child, nodes.Not)))
        if isinstance(node, nodes.And):
            matching = set.intersection(*map(set, scored)) if scored else set(
                whoosh_scores(searcher, nodes.MatchAll()))
        else:
            matching = set().union(*scored)
        return {docnum: sum(part.get(docnum, 0.0) for part in scored) or 1.0
                for docnum in matching - excluded}
    return whoosh_scores(searcher, node)


@pytest.mark.parametrize("text", QUERIES)
def test_bulk_evaluation_scores_as_whoosh_and_bm25f(searcher, text):
    node = parse(text).node
    if isinstance(node, nodes.MatchAll):
        node = nodes.Not(nodes.MatchNone())
    ours = searcher._evaluator.scores(node)
    theirs = expected_scores(searcher, node)
    assert set(ours) == set(theirs)
    for docnum, score in theirs.items():
        assert ours[docnum] == pytest.approx(score, rel=1e-9, abs=1e-12)
    assert searcher._reader.has_deletions()
    assert len(searcher._reader.leaf_readers()) > 1


@pytest.mark.parametrize("node", [
    # A word weighed as similar stories weigh it: the field weights times its own.
    nodes.Or(tuple(nodes.Term(name, "oil", ranking.FIELD_WEIGHTS[name] * 0.3)
                   for name in ("headline", "body"))),
    # Weights of no known pattern, one of them nothing.
    nodes.Or((nodes.Term("headline", "oil", 0.0), nodes.Term("body", "oil", 0.7))),
    nodes.Or((nodes.Term("headline", "cocoa", 1.0), nodes.Term("dateline", "cocoa", 3.0))),
], ids=["weighted-word", "zero-weight", "odd-weights"])
def test_bulk_evaluation_of_weighted_words(searcher, node):
    ours = searcher._evaluator.scores(node)
    theirs = expected_scores(searcher, node)
    assert ours and set(ours) == set(theirs)
    for docnum, score in theirs.items():
        assert ours[docnum] == pytest.approx(score, rel=1e-9, abs=1e-12)


# Words common in the sample, and "the" (in every story, a stop word only in queries), so
# that random phrases of them match sometimes, and often repeat a word.
PHRASE_WORDS = ["oil", "price", "said", "the", "of", "mln", "dlrs", "crude", "year", "pct"]


@settings(max_examples=150, deadline=None)
@given(words=st.lists(st.sampled_from(PHRASE_WORDS), min_size=2, max_size=4),
       slop=st.integers(min_value=0, max_value=4),
       field=st.sampled_from(["headline", "body", "dateline"]),
       boost=st.sampled_from([1.0, 0.25, 4.0]),
       share=st.integers(min_value=1, max_value=4))
def test_phrases_read_from_positions_match_and_score_as_whoosh(searcher, words, slop, field,
                                                               boost, share):
    """A phrase evaluated from its words' positions matches the documents Whoosh's
    Phrase matches, with Whoosh's scores, over all documents and over a chosen few (as
    when the best matches are re-scored)."""
    phrase = nodes.Phrase(field, tuple(words), slop, boost)
    theirs = whoosh_scores(searcher, phrase)
    ours = searcher._evaluator.scores(phrase)
    assert set(ours) == set(theirs)
    for docnum, score in theirs.items():
        assert ours[docnum] == pytest.approx(score, rel=1e-9)
    assert searcher._evaluator.docs(phrase) == set(theirs)
    candidates = sorted(searcher._evaluator.scores(parse(words[0]).node))[::share]
    chosen = searcher._evaluator._phrase_scores(phrase, candidates, {})
    assert set(chosen) == set(theirs) & set(candidates)


def test_phrases_match_somewhere_in_the_sample(searcher):
    """The words above make phrases that do match, exact and sloppy, so the test above
    compares matches and not only empty results."""
    assert searcher._evaluator.scores(nodes.Phrase("body", ("crude", "oil")))
    assert searcher._evaluator.scores(nodes.Phrase("body", ("price", "oil"), 3))
    assert searcher._evaluator.scores(nodes.Phrase("body", ("the", "of", "the"), 4))


def test_totals_and_order_follow_the_expected_scores(searcher):
    node = parse("oil prices").node
    total, hits = searcher.search(node, "relevance", 0, 20)
    theirs = sorted(expected_scores(searcher, node).items(), key=lambda kv: (-kv[1], kv[0]))
    assert total == len(theirs)
    assert [hit.score for hit in hits] == pytest.approx([score for _d, score in theirs[:20]])


def _ranked(archive, text):
    results = archive.search(text, limit=50)
    return results.total, [(hit.id, round(hit.score, 9)) for hit in results.hits]


def test_a_build_split_into_segments_answers_as_one_segment(tmp_path, monkeypatch):
    """A fresh build starts a new segment whenever its posting pool is full; the
    archive must answer exactly as when everything fits in one."""
    whole = Archive(tmp_path / "whole")
    whole.index([DATA], engine="whoosh", jobs=1)
    monkeypatch.setattr(whoosh_engine, "POOL_POSTINGS", 2000)
    split = Archive(tmp_path / "split")
    split.index([DATA], engine="whoosh", jobs=1)
    assert len(split._reader()._reader.leaf_readers()) > 3
    assert len(whole._reader()._reader.leaf_readers()) == 1
    for text in QUERIES:
        assert _ranked(split, text) == _ranked(whole, text), text
    facets = ["country", "topic", "year"]
    assert (split.search("*", facets=facets).to_dict()["facets"] ==
            whole.search("*", facets=facets).to_dict()["facets"])
    whole.close()
    split.close()


def test_postings_made_ahead_equal_those_made_by_the_writer(tmp_path):
    """Reader processes analyse text ahead (WhooshEngine.prepare); an article added
    with those postings must be indexed and stored exactly as one added without."""
    result = process_file(FileTask(str(DATA / "reuters21578" / "reut2-000.sgm"), None,
                                   None))
    articles = result.articles[:300]
    plain = whoosh_engine.WhooshEngine.create(tmp_path / "plain")
    ahead = whoosh_engine.WhooshEngine.create(tmp_path / "ahead")
    with plain.writer(fresh=True) as writer:
        for article in articles:
            writer.add(article, article.id)
    with ahead.writer(fresh=True) as writer:
        for article in articles:
            writer.add(article, article.id,
                       prepared=whoosh_engine.WhooshEngine.prepare(article))
    with plain.searcher() as one, ahead.searcher() as other:
        for text in QUERIES:
            node = parse(text).node
            assert one.search(node, limit=300) == other.search(node, limit=300), text
        for article in articles[:20]:
            assert one.get(article.id) == other.get(article.id)
    plain.close()
    ahead.close()


@pytest.mark.parametrize("text", ["oil prices", "trade deficit japan", "cocoa OR coffee",
                                  "dlrs mln", "oil prices -gas",
                                  # the phrase reads the words the bonus keeps
                                  'oil prices "oil prices"'])
def test_proximity_rescoring_equals_whoosh_on_its_window(searcher, text):
    """The bonus added to the best matches is what Whoosh's own phrases score them,
    across segments and deletions; below the window the BM25 order goes on."""
    node = ranking.with_proximity(parse(text).node)
    if not isinstance(node, nodes.Bonus):
        pytest.skip(f"{text!r} has no neighbouring plain words")
    total, ranked = searcher._ranked(node, "relevance", None)
    theirs = expected_scores(searcher, node)
    assert total == len(theirs)
    window = ranked[:ranking.RESCORE_WINDOW]
    for docnum, score in window:
        assert score == pytest.approx(theirs[docnum], rel=1e-9)
    assert [score for _docnum, score in window] == sorted(
        (score for _docnum, score in window), reverse=True)
    base = searcher._evaluator.scores(node.base)
    assert [docnum for docnum, _score in ranked[ranking.RESCORE_WINDOW:]] == [
        docnum for docnum, _score in sorted(base.items(), key=lambda item: (-item[1], item[0]))
        if docnum not in dict(window)]


def test_rescoring_other_extras_equals_whoosh(searcher):
    node = nodes.Bonus(parse("oil").node, (nodes.Term("headline", "price", 2.0),
                                           parse('"crude oil"').node))
    _total, ranked = searcher._ranked(node, "relevance", None)
    theirs = expected_scores(searcher, node)
    assert any(score > searcher._evaluator.scores(node.base)[docnum]
               for docnum, score in ranked[:ranking.RESCORE_WINDOW])
    for docnum, score in ranked[:ranking.RESCORE_WINDOW]:
        assert score == pytest.approx(theirs[docnum], rel=1e-9)


def test_pages_of_a_rescored_query_neither_overlap_nor_skip(tmp_path, monkeypatch):
    monkeypatch.setattr(ranking, "RESCORE_WINDOW", 7)
    archive = Archive(tmp_path / "index")
    archive.index([DATA], engine="whoosh")
    whole = [hit.id for hit in archive.search("oil prices", limit=100).hits]
    paged = [hit.id for page in range(1, 11)
             for hit in archive.search("oil prices", limit=10, page=page).hits]
    archive.close()
    assert len(whole) > 7
    assert paged[:len(whole)] == whole


@given(st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=300))
def test_merging_the_tail_keeps_few_segments(additions):
    segments: list[int] = []
    for size in additions:
        segments.append(size)
        tail = whoosh_engine.merge_tail(segments, limit=2**62)
        assert 1 <= tail <= len(segments)
        if tail > 1:
            segments[-tail:] = [sum(segments[-tail:])]
    # Each segment is more than twice all those after it: sizes halve from the front.
    total = sum(segments)
    assert len(segments) <= total.bit_length() + 1


@given(st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=300))
def test_a_merge_never_holds_more_than_the_limit(additions):
    # A merge holds its postings in memory: the limit keeps it to a fresh segment's size.
    segments: list[int] = []
    for size in additions:
        segments.append(size)
        tail = whoosh_engine.merge_tail(segments, limit=12_000)
        if tail > 1:
            assert sum(segments[-tail:]) <= 12_000
            segments[-tail:] = [sum(segments[-tail:])]


def test_stories_of_one_date_keep_their_order_through_merges(tmp_path, engine_name):
    """Whoosh's own merges put older stories after newer ones; tied dates then changed
    order from one run to the next (tantivy keeps the order of addition)."""
    folder = tmp_path / "wire"
    folder.mkdir()
    archive = Archive(tmp_path / "index")
    for number in range(1, 13):
        story = {"id": f"s{number}", "source": "Day Wire", "title": f"Story {number}",
                 "body": f"Budget story {number}.", "date": "2024-03-05"}
        (folder / f"day{number:02}.jsonl").write_text(json.dumps(story) + "\n")
        archive.index([folder], engine=engine_name)
        oldest = [hit.id for hit in archive.search("budget", sort="oldest", limit=20).hits]
        assert oldest == [f"day-wire:s{n}" for n in range(1, number + 1)]
        newest = [hit.id for hit in archive.search("budget", sort="newest", limit=20).hits]
        assert newest == oldest
    archive.close()


def test_an_index_made_when_commas_separated_values_still_reads_and_writes(tmp_path):
    """Indexes made before VALUE_SEPARATOR split keyword fields at commas (their schema
    says so): a comma inside a value is kept as a space there, and a new index keeps it."""
    from whoosh import fields as wf
    from whoosh import index as windex

    old_schema = whoosh_engine._schema()
    for name in whoosh_engine.MULTI_VALUED:
        old_schema.remove(name)
        old_schema.add(name, wf.KEYWORD(stored=True, commas=True, lowercase=False,
                                        scorable=False))
    (tmp_path / "old").mkdir()
    old = whoosh_engine.WhooshEngine(windex.create_in(
        str(tmp_path / "old"), old_schema, indexname=whoosh_engine.INDEX_NAME))
    new = whoosh_engine.WhooshEngine.create(tmp_path / "new")
    article = process_file(FileTask(str(DATA / "reuters21578" / "reut2-000.sgm"), None,
                                    None)).articles[0]
    article = dataclasses.replace(article, topics=("economy, business and finance", "cocoa"))
    expected = {"old": ("economy  business and finance", "cocoa"),
                "new": ("economy, business and finance", "cocoa")}
    for name, engine in (("old", old), ("new", new)):
        with engine.writer(fresh=True) as writer:
            writer.add(article, article.id)
        with engine.searcher() as searcher:
            assert searcher.get(article.id).article.topics == expected[name]
            held = expected[name][0]
            assert searcher.values("topic") == sorted([held, "cocoa"])
            assert searcher.count(nodes.Term("topic", held)) == 1
            assert searcher.facet_counts(nodes.MatchAll(), "topic") == {held: 1, "cocoa": 1}
        engine.close()



@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["cocoa", "cocao", "lavrov", "petroleum", "japan", "oil", "export"]),
       st.lists(st.tuples(st.integers(0, 9), st.sampled_from("abceiklnoprstu")),
                max_size=2),
       st.integers(0, 2), st.sampled_from(["headline", "body", "dateline"]))
def test_fuzzy_words_are_the_levenshtein_automaton_words(searcher, word, edits, distance,
                                                         field):
    """Whoosh searches segment by segment; in each, the words found for a fuzzy word are
    those of Whoosh's own Levenshtein automaton over the segment's terms."""
    for at, letter in edits:  # a misspelling: letters replaced or inserted
        word = word[:at] + letter + word[at + (at % 2):]
    fuzzy = whoosh_engine.VocabularyFuzzyTerm(field, word, maxdist=distance, prefixlength=0)
    for leaf, _offset in searcher._reader.leaf_readers():
        assert sorted(fuzzy._btexts(leaf)) == sorted(leaf.terms_within(field, word, distance))


def test_an_archive_opened_before_a_merge_keeps_reading_what_it_opened(tmp_path, engine_name):
    """A later run merges the segment of the 2020 stories away and deletes its files;
    an Archive opened before reads its dates and stored values as it did."""
    folder = tmp_path / "wire"
    folder.mkdir()

    def stories(name: str, prefix: str, count: int, year: int) -> None:
        (folder / name).write_text("".join(
            json.dumps({"id": f"{prefix}{n}", "source": "Test", "title": f"{prefix} {n} oil",
                        "body": "oil", "date": f"{year}-01-{1 + n % 28:02d}"}) + "\n"
            for n in range(count)))

    writer = Archive(tmp_path / "index")
    stories("a.jsonl", "a", 1000, 2010)
    writer.index([folder], engine=engine_name)
    stories("b.jsonl", "b", 10, 2020)
    writer.index([folder])
    with Archive(tmp_path / "index") as opened:
        assert opened.search("oil").total == 1010
        stories("c.jsonl", "c", 10, 2015)
        writer.index([folder])  # merges the segments of b and c
        assert [hit.id for hit in opened.search("oil", sort="newest", limit=3).hits] == [
            "test:b9", "test:b8", "test:b7"]
        assert opened.search("", date_from="2020").total == 10
        assert opened.get("test:b1").headline == "b 1 oil"
        assert opened.stats()["newest"].startswith("2020-01-10")
    writer.close()
