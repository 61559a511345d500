"""Search requests: the options a search takes (CLI flags and library keywords are the
same), their validation, and the node trees that a request asks the engine for."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import nodes, ranking
from .dates import epoch_seconds, parse_user_date
from .engine import SORTS
from .errors import UsageError
from .facets import facet_named
from .querylang import (
    HoldsTerm,
    ParsedQuery,
    ValueResolver,
    WordsStarting,
    any_of,
    parse,
    resolve_country,
    resolve_region,
)

MAX_LIMIT = 1000
MAX_FACET_SIZE = 1000
# Far past any archive's matches at any --limit; a bigger number is a typo.
MAX_PAGE = 1_000_000
_HALF_LIFE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdwmy])\s*$", re.I)
_UNIT_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400, "m": 30 * 86400, "y": 365 * 86400}


# The options of a SearchRequest that take several values.
_SEVERAL = ("countries", "regions", "sources", "topics", "facets")


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    facets: tuple[str, ...] = ()
    sort: str = "relevance"
    limit: int = 10
    page: int = 1
    facet_size: int = 10
    collapse: bool = False
    # Favour recent stories: a half-life such as "30d" (see README, "Recency").
    recent: str | None = None
    # Re-rank the best matches with words of the best few (pseudo-relevance feedback).
    expand: bool = False

    def __post_init__(self) -> None:
        # One string is one value (`sources="bbc"`, not "b", "b", "c"), as Archive.search
        # takes it; a list, a set or a generator is as good as a tuple. Anything else is
        # left for validate() to refuse.
        for name in _SEVERAL:
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            elif value is None:
                value = ()
            elif not isinstance(value, tuple) and hasattr(value, "__iter__"):
                value = tuple(value)
            object.__setattr__(self, name, value)

    def validate(self) -> None:
        if not isinstance(self.query, str):
            raise UsageError(f"a query is a string, not {self.query!r}")
        for name in _SEVERAL:
            values = getattr(self, name)
            if not isinstance(values, tuple) or not all(isinstance(v, str) for v in values):
                raise UsageError(f"{name} takes a name or a list of names, not {values!r}")
        for name in ("collapse", "expand"):
            if not isinstance(getattr(self, name), bool):
                raise UsageError(f"{name} is True or False, not {getattr(self, name)!r}")
        for name in ("limit", "page", "facet_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):  # True is an int
                raise UsageError(f"{name} takes a whole number, not {value!r}")
        if self.recent is not None and not isinstance(self.recent, str):
            raise UsageError(f"--recent takes a half-life such as \"30d\", not {self.recent!r}")
        if self.sort not in SORTS:
            raise UsageError(f"unknown sort {self.sort!r}: use {', '.join(SORTS)}")
        if not isinstance(self.limit, int) or not 1 <= self.limit <= MAX_LIMIT:
            raise UsageError(f"--limit must be between 1 and {MAX_LIMIT}")
        check_page(self.page)
        if not isinstance(self.facet_size, int) or not 1 <= self.facet_size <= MAX_FACET_SIZE:
            raise UsageError(f"--facet-size must be between 1 and {MAX_FACET_SIZE}")
        for name in self.facets:
            facet_named(name)
        if self.recent is not None:
            half_life_seconds(self.recent)
            if self.sort != "relevance":
                raise UsageError("--recent re-weighs relevance; it cannot be combined with "
                                 f"--sort {self.sort}")
        if self.expand and self.sort != "relevance":
            raise UsageError("--expand re-ranks by relevance; it cannot be combined with "
                             f"--sort {self.sort}")
        date_range(self.date_from, self.date_to)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def check_page(page: int) -> None:
    if not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        raise UsageError(f"--page must be between 1 and {MAX_PAGE:,}")


def half_life_seconds(text: str) -> float:
    """`30d`, `12h`, `2w`, `6m`, `1y` in seconds."""
    match = _HALF_LIFE.match(text or "")
    if not match or float(match.group(1)) <= 0:
        raise UsageError(f"bad half-life {text!r}: use a number and a unit, like 30d, 12h, "
                         "2w, 6m or 1y")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]


def date_range(date_from: str | None, date_to: str | None) -> nodes.Node | None:
    """The node for --from/--to (both inclusive, whole days/months/years)."""
    start = end = None
    if date_from:
        start = parse_user_date(date_from)[0]
    if date_to:
        end = parse_user_date(date_to)[1]
    if start is None and end is None:
        return None
    if start is not None and end is not None and epoch_seconds(start) >= epoch_seconds(end):
        raise UsageError(f"--from {date_from} is after --to {date_to}")
    return nodes.DateRange(None if start is None else epoch_seconds(start),
                           None if end is None else epoch_seconds(end))


@dataclass
class Plan:
    """A request turned into node trees: the parsed text, and one filter per option."""

    parsed: ParsedQuery
    filters: dict[str, nodes.Node] = field(default_factory=dict)
    # Trees already made, by the filter left out (None for none), once build_plan has
    # set the filters: the search and the facets that leave out no filter of theirs
    # then share one tree, which engines recognise by identity.
    _made: dict[str | None, nodes.Node] = field(default_factory=dict, init=False,
                                                repr=False, compare=False)

    def node(self, without: str | None = None, ranked: bool = False) -> nodes.Node:
        """The whole query; `without` leaves one filter out (for facets that guide).
        `ranked` adds ranking's proximity bonus, which changes scores, never matches."""
        if without not in self.filters:
            without = None
        node = self._made.get(without)
        if node is None:
            kept = [node for name, node in self.filters.items() if name != without]
            node = self._made[without] = nodes.conjoin(self.parsed.node, *kept)
        return ranking.with_proximity(node) if ranked else node


def build_plan(request: SearchRequest, resolve: ValueResolver,
               words_starting: WordsStarting | None = None,
               holds_term: HoldsTerm | None = None) -> Plan:
    plan = Plan(parse(request.query, resolve, words_starting, holds_term))
    if request.countries:
        plan.filters["country"] = any_of("country", [resolve_country(c)
                                                     for c in request.countries])
    if request.regions:
        plan.filters["region"] = any_of("region", [resolve_region(r) for r in request.regions])
    if request.sources:
        plan.filters["source"] = any_of("source", [spelling for s in request.sources
                                                   for spelling in resolve("source", s)])
    if request.topics:
        plan.filters["topic"] = any_of("topic", [spelling for t in request.topics
                                                 for spelling in resolve("topic", t)])
    dates = date_range(request.date_from, request.date_to)
    if dates is not None:
        plan.filters["date"] = dates
    return plan
