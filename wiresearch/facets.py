"""Facets: counts of matching articles per value of a field, in one regular shape
(value, label, count) and a `truncated` flag, after Datasette's facet classes.

Count facets (country, region, source, topic) list the commonest values first.
Calendar facets (year, month) list buckets in calendar order with the empty ones inside
the range filled in, because a gap in coverage is information too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import places
from .dates import add_months
from .errors import UsageError
from .model import FacetBucket, FacetList


@dataclass(frozen=True)
class Facet:
    name: str
    # The engine's keyword field the counts come from.
    field: str
    # The filter that this facet ignores when counting (see README, "Facets that guide").
    filter_name: str

    def label(self, value: str) -> str:
        return value

    def buckets(self, counts: dict[str, int], size: int) -> FacetList:
        # Commonest first, ties by value. Only values counted at least as often as the
        # size-th commonest can be shown, and only they are sorted by that key: sorting
        # a hundred countries with it took three times as long.
        if len(counts) > size > 0:
            least = sorted(counts.values(), reverse=True)[size - 1]
            candidates = [item for item in counts.items() if item[1] >= least]
        else:
            candidates = list(counts.items())
        candidates.sort(key=lambda item: (-item[1], item[0]))
        shown = [FacetBucket(value, self.label(value), count) for value, count in
                 candidates[:size]]
        return FacetList(shown, truncated=len(counts) > size)


def spelling_key(value: str) -> str:
    """What spellings of one source or topic share: case, commas and runs of spaces do
    not count (one feed writes `REUTERS`, another `Reuters`; an index made before commas
    were kept in values holds `economy  business and finance`)."""
    return " ".join(value.replace(",", " ").split()).casefold()


class SpelledFacet(Facet):
    """A source or topic facet: the spellings of one value (spelling_key) are counted as
    one, shown as the commonest of them; filtering by it finds them all."""

    def buckets(self, counts: dict[str, int], size: int) -> FacetList:
        merged: dict[str, int] = {}
        shown_as: dict[str, tuple[int, str]] = {}
        for value, count in counts.items():
            key = spelling_key(value)
            merged[key] = merged.get(key, 0) + count
            # Ties go to the greater spelling: with a comma ("," sorts after " "), with
            # fewer capitals.
            shown_as[key] = max(shown_as.get(key, (count, value)), (count, value))
        return super().buckets({shown_as[key][1]: count for key, count in merged.items()},
                               size)


class CountryFacet(Facet):
    def label(self, value: str) -> str:
        return places.country_label(value)


@dataclass(frozen=True)
class CalendarFacet(Facet):
    """Years or months in order, gaps filled; when there are more than `size` buckets
    the latest `size` are shown (a contiguous window) and the list is truncated."""

    months: bool = False

    def label(self, value: str) -> str:
        if self.months:
            year, month = value.split("-")
            return dt.date(int(year), int(month), 1).strftime("%b %Y")
        return value

    def _span(self, first: str, last: str) -> list[str]:
        if not self.months:
            return [str(year) for year in range(int(first), int(last) + 1)]
        day = dt.date.fromisoformat(first + "-01")
        end = dt.date.fromisoformat(last + "-01")
        values = []
        while day <= end:
            values.append(day.strftime("%Y-%m"))
            day = add_months(day, 1)
        return values

    def buckets(self, counts: dict[str, int], size: int) -> FacetList:
        present = sorted(value for value, count in counts.items() if count)
        if not present:
            return FacetList([], truncated=False)
        span = self._span(present[0], present[-1])
        shown = span[-size:]
        return FacetList([FacetBucket(v, self.label(v), counts.get(v, 0)) for v in shown],
                         truncated=len(span) > size)


FACETS = {
    facet.name: facet for facet in (
        CountryFacet("country", "country", "country"),
        Facet("region", "region", "region"),
        SpelledFacet("source", "source", "source"),
        SpelledFacet("topic", "topic", "topic"),
        CalendarFacet("year", "year", "date"),
        CalendarFacet("month", "month", "date", months=True),
    )
}


def facet_named(name: str) -> Facet:
    try:
        return FACETS[name]
    except KeyError:
        raise UsageError(f"unknown facet {name!r}: use {', '.join(FACETS)}") from None
