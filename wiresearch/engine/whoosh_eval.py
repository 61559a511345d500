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

from array import array
from bisect import bisect_left
from itertools import accumulate, repeat
from operator import mul, truediv
from pickle import loads

from whoosh import collectors, formats
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.reading import TermNotFound
from whoosh.system import _INT_SIZE

from .. import nodes, ranking
from .whoosh_codec import LENGTH_OF_BYTE, read_column

# The key in a request's `shared` dict of the (field, word) pairs whose postings it keeps.
_KEPT_WORDS = "kept words"


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
            # An index with no documents has Whoosh's EmptyReader, which has no such set.
            if leaf.has_deletions():
                self._deleted.update(offset + docnum for docnum in leaf.deleted_docs_set)
        self._lengths: dict[str, list[int]] = {}
        self._norms: dict[str, array] = {}
        self._columns: dict[str, list] = {}

    # Public. `shared` is a dict the caller keeps for one request (a search and its
    # facets), so the same subtree is evaluated once; nothing is kept across requests.
    def scores(self, node: nodes.Node, shared: dict | None = None) -> dict[int, float]:
        """Every matching live document with its score."""
        return self._evaluated(node, True, {} if shared is None else shared)

    def reuse_scores(self, node: nodes.Node, scores: dict[int, float], shared: dict) -> None:
        """`scores`, as scores() gave them for `node` earlier, taken as this request's
        evaluation of `node` (facet counts over the query read them there)."""
        shared[(node, True)] = scores

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
                    values.extend(read_column(leaf.column_reader(name)))
                else:
                    values.extend([None] * leaf.doc_count_all())
            self._columns[name] = values
        return self._columns[name]

    def add_scores(self, extras, scored: list[tuple[int, float]],
                   shared: dict | None = None) -> list[tuple[int, float]]:
        """`scored` (docnum, score) pairs, each score plus those of the extras the document
        matches: a word with BM25F, as a query's words are scored here; anything else as
        Whoosh would score it. Only these documents are looked at, so the cost follows
        their number, not that of the extras' matches."""
        added = dict(scored)
        wanted = sorted(added)
        shared = {} if shared is None else shared
        for extra in extras:
            word = ranking.word_in_fields(extra)
            if word is not None and self._scorable(word[1]):
                # A word (as feedback adds them): BM25F, as the base query scores words.
                found = self._bm25f(*word, shared, added.keys()).items()
                self._release(word[0], word[1], shared)
            elif self._phrase_readable(extra):
                found = self._phrase_scores(extra, wanted, shared).items()
            else:
                found = self._matcher_scores(extra, wanted)
            for docnum, score in found:
                added[docnum] += score
        return list(added.items())

    def keep_postings(self, extras, shared: dict) -> None:
        """Have the request keep the postings it reads of the words of the extras'
        phrases, for add_scores: the words of a proximity bonus are those its base
        query reads whole."""
        kept = shared.setdefault(_KEPT_WORDS, set())
        for extra in extras:
            if self._phrase_readable(extra):
                kept.update((extra.field, word) for word in extra.terms)

    def _phrase_readable(self, node: nodes.Node) -> bool:
        """Whether `node` is a phrase this module reads from positions itself."""
        if not isinstance(node, nodes.Phrase) or len(node.terms) < 2:
            return False
        schema = self._searcher.schema
        if node.field not in schema:
            return False
        field_format = schema[node.field].format
        return bool(field_format and field_format.supports("positions"))

    def _phrase_scores(self, phrase: nodes.Phrase, wanted: list[int] | None,
                       shared: dict) -> dict[int, float]:
        """The documents (of `wanted`, sorted, or all) where the phrase's words stand in
        order, each within slop + 1 positions of the one before, as Whoosh's Phrase
        matches them; each scored as Whoosh does: the phrase's boost times the sum of
        its words' BM25 scores. The words' postings are read block by block, rarest word
        first, and a later word only in the blocks that hold a remaining candidate; a
        word the request has read whole already (a proximity bonus's words were scored
        by its base query) is taken from `shared`."""
        field = phrase.field
        words = phrase.terms
        reach = phrase.slop + 1
        searcher = self._searcher
        distinct = sorted(set(words), key=lambda word: searcher.doc_frequency(field, word))
        decode = _positions_decoder(searcher.schema[field].format)
        lengths = self._length_table(field)
        score_of = {word: self._bm25_of(field, word) for word in distinct}
        found: dict[int, float] = {}
        for leaf, offset, targets in self._per_leaf(wanted):
            postings: dict[str, dict[int, tuple]] = {}  # see _postings_of
            candidates = targets
            for word in distinct:
                values = shared.get(("values", field, word))
                frequencies = shared.get(("frequencies", field, word))
                if values is not None and frequencies is not None:
                    postings[word] = _postings_from(frequencies, values, offset,
                                                    offset + leaf.doc_count_all(), candidates)
                elif (matcher := _leaf_matcher(leaf, field, word)) is not None:
                    postings[word] = _postings_of(matcher, candidates)
                else:
                    candidates = []
                    break
                candidates = sorted(postings[word])
                if not candidates:
                    break
            if not candidates:
                continue
            tables = [postings[word] for word in words]
            scorers = [score_of[word] for word in words]
            if len(words) == 2 and reach == 1:
                # Two words side by side, the commonest phrase: one set test.
                first_table, second_table = tables
                score_first, score_second = scorers
                for docnum in candidates:
                    first, second = first_table[docnum], second_table[docnum]
                    before = decode(first[1][first[2]])
                    if set(before).isdisjoint(map(_less_one, decode(second[1][second[2]]))):
                        continue
                    length = lengths[docnum + offset]
                    found[docnum + offset] = phrase.boost * (
                        score_first(first[0], length) + score_second(second[0], length))
                continue
            for docnum in candidates:
                entries = [table[docnum] for table in tables]
                if _in_order([decode(values[index]) for _weight, values, index in entries],
                             reach):
                    length = lengths[docnum + offset]
                    found[docnum + offset] = phrase.boost * sum(
                        score(entry[0], length) for score, entry in zip(scorers, entries,
                                                                        strict=True))
        return found

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

    def _per_leaf(self, wanted: list[int] | None):
        """(leaf reader, its offset, the wanted documents in it by leaf number) for each
        leaf that holds one, or with None for `wanted`, every leaf with None (all its
        documents)."""
        for leaf, offset in self._leaves:
            if wanted is None:
                yield leaf, offset, None
                continue
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
            result = self._evaluate(node, scored, shared)
            if self._deleted:
                result = _without(result, self._deleted)
            shared[key] = result
        return shared[key]

    def _evaluate(self, node, scored: bool, shared: dict):
        if isinstance(node, nodes.Term):
            return self._term(node, scored, shared)
        if isinstance(node, nodes.Or):
            word = ranking.word_in_fields(node) if scored else None
            if word is not None and self._scorable(word[1]):
                return self._bm25f(*word, shared)
            return _union([self._evaluate(child, scored, shared) for child in node.children],
                          scored)
        if isinstance(node, nodes.And):
            positive = [c for c in node.children if not isinstance(c, nodes.Not)]
            negative = [c.child for c in node.children if isinstance(c, nodes.Not)]
            if scored and len(positive) > 1:
                return self._conjunction(positive, negative, shared)
            if positive:
                result = _intersection([self._evaluate(c, scored, shared) for c in positive],
                                       scored)
            else:
                result = self._all(scored)
            for child in negative:
                if not result:
                    break
                result = _without(result, self._evaluate(child, False, shared))
            return result
        if isinstance(node, nodes.Not):
            return _without(self._all(scored), self._evaluate(node.child, False, shared))
        if isinstance(node, nodes.MatchAll):
            return self._all(scored)
        if isinstance(node, nodes.MatchNone):
            return {} if scored else set()
        if isinstance(node, nodes.Bonus):
            # Matches are the base's; extras are added on the best of them, by the caller.
            return self._evaluate(node.base, scored, shared)
        if self._phrase_readable(node):
            found = self._phrase_scores(node, None, shared)
            return found if scored else set(found)
        return self._whoosh(node, scored)

    def _conjunction(self, positive: list, negative: list, shared: dict) -> dict[int, float]:
        """Scores of the documents that every `positive` node matches and no `negative`
        one does. The matches are found first, as sets, and only they are scored: the
        words of an AND are not scored in the many stories that lack one of the others."""
        matched = _intersection([self._matches(child, shared) for child in positive], False)
        for child in negative:
            if not matched:
                break
            matched = _without(matched, self._evaluate(child, False, shared))
        result = dict.fromkeys(matched, 0.0)
        if result:
            for child in positive:
                for docnum, score in self._scores_within(child, matched, shared).items():
                    result[docnum] += score
        for child in positive:
            word = ranking.word_in_fields(child)
            if word is not None:
                self._release(word[0], word[1], shared)
        return result

    def _matches(self, node: nodes.Node, shared: dict):
        """The documents `node` matches (a set or a dict's keys), deleted ones included,
        read so that scoring them afterwards reads nothing twice."""
        word = ranking.word_in_fields(node)
        if word is not None and self._scorable(word[1]):
            return set().union(*(self._frequencies(name, word[0], shared) for name in word[1]))
        if self._phrase_readable(node):
            return self._evaluated(node, True, shared)
        return self._evaluated(node, False, shared)

    def _scores_within(self, node: nodes.Node, within: set[int], shared: dict) -> dict:
        """Scores of `node` in the documents of `within`, all of which it matches."""
        word = ranking.word_in_fields(node)
        if word is not None and self._scorable(word[1]):
            return self._bm25f(*word, shared, within)
        scores = self._evaluated(node, True, shared)
        return {docnum: scores[docnum] for docnum in within if docnum in scores}

    def _frequencies(self, field: str, text: str, shared: dict) -> dict[int, float]:
        """A term's weight (its frequency) in each document that has it, kept in
        `shared` until _release: an AND reads them to find its matches, then to score
        them, and a proximity bonus reads them again."""
        key = ("frequencies", field, text)
        if key not in shared:
            found: dict[int, float] = {}
            for ids, weights in self.postings(field, text, shared):
                found.update(zip(ids, weights, strict=True))
            shared[key] = found
        return shared[key]

    def _release(self, text: str, fields, shared: dict) -> None:
        """Drop a word's frequencies from `shared` once scored, unless a proximity bonus
        will read them: on a large archive a common word's are tens of megabytes."""
        kept = shared.get(_KEPT_WORDS, ())
        for field in fields:
            if (field, text) not in kept:
                shared.pop(("frequencies", field, text), None)

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

    def postings(self, field: str, text: str, shared: dict | None = None):
        """(global document numbers, weights) of a term, block by block. For a word that
        keep_postings marked in `shared`, each document's encoded value (its positions)
        is kept there for the rest of the request."""
        keep = shared is not None and (field, text) in shared.get(_KEPT_WORDS, ())
        # The blocks' ids (global, so in order across leaves) and values, and each
        # block's last id, to find a document's block by bisection.
        lasts: list[int] = []
        blocks: list[tuple] = []
        for leaf, offset in self._leaves:
            matcher = _leaf_matcher(leaf, field, text)
            if matcher is None:
                continue
            for ids, weights, values in _blocks(matcher, offset, keep):
                if keep and ids:
                    lasts.append(ids[-1])
                    blocks.append((ids, values))
                yield ids, weights
        if keep:
            shared[("values", field, text)] = (lasts, blocks)

    def _term(self, node: nodes.Term, scored: bool, shared: dict):
        schema = self._searcher.schema
        field_type = schema[node.field] if node.field in schema else None  # noqa: SIM401
        if field_type is None:
            return {} if scored else set()
        if not scored:
            found: set[int] = set()
            for ids, _weights in self.postings(node.field, node.text, shared):
                found.update(ids)
            return found
        if not field_type.scorable:
            # Whoosh scores unscorable fields by the posting weight.
            result: dict[int, float] = {}
            for ids, weights in self.postings(node.field, node.text, shared):
                result.update(zip(ids, (w * node.boost for w in weights), strict=True))
            return result
        return self._bm25(node, shared)

    def _bm25(self, node: nodes.Term, shared: dict) -> dict[int, float]:
        field = node.field
        numerator, base, per_length = self._bm25_parts(field, node.text)
        numerator *= node.boost
        lengths = self._length_table(field)
        result: dict[int, float] = {}
        for ids, weights in self.postings(field, node.text, shared):
            for docnum, tf in zip(ids, weights, strict=True):
                result[docnum] = numerator * tf / (tf + base + per_length * lengths[docnum])
        return result

    def _scorable(self, fields) -> bool:
        schema = self._searcher.schema
        return all(name in schema and schema[name].scorable for name in fields)

    def _bm25f(self, text: str, weights: dict[str, float], factor: float, shared: dict,
               within: set[int] | None = None) -> dict[int, float]:
        """BM25F of one word over several fields: per document, the sum over fields of
        weight * tf / (1 - B + B * length / average length), saturated once with K1, times
        the idf of the field where the word is commonest (ranking.idf) and the word's
        query weight `factor`. A field of weight 0 adds its matches with nothing. With
        `within`, only those documents are scored.

        Common words have a posting in most stories: the field with the most postings
        is scored with map() over whole lists (C loops) and only the others, one
        posting at a time, added to it."""
        K1 = self._K1
        found = {field: self._frequencies(field, text, shared) for field in weights}
        if within is None:
            self._release(text, weights, shared)  # an AND releases them itself
        else:
            found = {field: {docnum: frequencies[docnum] for docnum in within
                             if docnum in frequencies}
                     for field, frequencies in found.items()}
        # Largest first; fields of weight 0 last, so that they only add missing matches.
        order = sorted(weights, key=lambda field: (weights[field] <= 0, -len(found[field])))
        weighted: dict[int, float] = {}
        for field in order:
            weight, frequencies = weights[field], found[field]
            if weight <= 0:
                for docnum in frequencies:
                    weighted.setdefault(docnum, 0.0)
                continue
            norms = self._norm_table(field)
            if not weighted:
                docs = list(frequencies)
                weighted = dict(zip(docs, map(weight.__mul__, map(
                    mul, frequencies.values(), map(norms.__getitem__, docs))), strict=True))
                continue
            add = weighted.get
            for docnum, tf in frequencies.items():
                weighted[docnum] = add(docnum, 0.0) + weight * tf * norms[docnum]
        if not weighted:
            return weighted
        frequency = max(self._searcher.doc_frequency(field, text) for field in weights)
        numerator = factor * ranking.idf(self._doc_count_all, frequency) * (K1 + 1)
        sums = list(weighted.values())
        return dict(zip(weighted, map(truediv, map(numerator.__mul__, sums),
                                      map(K1.__add__, sums)), strict=True))

    def _norm_table(self, field: str) -> array:
        """Each document's BM25 length normalization of `field`,
        1 / (1 - B + B * length / average length), made once per searcher."""
        if field not in self._norms:
            B = self._field_B.get(field, self._B)
            average = self._searcher.avg_field_length(field) or 1
            lengths = self._length_table(field)
            # Stored lengths are quantized to a byte: a few hundred distinct values, each
            # computed once, then looked up for every document in one C loop.
            norm_of = {length: 1.0 / (1 - B + B * length / average)
                       for length in set(lengths)}
            self._norms[field] = array("d", map(norm_of.__getitem__, lengths))
        return self._norms[field]

    def _length_table(self, field: str) -> list[int]:
        """Each document's (quantized) length of `field`, as Whoosh's scorer sees it."""
        if field not in self._lengths:
            decoded = (1, *LENGTH_OF_BYTE[1:])  # Whoosh's scorer asks with a default of 1
            table: list[int] = []
            for leaf, _offset in self._leaves:
                perdoc = getattr(leaf, "_perdoc", None)
                reader = (perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
                          if perdoc is not None else None)
                if reader is None:
                    table.extend(max(1, leaf.doc_field_length(d, field, 1) or 1)
                                 for d in range(leaf.doc_count_all()))
                else:
                    table.extend(map(decoded.__getitem__, read_column(reader)))
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


