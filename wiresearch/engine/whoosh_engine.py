"""The default engine: Whoosh, pure Python, embedded, nothing to start.

Text is indexed with wiresearch's own analysis (analysis.py) through a field type that
turns text into postings in one pass, facet counts come from per-document value arrays
built once per searcher, and date order uses two sortable keys so undated articles sort
last both ways.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import pickle
import struct
import weakref
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from pathlib import Path
from typing import NamedTuple

from whoosh import columns, formats, scoring
from whoosh import fields as wf
from whoosh import index as windex
from whoosh import query as wq
from whoosh.analysis import RegexTokenizer, Token, Tokenizer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filetables import FileFormatError
from whoosh.reading import SegmentReader

from .. import analysis, nodes, ranking
from ..dates import epoch_seconds
from ..errors import IndexNotFoundError, NotWritableError, damaged
from ..model import Article, format_date, parse_stored_date
from .base import Engine, EngineSearcher, EngineWriter, Stored
from .whoosh_codec import ArrayCodec
from .whoosh_codec import WireCodec as WireCodec  # named by segments written before ArrayCodec
from .whoosh_eval import BulkEvaluator
from .whoosh_writing import DocumentAdder, TermPool

INDEX_NAME = "MAIN"
# Sort key of undated articles: after every real date in both directions.
UNDATED_KEY = 2**62
MULTI_VALUED = ("country", "region", "topic", "source")
# What a keyword field's stored string joins its values with, and its analyzer splits
# it at: a control character, which no cleaned value holds (normalize.clean_text), so
# that a value may hold a comma ("economy, business and finance", an IPTC media topic).
# Indexes made before it join with commas (Whoosh's KEYWORD(commas=True)); there a comma
# inside a value is stored and indexed as a space.
VALUE_SEPARATOR = "\x1f"


class WireTokenizer(Tokenizer):
    """wiresearch's analysis as a Whoosh analyzer, for the Whoosh APIs that want one."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, start, end, word in analysis.tokens(value):
            token.text = analysis.stem(word)
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class WireText(wf.TEXT):
    """A TEXT field whose postings come straight from analysis.tokens: one pass, no
    token objects, the same terms and positions the analyzer would give."""

    def __init__(self, **kwargs):
        super().__init__(analyzer=WireTokenizer(), **kwargs)

    def index(self, value, **kwargs):
        if type(value) is Postings:
            return value.items()
        return postings(value, self.format).items()


class Postings(NamedTuple):
    """A text field's postings made ahead (in a reader process), column by column: the
    terms, UTF-8 and joined by NUL (which no word holds), and each term's frequency,
    weight and encoded positions. A reader sends four objects a field where it sent a
    tuple of four for each term: a file's results pickle and unpickle in a little over
    half the time. WireText and DocumentAdder take them as they are, and the text itself
    is stored through Whoosh's `_stored_<field>`."""

    terms: bytes
    frequencies: list[int]
    weights: list
    encoded: list[bytes]

    def items(self) -> Iterator[tuple[bytes, int, float, bytes]]:
        """(term, frequency, weight, encoded positions) for each term."""
        if not self.frequencies:
            return iter(())
        return zip(self.terms.split(b"\0"), self.frequencies, self.weights, self.encoded,
                   strict=True)


_POSITIONS = formats.Positions()
# A word found once in a field (two thirds of a story's words) at one of the first few
# thousand positions: its encoded positions made once, not pickled again each time.
_ONE_POSITION = [_POSITIONS.encode([position]) for position in range(4096)]


