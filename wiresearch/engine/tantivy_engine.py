"""The tantivy engine: the same interface as the Whoosh one, for archives too large for
pure Python.

Text is lower-cased and folded by analysis.py, then split and stemmed by tantivy
(tantivy_analysis.py), which gives analysis.py's terms at its positions. What a search
gives back is stored apart, as one record per article (its JSON), so that reading a hit
is one stored value to decode. Keyword fields are columnar (fast) so facet counts are
aggregations over every match, and date order uses the Whoosh engine's two sort keys
plus an insertion sequence that breaks ties the way Whoosh's document numbers do.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate, product
from pathlib import Path

import tantivy

from .. import nodes, ranking
from ..analysis import is_word_char
from ..dates import epoch_seconds
from ..errors import IndexNotFoundError, NotWritableError, damaged
from ..model import Article, format_date, parse_stored_date
from . import tantivy_analysis
from .base import Engine, EngineSearcher, EngineWriter, Stored
from .tantivy_analysis import (
    FOLDED_ANALYZER,
    LEGACY_ANALYZER,
    RECORDS_ANALYZER,
    WORDS_ANALYZER,
    index_term,
    indexed_text,
)

# Sort key of undated articles: after every real date in both directions.
UNDATED_KEY = 2**62
SEQUENCE = "seq"
# Keyword fields that hold several values per article (the others hold one).
MULTI_VALUED = ("source", "country", "region", "topic")
# The stored field of an article's record: all a search gives back but its cluster,
# which the writing process decides.
RECORD = "record"
# Records are our own JSON, with nothing around the value: json.loads's checks for
# encodings and whitespace took 1.1 of its 2.7 us a hit.
_RECORDS = json.JSONDecoder()
# Keyword fields whose values earlier layouts stored, field by field.
STORED_KEYWORDS = ("id", "path", "cluster", "source", "country", "region", "topic")
# Stored as given, never searched (earlier layouts).
STORED_ONLY = ("date_text", "byline", "checksum", "position")
# Keyword fields that searches filter by but never count.
LOOKED_UP = ("cluster", "path")
# Where the original of each text field is stored: the indexed text is folded.
STORED_TEXT = {name: f"{name}_text" for name in nodes.TEXT_FIELDS}
# tantivy refuses an aggregation with more buckets than this (AggregationLimits).
MAX_BUCKETS = 65_000
WRITER_HEAP_BYTES = 256 * 1024 * 1024
# Most exact phrases one sloppy phrase of three or more words is spelled out as.
MAX_SPACINGS = 64


# The analyzer of each text layout, by the tokenizer name an index's schema saves.
ANALYZERS = {RECORDS_ANALYZER: tantivy_analysis.words_analyzer,
             WORDS_ANALYZER: tantivy_analysis.words_analyzer,
             FOLDED_ANALYZER: tantivy_analysis.folded_analyzer,
             LEGACY_ANALYZER: tantivy_analysis.legacy_text_analyzer}


def _schema(tokenizer: str = RECORDS_ANALYZER) -> tantivy.Schema:
    """The schema of new indexes, or of an earlier layout (named by its tokenizer):
    those stored each value in a field of its own, and LEGACY_ANALYZER's indexed and
    stored the original text in the same field."""
    layout = Layout(tokenizer)
    folded, recorded = layout.folded, layout.recorded
    builder = tantivy.SchemaBuilder()
    for name in nodes.TEXT_FIELDS:
        builder.add_text_field(name, stored=not folded, tokenizer_name=tokenizer,
                               index_option="position")
    stored_keywords = ("cluster",) if recorded else STORED_KEYWORDS
    for name in nodes.KEYWORD_FIELDS:
        # Fast (columnar) so that facet counts and id listings are aggregations; the
        # cluster and the path are only looked up, never counted.
        builder.add_text_field(name, stored=name in stored_keywords,
                               fast=name not in LOOKED_UP, tokenizer_name="raw",
                               index_option="basic")
    builder.add_integer_field(nodes.DATE_FIELD, indexed=True, fast=True)
    for name in ("key_oldest", "key_newest", SEQUENCE):
        builder.add_integer_field(name, fast=True)
    if recorded:
        builder.add_bytes_field(RECORD, stored=True)
    else:
        for name in (*STORED_ONLY, *(STORED_TEXT.values() if folded else ())):
            builder.add_bytes_field(name, stored=True)
    return builder.build()


def _keyword_values(values: Iterable[str]) -> list[str]:
    # What the Whoosh engine gives back for the same values: empty ones vanish. (Indexes
    # made before commas were kept in values hold them as spaces; searches take either
    # spelling for the other, see Archive._resolve.)
    return [value for value in values if value]


def indexed_texts(article: Article) -> dict[str, str]:
    """The text each text field of the folded layout indexes."""
    return {name: indexed_text(value) for name in nodes.TEXT_FIELDS
            if (value := getattr(article, name))}


def to_record(article: Article) -> bytes:
    """What a search gives back of `article`, as the record field stores it: a JSON
    array (quicker to read back than an object) of the values from_record names."""
    return json.dumps([
        article.id, "".join(_keyword_values((article.source,))), article.headline,
        article.body, article.dateline, format_date(article.date),
        _keyword_values(article.countries), _keyword_values(article.regions),
        _keyword_values(article.topics), article.byline, article.checksum, article.path,
        article.position], ensure_ascii=False).encode("utf-8")


def from_record(record: bytes, cluster: str | None) -> tuple[Article, str]:
    (article_id, source, headline, body, dateline, date, countries, regions, topics,
     byline, checksum, path, position) = _RECORDS.raw_decode(record.decode("utf-8"))[0]
    article = Article.from_index(
        id=article_id, source=source, headline=headline, body=body, dateline=dateline,
        date=parse_stored_date(date), countries=tuple(countries), regions=tuple(regions),
        topics=tuple(topics), byline=byline, checksum=checksum, path=path,
        position=position)
    return article, cluster or article_id


def to_document(article: Article, cluster: str, sequence: int,
                texts: dict[str, str] | None, record: bytes | None) -> tantivy.Document:
    """The document of `article`; `texts` are its indexed_texts(), or None for an index
    of the legacy layout, which indexes and stores the text as it is; `record` is its
    to_record(), or None for an index of a layout that stores fields one by one."""
    doc = tantivy.Document()
    add_text = doc.add_text
    for name, value in (("id", article.id), ("path", article.path), ("cluster", cluster)):
        if value:
            add_text(name, value)
    for name in nodes.TEXT_FIELDS:
        value = getattr(article, name)
        if value:
            add_text(name, value if texts is None else texts[name])
    for name, values in (("source", (article.source,)), ("country", article.countries),
                         ("region", article.regions), ("topic", article.topics)):
        for value in _keyword_values(values):
            add_text(name, value)
    if record is not None:
        doc.add_bytes(RECORD, record)
    else:
        _add_stored_fields(doc, article, folded=texts is not None)
    doc.add_integer(SEQUENCE, sequence)
    if article.date is None:
        doc.add_integer("key_oldest", UNDATED_KEY)
        doc.add_integer("key_newest", UNDATED_KEY)
    else:
        seconds = epoch_seconds(article.date)
        day = article.date.isoformat()[:10]
        doc.add_integer(nodes.DATE_FIELD, seconds)
        doc.add_integer("key_oldest", seconds)
        doc.add_integer("key_newest", -seconds)
        add_text("year", day[:4])
        add_text("month", day[:7])
        add_text("day", day)
    return doc


def _add_stored_fields(doc: tantivy.Document, article: Article, folded: bool) -> None:
    """The values a layout without records stores in fields of their own (the keyword
    fields' values are stored where they are indexed)."""
    if folded:
        for name in nodes.TEXT_FIELDS:
            if value := getattr(article, name):
                doc.add_bytes(STORED_TEXT[name], value.encode("utf-8"))
    for name, value in (("byline", article.byline), ("checksum", article.checksum),
                        ("position", article.position)):
        if value:
            doc.add_bytes(name, value.encode("utf-8"))
    if article.date is not None:
        doc.add_bytes("date_text", format_date(article.date).encode("utf-8"))


def from_stored(fields: dict[str, list]) -> tuple[Article, str]:
    """The article and cluster in the stored fields of a layout without records."""
    def text(name: str) -> str:
        # The folded layout stores text fields' originals apart; the legacy one in place.
        values = fields.get(STORED_TEXT.get(name, name)) or fields.get(name)
        if not values:
            return ""
        value = values[0]
        return value.decode("utf-8") if isinstance(value, bytes) else value

    sources = fields.get("source") or [""]
    article = Article.from_index(
        id=text("id"), source=sources[0], headline=text("headline"), body=text("body"),
        dateline=text("dateline"), date=parse_stored_date(text("date_text")),
        countries=tuple(fields.get("country", ())), regions=tuple(fields.get("region", ())),
        topics=tuple(fields.get("topic", ())), byline=text("byline"),
        checksum=text("checksum"), path=text("path"), position=text("position"),
    )
    return article, text("cluster") or article.id


def _regex_literal(text: str) -> str:
    """`text` as a regex that matches only itself (word characters stay readable)."""
    return "".join(ch if is_word_char(ch) else f"\\x{{{ord(ch):X}}}" for ch in text)


def _must(*queries: tantivy.Query) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query) for query in queries])


