"""The plain records passed between layers: what readers yield (RawRecord), what the
index stores (Article), and what a search returns (Results)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawRecord:
    """One story as a reader found it, before any cleanup. Strings may still hold markup,
    entities, control characters and boilerplate; `date` is the source's own text."""

    collection: str
    native_id: str
    source: str
    headline: str = ""
    body: str = ""
    dateline: str = ""
    date: str | None = None
    places: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    byline: str = ""
    path: str = ""
    position: str = ""
    # Reader-specific facts other tools may want (for example Reuters' LEWISSPLIT);
    # normalization ignores them.
    attributes: Mapping[str, str] = field(default_factory=dict)
    # headline and body are HTML fragments (tags and entities still in them).
    markup: bool = False
    # The story states no id of its own: native_id comes from its file's name, which
    # files in other folders may share (see Ingester._apply).
    id_from_file: bool = False


@dataclass(frozen=True)
class Rejection:
    """A file or record that could not be indexed, and why."""

    path: str
    position: str
    reason: str
    # "error" drops the record; "warning" indexes it with something left out.
    severity: str = "error"

    def to_dict(self) -> dict:
        return {"path": self.path, "position": self.position, "reason": self.reason,
                "severity": self.severity}

    def __str__(self) -> str:
        where = f"{self.path}" + (f" [{self.position}]" if self.position else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Article:
    """One normalized story, the unit the index stores and searches return."""

    id: str
    source: str
    headline: str
    body: str
    dateline: str = ""
    # A datetime (UTC, tz-aware) when the source gives a time, a date when it gives only
    # a day, None when it gives nothing usable.
    date: dt.date | None = None
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    byline: str = ""
    checksum: str = ""
    # 64-bit SimHash of the text, for near-duplicate detection.
    signature: int = 0
    path: str = ""
    position: str = ""

    @classmethod
    def from_index(cls, **values) -> Article:
        """The article of `values` an index gives back (every field but those with a
        default, all of them as normalize() made them). It skips the frozen dataclass's
        __init__, whose setting of each field through object.__setattr__ took 1.2 of its
        1.5 us; a search makes one for each hit."""
        article = object.__new__(cls)
        article.__dict__.update(values)
        return article

    @property
    def collection(self) -> str:
        return self.id.split(":", 1)[0]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "source": self.source,
            "headline": self.headline,
            "dateline": self.dateline,
            "date": format_date(self.date),
            "countries": list(self.countries),
            "regions": list(self.regions),
            "topics": list(self.topics),
            "byline": self.byline,
            "body": self.body,
            "checksum": self.checksum,
            "path": self.path,
            "position": self.position,
        }


def format_date(value: dt.date | None) -> str | None:
    """ISO 8601 as the contract writes it: `1987-02-26T15:01:01Z` or `2017-07-07`."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        # isoformat costs two thirds of strftime (0.9 against 1.4 us); years are four
        # digits (dates.py keeps 1800 onwards), so the first 19 characters are the date
        # and time.
        return value.isoformat(timespec="seconds")[:19] + "Z"
    return value.isoformat()


_ISO_READS_Z = sys.version_info >= (3, 11)


def parse_stored_date(text: str | None) -> dt.date | None:
    """Inverse of format_date, for values read back from an index."""
    if not text:
        return None
    if "T" in text:
        # fromisoformat is C and quick (strptime cost 17 us a hit). From Python 3.11 it
        # reads the "Z" as UTC itself (0.9 -> 0.13 us a date); before, it refuses it.
        if _ISO_READS_Z:
            return dt.datetime.fromisoformat(text)
        return dt.datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=dt.timezone.utc)
    return dt.date.fromisoformat(text)


@dataclass
class Hit:
    id: str
    score: float | None
    headline: str
    date: dt.date | None
    source: str
    countries: tuple[str, ...]
    regions: tuple[str, ...]
    topics: tuple[str, ...]
    dateline: str = ""
    # Ids of near-duplicate copies folded into this hit when results are collapsed.
    duplicates: list[str] = field(default_factory=list)
    # Makes the snippet when it is first read. Finding and marking the matches costs more
    # than the rest of a hit, and a caller after ids or headlines never reads it.
    snippet_maker: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    _snippet: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def snippet(self) -> str:
        """HTML-escaped text with <mark> around the words that matched."""
        if self._snippet is None:
            self._snippet = self.snippet_maker() if self.snippet_maker else ""
        return self._snippet

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "score": None if self.score is None else round(self.score, 4),
            "headline": self.headline,
            "date": format_date(self.date),
            "source": self.source,
            "countries": list(self.countries),
            "regions": list(self.regions),
            "topics": list(self.topics),
            "dateline": self.dateline,
            "snippet": self.snippet,
            "duplicates": list(self.duplicates),
        }

    @property
    def snippet_text(self) -> str:
        """The snippet without markup, as plain text."""
        import html  # only plain-text output needs it

        return html.unescape(self.snippet.replace("<mark>", "").replace("</mark>", ""))


@dataclass(frozen=True)
class FacetBucket:
    value: str
    label: str
    count: int

    def to_dict(self) -> dict:
        return {"value": self.value, "label": self.label, "count": self.count}


class FacetList(list):
    """The buckets of one facet; `truncated` is true when more buckets exist than shown."""

    def __init__(self, buckets=(), truncated: bool = False):
        super().__init__(buckets)
        self.truncated = truncated


@dataclass
class Results:
    query: str
    total: int
    page: int
    limit: int
    hits: list[Hit]
    facets: dict[str, FacetList] = field(default_factory=dict)
    suggestion: str | None = None
    sort: str = "relevance"
    collapsed: bool = False
    # The words query expansion (expand=True) added, heaviest first.
    expanded: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "limit": self.limit,
            "sort": self.sort,
            "collapsed": self.collapsed,
            "hits": [hit.to_dict() for hit in self.hits],
            "facets": {name: [b.to_dict() for b in buckets]
                       for name, buckets in self.facets.items()},
            "facets_truncated": {name: buckets.truncated
                                 for name, buckets in self.facets.items()},
            "suggestion": self.suggestion,
            "expanded": self.expanded,
        }


@dataclass(frozen=True)
class TimelineBucket:
    start: dt.date
    label: str
    count: int

    def to_dict(self) -> dict:
        return {"start": self.start.isoformat(), "label": self.label, "count": self.count}


@dataclass
class Timeline:
    query: str
    by: str
    total: int
    buckets: list[TimelineBucket]
    undated: int = 0

    def to_dict(self) -> dict:
        return {"query": self.query, "by": self.by, "total": self.total,
                "undated": self.undated, "buckets": [b.to_dict() for b in self.buckets]}
