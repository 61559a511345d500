"""wiresearch's scoring (wiresearch/ranking.py) spelled in stock Whoosh, for the
benchmark's weighted reference: given the same ranking choices, the reference's top 10
should be wiresearch's, so that only a difference beyond those choices shows.

Written from Whoosh's public reader API and the formulas ranking.py documents, not from
wiresearch's own evaluator (wiresearch/engine/whoosh_eval.py), so that the two check
each other.
"""

from __future__ import annotations

from collections import defaultdict

from whoosh import matching, scoring
from whoosh import query as whoosh_query

from wiresearch import ranking


class Weighting(scoring.BM25F):
    """Whoosh's per-field BM25 (for phrases) with ranking's idf."""

    def idf(self, searcher, fieldname, text):
        return ranking.idf(searcher.doc_count_all(), searcher.doc_frequency(fieldname, text))


class WordInFields(whoosh_query.Query):
    """One word looked for in several fields and scored once over them (BM25F): the sum
    over fields of weight * tf / (1 - B + B * length / average length), saturated with
    K1, times ranking's idf of the field where the word is commonest. The statistics are
    the whole index's (`searcher`), the postings each segment's."""

    def __init__(self, text: str, weights: dict[str, float], searcher, K1: float, B: float,
                 factor: float = 1.0):
        self.text = text
        self.weights = dict(weights)
        self.K1 = K1
        self.B = B
        self.boost = 1.0
        # The word's query weight, multiplying its score (a compound weighs as the
        # words it joins).
        self.factor = factor
        self.averages = {name: searcher.avg_field_length(name) or 1 for name in weights}
        self.idf = ranking.idf(searcher.doc_count_all(),
                               max(searcher.doc_frequency(name, text) for name in weights))

    def __eq__(self, other):
        return (type(other) is type(self) and self.text == other.text
                and self.weights == other.weights and self.factor == other.factor)

    def __hash__(self):
        return hash((type(self).__name__, self.text, tuple(self.weights.items()),
                     self.factor))

    def __repr__(self):
        return f"{type(self).__name__}({self.text!r}, {self.weights!r})"

    def estimate_size(self, ixreader):
        return sum(ixreader.doc_frequency(name, self.text) for name in self.weights)

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        weighted: dict[int, float] = defaultdict(float)
        for name, weight in self.weights.items():
            if (name, self.text) not in reader:
                continue
            average = self.averages[name]
            postings = reader.postings(name, self.text)  # without deleted documents
            while postings.is_active():
                docnum = postings.id()
                length = reader.doc_field_length(docnum, name, 1)
                weighted[docnum] += (weight * postings.weight()
                                     / (1 - self.B + self.B * length / average))
                postings.next()
        if not weighted:
            return matching.NullMatcher()
        ids = sorted(weighted)
        K1 = self.K1
        scores = [self.factor * self.idf * weighted[d] * (K1 + 1) / (K1 + weighted[d])
                  for d in ids]
        return matching.ListMatcher(ids, weights=scores)