def _boosted(query: tantivy.Query, boost: float) -> tantivy.Query:
    return query if boost == 1.0 else tantivy.Query.boost_query(query, boost)


def _index_option(field: str) -> str:
    return "freq" if field in nodes.TEXT_FIELDS else "basic"


def _spelled(field: str, text: str, folded: bool) -> str:
    """A term of analysis.py as the index holds it."""
    return index_term(text) if folded and field in nodes.TEXT_FIELDS else text


def compile_node(node: nodes.Node, schema: tantivy.Schema, folded: bool = True
                 ) -> tantivy.Query:
    """A tantivy query for a node tree, matching the articles the Whoosh engine's does;
    `folded` tells the index's layout (False for the legacy one)."""
    query = tantivy.Query
    if isinstance(node, nodes.MatchAll):
        return query.all_query()
    if isinstance(node, nodes.MatchNone):
        return query.empty_query()
    if isinstance(node, nodes.Term):
        return _boosted(query.term_query(schema, node.field,
                                         _spelled(node.field, node.text, folded),
                                         index_option=_index_option(node.field)),
                        node.boost)
    if isinstance(node, nodes.Phrase):
        terms = [_spelled(node.field, text, folded) for text in node.terms]
        return _boosted(_phrase(node, terms, schema), node.boost)
    if isinstance(node, nodes.Prefix):
        pattern = _regex_literal(_spelled(node.field, node.text, folded)) + "(?s:.*)"
        return _boosted(query.regex_query(schema, node.field, pattern), node.boost)
    if isinstance(node, nodes.Fuzzy):
        # Plain Levenshtein like Whoosh's FuzzyTerm: a transposition is two edits.
        return _boosted(query.fuzzy_term_query(schema, node.field,
                                               _spelled(node.field, node.text, folded),
                                               distance=node.distance,
                                               transposition_cost_one=False, prefix=False),
                        node.boost)
    if isinstance(node, nodes.DateRange):
        return _date_range(node, schema)
    if isinstance(node, nodes.Or):
        if not node.children:
            return query.empty_query()
        return query.boolean_query([(tantivy.Occur.Should,
                                     compile_node(child, schema, folded))
                                    for child in node.children])
    if isinstance(node, nodes.And):
        clauses = [(tantivy.Occur.MustNot, compile_node(child.child, schema, folded))
                   if isinstance(child, nodes.Not)
                   else (tantivy.Occur.Must, compile_node(child, schema, folded))
                   for child in node.children]
        if not any(occur == tantivy.Occur.Must for occur, _query in clauses):
            # A query of only exclusions matches nothing in tantivy: exclude from all.
            clauses.insert(0, (tantivy.Occur.Must, query.all_query()))
        return query.boolean_query(clauses)
    if isinstance(node, nodes.Not):
        return query.boolean_query([(tantivy.Occur.Must, query.all_query()),
                                    (tantivy.Occur.MustNot,
                                     compile_node(node.child, schema, folded))])
    if isinstance(node, nodes.Bonus):
        return _with_bonus(compile_node(node.base, schema, folded),
                           [compile_node(extra, schema, folded) for extra in node.extras])
    raise TypeError(f"cannot compile {node!r}")


