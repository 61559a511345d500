"""Query expansion from a search's best matches (`expand=True`, `search --expand`)."""

import json

import pytest
from click.testing import CliRunner

from tests.conftest import write_articles
from wiresearch import Archive, feedback, nodes, ranking
from wiresearch.cli import cli
from wiresearch.errors import UsageError
from wiresearch.query import SearchRequest, build_plan

FILLER = "grain shipments from the northern ports were slower than expected this week"
TRADE = "grindings arabica icco"
# Three different stories (copies of one story would count as one).
NEWS = ("Dealers in London expect the mid-crop to be larger than last season's",
        "Ghana raised the price it pays farmers for the new harvest",
        "Processors in Amsterdam said demand for butter and powder stayed firm")


def cocoa_stories(news=NEWS):
    """Three stories about the cocoa trade use its words (grindings, arabica, ICCO);
    two stories name cocoa once: `trade` also uses the trade's words in a longer story,
    `passing` is short and says nothing more. By the query word alone `passing` ranks
    above `trade`; the words of the best matches say `trade` is about cocoa. The other
    stories make those words rare, as a subject's words are in an archive."""
    stories = [(f"about{n}", f"Cocoa: {text.split()[0]} report",
                f"Cocoa cocoa {TRADE} cocoa. {text}. {FILLER}.") for n, text in enumerate(news)]
    stories.append(("passing", "Port news", f"Cocoa was loaded. {FILLER}."))
    stories.append(("trade", "Port news", f"Cocoa arrived. {TRADE}. {FILLER}. {FILLER}."))
    stories += [(f"other{n}", f"Harbour note {n}", f"{FILLER} {n}.") for n in range(80)]
    return stories


def indexed(folder, engine_name, stories) -> Archive:
    archive = Archive(folder / "index")
    archive.index([write_articles(folder / "wire", stories)], engine=engine_name)
    return archive


@pytest.fixture
def cocoa_archive(tmp_path, engine_name):
    archive = indexed(tmp_path, engine_name, cocoa_stories())
    yield archive
    archive.close()


def test_expansion_ranks_a_story_by_the_words_of_the_best_matches(cocoa_archive):
    plain = cocoa_archive.search("cocoa")
    ids = [hit.id for hit in plain.hits]
    assert ids.index("json:passing") < ids.index("json:trade")
    assert plain.expanded == []
    expanded = cocoa_archive.search("cocoa", expand=True)
    ids = [hit.id for hit in expanded.hits]
    assert ids.index("json:trade") < ids.index("json:passing")
    # The added words, as the stories write them (the terms are "grind" and so on).
    assert sorted(expanded.expanded) == ["arabica", "grindings", "icco"]


def test_copies_of_one_story_choose_no_words(tmp_path, engine_name):
    """The three stories about the trade told as one (copies): its words are then found
    in two stories of the best matches, too few to be the subject's."""
    with indexed(tmp_path, engine_name, cocoa_stories([NEWS[0]] * 3)) as archive:
        searcher = archive._reader()
        assert len({searcher.get(f"json:about{n}").cluster for n in range(3)}) == 1
        plain = [hit.id for hit in archive.search("cocoa").hits]
        assert [hit.id for hit in archive.search("cocoa", expand=True).hits] == plain


def test_expansion_changes_the_order_not_the_matches(cocoa_archive):
    plain = cocoa_archive.search("cocoa", limit=100, facets=["year"])
    expanded = cocoa_archive.search("cocoa", limit=100, facets=["year"], expand=True)
    assert expanded.total == plain.total == 5
    assert {hit.id for hit in expanded.hits} == {hit.id for hit in plain.hits}
    assert expanded.facets == plain.facets


def test_the_added_words_are_the_best_matches_rare_shared_words(cocoa_archive):
    searcher = cocoa_archive._reader()
    best = [searcher.get(f"json:about{n}").article for n in range(3)]

    def words(**options):
        return set(dict(feedback.weighted_terms(searcher, best, min_articles=2, **options)))

    # The trade's words; not the query's word, nor the filler every story has, nor the
    # words of one story.
    trade = {"grind", "arabica", "icco"}
    rare = words(leave_out={"cocoa"}, max_share=feedback.FEEDBACK_MAX_SHARE)
    assert rare == trade
    # Each rule on its own: without the share, the filler's words come in; without the
    # query's words left out, the query's word does; prefixes are left out too.
    every = words(leave_out={"cocoa"})
    assert trade < every and {"shipment", "northern"} <= every and "cocoa" not in every
    assert "cocoa" in words()
    assert not any(term.startswith("coc") for term in words(leave_out_prefixes=["coc"]))


