"""Ranking defaults, in one place so the evaluation (bench/eval.py) can tune them.

Scores are BM25 per field, summed over fields with these weights: a word in the
headline counts more than one in the body, the dateline least.
"""

from __future__ import annotations

FIELD_WEIGHTS = {"headline": 2.0, "body": 1.0, "dateline": 0.5}
BM25_K1 = 1.2
BM25_B = 0.75
