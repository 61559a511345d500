"""Ranking defaults, in one place so the evaluation (bench/eval.py) can tune them.

A word of the query is looked for in the headline, the body and the dateline, and
scored once over the three (BM25F): each field's frequency of the word, normalized for
that field's length and multiplied by the field's weight, is summed before BM25
saturates it. A word in the headline counts more than one in the body, the dateline
least, and a word found in two fields is still one word: summing one BM25 score per
field would count it twice.

The values are tuned on the Reuters-21578 training split with bench/eval.py (its
README section has the figures). FIELD_WEIGHTS, K1 and B apply to the Whoosh engine;
tantivy keeps its own BM25 (K1 1.2, B 0.75, a score per field) and gets
PER_FIELD_WEIGHTS.
"""

from __future__ import annotations

import itertools
import math

from . import nodes

# The dateline only names a place the body names too: a trace of weight, so that a
# story matched there alone still ranks by it.
FIELD_WEIGHTS = {"headline": 4.0, "body": 1.0, "dateline": 0.1}
# Term frequency saturates more slowly than the textbook 1.2: the weighted sum of a
# headline and a body reaches high counts quickly.
BM25_K1 = 1.5
# Weak length normalization: a long wire story about a subject is no less about it
# for being long (0.75 ranked such stories too low on topic queries).
BM25_B = 0.2

# Proximity: two neighbouring query words that stand within PROXIMITY_SLOP words of each
# other, in this order, in the headline or the body, add the score of that sloppy
# phrase (with the field's weight times PROXIMITY_WEIGHT) to the article's.
PROXIMITY_SLOP = 5
PROXIMITY_WEIGHT = 0.25
PROXIMITY_FIELDS = ("headline", "body")
# An engine that scores a word in each field apart and adds the scores up (tantivy, which
# has no BM25F) counts a word found in headline and body twice; there the weights tuned
# for that way of scoring rank better (bench/README), and for_per_field_scoring puts
# them in place of those above.
PER_FIELD_WEIGHTS = {"headline": 2.0, "body": 1.0, "dateline": 0.1}
PER_FIELD_PROXIMITY_WEIGHT = 1.0

# The Whoosh engine scores the bonus on this many best matches by BM25 alone (finding
# sloppy phrases in every match cost it two to four times the search); the rest keep
# their BM25 order after them.
RESCORE_WINDOW = 100


def idf(documents: int, frequency: int) -> float:
    """BM25's inverse document frequency (Robertson-Sparck Jones, kept positive as
    Lucene does). A word in most stories ("u" of "U.S.") weighs next to nothing; Whoosh's
    own idf, log(N / (df + 1)) + 1, gives every word at least 1, which let such words
    outweigh the rare word of a query."""
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


def word_in_fields(node: nodes.Node) -> tuple[str, dict[str, float], float] | None:
    """(term, {field: weight}, query weight) when `node` is one term looked for in several
    fields (an OR of Terms of one text, as the query language and similar stories make),
    which BM25F scores as one; None for anything else. Boosts that are FIELD_WEIGHTS
    times one factor (similar stories weigh their words so) give the field weights and,
    as the query weight, that factor, which multiplies the score instead of the
    frequencies."""
    if not isinstance(node, nodes.Or) or len(node.children) < 2:
        return None
    weights: dict[str, float] = {}
    texts = set()
    for child in node.children:
        if not isinstance(child, nodes.Term) or child.field in weights:
            return None
        weights[child.field] = child.boost
        texts.add(child.text)
    if len(texts) != 1:
        return None
    text = texts.pop()
    if all(FIELD_WEIGHTS.get(name) for name in weights):
        first = next(iter(weights))
        factor = weights[first] / FIELD_WEIGHTS[first]
        if factor > 0 and all(math.isclose(weight, FIELD_WEIGHTS[name] * factor)
                              for name, weight in weights.items()):
            return text, {name: FIELD_WEIGHTS[name] for name in weights}, factor
    return text, weights, 1.0