def test_expansion_needs_a_ranked_search(cocoa_archive):
    with pytest.raises(UsageError, match="--expand"):
        cocoa_archive.search("cocoa", sort="newest", expand=True)
    # Searches whose matches all score the same have no best matches to learn from:
    # their order stays as it is.
    for query in ("", "-harbour"):
        plain = cocoa_archive.search(query, limit=100)
        expanded = cocoa_archive.search(query, limit=100, expand=True)
        assert [hit.id for hit in expanded.hits] == [hit.id for hit in plain.hits], query


def test_cli_expand(cocoa_archive):
    runner = CliRunner()
    index = ["--index", str(cocoa_archive.path)]
    result = runner.invoke(cli, [*index, "search", "cocoa", "--expand", "--json"])
    assert result.exit_code == 0, result.output
    ids = [hit["id"] for hit in json.loads(result.output)["hits"]]
    assert ids.index("json:trade") < ids.index("json:passing")
    assert sorted(json.loads(result.output)["expanded"]) == ["arabica", "grindings", "icco"]
    text = runner.invoke(cli, [*index, "search", "cocoa", "--expand"]).output
    assert "Expanded with: " in text and "grindings" in text
    assert "Expanded with" not in runner.invoke(cli, [*index, "search", "cocoa"]).output
    for refused in (["--sort", "newest"], ["--format", "jsonl"]):
        bad = runner.invoke(cli, [*index, "search", "cocoa", "--expand", *refused])
        assert bad.exit_code != 0
        assert "--expand" in bad.output and "Traceback" not in bad.output


def test_an_added_word_scores_as_it_would_in_a_query(cocoa_archive):
    """A story's score with the bonus is its score for the query plus its score for the
    added word searched alone (BM25F on the Whoosh engine, as a query's words)."""
    searcher = cocoa_archive._reader()
    base = nodes.Or(tuple(nodes.Term(name, "cocoa", weight)
                          for name, weight in ranking.FIELD_WEIGHTS.items()))
    word = feedback.word_query("report", 0.3)  # in headlines, where BM25F differs
    _total, plain = searcher.search(base, "relevance", 0, 10)
    _total, alone = searcher.search(word, "relevance", 0, 10)
    _total, both = searcher.search(nodes.Bonus(base, (word,)), "relevance", 0, 10)
    expected = {hit.article.id: hit.score for hit in plain}
    for hit in alone:
        expected[hit.article.id] += hit.score
    assert {hit.article.id: hit.score for hit in both} == pytest.approx(expected)


def test_expansion_keeps_the_proximity_bonus(cocoa_archive):
    plan = build_plan(SearchRequest(query="cocoa grindings"), cocoa_archive._resolve)
    ranked = plan.node(ranked=True)
    expanded, _words = feedback.expanded(cocoa_archive._reader(), ranked, plan.parsed)
    assert expanded.base == ranked.base
    assert expanded.extras[:len(ranked.extras)] == ranked.extras
    assert len(expanded.extras) > len(ranked.extras)


def test_the_heaviest_words_are_those_of_the_whole_list(sample_archive):
    """Asked for the heaviest few, weighted_terms stops looking words up early; the
    words and weights are still the first of the whole list, ties included."""
    searcher = sample_archive._reader()
    _total, best = searcher.search(nodes.MatchAll(), "relevance", 0, 40)
    stories = [hit.article for hit in best]
    for start in range(0, 40, 10):
        chosen = stories[start:start + 10]
        whole = feedback.weighted_terms(searcher, chosen, min_articles=2)
        assert len(whole) > 20
        for limit in (1, 3, 10, 20):
            assert feedback.weighted_terms(searcher, chosen, min_articles=2,
                                           limit=limit) == whole[:limit]
        one = feedback.weighted_terms(searcher, chosen[:1])
        assert feedback.weighted_terms(searcher, chosen[:1], limit=5) == one[:5]
