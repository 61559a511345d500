"""Article.from_index: the quick way indexes give articles back."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wiresearch.model import Article

words = st.text(max_size=20)
codes = st.lists(st.text(min_size=1, max_size=4), max_size=3).map(tuple)
dates = st.one_of(st.none(), st.dates(), st.datetimes(timezones=st.just(dt.timezone.utc)))


@given(id=words, source=words, headline=words, body=words, dateline=words, date=dates,
       countries=codes, regions=codes, topics=codes, byline=words, checksum=words,
       path=words, position=words)
def test_from_index_makes_the_article_init_makes(**values):
    made = Article.from_index(**values)
    expected = Article(**values)
    assert made == expected and hash(made) == hash(expected)
    assert repr(made) == repr(expected) and made.signature == 0
    assert dataclasses.asdict(made) == dataclasses.asdict(expected)


def test_an_article_from_an_index_is_still_frozen():
    article = Article.from_index(id="r:1", source="Reuters", headline="h", body="b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.headline = "changed"  # type: ignore[misc]
    assert article.countries == () and article.date is None
