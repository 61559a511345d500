"""The library against the repository's sample archive, on every engine."""

import datetime as dt
import json
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DATA, write_articles
from wiresearch import Archive, SearchRequest
from wiresearch.archive import RECENT_POOL
from wiresearch.errors import ArticleNotFoundError, QueryError, UsageError
from wiresearch.model import Hit
from wiresearch.query import build_plan

RAW = (DATA / "reuters21578" / "reut2-000.sgm").read_text("latin-1")
RAW_RECORDS = re.findall(r"<REUTERS\b.*?</REUTERS>", RAW, re.S)
SAMPLE_SIZE = 1000 + 20 + 1  # Reuters file, BBC files, CountryWire article


def raw_count(pattern):
    return sum(1 for record in RAW_RECORDS if re.search(pattern, record, re.S))


def test_everything_is_indexed(sample_archive):
    results = sample_archive.search("*", facets=["source"])
    assert results.total == SAMPLE_SIZE
    assert {b.value: b.count for b in results.facets["source"]} == {
        "Reuters": 1000, "BBC": 20, "CountryWatch": 1}
    assert sample_archive.search("").total == SAMPLE_SIZE


def test_country_facet_equals_counts_from_the_raw_file(sample_archive):
    results = sample_archive.search("*", facets=["country"], facet_size=1000)
    counts = {bucket.value: bucket.count for bucket in results.facets["country"]}
    # The CountryWire article is about the US and Russia.
    assert counts["US"] == raw_count(r"<PLACES>(?:(?!</PLACES>).)*<D>usa</D>") + 1
    assert counts["GB"] == raw_count(r"<PLACES>(?:(?!</PLACES>).)*<D>uk</D>")
    assert counts["JP"] == raw_count(r"<PLACES>(?:(?!</PLACES>).)*<D>japan</D>")


def test_month_facet_equals_counts_from_the_raw_file(sample_archive):
    results = sample_archive.search("*", facets=["month", "year"])
    raw_months = Counter()
    for record in RAW_RECORDS:
        day, month, year = re.search(r"<DATE>\s*(\d+)-([A-Z]{3})-(\d{4})", record).groups()
        raw_months[dt.datetime.strptime(f"{year}-{month}", "%Y-%b").strftime("%Y-%m")] += 1
    assert {b.value: b.count for b in results.facets["month"]} == dict(raw_months)
    assert [(b.value, b.count) for b in results.facets["year"]] == [("1987", 1000)]


@pytest.mark.parametrize("newid", ["1", "5", "42", "100", "250", "517", "750", "998"])
def test_a_headline_typed_word_for_word_finds_its_article_first(sample_archive, newid):
    headline = re.search(rf'NEWID="{newid}">.*?<TITLE>(.*?)</TITLE>', RAW, re.S).group(1)
    headline = headline.replace("&lt;", "<").replace("&amp;", "&")
    results = sample_archive.search(headline, limit=3)
    assert results.hits[0].id == f"reuters21578:{newid}"


def test_words_are_anded_and_ranked(sample_archive):
    both = sample_archive.search("cocoa Bahia")
    assert [hit.id for hit in both.hits] == ["reuters21578:1"]
    either = sample_archive.search("cocoa OR Bahia")
    assert either.total >= sample_archive.search("cocoa").total
    scores = [hit.score for hit in sample_archive.search("oil", limit=20).hits]
    assert scores == sorted(scores, reverse=True)


def test_filters_narrow_results(sample_archive):
    everything = sample_archive.search("*").total
    assert sample_archive.search("*", sources=["bbc"]).total == 20
    assert sample_archive.search("*", topics=["business"]).total == 4
    assert sample_archive.search("*", countries=["Russia"]).total == 1
    usa = sample_archive.search("*", countries=["usa"]).total
    assert usa == sample_archive.search("*", countries=["US"]).total
    assert usa == sample_archive.search("*", countries=["United States"]).total
    assert sample_archive.search("*", regions=["europe"]).total < everything
    both = sample_archive.search("*", countries=["US", "JP"]).total
    assert both > usa
    march = sample_archive.search("*", date_from="1987-03-01", date_to="1987-03-31").total
    assert 0 < march < 1000
    assert march == sample_archive.search("date:1987-03").total
    assert sample_archive.search("*", date_from="1987-02-26", date_to="1987-02-26").total == \
        raw_count(r"<DATE>\s*26-FEB-1987")


