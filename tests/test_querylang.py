import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiresearch import nodes
from wiresearch.dates import epoch_seconds
from wiresearch.errors import QueryError, UsageError
from wiresearch.querylang import MAX_COMPOUNDS, MAX_QUERY_LENGTH, parse
from wiresearch.ranking import FIELD_WEIGHTS


def across(make):
    return nodes.Or(tuple(make(name, FIELD_WEIGHTS[name]) for name in nodes.TEXT_FIELDS))


def term(text):
    return across(lambda name, weight: nodes.Term(name, text, weight))


def seconds(*parts):
    return epoch_seconds(dt.date(*parts))


def test_empty_and_star_match_everything():
    assert parse("").node == nodes.MatchAll()
    assert parse("  * ").node == nodes.MatchAll()


def test_words_are_analyzed_and_anded():
    parsed = parse("Cocoa Exports")
    assert parsed.node == nodes.And((term("cocoa"), term("export")))
    assert [w.text for w in parsed.words] == ["Cocoa", "Exports"]


def test_stop_words_are_dropped_outside_quotes_only():
    assert parse("the cocoa").node == term("cocoa")
    phrase = parse('"bank of england"').node
    assert phrase.children[0] == nodes.Phrase("headline", ("bank", "of", "england"), 0,
                                              FIELD_WEIGHTS["headline"])


def test_or_binds_tighter_than_and():
    assert parse("cocoa brazil OR ghana").node == nodes.And(
        (term("cocoa"), nodes.Or((term("brazil"), term("ghana")))))


def test_not_and_minus_exclude():
    assert parse("cocoa -rain").node == nodes.And((term("cocoa"), nodes.Not(term("rain"))))
    assert parse("cocoa NOT rain").node == parse("cocoa -rain").node
    assert parse("-rain").node == nodes.And((nodes.Not(term("rain")),))


@pytest.mark.parametrize("text, same_as", [
    # A sign right after another token is an operator, not a dash analysis drops.
    ("(coffee)-cocoa", "(coffee) -cocoa"), ('"oil prices"-opec', '"oil prices" -opec'),
    ('"oil"~2-opec', '"oil"~2 -opec'), ("+-cocoa", "-cocoa"),
    ("--cocoa", "-cocoa"),  # a dash typed twice
])
def test_a_sign_against_the_token_before_it_is_still_an_operator(text, same_as):
    assert parse(text).node == parse(same_as).node


@pytest.mark.parametrize("text", ["country:-us", "headline:-cocoa", "topic:+earn"])
def test_a_sign_after_a_field_says_where_it_goes(text):
    with pytest.raises(QueryError, match="a sign goes before the field"):
        parse(text)


def test_words_with_dashes_stay_words():
    assert parse("anti-dumping").node == parse('"anti dumping"').node
    assert parse("1987-88").node == parse('"1987 88"').node


def test_nesting_is_bounded_with_a_query_error():
    parse("(" * 100 + "a" + ")" * 100)
    for text in ("(" * 245 + "a" + ")" * 245, "-(" * 198 + "a" + ")" * 198, "+" * 400 + "a",
                 "(" * 101 + "a" + ")" * 101):
        with pytest.raises(QueryError, match="nests"):
            parse(text)


def test_a_phrase_keeps_the_place_of_a_word_too_long_to_index():
    # The index counts the long word's position: the words around it are two apart.
    long_word = "x" * 45
    parsed = parse(f'"deficit {long_word} prices"')
    assert parsed.node.children[1] == nodes.Phrase("body", ("deficit", "price"), 1, 1.0)
    # The rest of the phrase stays exact; a long word at its end constrains nothing.
    assert parse(f'"crude {long_word} oil prices"').node.children[1] == nodes.And((
        nodes.Phrase("body", ("crude", "oil"), 1, 1.0),
        nodes.Phrase("body", ("oil", "price"), 0, 1.0)))
    assert parse(f'"{long_word} oil prices"').node == parse('"oil prices"').node


def test_fuzzy_words_are_bounded():
    assert parse("e~2").fuzzy == {("e", 0)}  # any one- or two-letter word otherwise
    assert parse("cat~2").fuzzy == {("cat", 2)}
    with pytest.raises(QueryError, match="at most 10 fuzzy words"):
        parse(" ".join(f"word{n}x~1" for n in range(11)))
    for text in ("cocoa~1.5", "cocoa~.5"):
        with pytest.raises(QueryError, match="fuzzy distance"):
            parse(text)


def test_a_prefix_of_several_words_is_refused():
    with pytest.raises(QueryError, match="2 words"):
        parse("U.S*")