def _typed_word(node: nodes.Node) -> str | None:
    """The term of a plain word as the query language makes it (the word in every text
    field, with the field weights); None for anything else."""
    if not isinstance(node, nodes.Or) or len(node.children) != len(FIELD_WEIGHTS):
        return None
    texts = set()
    for child in node.children:
        if not isinstance(child, nodes.Term) or \
                child.boost != FIELD_WEIGHTS.get(child.field):
            return None
        texts.add(child.text)
    return texts.pop() if len(texts) == 1 else None


def _pair_bonus(first: str, second: str) -> tuple[nodes.Node, ...]:
    return tuple(nodes.Phrase(name, (first, second), PROXIMITY_SLOP,
                              FIELD_WEIGHTS[name] * PROXIMITY_WEIGHT)
                 for name in PROXIMITY_FIELDS)


def _pairs(node: nodes.Node):
    """Neighbouring plain words in each AND and OR of a tree, outside negations."""
    if not isinstance(node, (nodes.And, nodes.Or)) or _typed_word(node) is not None:
        return
    terms = [_typed_word(child) for child in node.children]
    for first, second in itertools.pairwise(terms):
        if first is not None and second is not None and first != second:
            yield first, second
    for child in node.children:
        yield from _pairs(child)


def with_proximity(node: nodes.Node) -> nodes.Node:
    """`node` with a proximity bonus for each pair of neighbouring plain words in an AND
    or an OR. The bonus only adds to scores: a phrase of two words needs both words, so
    what matches, and how many, is unchanged."""
    extras = tuple(phrase for first, second in dict.fromkeys(_pairs(node))
                   for phrase in _pair_bonus(first, second))
    return nodes.Bonus(node, extras) if extras else node


def for_per_field_scoring(node: nodes.Node) -> nodes.Node:
    """`node` for an engine that scores each field apart: the boosts of text-field words
    and phrases rescaled from FIELD_WEIGHTS to PER_FIELD_WEIGHTS, and a bonus's phrases
    (proximity's) from PROXIMITY_WEIGHT to PER_FIELD_PROXIMITY_WEIGHT."""
    return _rescaled(node, 1.0)


# Leaves with another boost, made by their constructors: dataclasses.replace looks the
# fields up on every call, and compiling a query for tantivy rescales every leaf.
_REBOOSTED = {
    nodes.Term: lambda node, boost: nodes.Term(node.field, node.text, boost),
    nodes.Phrase: lambda node, boost: nodes.Phrase(node.field, node.terms, node.slop, boost),
    nodes.Prefix: lambda node, boost: nodes.Prefix(node.field, node.text, boost),
    nodes.Fuzzy: lambda node, boost: nodes.Fuzzy(node.field, node.text, node.distance, boost),
}


def _rescaled(node: nodes.Node, factor: float) -> nodes.Node:
    reboosted = _REBOOSTED.get(type(node))
    if reboosted is not None:
        if node.field not in FIELD_WEIGHTS:
            return node
        boost = node.boost * factor * PER_FIELD_WEIGHTS[node.field] / FIELD_WEIGHTS[node.field]
        # The body's and the dateline's weights are the same in both tables.
        return node if boost == node.boost else reboosted(node, boost)
    if isinstance(node, (nodes.And, nodes.Or)):
        return type(node)(tuple(_rescaled(child, factor) for child in node.children))
    if isinstance(node, nodes.Not):
        return node  # excluded, never scored
    if isinstance(node, nodes.Bonus):
        # The extras that are proximity phrases have their own weight; words (query
        # expansion's) are rescaled as the query's words are.
        phrase_factor = factor * PER_FIELD_PROXIMITY_WEIGHT / PROXIMITY_WEIGHT
        return nodes.Bonus(_rescaled(node.base, factor),
                           tuple(_rescaled(extra, phrase_factor
                                           if isinstance(extra, nodes.Phrase) else factor)
                                 for extra in node.extras))
    return node
