"""Query evaluation over Whoosh's postings, in bulk.

Whoosh scores a query by walking a tree of matcher objects document by document, a few
Python calls per document per term; on common words that is most of a search. Here the
same node tree is evaluated term by term instead: each term's postings are read a block
at a time, scored with Whoosh's own BM25F formula and statistics (so a term's scores
equal Whoosh's), and combined with dictionary and set operations. A word looked for in
several fields is scored once over them (ranking.word_in_fields), which Whoosh, scoring
each field apart, cannot do. Whatever this module does not evaluate itself (phrases,
prefixes, fuzzy terms, date ranges) is handed to Whoosh for that subtree only.
"""

from __future__ import annotations

import sys
from array import array

from whoosh import collectors
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from .. import nodes, ranking


class BulkEvaluator:
    """Evaluates node trees against one Whoosh searcher (one snapshot of the index)."""

    def __init__(self, searcher, weighting, compile_node):
        self._searcher = searcher
        self._compile = compile_node
        self._K1 = weighting.K1
        self._B = weighting.B
        self._field_B = dict(getattr(weighting, "_field_B", {}))
        reader = searcher.reader()
        self._doc_count_all = reader.doc_count_all()
        self._leaves = list(reader.leaf_readers())
        self._leaf_searchers = {leaf: sub for sub, _offset in searcher.leaf_searchers()
                                for leaf in [sub.reader()]}
        self._deleted: set[int] = set()
        for leaf, offset in self._leaves:
            self._deleted.update(offset + docnum for docnum in leaf.deleted_docs_set)
        self._lengths: dict[str, list[int]] = {}
        self._columns: dict[str, list] = {}

    # Public. `shared` is a dict the caller keeps for one request (a search and its
    # facets), so the same subtree is evaluated once; nothing is kept across requests.
    def scores(self, node: nodes.Node, shared: dict | None = None) -> dict[int, float]:
        """Every matching live document with its score."""
        return self._evaluated(node, True, {} if shared is None else shared)

    def docs(self, node: nodes.Node, shared: dict | None = None) -> set[int] | dict:
        """Every matching live document (a set, or the keys of a scored result)."""
        shared = {} if shared is None else shared
        if (node, True) in shared:
            return shared[(node, True)]
        return self._evaluated(node, False, shared)

    def column(self, name: str) -> list:
        """A column's value for every document, by global document number."""
        if name not in self._columns:
            values: list = []
            for leaf, _offset in self._leaves:
                if leaf.has_column(name):
                    values.extend(_read_column(leaf.column_reader(name)))
                else:
                    values.extend([None] * leaf.doc_count_all())
            self._columns[name] = values
        return self._columns[name]

    def add_scores(self, extras, scored: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """`scored` (docnum, score) pairs, each score plus those of the extras the document
        matches, as Whoosh would score them. Only these documents are looked at, so the
        cost follows their number, not that of the extras' matches."""
        added = dict(scored)
        wanted = sorted(added)
        for extra in extras:
            if isinstance(extra, nodes.Phrase) and len(extra.terms) == 2:
                found = self._pair_scores(extra, wanted)
            else:
                found = self._matcher_scores(extra, wanted)
            for docnum, score in found:
                added[docnum] += score
        return list(added.items())

    def _pair_scores(self, phrase: nodes.Phrase, wanted: list[int]):
        """A two-word phrase read from the two words' postings: where the second word
        stands 1 to slop + 1 positions after the first. Whoosh scores a phrase as the
        sum of its words' scores, times the phrase's boost."""
        field = phrase.field
        first, second = phrase.terms
        reach = range(1, phrase.slop + 2)
        lengths = self._length_table(field)
        score_first = self._bm25_of(field, first)
        score_second = self._bm25_of(field, second)
        for leaf, offset, targets in self._per_leaf(wanted):
            matchers = [_leaf_matcher(leaf, field, word) for word in phrase.terms]
            if None in matchers:
                continue
            matcher_a, matcher_b = matchers
            for target in targets:
                if not (_move_to(matcher_a, target) and _move_to(matcher_b, target)):
                    if not (matcher_a.is_active() and matcher_b.is_active()):
                        break
                    continue
                after = set(matcher_b.value_as("positions"))
                if any(position + step in after
                       for position in matcher_a.value_as("positions") for step in reach):
                    docnum = target + offset
                    length = lengths[docnum]
                    yield docnum, phrase.boost * (score_first(matcher_a.weight(), length)
                                                  + score_second(matcher_b.weight(), length))

    def _matcher_scores(self, node: nodes.Node, wanted: list[int]):
        query = self._compile(node)
        for leaf, offset, targets in self._per_leaf(wanted):
            searcher = self._leaf_searchers[leaf]
            matcher = query.matcher(searcher, searcher.context())
            for target in targets:
                if not _move_to(matcher, target):
                    if not matcher.is_active():
                        break
                    continue
                yield target + offset, matcher.score()

    def _per_leaf(self, wanted: list[int]):
        """(leaf reader, its offset, the wanted documents in it by leaf number)."""
        for leaf, offset in self._leaves:
            end = offset + leaf.doc_count_all()
            targets = [docnum - offset for docnum in wanted if offset <= docnum < end]
            if targets:
                yield leaf, offset, targets

    def _bm25_parts(self, field: str, text: str) -> tuple[float, float, float]:
        """(numerator, base, per_length) of a word's BM25 in `field`, unboosted:
        score = numerator * tf / (tf + base + per_length * length), with Whoosh's
        statistics from the top-level searcher, exactly as BM25FScorer."""
        searcher = self._searcher
        B = self._field_B.get(field, self._B)
        K1 = self._K1
        numerator = searcher.idf(field, text) * (K1 + 1)
        return numerator, K1 * (1 - B), K1 * B / (searcher.avg_field_length(field) or 1)

    def _bm25_of(self, field: str, text: str):
        """BM25 of one word in `field` as a function of (frequency, field length)."""
        numerator, base, per_length = self._bm25_parts(field, text)
        return lambda tf, length: numerator * tf / (tf + base + per_length * length)

    def live(self) -> range | set[int]:
        if not self._deleted:
            return range(self._doc_count_all)
        return set(range(self._doc_count_all)) - self._deleted

    # Evaluation
    def _evaluated(self, node, scored: bool, shared: dict):
        key = (node, scored)
        if key not in shared:
            result = self._evaluate(node, scored)
            if self._deleted:
                result = _without(result, self._deleted)
            shared[key] = result
        return shared[key]

    def _evaluate(self, node, scored: bool):
        if isinstance(node, nodes.Term):
            return self._term(node, scored)
        if isinstance(node, nodes.Or):
            word = ranking.word_in_fields(node) if scored else None
            if word is not None and self._scorable(word[1]):
                return self._bm25f(*word)
            return _union([self._evaluate(child, scored) for child in node.children], scored)
        if isinstance(node, nodes.And):
            positive = [c for c in node.children if not isinstance(c, nodes.Not)]
            negative = [c.child for c in node.children if isinstance(c, nodes.Not)]
            if positive:
                result = _intersection([self._evaluate(c, scored) for c in positive], scored)
            else:
                result = self._all(scored)
            for child in negative:
                if not result:
                    break
                result = _without(result, self._evaluate(child, False))
            return result
        if isinstance(node, nodes.Not):
            return _without(self._all(scored), self._evaluate(node.child, False))
        if isinstance(node, nodes.MatchAll):
            return self._all(scored)
        if isinstance(node, nodes.MatchNone):
            return {} if scored else set()
        if isinstance(node, nodes.Bonus):
            # Matches are the base's; extras are added on the best of them, by the caller.
            return self._evaluate(node.base, scored)
        return self._whoosh(node, scored)

    def _all(self, scored: bool):
        if scored:
            return dict.fromkeys(range(self._doc_count_all), 1.0)  # as Whoosh scores Every
        return set(range(self._doc_count_all))

    def _whoosh(self, node, scored: bool):
        query = self._compile(node)
        if not scored:
            return set(self._searcher.docs_for_query(query))
        collector = collectors.UnlimitedCollector()
        collector.replace = 0  # score every match with the matcher tree as built
        self._searcher.search_with_collector(query, collector)
        return {docnum: score for score, docnum in collector.items}

    def postings(self, field: str, text: str):
        """(global document numbers, weights) of a term, block by block."""
        for leaf, offset in self._leaves:
            matcher = _leaf_matcher(leaf, field, text)
            if matcher is not None:
                yield from _blocks(matcher, offset)

    def _term(self, node: nodes.Term, scored: bool):
        schema = self._searcher.schema
        field_type = schema[node.field] if node.field in schema else None  # noqa: SIM401
        if field_type is None:
            return {} if scored else set()
        if not scored:
            found: set[int] = set()
            for ids, _weights in self.postings(node.field, node.text):
                found.update(ids)
            return found
        if not field_type.scorable:
            # Whoosh scores unscorable fields by the posting weight.
            result: dict[int, float] = {}
            for ids, weights in self.postings(node.field, node.text):
                result.update(zip(ids, (w * node.boost for w in weights), strict=True))
            return result
        return self._bm25(node)

    def _bm25(self, node: nodes.Term) -> dict[int, float]:
        field = node.field
        numerator, base, per_length = self._bm25_parts(field, node.text)
        numerator *= node.boost
        lengths = self._length_table(field)
        result: dict[int, float] = {}
        for ids, weights in self.postings(field, node.text):
            for docnum, tf in zip(ids, weights, strict=True):
                result[docnum] = numerator * tf / (tf + base + per_length * lengths[docnum])
        return result

    def _scorable(self, fields) -> bool:
        schema = self._searcher.schema
        return all(name in schema and schema[name].scorable for name in fields)

    def _bm25f(self, text: str, weights: dict[str, float], factor: float) -> dict[int, float]:
        """BM25F of one word over several fields: per document, the sum over fields of
        weight * tf / (1 - B + B * length / average length), saturated once with K1, times
        the idf of the field where the word is commonest (ranking.idf) and the word's
        query weight `factor`. A field of weight 0 adds its matches with nothing."""
        searcher = self._searcher
        K1 = self._K1
        weighted: dict[int, float] = {}
        add = weighted.get
        for field, weight in weights.items():
            if weight <= 0:
                for ids, _frequencies in self.postings(field, text):
                    for docnum in ids:
                        weighted.setdefault(docnum, 0.0)
                continue
            B = self._field_B.get(field, self._B)
            # weight * tf / (1 - B + B * length / average) = tf / (base + per_length * length)
            base = (1 - B) / weight
            per_length = B / ((searcher.avg_field_length(field) or 1) * weight)
            lengths = self._length_table(field)
            for ids, frequencies in self.postings(field, text):
                for docnum, tf in zip(ids, frequencies, strict=True):
                    weighted[docnum] = add(docnum, 0.0) + tf / (base + per_length * lengths[docnum])
        if not weighted:
            return weighted
        frequency = max(searcher.doc_frequency(field, text) for field in weights)
        numerator = factor * ranking.idf(self._doc_count_all, frequency) * (K1 + 1)
        return {docnum: numerator * tf / (K1 + tf) for docnum, tf in weighted.items()}

    def _length_table(self, field: str) -> list[int]:
        """Each document's (quantized) length of `field`, as Whoosh's scorer sees it."""
        if field not in self._lengths:
            decoded = [byte_to_length(n) for n in range(256)]
            decoded[0] = 1  # Whoosh's scorer asks with a default of 1
            table: list[int] = []
            for leaf, _offset in self._leaves:
                perdoc = getattr(leaf, "_perdoc", None)
                reader = (perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
                          if perdoc is not None else None)
                if reader is None:
                    table.extend(max(1, leaf.doc_field_length(d, field, 1) or 1)
                                 for d in range(leaf.doc_count_all()))
                else:
                    table.extend(map(decoded.__getitem__, _read_column(reader)))
            self._lengths[field] = table
        return self._lengths[field]


def _leaf_matcher(leaf, field: str, text: str):
    """A segment's raw postings matcher of a term (deleted documents included), or None
    when the segment lacks the term or the field."""
    btext = text.encode("utf-8")
    terms = getattr(leaf, "_terms", None)
    try:
        if terms is not None:
            return terms.matcher(field, btext, leaf.schema[field].format)
        return leaf.postings(field, btext)
    except (TermNotFound, KeyError):
        return None


def _move_to(matcher, target: int) -> bool:
    """Advance a matcher to `target`; whether it stands on it."""
    if matcher.is_active() and matcher.id() < target:
        matcher.skip_to(target)
    return matcher.is_active() and matcher.id() == target


def _read_column(reader) -> list:
    """Every value of a Whoosh column. Fixed-size numeric columns are one read of the
    raw bytes (Whoosh's own iteration reads them value by value); others are iterated."""
    fixed = getattr(reader, "_fixedlen", None)
    typecode = getattr(reader, "_typecode", None)
    if fixed is None or typecode is None or not hasattr(reader, "_dbfile"):
        return list(reader)
    stored = reader._count
    values = array(typecode)
    values.frombytes(reader._dbfile.get(reader._basepos, stored * fixed))
    if sys.byteorder == "little" and values.itemsize > 1:
        values.byteswap()  # Whoosh packs numbers big-endian
    result = values.tolist()
    result.extend([reader._default] * (reader._doccount - stored))
    return result


def _blocks(matcher, offset: int):
    """A leaf matcher's postings a block at a time: (document numbers, weights).
    Whoosh's W3 matcher keeps each block's ids and weights as arrays; anything else is
    read posting by posting."""
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            ids = matcher._ids if not offset else [docnum + offset for docnum in matcher._ids]
            yield ids, matcher._weights
            matcher._next_block()
        return
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id() + offset)
        weights.append(matcher.weight())
        matcher.next()
    yield ids, weights


def _union(results: list, scored: bool):
    if not results:
        return {} if scored else set()
    if not scored:
        return set().union(*results)
    # Copy the largest and add the others into it.
    results = sorted(results, key=len, reverse=True)
    merged = dict(results[0])
    for result in results[1:]:
        for docnum, score in result.items():
            merged[docnum] = merged.get(docnum, 0.0) + score
    return merged


def _intersection(results: list, scored: bool):
    results = sorted(results, key=len)
    if not scored:
        first = set(results[0])
        return first.intersection(*results[1:])
    common = set(results[0]).intersection(*results[1:])
    return {docnum: sum(result[docnum] for result in results) for docnum in common}


def _without(result, excluded):
    if isinstance(result, dict):
        return {docnum: score for docnum, score in result.items() if docnum not in excluded}
    if isinstance(result, range):
        result = set(result)
    return result - set(excluded)

