"""Did you mean: when a query finds little, correct its rare words from the index's own
vocabulary (the words stories were indexed with, before stemming)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .querylang import ParsedQuery

# A word found in fewer articles than this may be a misspelling.
RARE = 3
# A correction must be this many times more common than the word it replaces.
MORE_COMMON = 5


def _max_distance(word: str) -> int:
    return 1 if len(word) <= 4 else 2


def _like(original: str, replacement: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def corrected_query(text: str, parsed: ParsedQuery, vocabulary: dict[str, int],
                    frequency: Callable[[str], int],
                    choices: Sequence[str] | None = None) -> str | None:
    """The query with each rare word replaced by its closest, much more common
    vocabulary word; None when nothing would change. `choices`: the vocabulary's words
    as a list, for callers that keep one between queries."""
    if not parsed.words or not vocabulary:
        return None
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    if choices is None:
        choices = list(vocabulary)
    replacements: list[tuple[int, int, str]] = []
    for word in parsed.words:
        folded = word.text.lower()
        seen = frequency(word.term)
        if seen >= RARE:
            continue
        limit = _max_distance(folded)
        candidates = process.extract(folded, choices, scorer=OSA.distance,
                                     score_cutoff=limit, limit=20)
        best = None
        for candidate, distance, _index in candidates:
            if candidate == folded:
                continue
            common = vocabulary[candidate]
            if common < max(MORE_COMMON * seen, 1):
                continue
            rank = (distance, -common, candidate)
            if best is None or rank < best:
                best = rank
        if best is not None:
            replacements.append((word.start, word.end, _like(word.text, best[2])))
    if not replacements:
        return None
    result = text
    for start, end, replacement in sorted(replacements, reverse=True):
        result = result[:start] + replacement + result[end:]
    return result