def test_a_date_may_be_quoted():
    assert parse('date:>"1987-03"').node == parse("date:>1987-03").node
    assert parse('date:"1987-03"').node == parse("date:1987-03").node
    with pytest.raises(QueryError, match="in date:>1987-13"):
        parse("date:>1987-13")


def test_an_error_quoting_the_query_stays_on_one_line():
    with pytest.raises(QueryError) as raised:
        parse("date:[1987\n1988]")
    assert "\n" not in str(raised.value)


def test_grouping():
    assert parse("(cocoa OR coffee) brazil").node == nodes.And(
        (nodes.Or((term("cocoa"), term("coffe"))), term("brazil")))


def test_phrase_and_proximity():
    exact = parse('"oil prices"').node
    near = parse('"oil prices"~3').node
    assert exact.children[1] == nodes.Phrase("body", ("oil", "price"), 0, 1.0)
    assert near.children[1] == nodes.Phrase("body", ("oil", "price"), 3, 1.0)
    assert parse('"oil prices"~1000').node.children[1].slop == 1000
    # Past a story's length nearness means nothing, and a huge one kept a search busy.
    for far in ('"oil prices"~1001', '"oil prices"~99999999999999999999'):
        with pytest.raises(QueryError, match="proximity is at most 1000 words"):
            parse(far)


@pytest.mark.parametrize("text", [".", "\U0001f642", "x" * 45, '"' + "x" * 45 + '"',
                                  "headline:()", "country:()", "()", "-."])
def test_a_query_of_nothing_searchable_matches_nothing(text):
    # Not everything, as an empty query does.
    assert parse(text).node == nodes.MatchNone()


def test_unsearchable_marks_beside_words_are_passed_over():
    assert parse("oil .").node == parse("oil").node == parse("oil ()").node


def test_a_field_of_only_stop_words_searches_for_them():
    node = parse("headline:the").node
    assert node == parse("headline:(the)").node == parse('headline:"the"').node
    assert isinstance(node, nodes.Term) and (node.field, node.text) == ("headline", "the")


def test_proximity_of_three_words_is_pairwise():
    node = parse('"a big oil"~2').node.children[1]
    assert node == nodes.And((nodes.Phrase("body", ("a", "big"), 2, 1.0),
                              nodes.Phrase("body", ("big", "oil"), 2, 1.0)))


def test_prefix_and_fuzzy():
    parsed = parse("export* lavrov~ cat~1")
    prefix, fuzzy, short = parsed.node.children
    assert prefix.children[1] == nodes.Prefix("body", "export", 1.0)
    assert fuzzy.children[1] == nodes.Fuzzy("body", "lavrov", 2, 1.0)
    assert short.children[1] == nodes.Fuzzy("body", "cat", 1, 1.0)
    assert parsed.prefixes == {"export"} and ("lavrov", 2) in parsed.fuzzy


@pytest.mark.parametrize("text", ["oil NOT headline:prices", "oil -prices", "oil -(price* gas~)",
                                  'oil NOT "prices rise"'])
def test_excluded_words_are_not_highlighted(text):
    parsed = parse(text)
    assert (parsed.terms, parsed.prefixes, parsed.fuzzy) == ({"oil"}, set(), set())


def test_excluded_words_are_kept_apart_for_query_expansion_to_leave_out():
    assert parse("coffee NOT headline:brazil").excluded == {"brazil"}
    assert parse("coffee brazil").excluded == set()


def test_a_word_excluded_and_wanted_is_highlighted_where_wanted():
    assert parse("-prices oil prices").terms == {"oil", "price"}


def test_a_prefix_finds_the_word_it_is_made_of():
    # The index holds stems: terms starting "economy" miss economy itself ("economi").
    body = parse("economy*").node.children[1]
    assert body == nodes.Or((nodes.Prefix("body", "economy", 1.0),
                             nodes.Term("body", "economi", 1.0)))
    assert parse("export*").node.children[1] == nodes.Prefix("body", "export", 1.0)


def test_a_prefix_finds_the_stems_of_the_archives_words_it_starts():
    # negotiate, negotiations: index term `negoti`, which `negotiat` does not start.
    vocabulary = ["negotiate", "negotiations", "negotiator", "negotiating"]
    parsed = parse("negotiat*", words_starting=lambda prefix: [
        word for word in vocabulary if word.startswith(prefix)])
    assert parsed.node.children[1] == nodes.Or((nodes.Prefix("body", "negotiat", 1.0),
                                                nodes.Term("body", "negoti", 1.0)))
    # Without the archive's words, only the typed word's own stem can be known.
    assert parse("negotiat*").node.children[1] == nodes.Prefix("body", "negotiat", 1.0)