def _postings_of(matcher, wanted: list[int] | None) -> dict[int, tuple]:
    """A leaf matcher's postings as {document: (weight, a block's values, the index of
    the document's value in them)}, of the `wanted` documents only (sorted) or all. A
    block matcher is read a block at a time and a block whose highest document is below
    the next wanted one is passed by its header, unread; anything else is read posting
    by posting."""
    found: dict[int, tuple] = {}
    if wanted is not None and not wanted:
        return found
    keep = None if wanted is None else set(wanted)
    if not (hasattr(matcher, "_read_values") and hasattr(matcher, "_next_block")):
        while matcher.is_active():
            docnum = matcher.id()
            if keep is None or docnum in keep:
                found[docnum] = (matcher.weight(), (matcher.value(),), 0)
            matcher.next()
        return found
    position = 0  # of the next wanted document
    while matcher.is_active():
        if keep is not None and wanted[position] > matcher._maxid:
            position = bisect_left(wanted, matcher._maxid + 1, position)
            if position == len(wanted):
                break
            if wanted[position] > matcher._maxid:
                matcher._next_block()
                continue
        _read_block(matcher)
        if matcher._values is None:
            matcher._read_values()
        ids, weights, values = matcher._ids, matcher._weights, matcher._values
        if keep is None:
            found.update(zip(ids, zip(weights, repeat(values), range(len(ids)), strict=False),
                             strict=True))
        else:
            # Few wanted documents in a block of many: find each (ids are in order).
            for docnum in keep.intersection(ids):
                index = bisect_left(ids, docnum)
                found[docnum] = (weights[index], values, index)
            position = bisect_left(wanted, matcher._maxid + 1, position)
            if position == len(wanted):
                break
        matcher._next_block()
    return found