def _position(node: nodes.Node, known: list[nodes.Node]) -> int | None:
    """Where `node` is among `known` (the same object, or an equal tree), or None."""
    for place, other in enumerate(known):
        if other is node or other == node:
            return place
    return None


def _with_bonus(base: tantivy.Query, extras: list[tantivy.Query]) -> tantivy.Query:
    """The matches of `base`, scored with what `extras` add where they match too.
    Scoring every match costs tantivy little, so the extras are not windowed."""
    boolean, must, should = tantivy.Query.boolean_query, tantivy.Occur.Must, tantivy.Occur.Should
    if len(extras) <= 2:
        return boolean([(must, base)] + [(should, extra) for extra in extras])
    # tantivy reads a union of optional clauses ahead, through windows of thousands of
    # documents, whatever the required clause matches. Past one pair of proximity
    # phrases, each extra gets a level of its own and is only looked at where the
    # levels below match: `tokyo stock market shares` on Reuters 0.32 -> 0.13 ms; a
    # single pair is quicker as one union (`oil prices` 0.10 against 0.14 ms).
    query = base
    for extra in extras:
        query = boolean([(must, query), (should, extra)])
    return query


def _phrase(node: nodes.Phrase, terms: list[str], schema: tantivy.Schema) -> tantivy.Query:
    query = tantivy.Query
    if len(terms) == 1:
        return query.term_query(schema, node.field, terms[0], index_option="freq")
    if node.slop == 0:
        return query.phrase_query(schema, node.field, terms)
    if len(terms) > 2:
        return _spaced_phrase(node, terms, schema)
    # Whoosh matches when the second word stands 1..slop+1 positions after the first.
    # tantivy's slop is a distance from the expected offset, in either direction (and a
    # repeated word may match itself): expecting the second word `offset` positions
    # later with slop s, it matches gaps offset-s..offset+s. A window centred on the
    # allowed gaps keeps to the forward side. An even number of gaps has no centre: two
    # different words never share a position, so a window one wider, reaching gap 0,
    # still matches only the allowed gaps; a repeated word needs the last gap as a
    # second, exact phrase.
    first, second = terms
    gaps = node.slop + 1
    half = gaps // 2
    if gaps % 2:
        return query.phrase_query(schema, node.field, [(0, first), (half + 1, second)], half)
    if first != second:
        return query.phrase_query(schema, node.field, [(0, first), (half, second)], half)
    window = query.phrase_query(schema, node.field, [(0, first), (half, second)], half - 1)
    last = query.phrase_query(schema, node.field, [(0, first), (gaps, second)], 0)
    return query.boolean_query([(tantivy.Occur.Should, window),
                                (tantivy.Occur.Should, last)])


