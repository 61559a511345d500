from hypothesis import given
from hypothesis import strategies as st

from wiresearch import analysis


def test_case_accents_and_endings_do_not_matter():
    assert analysis.terms("Café EXPORTERS") == analysis.terms("cafe exporter")
    assert analysis.terms("Straße") == ["strass"]


def test_long_tokens_are_dropped_but_keep_their_position():
    text = "start " + "x" * 45 + " end"
    assert analysis.positioned_terms(text) == ["start", None, "end"]
    # An ASCII word is kept up to 39 letters (ASCII text is checked all at once).
    assert analysis.words("a " + "x" * 39) == ["a", "x" * 39]
    assert analysis.words("a " + "x" * 40) == ["a"]
    # Length counts UTF-8 bytes before folding: 20 "é" are 40 bytes, too long.
    assert analysis.positioned_terms("é" * 20 + "x") == [None]
    assert analysis.words("é" * 20 + "x") == []


def test_stop_words_stay_in_the_index():
    assert analysis.terms("the bank of england") == ["the", "bank", "of", "england"]


# ASCII text takes a path of its own in bulk analysis (str.translate, not the regex).
@given(st.text(max_size=300) | st.text(st.characters(max_codepoint=127), max_size=300))
def test_bulk_analysis_matches_token_by_token_analysis(text):
    one_by_one = {position: analysis.stem(word) for position, _s, _e, word in
                  analysis.tokens(text)}
    bulk = {position: term for position, term in enumerate(analysis.positioned_terms(text))
            if term is not None}
    assert bulk == one_by_one
    assert analysis.words(text) == [word for _p, _s, _e, word in analysis.tokens(text)]
    assert analysis.spans(text) == [(start, end, word, analysis.stem(word))
                                    for _p, start, end, word in analysis.tokens(text)]


@given(headline=st.text(), body=st.text())
def test_a_storys_words_are_its_headlines_then_its_bodys(headline, body):
    """normalize takes a story's words field by field (which postings then find made)
    where they were once taken from the headline and body joined by a line break."""
    joined = analysis.words(headline + "\n" + body)
    assert analysis.words(headline) + analysis.words(body) == joined


def test_words_given_out_can_be_changed_without_changing_the_next_answer():
    text = "Cocoa prices rose in London"
    first = analysis.words(text)
    first.append("changed")
    assert analysis.words(text) == ["cocoa", "prices", "rose", "in", "london"]
    assert analysis.terms(text) == ["cocoa", "price", "rose", "in", "london"]