def test_one_value_may_be_given_as_a_string(sample_archive):
    assert sample_archive.search("*", countries="Russia").total == 1
    assert sample_archive.search("*", sources="bbc", topics="business").total == 4
    assert list(sample_archive.search("oil", facets="country").facets) == ["country"]
    assert sample_archive.timeline("oil", regions="europe").total == \
        sample_archive.search("oil", regions=["europe"]).total
    assert set(next(sample_archive.export("oil", fields="headline"))) == {"headline"}
    assert list(sample_archive.similar("reuters21578:1", facets="year").facets) == ["year"]


def test_a_topic_with_a_comma_is_found_as_the_source_writes_it(tmp_path, engine_name):
    # IPTC's own names: "economy, business and finance", "arts, culture and entertainment".
    folder = tmp_path / "wire"
    folder.mkdir()
    stories = [{"id": "1", "headline": "Markets rise", "body": "Shares rose.",
                "topics": ["economy, business and finance"]},
               {"id": "2", "headline": "Opera opens", "body": "The house reopened.",
                "topics": ["arts, culture and entertainment", "economy"]}]
    (folder / "wire.json").write_text(json.dumps(stories))
    archive = Archive(tmp_path / "index")
    archive.index([folder], engine=engine_name)
    for spelling in ("economy, business and finance", "Economy,Business and Finance"):
        results = archive.search("*", topics=[spelling])
        assert [hit.id for hit in results.hits] == ["json:1"]
    assert archive.search("*", topics=["economy"]).total == 1
    assert archive.search('topic:"economy, business and finance"').total == 1
    shown = archive.search("*", facets=["topic"]).facets["topic"]
    for bucket in shown:  # a facet's value filters to its count
        assert archive.search("*", topics=[bucket.value]).total == bucket.count
    # Given back as written, comma and all.
    assert {bucket.value for bucket in shown} == {
        "economy, business and finance", "arts, culture and entertainment", "economy"}
    assert archive.get("json:1").topics == ("economy, business and finance",)


def test_spellings_of_a_source_are_one_value(tmp_path, engine_name):
    # Two feeds of a paper that is no known agency (those are named one way, see
    # formats/provenance.py), one in capitals: a filter finds both, a facet counts one.
    folder = tmp_path / "wire"
    folder.mkdir()
    stories = [{"id": str(number), "headline": "Markets rise", "body": "Shares rose.",
                "source": source} for number, source in
               enumerate(["Daily Planet", "DAILY PLANET", "Daily  Planet", "AP"])]
    (folder / "wire.json").write_text(json.dumps(stories))
    archive = Archive(tmp_path / "index")
    archive.index([folder], engine=engine_name)
    for spelling in ("daily planet", "DAILY PLANET", "Daily Planet"):
        assert archive.search("*", sources=[spelling]).total == 3
        assert archive.search(f'source:"{spelling}"').total == 3
    shown = archive.search("*", facets=["source"]).facets["source"]
    assert [(bucket.value, bucket.count) for bucket in shown] == [
        ("Daily Planet", 3), ("AP", 1)]
    assert archive.stats()["sources"] == {"Daily Planet": 3, "AP": 1}


def test_a_search_request_takes_one_string_as_one_value(sample_archive):
    # As Archive.search does: `sources="bbc"` is BBC, not "b", "b" and "c".
    by_keywords = sample_archive.search("", sources="bbc", facets="topic")
    request = SearchRequest(sources="bbc", facets="topic")
    assert request.sources == ("bbc",) and request.facets == ("topic",)
    assert sample_archive.run(request).to_dict() == by_keywords.to_dict()
    assert by_keywords.total > 0 and by_keywords.facets["topic"]
    assert SearchRequest(countries="US").countries == ("US",)
    assert SearchRequest(countries={"US"}, facets=(f for f in ["country"])).facets == (
        "country",)
    assert sample_archive.run(SearchRequest(topics=["tea"])).total == \
        sample_archive.search("*", topics="tea").total > 0


def test_a_query_of_nothing_searchable_finds_nothing(sample_archive):
    for text in ("\U0001f642", "x" * 45, "country:()"):
        results = sample_archive.search(text, facets=["country"])
        assert (results.total, results.facets["country"]) == (0, [])
    assert sample_archive.search("oil .").total == sample_archive.search("oil").total > 0