def _spaced_phrase(node: nodes.Phrase, terms: list[str], schema: tantivy.Schema
                   ) -> tantivy.Query:
    """A sloppy phrase of three or more words as Whoosh reads it: each word 1..slop+1
    positions after the one before. Every such spacing is an exact phrase; past a few
    dozen of them (the query layer sends only two-word sloppy phrases) tantivy's own slop
    stands in, which also lets the words come in another order."""
    query = tantivy.Query
    steps = range(1, node.slop + 2)
    if len(steps) ** (len(terms) - 1) > MAX_SPACINGS:
        return query.phrase_query(schema, node.field, terms, node.slop)
    phrases = []
    for spacing in product(steps, repeat=len(terms) - 1):
        offsets = accumulate(spacing, initial=0)
        phrases.append((tantivy.Occur.Should, query.phrase_query(
            schema, node.field, list(zip(offsets, terms, strict=True)))))
    return query.boolean_query(phrases)


def _date_range(node: nodes.DateRange, schema: tantivy.Schema) -> tantivy.Query:
    if node.start is None and node.end is None:
        # Every dated article; undated ones have no value in the column.
        return tantivy.Query.exists_query(nodes.DATE_FIELD)
    if node.end is None:
        return tantivy.Query.range_query(schema, nodes.DATE_FIELD, tantivy.FieldType.Integer,
                                         node.start, None)
    return tantivy.Query.range_query(schema, nodes.DATE_FIELD, tantivy.FieldType.Integer,
                                     node.start, node.end, include_lower=True,
                                     include_upper=False)