def postings(text: str, format_: formats.Format = _POSITIONS) -> Postings:
    """The postings of each term of `text`."""
    positions: dict[str, list[int]] = defaultdict(list)
    for position, term in enumerate(analysis.positioned_terms(text)):
        if term is not None:
            positions[term].append(position)
    found = list(positions.values())
    frequencies = list(map(len, found))
    # A weight is the frequency times the field's boost: with no boost, the frequency
    # itself, a small int that Python shares, where a float is an object of 24 bytes
    # for each posting a writer's pool holds (the segment is the same either way). The
    # two columns are then one list, which pickles once.
    boost = format_.field_boost
    weights = frequencies if boost == 1 else [boost * frequency for frequency in frequencies]
    encode = format_.encode
    if type(format_) is formats.Positions:
        once = _ONE_POSITION
        limit = len(once)
        encoded = [once[where[0]] if len(where) == 1 and where[0] < limit else encode(where)
                   for where in found]
    else:
        encoded = [encode(where) for where in found]
    return Postings("\0".join(positions).encode("utf-8"), frequencies, weights, encoded)


def _keyword_field() -> wf.KEYWORD:
    field = wf.KEYWORD(stored=True, lowercase=False, scorable=False)
    field.analyzer = RegexTokenizer(f"[^{VALUE_SEPARATOR}]+")
    return field


def _schema() -> wf.Schema:
    return wf.Schema(
        id=wf.ID(stored=True, unique=True),
        path=wf.ID(stored=True),
        headline=WireText(stored=True),
        body=WireText(stored=True),
        dateline=WireText(stored=True),
        source=_keyword_field(),
        country=_keyword_field(),
        region=_keyword_field(),
        topic=_keyword_field(),
        year=wf.ID,
        month=wf.ID,
        day=wf.ID,
        # Coarse trie steps: 4 terms per date instead of 16; ranges stay fast.
        date=wf.NUMERIC(numtype=int, bits=64, signed=True, shift_step=16),
        # Sort keys live in columns only: indexing them would add terms for nothing.
        key_oldest=wf.COLUMN(columns.NumericColumn("q", default=UNDATED_KEY)),
        key_newest=wf.COLUMN(columns.NumericColumn("q", default=UNDATED_KEY)),
        cluster=wf.ID(stored=True),
        date_text=wf.STORED,
        byline=wf.STORED,
        checksum=wf.STORED,
        position=wf.STORED,
    )


def value_separator(schema: wf.Schema) -> str:
    """What the index's keyword fields split their values at, as their analyzer does:
    VALUE_SEPARATOR, or a comma in an index made before it."""
    split = [token.text for token in schema["topic"].analyzer("a,b")]
    return "," if split == ["a", "b"] else VALUE_SEPARATOR


def _keyword(values: Iterable[str], separator: str) -> str:
    # Where commas separate values, a value may hold none.
    if separator == ",":
        values = (value.replace(",", " ") for value in values)
    return separator.join(values)


def to_document(article: Article, cluster: str, prepared: dict | None = None,
                separator: str = VALUE_SEPARATOR) -> dict:
    doc = {
        "id": article.id, "path": article.path, "headline": article.headline,
        "body": article.body, "dateline": article.dateline,
        "source": _keyword([article.source], separator) if article.source else "",
        "country": _keyword(article.countries, separator),
        "region": _keyword(article.regions, separator),
        "topic": _keyword(article.topics, separator), "cluster": cluster,
        "byline": article.byline, "checksum": article.checksum,
        "position": article.position, "key_oldest": UNDATED_KEY, "key_newest": UNDATED_KEY,
    }
    if article.date is not None:
        seconds = epoch_seconds(article.date)
        day = article.date.isoformat()[:10]
        doc.update(date=seconds, key_oldest=seconds, key_newest=-seconds,
                   date_text=format_date(article.date), year=day[:4], month=day[:7], day=day)
    doc = {key: value for key, value in doc.items() if value != ""}
    for name, made in (prepared or {}).items():
        if name in doc:
            doc["_stored_" + name] = doc[name]
            doc[name] = made
    return doc


def _split(value: str | None, separator: str) -> tuple[str, ...]:
    return tuple(part for part in (value or "").split(separator) if part)


