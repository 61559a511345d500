import datetime as dt
import re
import unicodedata
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wiresearch.model import RawRecord
from wiresearch.normalize import (
    SPACE,
    clean_body,
    clean_dateline,
    clean_text,
    clean_topics,
    normalize,
    paragraphs,
    strip_markup,
    without_filler,
)


def record(**fields) -> RawRecord:
    base = dict(collection="test", native_id="1", source="Test", headline="Headline",
                body="Body text.")
    base.update(fields)
    return RawRecord(**base)


def test_control_characters_entities_and_odd_spaces_are_cleaned():
    assert clean_text("a\x02b\x7fc\u00a0d\u200be") == "a b c de"
    assert clean_text("caf&eacute; &amp; <b>bar</b>", markup=True) == "café & bar"
    assert clean_text("cafe\u0301") == "café"  # NFC


# Text rich in what cleaning looks at: runs of every kind of space, line breaks, control
# and invisible characters, Reuters' filler in several cases, letters that change length
# in lower case (İ) or match another letter when case is ignored (the Kelvin sign).
odd_pieces = st.sampled_from([" ", "  ", "\t", "\u00a0", "\u2003", "\u3000", "\n", "\r\n",
                              "\x02", "\x7f", "\u200b", "\u00ad", "a", "B", "İ", "\u212a",
                              "Blah blah blah.", "BLAH BLAH BLAH.", "blah blah blah",
                              "bLaH bLaH BlAh.", "."])
odd_text = st.lists(odd_pieces, max_size=30).map("".join)


@given(odd_text | st.text(max_size=100))
def test_text_is_cleaned_as_the_plain_patterns_clean_it(text):
    """clean_text and the filler's removal skip work where they can (ASCII text has no
    invisible characters, a lone space needs no replacing, the filler is looked for as
    plain text first): the same result as the plain patterns, written out here."""
    expected = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    expected = re.sub(r"[\u200b-\u200d\u2060\ufeff\u00ad]", "", expected)
    expected = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", " ", expected)
    expected = re.sub(f"{SPACE}+", " ", expected)
    expected = "\n".join(line.rstrip() for line in expected.split("\n")).strip("\n")
    assert clean_text(text) == expected
    assert without_filler(text) == re.sub(r"\s*\bBlah blah blah\.", "", text, flags=re.I)


def test_indented_lines_start_paragraphs_and_wrapped_lines_join():
    text = "First line\nwraps here.\n    Second paragraph\ncontinues.\n\nThird."
    assert paragraphs(text) == ["First line wraps here.", "Second paragraph continues.",
                                "Third."]


def test_common_indentation_is_not_a_paragraph_break():
    text = "    One paragraph on one line.\n\n    Another one."
    assert paragraphs(text) == ["One paragraph on one line.", "Another one."]


def test_reuters_sign_off_and_filler_are_removed():
    assert clean_body("Prices rose.\n    Traders said so.\n Reuter\n\x03") == \
        "Prices rose.\n\nTraders said so."
    assert clean_body("Blah blah blah.\n\x03") == ""
    # The sign-off in any case, with dots, or ending the last line.
    for ending in ("\n REUTER\n", "\n reuter...^M\r\n", " REUTER\n", "\n\nReuters\n",
                   " Reuter\n Reuter\n"):
        assert clean_body("Traders said so." + ending) == "Traders said so."


def test_a_story_that_names_reuters_at_its_end_keeps_the_name():
    assert clean_body("Additional reporting by Reuters") == "Additional reporting by Reuters"
    assert clean_body("He joined Reuters.") == "He joined Reuters."


def test_countrywatch_footer_is_removed():
    body = ("The meeting ended.\n\nCopyright 2018 CountryWatch, Inc. All Rights Reserved.\n"
            "No portion of CountryWatch content can ever be reproduced.")
    assert clean_body(body) == "The meeting ended."