class TantivyWriter(EngineWriter):
    """One transaction: everything up to commit() or cancel(), which end it."""

    def __init__(self, index: tantivy.Index, fresh: bool, next_sequence: int,
                 layout: Layout):
        self._writer: tantivy.IndexWriter | None = index.writer(WRITER_HEAP_BYTES)
        self._schema = index.schema
        self._fresh = fresh
        self._sequence = next_sequence
        self._layout = layout

    def _open(self) -> tantivy.IndexWriter:
        if self._writer is None:
            raise RuntimeError("this writer has been committed or cancelled: ask the "
                               "engine for a new one")
        return self._writer

    def add(self, article: Article, cluster: str, replace: bool = True,
            prepared: object = None) -> None:
        writer = self._open()
        if replace and not self._fresh:
            # Deletes apply to documents added before them, so the new copy survives.
            writer.delete_documents_by_term("id", article.id)
        # What the layout uses of prepare()'s work, made here when the readers did not.
        made = prepared if isinstance(prepared, Prepared) else None
        texts = record = None
        if self._layout.folded:
            texts = made.texts if made else indexed_texts(article)
        if self._layout.recorded:
            record = made.record if made else to_record(article)
        writer.add_document(to_document(article, cluster, self._sequence, texts, record))
        self._sequence += 1

    def delete(self, ids: Iterable[str]) -> None:
        writer = self._open()
        for article_id in ids:
            writer.delete_documents_by_term("id", article_id)

    def delete_path(self, path: str, others: Iterable[str] = ()) -> None:
        writer = self._open()
        writer.delete_documents_by_term("path", path)
        # Members of a bundle carry the bundle's path and theirs: `day.zip!ap/1.xml`.
        members = tantivy.Query.regex_query(self._schema, "path",
                                            _regex_literal(path + "!") + "(?s:.*)")
        others = list(others)
        if others:
            members = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, members)]
                + [(tantivy.Occur.MustNot, tantivy.Query.regex_query(
                    self._schema, "path", _regex_literal(other) + "(?:!(?s:.*))?"))
                   for other in others])
        writer.delete_documents_by_query(members)

    def commit(self) -> None:
        writer = self._open()
        writer.commit()
        self._finish(writer)

    def cancel(self) -> None:
        if self._writer is not None:
            writer = self._writer
            writer.rollback()
            self._finish(writer)

    def _finish(self, writer: tantivy.IndexWriter) -> None:
        # Let the merges the commit started complete (dropping the writer would abandon
        # them, and segments would pile up over many small commits), then release the
        # index lock so the next writer can start.
        self._writer = None
        writer.wait_merging_threads()