def from_stored(fields: dict, separator: str = VALUE_SEPARATOR) -> tuple[Article, str]:
    when = parse_stored_date(fields.get("date_text"))
    sources = _split(fields.get("source"), separator)
    article = Article.from_index(
        id=fields["id"], source=sources[0] if sources else "",
        headline=fields.get("headline", ""), body=fields.get("body", ""),
        dateline=fields.get("dateline", ""), date=when,
        countries=_split(fields.get("country"), separator),
        regions=_split(fields.get("region"), separator),
        topics=_split(fields.get("topic"), separator), byline=fields.get("byline", ""),
        checksum=fields.get("checksum", ""), path=fields.get("path", ""),
        position=fields.get("position", ""),
    )
    return article, fields.get("cluster", article.id)


# A segment reader's terms of each field, for fuzzy words: read once per reader (a
# searcher's life), about 125 ms for Reuters-21578's 33,600 body terms.
_field_terms: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Segments whose terms file is larger keep Whoosh's automaton: reading 920,000 terms
# took 1.8 s and 120 MB, more than the automaton's walk costs a one-off search.
LEXICON_MAX_BYTES = 32 * 2**20


class VocabularyFuzzyTerm(wq.FuzzyTerm):
    """Whoosh's FuzzyTerm, its words found by rapidfuzz (C) over the field's terms held in
    memory instead of by Whoosh's Levenshtein automaton stepping through the terms file:
    the same words (plain Levenshtein, a transposition is two edits), 1-11 ms a word on
    Reuters-21578 instead of about 480. Segments of very large vocabularies keep the
    automaton (LEXICON_MAX_BYTES)."""

    def _btexts(self, ixreader):
        if self.maxdist == 0:
            return [self.text] if (self.fieldname, self.text) in ixreader else []
        if ixreader not in _field_terms:  # None: too many terms to hold
            _field_terms[ixreader] = ({} if _terms_file_size(ixreader) <= LEXICON_MAX_BYTES
                                      else None)
        terms = _field_terms[ixreader]
        if terms is None:
            return super()._btexts(ixreader)
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        if self.fieldname not in terms:
            terms[self.fieldname] = [text.decode("utf-8")
                                     for text in ixreader.lexicon(self.fieldname)]
        return [word for word, _distance, _index in process.extract(
            self.text, terms[self.fieldname], scorer=Levenshtein.distance,
            score_cutoff=self.maxdist, limit=None)]


def _terms_file_size(ixreader) -> int:
    try:
        return ixreader._storage.file_length(
            ixreader._segment.make_filename(W3Codec.TERMS_EXT))
    except (AttributeError, OSError):  # not one segment's reader
        return LEXICON_MAX_BYTES + 1


def compile_node(node: nodes.Node) -> wq.Query:
    """A Whoosh query for a node tree."""
    if isinstance(node, nodes.MatchAll):
        return wq.Every()
    if isinstance(node, nodes.MatchNone):
        return wq.NullQuery
    if isinstance(node, nodes.Term):
        return wq.Term(node.field, node.text, boost=node.boost)
    if isinstance(node, nodes.Phrase):
        if len(node.terms) == 1:
            return wq.Term(node.field, node.terms[0], boost=node.boost)
        # Whoosh's slop counts the step from one word to the next (1 = adjacent).
        return wq.Phrase(node.field, list(node.terms), slop=node.slop + 1, boost=node.boost)
    if isinstance(node, nodes.Prefix):
        return wq.Prefix(node.field, node.text, boost=node.boost)
    if isinstance(node, nodes.Fuzzy):
        return VocabularyFuzzyTerm(node.field, node.text, boost=node.boost,
                                   maxdist=node.distance, prefixlength=0)
    if isinstance(node, nodes.DateRange):
        return wq.NumericRange("date", node.start, node.end, startexcl=False,
                               endexcl=node.end is not None)
    if isinstance(node, nodes.Or):
        return wq.Or([compile_node(child) for child in node.children])
    if isinstance(node, nodes.And):
        positive = [compile_node(c) for c in node.children if not isinstance(c, nodes.Not)]
        negative = [compile_node(c.child) for c in node.children if isinstance(c, nodes.Not)]
        base = wq.And(positive) if len(positive) > 1 else (positive[0] if positive
                                                           else wq.Every())
        if not negative:
            return base
        return wq.AndNot(base, wq.Or(negative) if len(negative) > 1 else negative[0])
    if isinstance(node, nodes.Not):
        return wq.AndNot(wq.Every(), compile_node(node.child))
    if isinstance(node, nodes.Bonus):
        return wq.AndMaybe(compile_node(node.base),
                           wq.Or([compile_node(extra) for extra in node.extras]))
    raise TypeError(f"cannot compile {node!r}")


