"""Ranking defaults, in one place so the evaluation (bench/eval.py) can tune them.

Scores are BM25 per field, summed over fields with these weights: a word in the
headline counts more than one in the body, the dateline least.

The values are tuned on the Reuters-21578 training split with bench/eval.py (its
README section has the figures). K1 and B apply to the Whoosh engine; tantivy keeps
its own BM25 (K1 1.2, B 0.75).
"""

from __future__ import annotations

FIELD_WEIGHTS = {"headline": 2.0, "body": 1.0, "dateline": 0.5}
# Term frequency saturates a little sooner than the textbook 1.2.
BM25_K1 = 0.9
# Weak length normalization: a long wire story about a subject is no less about it
# for being long (0.75 ranked such stories too low on topic queries).
BM25_B = 0.2