class TantivySearcher(EngineSearcher):
    def __init__(self, searcher: tantivy.Searcher, schema: tantivy.Schema, layout: Layout):
        self._searcher = searcher
        self._schema = schema
        self._folded = layout.folded
        self._recorded = layout.recorded
        self._terms: dict[str, list[str]] = {}

    def close(self) -> None:
        self._searcher = None

    def _compile(self, query: nodes.Node) -> tantivy.Query:
        # tantivy scores each field apart: the weights tuned for that.
        return compile_node(ranking.for_per_field_scoring(query), self._schema, self._folded)

    def doc_count(self) -> int:
        return self._searcher.num_docs

    def _stored(self, address: tantivy.DocAddress, score: float | None) -> Stored:
        document = self._searcher.doc(address)
        if self._recorded:
            article, cluster = from_record(document.get_first(RECORD),
                                           document.get_first("cluster"))
        else:
            article, cluster = from_stored(document.to_dict())
        return Stored(article, score, cluster)

    def _hits(self, compiled: tantivy.Query, sort: str, offset: int, limit: int
              ) -> tuple[int, list[tuple[float | None, tantivy.DocAddress]]]:
        """(total, [(score or None, address)]) of ranks offset..offset+limit."""
        if offset >= self._searcher.num_docs:
            # Past every match: tantivy would make room for offset + limit hits first.
            return self._searcher.search(compiled, limit=1, count=True).count, []
        # tantivy reserves room for every hit asked for before it searches: a deep
        # page's worth aborts the process when the memory is not there.
        limit = min(limit, self._searcher.num_docs - offset)
        if sort == "relevance":
            result = self._searcher.search(compiled, limit=max(limit, 1), offset=offset,
                                           count=True)
            return result.count, result.hits[:limit]
        key = "key_oldest" if sort == "oldest" else "key_newest"
        total, addresses = self._by_date(compiled, key, offset, limit)
        return total, [(None, address) for address in addresses]

    def _by_date(self, compiled: tantivy.Query, key: str, offset: int, limit: int
                 ) -> tuple[int, list[tantivy.DocAddress]]:
        """Ranks offset..offset+limit by (key, insertion sequence). Whoosh breaks ties of
        the key by document number, which is insertion order; tantivy breaks them by
        where documents sit in segments, so tied articles are put in sequence order."""
        wanted = offset + limit
        # One rank more than wanted shows whether the last wanted key is tied past it.
        result = self._searcher.search(compiled, limit=wanted + 1, count=True,
                                       order_by_field=key, order=tantivy.Order.Asc)
        total, ranked = result.count, result.hits
        end = min(wanted, len(ranked))
        if offset >= end:
            return total, []
        # The keys of these ranks are right whatever tantivy's tie order; each group of
        # equal keys is wholly among them, except the last when more matches follow.
        keys = [value for value, _address in ranked]
        open_key = keys[-1] if len(ranked) < total else None
        open_first = len(keys) if open_key is None else bisect_left(keys, open_key)
        page: list[tantivy.DocAddress] = []
        known_end = min(end, open_first)
        if offset < known_end:
            low = bisect_left(keys, keys[offset])
            high = bisect_right(keys, keys[known_end - 1])
            block = ranked[low:high]
            sequences = self._searcher.fast_field_values(
                SEQUENCE, [address for _value, address in block])
            order = sorted(range(len(block)), key=lambda i: (block[i][0], sequences[i]))
            page = [block[i][1] for i in order[offset - low:known_end - low]]
        if end > open_first:
            # The page ends inside a tie that goes on beyond the ranks read: read that
            # key's articles by sequence.
            start = max(offset, open_first)
            tied = _must(compiled, tantivy.Query.range_query(
                self._schema, key, tantivy.FieldType.Integer, open_key, open_key))
            by_sequence = self._searcher.search(
                tied, limit=end - start, offset=start - open_first, count=False,
                order_by_field=SEQUENCE, order=tantivy.Order.Asc)
            page.extend(address for _value, address in by_sequence.hits)
        return total, page

    def _page(self, compiled: tantivy.Query, sort: str, offset: int, limit: int
              ) -> tuple[int, list[Stored]]:
        total, hits = self._hits(compiled, sort, offset, limit)
        return total, [self._stored(address, score) for score, address in hits]

    def search(self, query, sort="relevance", offset=0, limit=10):
        return self._page(self._compile(query), sort, offset, limit)

    def search_faceted(self, query, sort, offset, limit, facets):
        compiled = self._compiled_parts(query)
        total, hits = self._page(compiled[0][1], sort, offset, limit)
        # Facets without a filter of their own count the same matches: one aggregation
        # request per distinct query counts all of its fields, and a query compiled for
        # the search (itself, or the base of its bonus) is not compiled again. Queries
        # are told apart by identity, then equality, never hashed: hashing a tree walks
        # all of it, and ten hashes were a twentieth of a two-word faceted search.
        distinct: list[tuple[nodes.Node, list[str]]] = []
        places = []
        for field, node in facets:
            place = _position(node, [known for known, _fields in distinct])
            if place is None:
                place = len(distinct)
                distinct.append((node, []))
            distinct[place][1].append(field)
            places.append(place)
        counted = []
        for node, fields in distinct:
            at = _position(node, [known for known, _query in compiled])
            counted.append(self._facet_counts(
                self._compile(node) if at is None else compiled[at][1], fields))
        return total, hits, [counted[place][field]
                             for (field, _node), place in zip(facets, places, strict=True)]

    def _compiled_parts(self, query: nodes.Node) -> list[tuple[nodes.Node, tantivy.Query]]:
        """`query` compiled and, when it adds a bonus to a base, the base compiled on its
        own too (the base's matches are the query's: facets count them)."""
        if not isinstance(query, nodes.Bonus):
            return [(query, self._compile(query))]
        rescaled = ranking.for_per_field_scoring(query)
        base = compile_node(rescaled.base, self._schema, self._folded)
        extras = [compile_node(extra, self._schema, self._folded) for extra in rescaled.extras]
        return [(query, _with_bonus(base, extras)), (query.base, base)]

    def iter_hits(self, query, sort="relevance"):
        compiled = self._compile(query)
        offset, chunk = 0, 100
        while True:
            total, hits = self._hits(compiled, sort, offset, chunk)
            for score, address in hits:
                yield self._stored(address, score)
            offset += len(hits)
            if not hits or offset >= total:
                return
            # Each chunk re-ranks everything before it; growing chunks keep that cheap.
            chunk = min(chunk * 2, 10_000)

    def count(self, query):
        if isinstance(query, nodes.MatchAll):
            return self.doc_count()
        return self._searcher.search(self._compile(query), limit=1, count=True).count

    def _values(self, field: str) -> list[str]:
        if field not in self._terms:
            # Commonest first from tantivy; sorted like Whoosh's lexicon (code points
            # sort as UTF-8 bytes do).
            self._terms[field] = sorted(term for term, _frequency in
                                        self._searcher.terms_with_prefix(field, "",
                                                                         limit=None))
        return self._terms[field]

    def facet_counts(self, query, field):
        return self._facet_counts(self._compile(query), [field])[field]

    def _facet_counts(self, compiled: tantivy.Query, fields: list[str]
                      ) -> dict[str, dict[str, int]]:
        """For each of `fields`, its counts over the matches of `compiled`."""
        # A terms aggregation per field, each asking for every value the field holds;
        # fields share a request while their values add up to no more buckets than
        # tantivy allows in one (the usual case: one request). A field with more values
        # than that is counted one slice of its values at a time.
        requests: list[dict[str, dict]] = []
        room = 0
        for field in dict.fromkeys(fields):
            values = self._values(field)
            size = max(len(values), 1)
            if size <= MAX_BUCKETS:
                if size > room:
                    requests.append({})
                    room = MAX_BUCKETS
                requests[-1][field] = {"terms": {"field": field, "size": size}}
                room -= size
                continue
            for start in range(0, len(values), MAX_BUCKETS):
                requests.append({field: {"terms": {
                    "field": field, "size": MAX_BUCKETS,
                    "include": values[start:start + MAX_BUCKETS]}}})
        counts: dict[str, dict[str, int]] = {field: {} for field in fields}
        for request in requests:
            result = self._searcher.aggregate(compiled, request)
            for field in request:
                counts[field].update({bucket["key"]: bucket["doc_count"]
                                      for bucket in result[field]["buckets"]})
        return counts

    def get(self, article_id):
        query = tantivy.Query.term_query(self._schema, "id", article_id, index_option="basic")
        hits = self._searcher.search(query, limit=1, count=False).hits
        return self._stored(hits[0][1], None) if hits else None

    def ids(self, query):
        compiled = self._compile(query)
        total = self._searcher.search(compiled, limit=1, count=True).count
        if total == 0:
            return
        if total <= MAX_BUCKETS:
            spans = [compiled]
        else:
            # Slices of the insertion sequence, each too short to hold more articles
            # than an aggregation may return.
            stats = self._searcher.aggregate(compiled, {"s": {"stats": {"field": SEQUENCE}}})
            low, high = int(stats["s"]["min"]), int(stats["s"]["max"])
            spans = [_must(compiled, tantivy.Query.range_query(
                self._schema, SEQUENCE, tantivy.FieldType.Integer, start,
                min(start + MAX_BUCKETS, high + 1), include_lower=True, include_upper=False))
                for start in range(low, high + 1, MAX_BUCKETS)]
        for span in spans:
            result = self._searcher.aggregate(
                span, {"ids": {"terms": {"field": "id", "size": MAX_BUCKETS}}})
            for bucket in result["ids"]["buckets"]:
                # Once per article, as Whoosh does, should an id ever be indexed twice.
                for _copy in range(bucket["doc_count"]):
                    yield bucket["key"]

    def doc_frequency(self, field, term):
        try:
            return self._searcher.doc_freq(field, _spelled(field, term, self._folded))
        except ValueError:  # not a field of this index: no article has the term
            return 0

    def term_statistics(self, field, terms):
        return {term: self.doc_frequency(field, term) for term in terms}

    def values(self, field):
        return list(self._values(field))