# About 80 bytes of memory per posting held in a TermPool (125 when each posting was a
# tuple): a fresh build starts a new segment past this many, which keeps a
# million-article build well under 2 GB.
POOL_POSTINGS = 4_000_000


# A merge holds its segments' postings in memory, as a fresh build's segment does: no
# more stories than a fresh build puts in one (POOL_POSTINGS is about 35,000 wire stories).
MERGE_MAX_DOCUMENTS = 25_000


def merge_tail(sizes: list[int], limit: int = MERGE_MAX_DOCUMENTS) -> int:
    """How many segments at the end of the index (of these sizes, in index order) to
    merge: the longest tail in which each segment is at most twice as large as all those
    after it together, and which holds at most `limit` documents. Sizes then grow from
    the end of the index like the digits of a binary counter, so the index keeps a few
    segments per power of two of its size, a story is merged again a few times over its
    life, and the segments of a fresh build (and merges that reach the limit) stay as
    they are."""
    if not sizes:
        return 0
    tail, total = 1, sizes[-1]
    for size in reversed(sizes[:-1]):
        if size > 2 * total or total + size > limit:
            break
        tail += 1
        total += size
    return tail


class WhooshWriter(EngineWriter):
    def __init__(self, index: windex.Index, fresh: bool):
        self._index = index
        self._fresh = fresh
        self._writer = self._new_writer()
        self._adder = DocumentAdder(index.schema, Postings)
        self._separator = value_separator(index.schema)

    def _new_writer(self):
        # Not compound: assembling a segment into one file copies every byte again.
        writer = self._index.writer(codec=ArrayCodec(), compound=False)
        writer.pool = TermPool()
        return writer

    def add(self, article: Article, cluster: str, replace: bool = True,
            prepared: object = None) -> None:
        document = to_document(article, cluster, prepared, self._separator)
        if self._fresh or not replace:
            self._adder.add(self._writer, document)
            # A fresh build is not live until it is switched to, so a segment may be
            # committed at any point: that bounds memory however large the archive.
            if self._fresh and self._writer.pool.postings > POOL_POSTINGS:
                self._writer.commit(merge=False)
                self._writer = self._new_writer()
        else:
            self._writer.update_document(**document)

    def delete(self, ids: Iterable[str]) -> None:
        for article_id in ids:
            self._writer.delete_by_term("id", article_id)

    def delete_path(self, path: str, others: Iterable[str] = ()) -> None:
        self._writer.delete_by_term("path", path)
        # Members of a bundle carry the bundle's path and theirs: `day.zip!ap/1.xml`.
        members: wq.Query = wq.Prefix("path", path + "!")
        others = list(others)
        if others:
            members = wq.AndNot(members, wq.Or(
                [query for other in others for query in
                 (wq.Term("path", other), wq.Prefix("path", other + "!"))]))
        self._writer.delete_by_query(members)

    def commit(self) -> None:
        # A fresh build's segments are large and final: merging them would only copy
        # every posting again (and hold them all in memory at once).
        self._writer.commit(merge=False)
        if not self._fresh:
            self._merge_tail()

    def _merge_tail(self) -> None:
        """Merge the small segments at the end of the index into one, in their order.

        Whoosh's own policy (MERGE_SMALL) merges the smallest segments into the segment
        of the new articles, after them, and lists the others by size: documents change
        order, and stories of one date, which go in the order they were added (as on
        tantivy), no longer did. The merged segments here are the newest ones, and their
        merge takes their place at the end: the order stays the order of addition."""
        segments = list(self._index._segments())
        tail = merge_tail([segment.doc_count_all() for segment in segments])
        if tail < 2:
            return
        merged = [segment.segment_id() for segment in segments[-tail:]]

        def merge_in_order(writer, current):
            for segment in current:
                if segment.segment_id() in merged:
                    reader = SegmentReader(writer.storage, writer.schema, segment)
                    writer.add_reader(reader)
                    reader.close()
            return [segment for segment in current if segment.segment_id() not in merged]

        merging = self._new_writer()
        try:
            merging.commit(mergetype=merge_in_order)
        except BaseException:
            # The articles are committed; what failed (a full disk) is the merge alone.
            # Its writer lets go of Whoosh's lock, so that the error is the one reported.
            with contextlib.suppress(Exception):
                merging.cancel()
            raise

    def cancel(self) -> None:
        if not self._writer.is_closed:  # committed already: nothing to take back
            self._writer.cancel()