@pytest.mark.parametrize("call", [
    lambda a: a.search("oil", countries=5), lambda a: a.search("oil", countries=[None]),
    lambda a: a.search("oil", sources=[5]), lambda a: a.search(5),
    lambda a: a.search(["cocoa"]), lambda a: a.search("cocoa", recent=30),
    lambda a: a.get(None), lambda a: a.similar(5), lambda a: a.timeline("oil", topics=[1]),
    lambda a: a.similar("reuters21578:1", limit=0), lambda a: a.export("oil", fields=5),
    lambda a: next(a.export("oil", fields=[])), lambda a: a.search("oil", collapse="no"),
    lambda a: a.search("oil", limit=True), lambda a: a.search("oil", expand=1),
    lambda a: a.search("oil", limit=10.0), lambda a: a.search("oil", page="2"),
    lambda a: a.search("*", countries=b"GB"),
    # A SearchRequest made by hand is checked the same way.
    lambda a: a.run(SearchRequest(query="oil", countries=5)),
    lambda a: a.run(SearchRequest(query="oil", countries=[5])),
    lambda a: a.run(SearchRequest(query="oil", sources=[None])),
    lambda a: Archive(5),
])
def test_arguments_of_the_wrong_kind_are_usage_errors(sample_archive, call):
    with pytest.raises(UsageError):
        call(sample_archive)


@pytest.mark.parametrize("arguments", [
    {"source": 5}, {"format": ["json"]}, {"engine": 1}, {"full": "yes"}, {"dry_run": 1},
    {"jobs": "2"}, {"jobs": 0}, {"jobs": True}, {"wait": "x"}, {"wait": -1},
    {"progress": 5},
])
def test_index_arguments_of_the_wrong_kind_are_refused_before_anything(tmp_path,
                                                                         arguments):
    with pytest.raises(UsageError):
        Archive(tmp_path / "index").index(DATA / "bbc", **arguments)
    assert not (tmp_path / "index").exists()


def test_a_number_of_the_wrong_kind_is_named_as_such(sample_archive):
    with pytest.raises(UsageError, match="limit takes a whole number, not 10.0"):
        sample_archive.search("oil", limit=10.0)


def test_none_for_a_list_means_none(sample_archive):
    assert sample_archive.search("oil", countries=None, facets=None).total == \
        sample_archive.search("oil").total


def test_unknown_filter_values_are_usage_errors(sample_archive):
    with pytest.raises(UsageError, match="unknown country"):
        sample_archive.search("*", countries=["Narnia"])
    with pytest.raises(UsageError, match="unknown facet"):
        sample_archive.search("*", facets=["colour"])
    with pytest.raises(UsageError, match="bad date"):
        sample_archive.search("*", date_from="1987-13")
    with pytest.raises(UsageError, match="after"):
        sample_archive.search("*", date_from="1988", date_to="1987")
    with pytest.raises(UsageError, match="sort"):
        sample_archive.search("*", sort="random")
    with pytest.raises(QueryError):
        sample_archive.search('"oil prices')


def test_sorting_by_date_puts_undated_last(sample_archive):
    newest = sample_archive.search("*", sort="newest", limit=1000).hits
    oldest = sample_archive.search("*", sort="oldest", limit=1000).hits
    dated = [hit.date for hit in newest if hit.date is not None]
    assert dated == sorted(dated, reverse=True)
    assert [h.date for h in oldest if h.date] == sorted(h.date for h in oldest if h.date)
    assert newest[0].score is None
    everything = [hit for page in (1, 2) for hit in sample_archive.search(
        "*", sort="oldest", limit=1000, page=page).hits]
    # BBC and CountryWire articles have no dates: they come after every dated one.
    assert all(hit.date is not None for hit in everything[:1000])
    assert all(hit.date is None for hit in everything[1000:])


def test_pages_continue_each_other(sample_archive):
    first_twenty = [h.id for h in sample_archive.search("oil", limit=20, sort="newest").hits]
    page_two = [h.id for h in sample_archive.search("oil", limit=10, page=2,
                                                    sort="newest").hits]
    assert page_two == first_twenty[10:]