def _postings_from(frequencies: dict[int, float], kept: tuple, offset: int, end: int,
                   wanted: list[int] | None) -> dict[int, tuple]:
    """_postings_of for one leaf (global numbers offset to end) from what a request
    kept of a word: its frequencies, and its blocks' ids and values (postings)."""
    lasts, blocks = kept
    found: dict[int, tuple] = {}
    if wanted is None:
        for ids, values in blocks[bisect_left(lasts, offset):]:
            for index, docnum in enumerate(ids):
                if docnum >= end:
                    return found
                if docnum >= offset:
                    found[docnum - offset] = (frequencies[docnum], values, index)
        return found
    for docnum in wanted:
        target = docnum + offset
        block = bisect_left(lasts, target)
        if block < len(lasts):
            ids, values = blocks[block]
            index = bisect_left(ids, target)
            if index < len(ids) and ids[index] == target:
                found[docnum] = (frequencies[target], values, index)
    return found


def _less_one(position: int) -> int:
    return position - 1


def _read_block(matcher) -> None:
    """Load a block matcher's current block: ids and weights (values stay undecoded).
    On W3's blocks Whoosh decodes the ids' gaps with a generator, a Python step per id;
    itertools.accumulate gives the same sums in C."""
    if matcher._ids is None and type(matcher) is not W3LeafMatcher:
        matcher._read_ids()
    if matcher._ids is None:
        if matcher._data is None:
            matcher._read_data()
        ids = matcher._data[0]
        matcher._ids = ids if matcher._byteids else tuple(accumulate(ids))
    if matcher._weights is None:
        matcher._read_weights()


