"""Archive: the library. Every CLI command is one method here with the same arguments.

    from wiresearch import Archive
    with Archive("index") as archive:
        archive.index(["data/"])
        results = archive.search("cocoa", countries=["US"], facets=["country", "year"])
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING

from . import nodes
from .dates import add_months, as_datetime
from .engine import EngineSearcher, Stored, engine_class
from .errors import ArticleNotFoundError, UsageError, WiresearchError, damaged
from .facets import facet_named, spelling_key
from .feedback import expanded, weighted_terms, word_query
from .indexdir import IndexDir
from .model import Article, Hit, Results, Timeline, TimelineBucket
from .query import Plan, SearchRequest, build_plan, half_life_seconds
from .snippets import Highlighter, snippet

if TYPE_CHECKING:  # imported where used: a search needs neither readers nor SQLite
    from .catalog import Catalog
    from .ingest import IndexReport

# Suggest a correction when a query finds fewer articles than this.
SUGGEST_BELOW = 5
# Did you mean counts a word's stories exactly (not as the engine's statistics, which
# include replaced stories) below this many; above, the engine's figure is near enough.
LIVE_COUNT_BELOW = 1000
# A compound of two query words ("soyoil", querylang.py) is looked for when a story
# writes it in one of these. A dateline's place names make none worth joining (the
# compound, once looked for, is searched where the words are, dateline included).
COMPOUND_FIELDS = ("body", "headline")
# Recency re-ranks this many of the best matches; the rest follow in relevance order.
RECENT_POOL = 1000
SIMILAR_TERMS = 25
OPEN_ATTEMPTS = 3
TIMELINE_UNITS = ("day", "week", "month", "year")
EXPORT_FIELDS = ("id", "headline", "date", "source", "countries", "regions", "topics",
                 "dateline", "byline", "body", "score", "path")


def default_index_path() -> str:
    return os.environ.get("WIRESEARCH_INDEX") or "index"


class Archive:
    """An index folder, opened lazily: nothing is read until the first search, and the
    index is created by the first `index()`."""

    def __init__(self, path: str | os.PathLike | None = None):
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise UsageError(f"an index path is a string or a path, not {path!r}")
        self.index_dir = IndexDir(path if path is not None else default_index_path())
        self._engine = None
        self._searcher: EngineSearcher | None = None
        self._catalog: Catalog | None = None
        self._generation: Path | None = None
        self._values: dict[str, dict[str, list[str]]] = {}
        # The catalog's vocabulary and its words as a list, read at the first suggestion.
        self._vocabulary: tuple[dict[str, int], list[str]] | None = None

    @property
    def path(self) -> Path:
        return self.index_dir.path

    # Life cycle
    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for resource in (self._searcher, self._catalog, self._engine):
            if resource is not None:
                resource.close()
        self._searcher = self._catalog = self._engine = None
        self._values = {}
        self._vocabulary = None

    def refresh(self) -> None:
        """See what other processes have committed since this Archive first read."""
        self.close()

    def _reader(self) -> EngineSearcher:
        if self._searcher is None:
            for attempt in range(OPEN_ATTEMPTS):
                generation = self.index_dir.current()
                try:
                    engine = engine_class(self.index_dir.engine_name).open(generation)
                    self._searcher = engine.searcher()
                except OSError as error:
                    # A writer removed files between our reading the index's table of
                    # contents and opening them: the next attempt sees its new state.
                    # Still missing then, they are gone for good.
                    if attempt == OPEN_ATTEMPTS - 1:
                        if isinstance(error, FileNotFoundError):
                            raise damaged(f"the index in {generation}", error) from None
                        raise
                    time.sleep(0.05 * (attempt + 1))
                    continue
                self._engine, self._generation = engine, generation
                break
        return self._searcher

    def _catalog_reader(self) -> Catalog:
        if self._catalog is None:
            from .catalog import Catalog

            self._reader()
            if not (self._generation / Catalog.FILE_NAME).is_file():
                # Opened lazily: rebuilds since this Archive opened may have deleted it.
                raise WiresearchError(
                    f"the generation this Archive opened ({self._generation.name}) has "
                    "been replaced and deleted by rebuilds since: call refresh() to read "
                    "the live one")
            self._catalog = Catalog(self._generation, readonly=True)
        return self._catalog

    def _words_starting(self, prefix: str) -> list[str]:
        return self._catalog_reader().words_starting(prefix)

    def _holds_term(self, term: str) -> bool:
        searcher = self._reader()
        return any(searcher.doc_frequency(name, term) for name in COMPOUND_FIELDS)

    def _plan(self, request: SearchRequest) -> Plan:
        """The request's node trees, the query parsed with what this archive holds."""
        return build_plan(request, self._resolve, self._words_starting, self._holds_term)

    def _resolve(self, field_name: str, value: str) -> tuple[str, ...]:
        """A source or topic as the index spells it: `reuters` -> `Reuters`, and every
        spelling of it the index holds (one feed's `REUTERS` too; `economy  business and
        finance`, as indexes made before commas were kept in values hold `economy,
        business and finance`)."""
        if field_name not in self._values:
            spellings: dict[str, list[str]] = {}
            for held in self._reader().values(field_name):
                spellings.setdefault(spelling_key(held), []).append(held)
            self._values[field_name] = spellings
        found = self._values[field_name].get(spelling_key(value))
        if found:
            return tuple(found)
        return (value.strip().lower() if field_name == "topic" else value.strip(),)

    # Writing
    def index(self, paths: str | os.PathLike | Iterable[str | os.PathLike], *,
              format: str | None = None, source: str | None = None, engine: str | None = None,
              full: bool = False, dry_run: bool = False, jobs: int | None = None, wait: float = 0,
              progress: Callable[[dict], None] | None = None) -> IndexReport:
        """Add new and changed files under `paths`, delete articles of files that are gone
        from them; returns what changed. Creates the index (with `engine`) if needed."""
        from .formats import checked_path, reader_named
        from .ingest import Ingester, SourceSpec, glob_matches, is_pattern

        given = _several(paths, paths=True)
        if not given:
            raise UsageError("give at least one file or folder to index")
        _check_index_arguments(format=format, source=source, engine=engine, full=full,
                               dry_run=dry_run, jobs=jobs, wait=wait, progress=progress)
        # Checked before the index folder is made or locked, so that a mistyped path or
        # engine leaves nothing behind.
        for path in given:
            if not is_pattern(str(path)):
                checked_path(path)
            else:
                glob_matches(str(path))
        if engine is not None:
            engine_class(engine)
        if format is not None:
            reader_named(format)
        paths = [str(p) for p in given]
        specs = [SourceSpec(p, format=format, source=source) for p in paths]
        scope = [str(Path(p).resolve()) for p in paths]
        self.close()
        with self.index_dir.run_lock(wait, dry_run):
            report = Ingester(self.index_dir, jobs=jobs, progress=progress).run(
                specs, full=full, dry_run=dry_run, delete_scope=scope, engine=engine)
        return report

    # Reading
    def search(self, query: str = "", *, countries: str | Iterable[str] = (),
               regions: str | Iterable[str] = (), sources: str | Iterable[str] = (),
               topics: str | Iterable[str] = (), date_from: str | None = None,
               date_to: str | None = None, facets: str | Iterable[str] = (),
               sort: str = "relevance", limit: int = 10, page: int = 1,
               facet_size: int = 10, collapse: bool = False,
               recent: str | None = None, expand: bool = False) -> Results:
        request = SearchRequest(
            query=query or "", countries=_several(countries), regions=_several(regions),
            sources=_several(sources), topics=_several(topics), date_from=date_from,
            date_to=date_to, facets=_several(facets), sort=sort, limit=limit, page=page,
            facet_size=facet_size, collapse=collapse, recent=recent, expand=expand)
        return self.run(request)

    def run(self, request: SearchRequest) -> Results:
        request.validate()
        searcher = self._reader()
        plan = self._plan(request)
        ranked = request.sort == "relevance"
        query = plan.node(ranked=ranked)
        added: list[str] = []
        if request.expand:
            query, added = expanded(searcher, query, plan.parsed)
        highlighter = Highlighter(plan.parsed.terms, plan.parsed.prefixes, plan.parsed.fuzzy)
        names = list(dict.fromkeys(request.facets))
        facet_queries = [(facet_named(name).field,
                          plan.node(without=facet_named(name).filter_name)) for name in names]
        total, page_hits, counts = self._page(searcher, query, request, facet_queries)
        hits = []
        for stored, copies in page_hits:
            hit = self._hit(stored, highlighter)
            hit.duplicates = copies
            hits.append(hit)
        facet_lists = {name: facet_named(name).buckets(found, request.facet_size)
                       for name, found in zip(names, counts, strict=True)}
        suggestion = None
        if total < SUGGEST_BELOW and plan.parsed.words:
            suggestion = self._suggest(request, plan, total)
        return Results(query=request.query, total=total, page=request.page,
                       limit=request.limit, hits=hits, facets=facet_lists,
                       suggestion=suggestion, sort=request.sort, collapsed=request.collapse,
                       expanded=added)

    def _page(self, searcher: EngineSearcher, query: nodes.Node, request: SearchRequest,
              facets: list[tuple[str, nodes.Node]]
              ) -> tuple[int, list[tuple[Stored, list[str]]], list[dict[str, int]]]:
        """The hits of the requested page, each with the ids of its folded copies, and
        the counts of each (field, query) in `facets`."""
        if not request.collapse and request.recent is None:
            total, stored, counts = searcher.search_faceted(
                query, request.sort, request.offset, request.limit, facets)
            return total, [(hit, []) for hit in stored], counts
        wanted = request.offset + request.limit
        # Folding copies needs more than a page of matches to fill one; recency alone
        # needs its pool, and the page when it reaches past it.
        pool = max(wanted * 3 if request.collapse else wanted,
                   RECENT_POOL if request.recent else 50)
        # Never more than there are articles (--page 600000 asked for billions).
        pool = min(pool, max(searcher.doc_count(), 1))
        while True:
            total, stored, counts = searcher.search_faceted(query, request.sort, 0, pool,
                                                            facets)
            if request.recent:
                # Only the first RECENT_POOL are re-ranked, whatever the page: a pool that
                # grew with the page would re-rank differently, and pages would overlap.
                stored = self._by_recency(searcher, stored[:RECENT_POOL],
                                          half_life_seconds(request.recent)) + stored[RECENT_POOL:]
            if not request.collapse:
                return total, [(hit, []) for hit in stored[request.offset:wanted]], counts
            groups: dict[str, Stored] = {}
            for hit in stored:
                groups.setdefault(hit.cluster, hit)
            if len(groups) >= wanted or len(stored) >= total:
                break
            pool = min(pool * 4, max(total, 1))
        page = list(groups.values())[request.offset:wanted]
        members = self._copies(searcher, query, {hit.cluster for hit in page})
        return total, [(hit, sorted(member for member in members[hit.cluster]
                                    if member != hit.article.id))
                       for hit in page], counts

    @staticmethod
    def _copies(searcher: EngineSearcher, query: nodes.Node, clusters: Iterable[str]
                ) -> dict[str, list[str]]:
        """The ids of the articles matching `query` in each of `clusters`, found with
        one search: a search per cluster evaluated the query again each time (a tenth
        of a second each at 200,000 articles)."""
        members: dict[str, list[str]] = {cluster: [] for cluster in clusters}
        if members:
            terms = tuple(nodes.Term("cluster", cluster) for cluster in sorted(members))
            in_clusters = terms[0] if len(terms) == 1 else nodes.Or(terms)
            for member in searcher.iter_hits(nodes.conjoin(query, in_clusters)):
                members[member.cluster].append(member.article.id)
        return members

    def _by_recency(self, searcher: EngineSearcher, stored: list[Stored],
                    half_life: float) -> list[Stored]:
        """Re-rank by score x 0.5^(age / half-life), age measured from the newest story
        in the index; undated stories count as old as the oldest candidate."""
        _total, newest = searcher.search(nodes.MatchAll(), "newest", 0, 1)
        if not newest or newest[0].article.date is None:
            return stored
        reference = as_datetime(newest[0].article.date).timestamp()
        ages = [reference - as_datetime(h.article.date).timestamp()
                for h in stored if h.article.date is not None]
        oldest = max(ages, default=0.0)
        rescored, keys = [], []
        for hit in stored:
            age = (reference - as_datetime(hit.article.date).timestamp()
                   if hit.article.date is not None else oldest)
            halvings = max(age, 0.0) / half_life
            score = hit.score or 0.0
            rescored.append(Stored(hit.article, score * math.pow(0.5, halvings), hit.cluster))
            # Ordered by the logarithm of that: past some 1,075 half-lives the product is
            # 0.0 in floating point, and a story of 2020 would tie with one of 1850.
            keys.append(math.log(score) - halvings * math.log(2) if score > 0 else -math.inf)
        order = sorted(range(len(rescored)), key=lambda number: -keys[number])
        return [rescored[number] for number in order]

    def _hit(self, stored: Stored, highlighter: Highlighter) -> Hit:
        article = stored.article
        return Hit(id=article.id, score=stored.score, headline=article.headline,
                   date=article.date, source=article.source, countries=article.countries,
                   regions=article.regions, topics=article.topics, dateline=article.dateline,
                   snippet_maker=partial(snippet, article.body or article.headline,
                                         highlighter))

    def _suggest(self, request: SearchRequest, plan: Plan, total: int) -> str | None:
        from .suggest import corrected_query

        searcher = self._reader()
        if self._vocabulary is None:
            words = self._catalog_reader().vocabulary()
            self._vocabulary = words, list(words)
        vocabulary, choices = self._vocabulary

        def frequency(term: str) -> int:
            # Engines count a replaced story's words until they merge its segment away
            # (each its own way): a word found in few is counted in the live stories.
            seen = sum(searcher.doc_frequency(name, term) for name in nodes.TEXT_FIELDS)
            if seen >= LIVE_COUNT_BELOW:
                return seen
            return searcher.count(nodes.Or(tuple(nodes.Term(name, term)
                                                 for name in nodes.TEXT_FIELDS)))

        suggestion = corrected_query(request.query, plan.parsed, vocabulary, frequency,
                                     choices)
        if suggestion is None or suggestion == request.query:
            return None
        corrected = self._plan(SearchRequest(**{**request.__dict__, "query": suggestion}))
        return suggestion if searcher.count(corrected.node()) > total else None

    def get(self, article_id: str) -> Article:
        _check_id(article_id)
        stored = self._reader().get(article_id)
        if stored is None:
            raise ArticleNotFoundError(f"no article with id {article_id!r}")
        return stored.article

    def similar(self, article_id: str, *, limit: int = 10, facets: str | Iterable[str] = (),
                facet_size: int = 10, collapse: bool = False) -> Results:
        """Articles most like `article_id` by content, its own copies left out;
        `collapse` folds the copies of each story found, as in a search."""
        _check_id(article_id)
        names = _several(facets)
        request = SearchRequest(limit=limit, facets=names, facet_size=facet_size,
                                collapse=collapse)
        request.validate()
        searcher = self._reader()
        stored = searcher.get(article_id)
        if stored is None:
            raise ArticleNotFoundError(f"no article with id {article_id!r}")
        article = stored.article
        top = weighted_terms(searcher, [article], limit=SIMILAR_TERMS)
        if not top:
            return Results(query=f"similar:{article_id}", total=0, page=1, limit=limit, hits=[])
        heaviest = top[0][1]
        # Each word in headline and body with the field weights of a search, times the
        # word's weight here (ranking.word_in_fields reads it back as a query weight).
        shoulds = tuple(word_query(term, weight / heaviest) for term, weight in top)
        query = nodes.And((nodes.Or(shoulds), nodes.Not(nodes.Term("cluster", stored.cluster)),
                           nodes.Not(nodes.Term("id", article_id))))
        highlighter = Highlighter({term for term, _w in top})
        names = list(dict.fromkeys(names))
        total, page_hits, counts = self._page(
            searcher, query, request, [(facet_named(name).field, query) for name in names])
        hits = []
        for stored_hit, copies in page_hits:
            hit = self._hit(stored_hit, highlighter)
            hit.duplicates = copies
            hits.append(hit)
        facet_lists = {name: facet_named(name).buckets(found, facet_size)
                       for name, found in zip(names, counts, strict=True)}
        return Results(query=f"similar:{article_id}", total=total, page=1, limit=limit,
                       hits=hits, facets=facet_lists, collapsed=collapse)

    def timeline(self, query: str = "", *, by: str = "month", countries: str | Iterable[str] = (),
                 regions: str | Iterable[str] = (), sources: str | Iterable[str] = (),
                 topics: str | Iterable[str] = (), date_from: str | None = None,
                 date_to: str | None = None) -> Timeline:
        """How many matching articles per day, week, month or year, gaps included."""
        if by not in TIMELINE_UNITS:
            raise UsageError(f"unknown --by {by!r}: use {', '.join(TIMELINE_UNITS)}")
        request = SearchRequest(query=query or "", countries=_several(countries),
                                regions=_several(regions), sources=_several(sources),
                                topics=_several(topics), date_from=date_from, date_to=date_to)
        request.validate()
        searcher = self._reader()
        node = self._plan(request).node()
        total = searcher.count(node)
        field_name = {"day": "day", "week": "day", "month": "month", "year": "year"}[by]
        counts = searcher.facet_counts(node, field_name)
        buckets = _calendar(counts, by)
        dated = sum(bucket.count for bucket in buckets)
        return Timeline(query=request.query, by=by, total=total, buckets=buckets,
                        undated=total - dated)

    def export(self, query: str = "", *, fields: str | Iterable[str] | None = None,
               countries: str | Iterable[str] = (), regions: str | Iterable[str] = (),
               sources: str | Iterable[str] = (), topics: str | Iterable[str] = (),
               date_from: str | None = None, date_to: str | None = None,
               sort: str = "relevance", recent: str | None = None) -> Iterator[dict]:
        """Every matching article (not a page) as a dict of the chosen fields, streamed,
        in the order search() pages through them (`recent` as there). Bad fields,
        queries and filters raise here, before anything is streamed."""
        chosen = EXPORT_FIELDS if fields is None else _several(fields)
        if not chosen:
            raise UsageError(f"no fields to export: choose from {', '.join(EXPORT_FIELDS)}")
        unknown = [name for name in chosen if name not in EXPORT_FIELDS]
        if unknown:
            raise UsageError(f"unknown field {unknown[0]!r}: choose from "
                             f"{', '.join(EXPORT_FIELDS)}")
        request = SearchRequest(query=query or "", countries=_several(countries),
                                regions=_several(regions), sources=_several(sources),
                                topics=_several(topics), date_from=date_from, date_to=date_to,
                                sort=sort, recent=recent)
        request.validate()
        searcher = self._reader()
        node = self._plan(request).node(ranked=sort == "relevance")
        hits = searcher.iter_hits(node, sort)
        if recent is not None:
            # As search pages: the first RECENT_POOL re-ranked, the rest after them.
            pool = self._by_recency(searcher, list(islice(hits, RECENT_POOL)),
                                    half_life_seconds(recent))
            hits = chain(pool, hits)
        return self._while_open(searcher, _records(hits, chosen))

    def _while_open(self, searcher: EngineSearcher, rows: Iterator[dict]) -> Iterator[dict]:
        """`rows`, read from `searcher`, with a clear error instead of the engine's when
        the archive is closed (or refreshed) before they are all read."""
        while True:
            if self._searcher is not searcher:
                raise UsageError("the archive was closed before its export was read to the "
                                 "end: read the rows before closing it")
            try:
                row = next(rows)
            except StopIteration:
                return
            yield row

    def stats(self) -> dict:
        searcher = self._reader()
        catalog = self._catalog_reader()
        files = catalog.files()
        _n, oldest = searcher.search(nodes.MatchAll(), "oldest", 0, 1)
        _n, newest = searcher.search(nodes.MatchAll(), "newest", 0, 1)
        from .model import format_date

        size = sum(p.stat().st_size for p in self._generation.rglob("*") if p.is_file())
        sources = searcher.facet_counts(nodes.MatchAll(), "source")  # spellings as one
        return {
            "index": str(self.path),
            "engine": self.index_dir.engine_name,
            "generation": self._generation.name,
            "previous_generation": self.index_dir.previous_name(),
            "documents": searcher.doc_count(),
            "files": len(files),
            "files_with_errors": sum(1 for f in files.values() if f.error),
            "duplicate_groups": len(catalog.cluster_sizes()),
            "oldest": format_date(oldest[0].article.date) if oldest else None,
            "newest": format_date(newest[0].article.date) if newest else None,
            "sources": {bucket.value: bucket.count for bucket in facet_named("source").buckets(
                sources, max(len(sources), 1))},
            "size_bytes": size,
            "created": self.index_dir.meta().get("created"),
        }