def _open_error(path: Path, error: ValueError) -> Exception:
    """tantivy's ValueError as ours. A missing segment file means a writer in another
    process collected it between our reading meta.json and opening it: an OSError, which
    callers answer by opening again."""
    if "FileDoesNotExist" in str(error):
        return FileNotFoundError(f"the tantivy index in {path} changed while opening: "
                                 f"{error}")
    if "Permission denied" in str(error) or "PermissionDenied" in str(error):
        # tantivy takes a lock file to read meta.json, even to search.
        return NotWritableError(f"cannot open the tantivy index in {path}: tantivy needs to "
                                "write a lock file in its folder even to search, and this user "
                                "may not write there (search as the index's owner, or let "
                                "this user write to the folder)")
    return damaged(f"the tantivy index in {path}", error)


@dataclass(frozen=True)
class Layout:
    """How an index was made, as the tokenizer its schema names for text says: which
    text the index is given (folded by us, or the original in the legacy layout), how
    tantivy splits it, and how the index stores what searches give back."""

    tokenizer: str

    @property
    def folded(self) -> bool:
        return self.tokenizer != LEGACY_ANALYZER

    @property
    def recorded(self) -> bool:
        """One record per article, or (earlier layouts) each value in its own field."""
        return self.tokenizer == RECORDS_ANALYZER


