"""Ranking defaults, in one place so the evaluation (bench/eval.py) can tune them.

Scores are BM25 per field, summed over fields with these weights: a word in the
headline counts more than one in the body, the dateline least.

The values are tuned on the Reuters-21578 training split with bench/eval.py (its
README section has the figures). K1 and B apply to the Whoosh engine; tantivy keeps
its own BM25 (K1 1.2, B 0.75).
"""

from __future__ import annotations

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


def with_proximity(node: nodes.Node) -> nodes.Node:
    """`node` with a proximity bonus for each pair of neighbouring plain words in an AND
    or an OR. The bonus only adds to scores: a phrase of two words matches only articles
    that one of them already matches (in an AND it joins the first word's OR; in an OR
    it is one more option), so what matches, and how many, is unchanged."""
    if isinstance(node, nodes.Not):
        return node
    if not isinstance(node, (nodes.And, nodes.Or)) or _typed_word(node) is not None:
        return node
    children = [with_proximity(child) for child in node.children]
    terms = [_typed_word(child) for child in node.children]
    pairs = [(i, terms[i], terms[i + 1]) for i in range(len(terms) - 1)
             if terms[i] is not None and terms[i + 1] is not None and terms[i] != terms[i + 1]]
    if not pairs:
        return type(node)(tuple(children))
    if isinstance(node, nodes.Or):
        bonus = [phrase for _i, first, second in pairs for phrase in _pair_bonus(first, second)]
        return nodes.Or((*children, *bonus))
    for i, first, second in pairs:
        children[i] = nodes.Or((children[i], *_pair_bonus(first, second)))
    return nodes.And(tuple(children))