def _check_id(article_id) -> None:
    if not isinstance(article_id, str):
        raise UsageError(f"an article id is a string, like 'reuters21578:1', not "
                         f"{article_id!r}")


def _check_index_arguments(*, format, source, engine, full, dry_run, jobs, wait,
                           progress) -> None:
    """Arguments of the wrong kind refused before anything is read: `source=5` made
    every story fail to normalize, `jobs="2"` failed inside the run."""
    for name, value in (("format", format), ("source", source), ("engine", engine)):
        if value is not None and not isinstance(value, str):
            raise UsageError(f"{name} takes a name, not {value!r}")
    for name, value in (("full", full), ("dry_run", dry_run)):
        if not isinstance(value, bool):
            raise UsageError(f"{name} is True or False, not {value!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise UsageError(f"jobs takes a number of processes (1 or more), not {jobs!r}")
    if (isinstance(wait, bool) or not isinstance(wait, (int, float)) or not wait >= 0):
        raise UsageError(f"wait takes a number of seconds (0 or more), not {wait!r}")
    if progress is not None and not callable(progress):
        raise UsageError(f"progress takes a function of one report, not {progress!r}")


def _several(values: str | os.PathLike | Iterable | None, paths: bool = False) -> tuple:
    """The values of an argument that takes several; one string (or path, for `paths`)
    is one value (`countries="FR"` is France, not "F" and "R"; `index("data/")` the
    folder, not the root of the file system and each letter of its name), None none."""
    kinds = (str, os.PathLike) if paths else str
    if values is None:
        return ()
    if isinstance(values, kinds):
        return (values,)
    what = "paths" if paths else "names"
    if isinstance(values, (bytes, bytearray)):  # a sequence of numbers to Python
        raise UsageError(f"expected {what} as strings, got bytes {values!r}")
    try:
        found = tuple(values)
    except TypeError:
        found = (values,)
    for value in found:
        if not isinstance(value, kinds):
            raise UsageError(f"expected {what} as strings, got {value!r}")
    return found


def _calendar(counts: dict[str, int], by: str) -> list[TimelineBucket]:
    """Buckets from first to last non-empty one, empty ones included."""
    if by == "week":
        weekly: Counter[dt.date] = Counter()
        for day, count in counts.items():
            date = dt.date.fromisoformat(day)
            weekly[date - dt.timedelta(days=date.weekday())] += count
        starts = weekly
    else:
        parse = {"day": lambda v: dt.date.fromisoformat(v),
                 "month": lambda v: dt.date.fromisoformat(v + "-01"),
                 "year": lambda v: dt.date(int(v), 1, 1)}[by]
        starts = Counter({parse(value): count for value, count in counts.items()})
    present = sorted(day for day, count in starts.items() if count)
    if not present:
        return []
    step = {"day": lambda d: d + dt.timedelta(days=1),
            "week": lambda d: d + dt.timedelta(days=7),
            "month": lambda d: add_months(d, 1),
            "year": lambda d: dt.date(d.year + 1, 1, 1)}[by]
    label = {"day": lambda d: d.isoformat(),
             "week": lambda d: f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}",
             "month": lambda d: d.strftime("%Y-%m"),
             "year": lambda d: str(d.year)}[by]
    buckets, current = [], present[0]
    while current <= present[-1]:
        buckets.append(TimelineBucket(current, label(current), starts.get(current, 0)))
        current = step(current)
    return buckets


def _records(hits: Iterator[Stored], fields: tuple[str, ...]) -> Iterator[dict]:
    for stored in hits:
        record = stored.article.to_dict()
        record["score"] = None if stored.score is None else round(stored.score, 4)
        yield {name: record[name] for name in fields}