def _by_score(item: tuple[int, float]) -> tuple[float, int]:
    return (-item[1], item[0])


# The most matches a searcher keeps the scores of, for the next search (see _scores).
KEPT_SCORES = 100_000


def _best(scores: dict[int, float], wanted: int | None) -> list[tuple[int, float]]:
    """The `wanted` highest-scoring (docnum, score) pairs, ties to the lower docnum.
    The cut-off score is found with C-level comparisons; only pairs at or above it are
    put in order in Python."""
    if wanted is None or wanted >= len(scores):
        return sorted(scores.items(), key=_by_score)
    cutoff = heapq.nlargest(wanted, scores.values())[-1]
    return sorted(((docnum, score) for docnum, score in scores.items() if score >= cutoff),
                  key=_by_score)[:wanted]


class WhooshSearcher(EngineSearcher):
    def __init__(self, index: windex.Index, weighting: scoring.WeightingModel):
        self._searcher = index.searcher(weighting=weighting)
        self._reader = self._searcher.reader()
        # Every search shows stored values: a damaged store is found here, at opening
        # (where it is said to be damaged), not in the middle of a search.
        for leaf, _offset in self._reader.leaf_readers():
            if leaf.doc_count_all():
                leaf.stored_fields(0)
        self._separator = value_separator(index.schema)
        self._evaluator = BulkEvaluator(self._searcher, weighting, compile_node)
        self._facet_arrays: dict[str, tuple[list[str], list[tuple[int, ...]]]] = {}
        self._date_orders: dict[str, tuple[list[int], list[int]]] = {}
        # The last ranked query and its scores: a search expanded by feedback
        # (feedback.expanded) scores its base query twice in a row, for its best matches
        # and again with the words they give. One query's scores at most are held, and
        # only up to KEPT_SCORES matches (about 10 MB).
        self._last_scores: tuple[nodes.Node, dict[int, float]] | None = None

    def close(self) -> None:
        self._searcher.close()

    def doc_count(self) -> int:
        return self._searcher.doc_count()

    def _stored(self, docnum: int, score: float | None) -> Stored:
        article, cluster = from_stored(self._reader.stored_fields(docnum), self._separator)
        return Stored(article, score, cluster)

    def _ranked(self, query: nodes.Node, sort: str, wanted: int | None,
                shared: dict | None = None) -> tuple[int, list[tuple[int, float | None]]]:
        """(total, the first `wanted` (docnum, score) pairs in `sort` order); ties go to
        the lower document number, as in Whoosh's own collectors."""
        evaluator = self._evaluator
        if sort == "relevance":
            if isinstance(query, nodes.MatchAll):
                # Every document scores the same: index order.
                live = evaluator.live()
                chosen = live if wanted is None else islice(sorted(live), wanted)
                return len(live), [(docnum, 1.0) for docnum in chosen]
            if isinstance(query, nodes.Bonus):
                return self._rescored(query, wanted, shared)
            scores = self._scores(query, shared)
            return len(scores), _best(scores, wanted)
        docs = (evaluator.live() if isinstance(query, nodes.MatchAll)
                else evaluator.docs(query, shared))
        order, place = self._date_order(sort)
        # Places are plain integers: the cut-off and the sort run without a key function.
        places = map(place.__getitem__, docs)
        chosen = sorted(places) if wanted is None else heapq.nsmallest(wanted, places)
        return len(docs), [(order[number], None) for number in chosen]

    def _rescored(self, query: nodes.Bonus, wanted: int | None,
                  shared: dict | None) -> tuple[int, list[tuple[int, float]]]:
        """The best matches by the base query's score, the first RESCORE_WINDOW of them
        re-ordered with the extras' scores added. The order does not depend on `wanted`,
        so pages never overlap."""
        shared = {} if shared is None else shared
        self._evaluator.keep_postings(query.extras, shared)
        scores = self._scores(query.base, shared)
        window = ranking.RESCORE_WINDOW
        best = _best(scores, None if wanted is None else max(wanted, window))
        head = self._evaluator.add_scores(query.extras, best[:window], shared)
        return len(scores), (sorted(head, key=_by_score) + best[window:])[:wanted]

    def _scores(self, query: nodes.Node, shared: dict | None) -> dict[int, float]:
        """Every match of `query` with its score (the last query's kept, see __init__)."""
        last = self._last_scores
        if last is not None and last[0] == query:
            if shared is not None:
                self._evaluator.reuse_scores(query, last[1], shared)
            return last[1]
        self._last_scores = None  # let the last scores go before making new ones
        scores = self._evaluator.scores(query, shared)
        if len(scores) <= KEPT_SCORES:
            self._last_scores = (query, scores)
        return scores

    def _date_order(self, sort: str) -> tuple[list[int], list[int]]:
        """(every document in `sort` order, each document's place in that order), made
        once per searcher; ties go to the lower document number."""
        if sort not in self._date_orders:
            keys = self._evaluator.column("key_oldest" if sort == "oldest" else "key_newest")
            keys = [UNDATED_KEY if key is None else key for key in keys]
            order = sorted(range(len(keys)), key=keys.__getitem__)
            place = [0] * len(order)
            for number, docnum in enumerate(order):
                place[docnum] = number
            self._date_orders[sort] = (order, place)
        return self._date_orders[sort]

    def search(self, query, sort="relevance", offset=0, limit=10):
        total, hits, _counts = self.search_faceted(query, sort, offset, limit, ())
        return total, hits

    def search_faceted(self, query, sort, offset, limit, facets):
        shared: dict = {}
        total, ranked = self._ranked(query, sort, max(offset + limit, 1), shared)
        hits = [self._stored(docnum, score) for docnum, score in ranked[offset:offset + limit]]
        return total, hits, [self._facet_counts(node, field, shared) for field, node in facets]

    def iter_hits(self, query, sort="relevance"):
        _total, ranked = self._ranked(query, sort, None)
        for docnum, score in ranked:
            yield self._stored(docnum, score)

    def count(self, query):
        if isinstance(query, nodes.MatchAll):
            return self.doc_count()
        return len(self._evaluator.docs(query))

    def _arrays(self, field: str) -> tuple[list[str], list[tuple[int, ...]]]:
        """Per-document value numbers of a keyword field, read once from its postings."""
        if field not in self._facet_arrays:
            values: list[str] = []
            per_doc: list[tuple[int, ...]] = [()] * self._reader.doc_count_all()
            for number, term in enumerate(self._reader.lexicon(field)):
                text = term.decode("utf-8")
                values.append(text)
                single = (number,)
                for ids, _weights in self._evaluator.postings(field, text):
                    for docnum in ids:
                        existing = per_doc[docnum]
                        per_doc[docnum] = existing + single if existing else single
            self._facet_arrays[field] = (values, per_doc)
        return self._facet_arrays[field]

    def facet_counts(self, query, field):
        return self._facet_counts(query, field, {})

    def _facet_counts(self, query: nodes.Node, field: str, shared: dict) -> dict[str, int]:
        values, per_doc = self._arrays(field)
        docs = (self._evaluator.live() if isinstance(query, nodes.MatchAll)
                else self._evaluator.docs(query, shared))
        counts = Counter(chain.from_iterable(map(per_doc.__getitem__, docs)))
        return {values[number]: count for number, count in counts.items()}

    def get(self, article_id):
        fields = self._searcher.document(id=article_id)
        if fields is None:
            return None
        article, cluster = from_stored(fields, self._separator)
        return Stored(article, None, cluster)

    def ids(self, query):
        stored_fields = self._reader.stored_fields
        docs = (self._evaluator.live() if isinstance(query, nodes.MatchAll)
                else self._evaluator.docs(query))
        for docnum in docs:
            yield stored_fields(docnum)["id"]

    def doc_frequency(self, field, term):
        return self._reader.doc_frequency(field, term)

    def term_statistics(self, field, terms):
        return {term: self._reader.doc_frequency(field, term) for term in terms}

    def values(self, field):
        return [term.decode("utf-8") for term in self._reader.lexicon(field)]