def test_dateline_keeps_the_place():
    assert clean_dateline("    SALVADOR, Feb 26 - ") == "SALVADOR"
    assert clean_dateline("NEW YORK, March 2 -") == "NEW YORK"
    assert clean_dateline("AMSTERDAM, 2 March - ") == "AMSTERDAM"
    assert clean_dateline("PARIS, 14 July 1989 -") == "PARIS"
    assert clean_dateline("SAN JOSE, Costa Rica, Feb 3 -") == "SAN JOSE, Costa Rica"
    assert clean_dateline("") == ""


def test_article_fields_are_normalized():
    result = normalize(record(date="26-FEB-1987 15:01:01.79", places=("usa", "ussr", "usa"),
                              topics=("Cocoa", " coffee ", "cocoa"), dateline="LONDON, Feb 26 -"))
    article = result.article
    assert article.id == "test:1"
    assert article.date == dt.datetime(1987, 2, 26, 15, 1, 1, tzinfo=dt.timezone.utc)
    assert article.countries == ("US", "SUHH")
    assert article.regions == ("Americas", "Europe")
    assert article.topics == ("cocoa", "coffee")
    assert article.dateline == "LONDON"
    assert result.warnings == ()


def test_checksum_changes_with_content_and_only_then():
    first = normalize(record()).article
    again = normalize(record()).article
    edited = normalize(record(body="Body text, edited.")).article
    assert first.checksum == again.checksum
    assert first.checksum != edited.checksum
    assert first.signature == again.signature


def test_missing_headline_comes_from_the_first_line():
    article = normalize(record(headline="", body="FEDERAL RESERVE WEEKLY REPORT\nrows")).article
    assert article.headline == "FEDERAL RESERVE WEEKLY REPORT rows"


def test_empty_record_is_kept_and_flagged():
    result = normalize(record(headline="", body="\x02\n\x03\n"))
    assert result.article.headline == "" and result.article.body == ""
    assert any("no text" in warning for warning in result.warnings)


def test_absurd_or_unreadable_dates_are_dropped_with_a_warning():
    absurd = normalize(record(date="2987-05-01"))
    assert absurd.article.date is None
    assert any("outside" in warning for warning in absurd.warnings)
    unreadable = normalize(record(date="sometime soon"))
    assert unreadable.article.date is None and unreadable.warnings


def test_a_copyright_year_is_not_a_date():
    article = normalize(record(body="Text.\n\nCopyright 2018 CountryWatch, Inc. All Rights "
                                    "Reserved.")).article
    assert article.date is None
    assert "2018" not in article.body


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@given(headline=texts, body=texts, date=st.none() | texts,
       places=st.lists(texts, max_size=3), topics=st.lists(texts, max_size=3),
       markup=st.booleans())
def test_normalize_takes_any_record(headline, body, date, places, topics, markup):
    result = normalize(record(headline=headline, body=body, date=date, places=tuple(places),
                              topics=tuple(topics), markup=markup))
    article = result.article
    assert "\x00" not in article.body and "\x02" not in article.headline
    assert all(len(code) in (2, 4) for code in article.countries)
    assert article.date is None or article.date.year >= 1800


@pytest.mark.parametrize("text", ["data/bbc/tech/001.txt", "https://example.com/story"])
def test_a_body_that_looks_like_a_path_is_text_and_says_nothing(text):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert strip_markup(text) == text


@pytest.mark.parametrize("html, body", [
    # A CMS wraps lines with one <br>: still one paragraph.
    ("<p>the next few days the <br />fire situation is <br/>likely to worsen</p><p>Two.</p>",
     "the next few days the fire situation is likely to worsen\n\nTwo."),
    # Two in a row separate paragraphs.
    ("One.<br><br>Two.<br />\n<br/>Three.", "One.\n\nTwo.\n\nThree."),
])
def test_html_line_breaks_wrap_lines_and_two_separate_paragraphs(html, body):
    assert clean_body(html, markup=True) == body


def test_spellings_of_one_topic_are_kept_once():
    # One story counted once in the topic facet, which takes them as one value.
    assert clean_topics(("economy, business and finance", "Economy  business and finance",
                         "economy", "ECONOMY")) == ("economy, business and finance", "economy")
