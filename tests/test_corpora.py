"""Whole shared corpora, indexed once per engine: the counts, facets and searches a new
user would check first. Slow (minutes), so everything shares one index per engine."""

import datetime as dt
import json
import random
import re
from collections import Counter

import pytest
from click.testing import CliRunner

from tests.conftest import ENGINES, corpus
from wiresearch import Archive
from wiresearch.cli import cli

pytestmark = pytest.mark.slow


def raw_reuters():
    """Each Reuters record's NEWID, date, places and title, read with plain patterns
    (independently of wiresearch's reader)."""
    records = []
    for path in sorted(corpus("reuters21578").glob("reut2-*.sgm")):
        text = path.read_bytes().decode("latin-1")
        for chunk in re.findall(r"<REUTERS\b.*?</REUTERS>", text, re.S):
            title = re.search(r"<TITLE>(.*?)</TITLE>", chunk, re.S)
            records.append({
                "newid": re.search(r'NEWID="(\d+)"', chunk).group(1),
                "date": re.search(r"<DATE>\s*(\d+-[A-Z]{3}-\d{4})", chunk).group(1),
                "places": re.findall(r"<D>(.*?)</D>", re.search(
                    r"<PLACES>(.*?)</PLACES>", chunk, re.S).group(1)),
                "title": title.group(1) if title else None,
            })
    return records


@pytest.fixture(scope="session")
def raw():
    return raw_reuters()


@pytest.fixture(scope="session", params=ENGINES)
def full(request, tmp_path_factory):
    reuters, bbc, countrywire = corpus("reuters21578"), corpus("bbc"), corpus("countrywire")
    archive = Archive(tmp_path_factory.mktemp(f"full-{request.param}") / "index")
    report = archive.index([reuters, bbc, countrywire], engine=request.param)
    yield archive, report
    archive.close()


def test_every_story_of_each_corpus_is_indexed(full):
    archive, report = full
    # Only the two category-list text files in the Reuters folder are not stories.
    assert sorted(r.path.rsplit("/", 1)[-1] for r in report.rejected) == [
        "cat-descriptions_120396.txt", "feldman-cia-worldfactbook-data.txt"]
    sources = archive.search("*", facets=["source"]).facets["source"]
    assert {b.value: b.count for b in sources} == {"Reuters": 21578, "BBC": 2225,
                                                   "CountryWatch": 1}
    ids = {row["id"] for row in archive.export(fields=["id"], sources=["Reuters"])}
    assert ids == {f"reuters21578:{n}" for n in range(1, 21579)}
    dated_1987 = archive.search("*", sources=["Reuters"], date_from="1987",
                                date_to="1987").total
    assert dated_1987 == 21578
    assert archive.get("bbc:sport/199").source == "BBC"


def test_facets_over_everything_equal_counts_from_the_raw_files(full, raw):
    archive, _report = full
    results = archive.search("*", sources=["Reuters"], facets=["country", "month"],
                             facet_size=1000)
    countries = {b.value: b.count for b in results.facets["country"]}
    assert countries["US"] == sum(1 for r in raw if "usa" in r["places"])
    assert countries["SUHH"] == sum(1 for r in raw if "ussr" in r["places"])
    assert countries["DE"] == sum(1 for r in raw if "west-germany" in r["places"])
    months = Counter(dt.datetime.strptime(r["date"], "%d-%b-%Y").strftime("%Y-%m")
                     for r in raw)
    shown = {b.value: b.count for b in results.facets["month"]}
    assert {k: v for k, v in shown.items() if v} == dict(months)
    assert shown["1987-05"] == 0  # a gap inside the range is shown, empty


def test_reuters_headlines_find_their_article_first(full, raw):
    archive, _report = full
    titles = Counter(r["title"] for r in raw if r["title"])
    unique = [r for r in raw if r["title"] and titles[r["title"]] == 1
              and len(r["title"].split()) >= 3]
    for record in random.Random(21578).sample(unique, 40):
        headline = record["title"].replace("&lt;", "<").replace("&amp;", "&")
        first = archive.search(headline, limit=1).hits[0]
        assert first.id == f"reuters21578:{record['newid']}", headline


def test_proximity_finds_more_than_the_phrase_and_only_with_both_words(full):
    archive, _report = full
    phrase = {r["id"] for r in archive.export('"oil prices"', fields=["id"])}
    near = {r["id"]: r for r in archive.export('"oil prices"~3',
                                               fields=["id", "headline", "body"])}
    assert phrase < set(near)
    for row in near.values():
        words = set(re.findall(r"\w+", (row["headline"] + " " + row["body"]).lower()))
        assert "oil" in words and ({"price", "prices", "priced", "pricing"} & words)


def test_inline_dates_equal_the_date_options(full):
    archive, _report = full
    inline = archive.search("date:1987-03 cocoa")
    flags = archive.search("cocoa", date_from="1987-03-01", date_to="1987-03-31")
    assert inline.total == flags.total > 0


def test_country_facet_still_lists_other_countries_when_filtered(full):
    archive, _report = full
    results = archive.search("trade", countries=["usa"], facets=["country"])
    values = [b.value for b in results.facets["country"]]
    assert "US" in values and len(values) > 5
    assert results.total < archive.search("trade").total


def test_a_misspelt_topic_word_gets_the_right_suggestion(full):
    archive, _report = full
    assert archive.search("cocao").suggestion == "cocoa"
    assert archive.search("petrolium").suggestion == "petroleum"
    # Only the misspelt word changes; the corrected query finds what the first missed.
    misspelt = archive.search("coffe Brazil")
    assert misspelt.total == 0 and misspelt.suggestion == "coffee Brazil"
    assert archive.search(misspelt.suggestion).total > 0


def test_timeline_sums_to_the_search_total(full):
    archive, _report = full
    runner = CliRunner()
    out = runner.invoke(cli, ["--index", str(archive.path), "timeline", "cocoa", "--by",
                              "month", "--json"]).output
    series = json.loads(out)
    total = archive.search("cocoa").total
    assert sum(b["count"] for b in series["buckets"]) + series["undated"] == total
    assert series["undated"] == archive.search("cocoa", sources=["BBC"]).total


def test_duplicate_groups_are_found(full):
    archive, _report = full
    stats = archive.stats()
    assert 300 < stats["duplicate_groups"] < 3000
    query = "fed adds reserves customer repurchases"
    loose = archive.search(query, limit=50)
    folded = archive.search(query, collapse=True, limit=50)
    assert len(folded.hits) < len(loose.hits) == loose.total
    shown = {hit.id for hit in folded.hits}
    copies = {copy for hit in folded.hits for copy in hit.duplicates}
    assert not shown & copies and shown | copies == {hit.id for hit in loose.hits}