@pytest.mark.parametrize("sort, options", [
    ("relevance", {}), ("newest", {}),
    # Folding copies and recency search a pool of matches larger than the page.
    ("relevance", {"collapse": True}), ("newest", {"collapse": True}),
    ("relevance", {"recent": "30d"}), ("relevance", {"recent": "30d", "collapse": True})])
def test_a_page_past_every_match_is_empty_with_the_total(sample_archive, sort, options):
    # tantivy makes room for every hit asked for first: a billion aborted the process.
    total = sample_archive.search("oil").total
    results = sample_archive.search("oil", sort=sort, limit=1000, page=1_000_000,
                                    facets=["country"], **options)
    assert (results.total, results.hits) == (total, [])
    assert sum(b.count for b in results.facets["country"]) > 0


def test_facets_count_all_matches_not_the_page(sample_archive):
    results = sample_archive.search("oil", facets=["topic"], limit=1, facet_size=1000)
    assert len(results.hits) == 1
    assert sum(b.count for b in results.facets["topic"]) >= results.total - raw_count("NOTHING")
    crude = next(b.count for b in results.facets["topic"] if b.value == "crude")
    assert crude == sample_archive.search("oil", topics=["crude"]).total


def test_a_facet_ignores_its_own_filter(sample_archive):
    plain = sample_archive.search("*", facets=["country"], facet_size=1000)
    filtered = sample_archive.search("*", countries=["usa"], facets=["country", "source"],
                                     facet_size=1000)
    assert [b.value for b in filtered.facets["country"]] == \
        [b.value for b in plain.facets["country"]]
    # Other facets do apply the country filter.
    assert {b.value for b in filtered.facets["source"]} == {"Reuters", "CountryWatch"}


def test_facet_size_truncates_and_says_so(sample_archive):
    results = sample_archive.search("*", facets=["country", "region"], facet_size=3)
    assert len(results.facets["country"]) == 3 and results.facets["country"].truncated
    counts = [b.count for b in results.facets["country"]]
    assert counts == sorted(counts, reverse=True)
    full = sample_archive.search("*", facets=["region"], facet_size=10)
    assert not full.facets["region"].truncated
    assert results.to_dict()["facets_truncated"]["country"] is True


def test_month_buckets_fill_gaps_in_calendar_order(sample_archive):
    months = sample_archive.search("*", facets=["month"]).facets["month"]
    values = [b.value for b in months]
    assert values == sorted(values) and values[0] == "1987-02" and values[-1] == "1987-03"
    assert months[0].label == "Feb 1987"


def test_json_shape_matches_the_contract(sample_archive):
    data = sample_archive.search("cocoa", facets=["country", "year"], limit=1).to_dict()
    assert {"query", "total", "page", "limit", "hits", "facets", "suggestion"} <= set(data)
    hit = data["hits"][0]
    assert {"id", "score", "headline", "date", "source", "countries", "regions", "topics",
            "snippet"} <= set(hit)
    assert hit["date"] == "1987-02-26T15:01:01Z"
    assert "<mark>cocoa</mark>" in hit["snippet"]
    assert set(data["facets"]["country"][0]) == {"value", "label", "count"}


def test_snippets_are_escaped(sample_archive):
    hit = sample_archive.search('"Viacom"', limit=1).hits[0]
    assert "<" not in hit.snippet.replace("<mark>", "").replace("</mark>", "")


def test_a_hit_makes_its_snippet_once_and_only_when_read():
    made = []
    hit = Hit(id="x:1", score=1.0, headline="H", date=None, source="S", countries=(),
              regions=(), topics=(), snippet_maker=lambda: made.append(1) or "<mark>a</mark>")
    assert made == []
    assert hit.snippet == hit.to_dict()["snippet"] == "<mark>a</mark>"
    assert hit.snippet_text == "a" and made == [1]
    assert Hit(id="x:2", score=None, headline="", date=None, source="", countries=(),
               regions=(), topics=()).snippet == ""


def test_snippets_are_made_after_the_archive_is_closed(sample_archive):
    archive = Archive(sample_archive.index_dir.path)
    results = archive.search("oil prices", limit=5)
    archive.close()
    expected = [hit.snippet for hit in sample_archive.search("oil prices", limit=5).hits]
    assert len(expected) == 5 and all("<mark>" in snippet for snippet in expected)
    assert [hit.snippet for hit in results.hits] == expected