def _layout(path: Path) -> Layout:
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        fields = {field["name"]: field for field in meta["schema"]}
        tokenizer = fields["body"]["options"]["indexing"]["tokenizer"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise damaged(f"the tantivy index in {path}",
                      f"cannot read its schema ({error})") from None
    if tokenizer not in ANALYZERS:
        raise IndexNotFoundError(f"the tantivy index in {path} was made by another version "
                                 f"of wiresearch (its text analyzer is {tokenizer!r})")
    return Layout(tokenizer)


@dataclass(frozen=True)
class Prepared:
    """What the reader processes make of an article for this engine."""

    texts: dict[str, str]
    record: bytes


class TantivyEngine(Engine):
    name = "tantivy"

    @staticmethod
    def prepare(article: Article) -> Prepared:
        # Folding and encoding are Python work: readers do it in parallel.
        return Prepared(indexed_texts(article), to_record(article))

    def __init__(self, index: tantivy.Index, path: Path):
        self._index = index
        self._path = path
        self.layout = _layout(path)
        # Analyzers are not saved with the index, only their names: register the one
        # its schema names every time it is opened.
        index.register_tokenizer(self.layout.tokenizer, ANALYZERS[self.layout.tokenizer]())
        # Searchers reload when asked (searcher()), not from a file-watching thread.
        index.config_reader(reload_policy="Manual")
        self._schema = index.schema

    @classmethod
    def create(cls, path: Path) -> TantivyEngine:
        path.mkdir(parents=True, exist_ok=True)
        return cls(tantivy.Index(_schema(), path=str(path), reuse=False), path)

    @classmethod
    def open(cls, path: Path) -> TantivyEngine:
        try:
            found = path.is_dir() and tantivy.Index.exists(str(path))
        except OSError:
            found = False
        if not found:
            raise IndexNotFoundError(f"no tantivy index in {path}")
        try:
            return cls(tantivy.Index.open(str(path)), path)
        except ValueError as error:
            raise _open_error(path, error) from None

    def _next_sequence(self) -> int:
        self._index.reload()
        stats = self._index.searcher().aggregate(
            tantivy.Query.all_query(), {"s": {"max": {"field": SEQUENCE}}})
        highest = stats["s"]["value"]
        return 0 if highest is None else int(highest) + 1

    @property
    def folded(self) -> bool:
        return self.layout.folded

    def advice(self) -> list[str]:
        if self.folded:
            return []
        return ["this tantivy index was made by an earlier wiresearch, which left accents "
                "on Greek, Cyrillic and Hangul words so that they were not found: "
                "`wiresearch reindex --full` rebuilds it"]

    def writer(self, fresh: bool = False) -> TantivyWriter:
        return TantivyWriter(self._index, fresh, self._next_sequence(), self.layout)

    def searcher(self) -> TantivySearcher:
        try:
            self._index.reload()
        except ValueError as error:
            raise _open_error(self._path, error) from None
        return TantivySearcher(self._index.searcher(), self._schema, self.layout)

    def close(self) -> None:
        self._index = None