def _in_order(positions: list[list[int]], reach: int) -> bool:
    """Whether one position of each word can be picked, in order, each 1 to `reach`
    positions after the one before (Whoosh's ordered SpanNear2 with mindist 1)."""
    ends = set(positions[0])
    steps = range(1, reach + 1)
    for following in positions[1:]:
        if reach == 1:
            ends = {position for position in following if position - 1 in ends}
        else:
            ends = {position for position in following
                    if any(position - step in ends for step in steps)}
        if not ends:
            return False
    return True


def _positions_decoder(field_format):
    """A function from a posting's encoded value to its positions. Whoosh's Positions
    format pickles the gaps between positions after a 4-byte frequency and adds them up
    in a Python loop; here itertools.accumulate adds them. Other formats decode their
    own way."""
    if type(field_format) is not formats.Positions:
        return field_format.decode_positions

    def decode(value: bytes) -> list[int]:
        codes = value[_INT_SIZE:]
        return list(accumulate(loads(codes if codes.endswith(b".") else codes + b".")))

    return decode


def _move_to(matcher, target: int) -> bool:
    """Advance a matcher to `target`; whether it stands on it."""
    if matcher.is_active() and matcher.id() < target:
        matcher.skip_to(target)
    return matcher.is_active() and matcher.id() == target


def _blocks(matcher, offset: int, with_values: bool = False):
    """A leaf matcher's postings a block at a time: (document numbers, weights, encoded
    values or None). Whoosh's W3 matcher keeps each block's ids and weights as arrays
    (and its values, undecoded, in the same read); anything else is read posting by
    posting."""
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        while matcher.is_active():
            _read_block(matcher)
            if with_values and matcher._values is None:
                matcher._read_values()
            ids = matcher._ids if not offset else [docnum + offset for docnum in matcher._ids]
            yield ids, matcher._weights, matcher._values if with_values else None
            matcher._next_block()
        return
    ids, weights, values = [], [], []
    while matcher.is_active():
        ids.append(matcher.id() + offset)
        weights.append(matcher.weight())
        if with_values:
            values.append(matcher.value())
        matcher.next()
    yield ids, weights, values if with_values else None


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