def test_get_returns_the_whole_article(sample_archive):
    article = sample_archive.get("countrywire:000_3e0ea549a971dbf5")
    assert article.headline == "Trump-Putin meeting dominates G20 in Germany"
    assert article.countries == ("US", "RU") and article.date is None
    assert article.body.count("\n\n") >= 5
    with pytest.raises(ArticleNotFoundError):
        sample_archive.get("reuters21578:999999")


def test_copies_collapse_into_one_hit(sample_archive):
    loose = sample_archive.search('"export licensing reform"', limit=10)
    assert {"reuters21578:32", "reuters21578:55"} <= {hit.id for hit in loose.hits}
    folded = sample_archive.search('"export licensing reform"', limit=10, collapse=True)
    ids = [hit.id for hit in folded.hits]
    assert len([i for i in ids if i in ("reuters21578:32", "reuters21578:55")]) == 1
    kept = next(hit for hit in folded.hits if hit.id in ("reuters21578:32", "reuters21578:55"))
    other = {"reuters21578:32", "reuters21578:55"} - {kept.id}
    assert other <= set(kept.duplicates)
    assert folded.total == loose.total


@pytest.mark.parametrize("collapse", [False, True])
def test_recent_pages_never_repeat_a_story(sample_archive, collapse):
    """data/ holds more stories than recency re-ranks: pages past the pool continue with
    the rest, and every story is on exactly one page (folded into a hit, with copies)."""
    total = sample_archive.search("").total
    assert total > RECENT_POOL
    seen = []
    for page in range(1, -(-total // 100) + 1):
        results = sample_archive.search("", recent="30d", limit=100, page=page,
                                        collapse=collapse)
        seen += [story for hit in results.hits for story in [hit.id, *hit.duplicates]]
    assert len(seen) == len(set(seen)) == total


def test_recent_mode_favours_newer_stories(sample_archive):
    newest = sample_archive.search("oil", sort="newest", limit=1).hits[0]
    plain = sample_archive.search("oil", limit=5).hits
    recent = sample_archive.search("oil", recent="1h", limit=5).hits
    assert recent[0].date == newest.date
    assert [h.id for h in plain] != [h.id for h in recent]
    with pytest.raises(UsageError, match="half-life"):
        sample_archive.search("oil", recent="soon")


def test_did_you_mean_uses_the_index_vocabulary(sample_archive):
    assert sample_archive.search("cocao").suggestion == "cocoa"
    assert sample_archive.search("Lavorv").suggestion == "Lavrov"
    assert sample_archive.search("cocoa").suggestion is None


def test_did_you_mean_counts_only_the_stories_there_now(tmp_path, engine_name):
    """A misspelling corrected on the wire: the replaced stories no longer count for
    it, though the engine's statistics keep them until a merge."""
    folder = tmp_path / "wire"
    folder.mkdir()

    def write(name: str, bodies: list[str]) -> None:
        (folder / name).write_text("".join(
            json.dumps({"id": f"{name[0]}{n}", "title": f"Story {name[0]}{n}", "body": body,
                        "date": "2020-01-01", "source": "Test"}) + "\n"
            for n, body in enumerate(bodies)))

    archive = Archive(tmp_path / "index")
    write("a.jsonl", [f"filler text number {n}" for n in range(1000)] + ["a zebra"] * 5)
    archive.index([folder], engine=engine_name)
    write("b.jsonl", ["the zebar escaped"] * 3 + ["unchanged story"])
    archive.index([folder])
    write("b.jsonl", ["the animal escaped"] * 3 + ["unchanged story"])
    archive.index([folder])
    found = archive.search("zebar")
    assert (found.total, found.suggestion) == (0, "zebra")
    archive.close()


def test_similar_finds_related_stories_not_copies(sample_archive):
    results = sample_archive.similar("reuters21578:32", limit=5)
    ids = [hit.id for hit in results.hits]
    assert "reuters21578:32" not in ids and "reuters21578:55" not in ids
    assert results.total > 0
    cocoa = sample_archive.similar("reuters21578:1", limit=3)
    assert "reuters21578:275" in [hit.id for hit in cocoa.hits]


def test_similar_folds_the_copies_of_what_it_finds_when_asked(sample_archive):
    plain = sample_archive.similar("reuters21578:347", limit=10)
    folded = sample_archive.similar("reuters21578:347", limit=10, collapse=True,
                                    facets="country")
    assert folded.collapsed and folded.total == plain.total
    assert folded.facets["country"] == sample_archive.similar(
        "reuters21578:347", limit=10, facets="country").facets["country"]
    shown = [hit.id for hit in folded.hits]
    copies = [copy for hit in folded.hits for copy in hit.duplicates]
    # 230 and 240 are one story (which is shown depends on the engine's order of ties).
    pair = {"reuters21578:230", "reuters21578:240"}
    assert len(pair & set(shown)) == 1 and len(pair & set(copies)) == 1
    assert not set(copies) & set(shown)
    # Folding only takes copies out: the order of the rest is kept.
    kept = [hit.id for hit in plain.hits if hit.id not in copies]
    assert shown[:len(kept)] == kept[:len(shown)]


def test_timeline_buckets_sum_to_the_total(sample_archive):
    by_day = sample_archive.timeline("oil", by="day")
    assert sum(b.count for b in by_day.buckets) == by_day.total - by_day.undated
    assert by_day.total == sample_archive.search("oil").total
    days = [b.start for b in by_day.buckets]
    assert days == [days[0] + dt.timedelta(days=n) for n in range(len(days))]
    by_week = sample_archive.timeline("oil", by="week")
    assert all(b.start.weekday() == 0 for b in by_week.buckets)
    assert sum(b.count for b in by_week.buckets) == sum(b.count for b in by_day.buckets)
    everything = sample_archive.timeline("", by="year")
    assert everything.undated == 21


def test_export_streams_every_match_with_chosen_fields(sample_archive):
    rows = list(sample_archive.export("oil", fields=["id", "headline", "date"]))
    assert len(rows) == sample_archive.search("oil").total
    assert set(rows[0]) == {"id", "headline", "date"}
    with pytest.raises(UsageError, match="unknown field"):
        list(sample_archive.export("oil", fields=["colour"]))


def test_an_export_read_after_closing_says_so(tmp_path, engine_name):
    archive = Archive(tmp_path / "index")
    archive.index([DATA / "bbc" / "business"], engine=engine_name)
    with archive:
        rows = archive.export("*", fields=["id"])
        first = next(rows)
    assert first["id"].startswith("bbc:business/")
    with pytest.raises(UsageError, match="closed before its export was read"):
        next(rows)
    with archive:  # an Archive opens again when used
        assert len(list(archive.export("*", fields=["id"]))) == 4


def test_stats_describe_the_index(sample_archive):
    stats = sample_archive.stats()
    assert stats["documents"] == SAMPLE_SIZE
    assert stats["oldest"] == "1987-02-26T15:01:01Z"
    assert stats["sources"] == {"Reuters": 1000, "BBC": 20, "CountryWatch": 1}
    assert stats["engine"] in ("whoosh", "tantivy")


@pytest.mark.parametrize("word, prefix", [
    ("exports", "exports"), ("economy", "economy"), ("company", "company"),
    ("agency", "agency"), ("negotiations", "negotiat"), ("regulations", "regulat")])
def test_a_prefix_finds_every_story_a_word_it_starts_finds(sample_archive, word, prefix):
    plain = {hit.id for hit in sample_archive.search(word, limit=1000).hits}
    starred = {hit.id for hit in sample_archive.search(prefix + "*", limit=1000).hits}
    assert plain and plain <= starred


def test_recency_orders_stories_far_older_than_its_half_life(tmp_path):
    """score x 0.5^(age / half-life) is 0.0 in floating point past some 1,075
    half-lives; the order must still be newest first, not the index's order."""
    dates = ["1850-01-01", "2020-12-31", "1995-06-01", "2021-01-04"]
    lines = [json.dumps({"id": f"s{number}", "title": "Budget story",
                         "body": "The budget was passed.", "date": date})
             for number, date in enumerate(dates)]
    (tmp_path / "wire.jsonl").write_text("\n".join(lines) + "\n")
    with Archive(tmp_path / "index") as archive:
        archive.index([tmp_path / "wire.jsonl"])
        newest_first = ["json:s3", "json:s1", "json:s2", "json:s0"]
        ranked = archive.search("budget", recent="1d").hits
        assert [hit.id for hit in ranked] == newest_first
        assert [row["id"] for row in archive.export("budget", recent="1d")] == newest_first


def test_every_error_a_user_can_meet_is_importable_from_the_package():
    import inspect

    import wiresearch
    from wiresearch import errors

    for name, value in vars(errors).items():
        if inspect.isclass(value) and issubclass(value, errors.WiresearchError):
            assert getattr(wiresearch, name) is value, name
            assert name in wiresearch.__all__


def test_a_phrase_around_a_word_too_long_to_index_finds_its_story(tmp_path, engine_name):
    long_word = "x" * 45
    folder = write_articles(tmp_path / "wire", [
        ("1", "Trade", f"The trade deficit {long_word} prices rose."),
        ("2", "Other", "The trade deficit grew and prices rose."),
        ("3", "Crude", f"Crude {long_word} oil prices fell, while oil and gas prices rose."),
        # The words around the long one are not an exact phrase.
        ("4", "Spot", f"Crude {long_word} oil spot prices fell.")])
    archive = Archive(tmp_path / "index")
    archive.index([folder], engine=engine_name)
    assert [hit.id for hit in archive.search(f'"deficit {long_word} prices"').hits] == [
        "json:1"]
    assert [hit.id for hit in archive.search(f'"crude {long_word} oil prices"').hits] == [
        "json:3"]
    assert archive.search(f'"crude {long_word} gas prices"').total == 0


COMPOUND_STORIES = [
    ("1", "Soyoil exports rise", "Argentine soyoil shipments grew in March."),
    ("2", "Soy oil prices", "Soy oil prices rose on the Chicago board."),
    ("3", "Palm oil output", "Malaysian palm oil output fell."),
    ("4", "Dollar view", "They told us the dollar would fall."),
    ("5", "U.S. dollar rises", "The U.S. dollar rose against the yen."),
    ("6", "Petrochemicals plant", "A new petrochemicals plant opened in Jubail."),
    ("7", "Soybeans", "Soybean crushers bought more beans."),
]


@pytest.fixture
def compound_archive(tmp_path, engine_name) -> Archive:
    archive = Archive(tmp_path / "index")
    archive.index([write_articles(tmp_path / "wire", COMPOUND_STORIES)], engine=engine_name)
    yield archive
    archive.close()


def found(archive, query):
    return sorted(hit.id.removeprefix("json:") for hit in archive.search(query).hits)


def test_neighbouring_words_find_stories_that_write_them_as_one(compound_archive):
    assert found(compound_archive, "soy oil") == ["1", "2"]
    assert found(compound_archive, "petro-chemicals") == ["6"]
    hit = next(hit for hit in compound_archive.search("soy oil").hits if hit.id == "json:1")
    assert "<mark>soyoil</mark>" in hit.snippet.lower()
    # A story that writes the compound ranks above one with only one of its words.
    ranked = [hit.id for hit in compound_archive.search("soy OR oil").hits]
    assert ranked.index("json:1") < ranked.index("json:3")


def test_excluded_words_exclude_their_compound_too(compound_archive):
    assert found(compound_archive, "oil -(soy oil)") == ["3"]


def test_quoted_phrases_and_initials_are_not_joined(compound_archive):
    assert found(compound_archive, '"soy oil"') == ["2"]
    assert found(compound_archive, "U.S. dollar") == ["5"]  # not the "us" of story 4
    # A word the archive does not hold joined ("soybeanscrush") changes nothing.
    assert found(compound_archive, "soybeans crushers") == ["7"]


@pytest.fixture(scope="module")
def compound_whoosh_archive(tmp_path_factory) -> Archive:
    folder = tmp_path_factory.mktemp("compounds")
    archive = Archive(folder / "index")
    archive.index([write_articles(folder / "wire", COMPOUND_STORIES)])
    yield archive
    archive.close()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["soy", "oil", "soy oil", "soy OR oil", "palm", "OR", "AND",
                                 "-", "(", ")", "u s", "petro-chemicals", "dollar", "plant",
                                 '"soy oil"', "soybeans"]), min_size=1, max_size=8))
def test_compounds_only_add_matches(compound_whoosh_archive, parts):
    """Outside a negation (where a compound excludes more, as it should)."""
    request = SearchRequest(query=" ".join(parts))
    try:
        joined = compound_whoosh_archive._plan(request).node()
    except UsageError:
        return
    searcher = compound_whoosh_archive._reader()
    alone = build_plan(request, compound_whoosh_archive._resolve).node()
    assert set(searcher.ids(alone)) <= set(searcher.ids(joined))