@pytest.mark.parametrize("text", ["cat~3", "cat~-1", "cat~+2"])
def test_a_fuzzy_distance_outside_0_to_2_is_refused(text):
    # A signed distance read as punctuation made the phrase "cat 1", found nowhere.
    with pytest.raises(QueryError, match="fuzzy distance must be 0, 1 or 2"):
        parse(text)


@pytest.mark.parametrize("text, message", [
    ("oil~*", "not both"), ("oil~1*", "not both"), ("oil*~", "wildcards work only"),
    ('"oil prices"~5~', "one distance"), ('"oil prices"~~', "one distance")])
def test_marks_that_would_be_dropped_are_refused(text, message):
    # `oil~*` was the prefix oil* and `"oil prices"~5~` the phrase within 5: a mark
    # the user typed was silently left out.
    with pytest.raises(QueryError, match=message):
        parse(text)


def test_punctuated_word_is_a_phrase():
    node = parse("U.S.").node
    assert node.children[1] == nodes.Phrase("body", ("u", "s"), 0, 1.0)


def test_text_fields():
    assert parse("headline:cocoa").node == nodes.Term("headline", "cocoa",
                                                      FIELD_WEIGHTS["headline"])
    assert parse('body:"oil prices"').node == nodes.Phrase("body", ("oil", "price"), 0, 1.0)
    assert parse("headline:(cocoa OR coffee)").node == nodes.Or(
        (nodes.Term("headline", "cocoa", FIELD_WEIGHTS["headline"]),
         nodes.Term("headline", "coffe", FIELD_WEIGHTS["headline"])))


def test_keyword_fields_resolve_values():
    assert parse("country:ussr").node == nodes.Term("country", "SUHH")
    assert parse('country:"West Germany"').node == nodes.Term("country", "DE")
    assert parse("region:europe").node == nodes.Term("region", "Europe")
    resolved = parse("source:reuters", lambda field, value: (value.title(),)).node
    assert resolved == nodes.Term("source", "Reuters")
    assert parse("country:(US OR GB)").node == nodes.Or(
        (nodes.Term("country", "US"), nodes.Term("country", "GB")))


@pytest.mark.parametrize("text, start, end", [
    ("date:1987-03", (1987, 3, 1), (1987, 4, 1)),
    ("date:[1987-03-01 TO 1987-03-15]", (1987, 3, 1), (1987, 3, 16)),
    ("date:{1987-03-01 TO 1987-03-15}", (1987, 3, 2), (1987, 3, 15)),
    ("date:>2017-01-01", (2017, 1, 2), None),
    ("date:>=2017-01-01", (2017, 1, 1), None),
    ("date:<1987-04", None, (1987, 4, 1)),
    ("date:<=1987-04", None, (1987, 5, 1)),
    ("date:[* TO 1987-03-15]", None, (1987, 3, 16)),
    # Mixed brackets, as in Lucene: the start included, the end not, or the reverse.
    ("date:[1987-03-01 TO 1987-03-15}", (1987, 3, 1), (1987, 3, 15)),
    ("date:{1987-03-01 TO *]", (1987, 3, 2), None),
    # Ends of different lengths: a day to the end of its month is not backwards.
    ("date:[1987-03-15 TO 1987-03]", (1987, 3, 15), (1987, 4, 1)),
    ("date:[1987-06 TO 1987]", (1987, 6, 1), (1988, 1, 1)),
])
def test_dates_inline(text, start, end):
    expected = nodes.DateRange(seconds(*start) if start else None,
                               seconds(*end) if end else None)
    assert parse(text).node == expected


@pytest.mark.parametrize("text, message, position", [
    ('"oil prices', "unbalanced quote", 0),
    ("(cocoa OR coffee", "unbalanced parenthesis", 0),
    ("cocoa)", "unbalanced parenthesis", 5),
    ("cocoa OR", "OR needs something on its right", 6),
    ("OR cocoa", "OR needs something on its left", 0),
    ("cocoa AND", "AND needs something on its right", 6),
    ("date:[x TO y]", "bad date 'x'", 5),
    ("date:[1987-03", "unbalanced bracket", 5),
    ("date:[1987-03-02 TO 1987-03-01]", "1987-03-02 is after 1987-03-01", 5),
    ("date:[1988 TO 1987-12]", "1988 is after 1987-12", 5),
    ("country:Narnia", "unknown country", 8),
    ("region:Mars", "unknown region", 7),
    ("headlin:oil", "unknown field 'headlin'", 0),
    ("ex*rt", "wildcards work only at the end", 0),
    ('"oil prices"~', "proximity needs a number", 0),
    ('oil ""~', "proximity needs a number", 4),
    ('"!"~1001', "proximity is at most", 0),
    ("cocoa\x07", "control character", 5),
])
def test_bad_queries_point_at_the_problem(text, message, position):
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert caught.value.position == position
    assert f"at character {position + 1}" in str(caught.value)