class Weighting(scoring.BM25F):
    """Whoosh's BM25F with ranking's idf, so that the words Whoosh scores itself (in
    phrases, prefixes) weigh as those the bulk evaluator scores."""

    def idf(self, searcher, fieldname, text):
        return ranking.idf(searcher.doc_count_all(), searcher.doc_frequency(fieldname, text))


class WhooshEngine(Engine):
    name = "whoosh"

    def __init__(self, index: windex.Index):
        self._index = index
        self.weighting = Weighting(B=ranking.BM25_B, K1=ranking.BM25_K1)

    @staticmethod
    def prepare(article: Article) -> dict[str, list]:
        # Analysis is most of the cost of adding a document; readers do it in parallel.
        return {name: postings(getattr(article, name)) for name in nodes.TEXT_FIELDS
                if getattr(article, name)}

    @classmethod
    def create(cls, path: Path) -> WhooshEngine:
        path.mkdir(parents=True, exist_ok=True)
        return cls(windex.create_in(str(path), _schema(), indexname=INDEX_NAME))

    @classmethod
    def open(cls, path: Path) -> WhooshEngine:
        try:
            if not windex.exists_in(str(path), indexname=INDEX_NAME):
                raise IndexNotFoundError(f"no Whoosh index in {path}")
            return cls(windex.open_dir(str(path), indexname=INDEX_NAME))
        # A cut or overwritten table of contents: Whoosh's reading of it fails one of
        # these ways (IndexError: "created on a different architecture"; TypeError: an
        # empty one).
        except (pickle.UnpicklingError, EOFError, struct.error, ValueError, IndexError,
                TypeError) as error:
            raise damaged(f"the Whoosh index in {path}", error) from None

    def writer(self, fresh: bool = False) -> WhooshWriter:
        return WhooshWriter(self._index, fresh)

    def searcher(self) -> WhooshSearcher:
        folder = self._index.storage.folder
        try:
            return WhooshSearcher(self._index, self.weighting)
        except PermissionError as error:
            raise NotWritableError(f"cannot read the Whoosh index in {folder}: "
                                   f"{error.strerror or error}") from None
        except OSError as error:
            # An emptied file cannot be mapped (EINVAL); anything else (a file a run's
            # merge deleted as we opened, no file descriptors left) the caller may try
            # again.
            if error.errno != errno.EINVAL:
                raise
            raise damaged(f"the Whoosh index in {folder}", error) from None
        except (ValueError, EOFError, struct.error, zlib.error, pickle.UnpicklingError,
                FileFormatError) as error:
            raise damaged(f"the Whoosh index in {folder}", error) from None

    def close(self) -> None:
        self._index.close()
