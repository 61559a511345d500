"""Ranking defaults, in one place so the evaluation (bench/eval.py) can tune them.

Scores are BM25 per field, summed over fields with these weights: a word in the
headline counts more than one in the body, the dateline least.

The values are tuned on the Reuters-21578 training split with bench/eval.py (its
README section has the figures). K1 and B apply to the Whoosh engine; tantivy keeps
its own BM25 (K1 1.2, B 0.75).
"""

from __future__ import annotations

import itertools

from . import nodes

# The dateline only names a place the body names too: a trace of weight, so that a
# story matched there alone still ranks by it.
FIELD_WEIGHTS = {"headline": 2.0, "body": 1.0, "dateline": 0.1}
# Term frequency saturates a little sooner than the textbook 1.2.
BM25_K1 = 0.9
# Weak length normalization: a long wire story about a subject is no less about it
# for being long (0.75 ranked such stories too low on topic queries).
BM25_B = 0.2

# Proximity: two neighbouring query words that stand within PROXIMITY_SLOP words of each
# other, in this order, in the headline or the body, add the score of that sloppy
# phrase (with the field's weight times PROXIMITY_WEIGHT) to the article's.
PROXIMITY_SLOP = 5
PROXIMITY_WEIGHT = 1.0
PROXIMITY_FIELDS = ("headline", "body")
# The Whoosh engine scores the bonus on this many best matches by BM25 alone (finding
# sloppy phrases in every match cost it two to four times the search); the rest keep
# their BM25 order after them.
RESCORE_WINDOW = 100


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