def test_very_long_queries_are_refused_clearly():
    with pytest.raises(QueryError, match="limit is"):
        parse("word " * 2000)
    assert len("word " * 2000) > MAX_QUERY_LENGTH


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_parser_takes_any_string(text):
    try:
        parsed = parse(text)
    except UsageError as error:  # QueryError is a UsageError
        assert str(error)
        return
    assert isinstance(parsed.node, nodes.Node)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(['"', "(", ")", "OR", "AND", "NOT", "-", "cocoa", "oil*",
                                 "lavrov~", "date:1987", "country:US", ":", "~2", "[", "]",
                                 "date:[1987 TO 1988]", "headline:", "*"]), max_size=12))
def test_parser_takes_any_mix_of_operators(parts):
    test_parser_takes_any_string.hypothesis.inner_test(" ".join(parts))


# Compounds: neighbouring words also match the one word they make

def compound(text, words=2):
    return across(lambda name, weight: nodes.Term(name, text, weight * words))


def held(*terms):
    return set(terms).__contains__


def test_two_neighbouring_words_also_match_the_word_they_make_where_it_is_held():
    both = nodes.And((term("soy"), term("oil")))
    parsed = parse("soy oil", holds_term=held("soyoil"))
    assert parsed.node == nodes.Or((both, compound("soyoil")))
    assert "soyoil" in parsed.terms  # snippets mark it
    # Not held, or nothing to ask: the words alone.
    assert parse("soy oil", holds_term=held("palmoil")).node == both
    assert parse("soy oil").node == both


def test_a_compound_takes_the_place_of_its_two_words_among_the_others():
    parsed = parse("tokyo stock market -bonds", holds_term=held("stockmarket"))
    tokyo, stock, market, bonds = (term(w) for w in ("tokyo", "stock", "market", "bond"))
    assert parsed.node == nodes.Or((
        nodes.And((tokyo, stock, market, nodes.Not(bonds))),
        nodes.And((tokyo, compound("stockmarket"), nodes.Not(bonds)))))


def test_words_with_plus_signs_are_joined_as_the_words():
    assert parse("+soy +oil", holds_term=held("soyoil")).node == parse(
        "soy oil", holds_term=held("soyoil")).node


def test_an_or_list_gets_its_compounds_as_options_beside_its_words():
    parsed = parse("soy OR oil", holds_term=held("soyoil"))
    assert parsed.node == nodes.Or((nodes.Or((term("soy"), term("oil"))),
                                    compound("soyoil")))


def test_a_hyphenated_word_is_also_the_word_without_its_hyphen():
    phrase = across(lambda name, weight: nodes.Phrase(name, ("petro", "chemic"), 0, weight))
    parsed = parse("Petro-Chemicals", holds_term=held("petrochem"))
    assert parsed.node == nodes.Or((phrase, compound("petrochem")))
    assert parse("co-op-erative", holds_term=held("cooper")).node == nodes.Or((
        across(lambda name, weight: nodes.Phrase(name, ("co", "op", "erat"), 0, weight)),
        compound("cooper", 3)))


@pytest.mark.parametrize("text", [
    '"soy oil"',            # a quoted phrase is exact
    "U.S.", "u s dollar",   # initials: "us" is another word
    "soy -oil", "-soy oil", "soy* oil", "soy~ oil", "headline:soy oil",
    "soy (oil)", "(soy) oil",  # not neighbours in one list
    "3 4", "g-20", "soy/oil", "oil's price", "soy, oil",
])
def test_words_that_are_not_joined(text):
    assert parse(text, holds_term=lambda held_term: True).node == parse(text).node


def test_a_query_gets_at_most_max_compounds():
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    parsed = parse(" ".join(words), holds_term=lambda held_term: True)
    assert isinstance(parsed.node, nodes.Or)
    assert len(parsed.node.children) == 1 + MAX_COMPOUNDS


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(['"', "(", ")", "OR", "AND", "NOT", "-", "soy", "oil",
                                 "palm", "u", "s", "the", "soy-oil", "oil*", "headline:",
                                 "3", "~"]), max_size=12))
def test_parser_takes_any_mix_with_compounds(parts):
    try:
        parsed = parse(" ".join(parts), holds_term=lambda held_term: True)
    except UsageError as error:
        assert str(error)
        return
    assert isinstance(parsed.node, nodes.Node)
