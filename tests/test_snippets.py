import re

from hypothesis import given
from hypothesis import strategies as st

from wiresearch import analysis
from wiresearch.snippets import Highlighter, highlight_line, snippet

TEXT = ("Showers continued throughout the week in the Bahia cocoa zone, alleviating the "
        "drought since early January. " + "Filler words about nothing at all. " * 20 +
        "Exporters said prices of cocoa beans rose to 340 cruzados per arroba.")


def marked(html):
    return re.findall(r"<mark>(.*?)</mark>", html)


def test_every_form_of_a_query_word_is_marked():
    result = snippet("Exports rose; the exporter said exporting was up.",
                     Highlighter({"export"}))
    assert marked(result) == ["Exports", "exporter", "exporting"]


def test_prefix_and_fuzzy_matches_are_marked():
    text = "Lavrov met exporters in Moscow."
    assert marked(snippet(text, Highlighter(prefixes={"export"}))) == ["exporters"]
    assert marked(snippet(text, Highlighter(fuzzy={("lavrof", 1)}))) == ["Lavrov"]


def test_the_passage_with_most_query_words_wins():
    result = snippet(TEXT, Highlighter({"price", "bean"}))
    assert "prices" in result and "beans" in result
    assert "Showers" not in result


def test_words_far_apart_get_two_fragments():
    result = snippet(TEXT, Highlighter({"shower", "bean"}), length=200)
    assert marked(result) == ["Showers", "beans"]
    assert " … " in result


def test_snippets_never_cut_a_word_and_stay_short():
    words = set(re.findall(r"\w+", TEXT))
    for query in ({"drought"}, {"price"}, {"nothing"}, set()):
        result = snippet(TEXT, Highlighter(query), length=120)
        plain = re.sub(r"</?mark>", "", result).replace("…", " ")
        assert set(re.findall(r"\w+", plain)) <= words
        assert len(plain) <= 120 + 60


def test_snippets_are_html_escaped():
    result = snippet("Shares of <Parlux Fragrances Inc> & partners rose.", Highlighter({"share"}))
    assert "&lt;Parlux Fragrances Inc&gt; &amp; partners" in result
    assert result.startswith("<mark>Shares</mark>")


def test_headlines_are_marked_whole():
    assert highlight_line("BAHIA COCOA REVIEW", Highlighter({"cocoa"})) == \
        "BAHIA <mark>COCOA</mark> REVIEW"


@given(st.text(max_size=500), st.sets(st.text(min_size=1, max_size=8), max_size=4))
def test_snippet_takes_any_text(text, terms):
    result = snippet(text, Highlighter(terms))
    assert result.count("<mark>") == result.count("</mark>")


WORDS = ["oil", "oils", "Prices", "priced", "export", "exporters", "dying", "die", "sky",
         "skies", "early", "1987", "x" * 45, "Zürich", "naïve", "_id", "a", "the"]


@given(st.lists(st.sampled_from(WORDS), max_size=80),
       st.lists(st.sampled_from([" ", ", ", ". ", "-", "\n", "'"]), min_size=1),
       st.sets(st.sampled_from(WORDS), max_size=3), st.sets(st.sampled_from(["ex", "pr", "d"])))
def test_marked_words_are_the_words_whose_terms_match(words, gaps, query, prefixes):
    """Every path that finds matching words (plain text, accented text) marks exactly
    the words analysis.tokens gives whose term is a query term or starts with a prefix."""
    text = "".join(word + gaps[i % len(gaps)] for i, word in enumerate(words))
    terms = {analysis.term(word) for word in query}
    expected = [text[start:end] for _p, start, end, word in analysis.tokens(text)
                if analysis.stem(word) in terms
                or any(word.startswith(p) or analysis.stem(word).startswith(p)
                       for p in prefixes)]
    assert marked(highlight_line(text, Highlighter(terms, prefixes))) == expected
