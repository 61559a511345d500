"""Snippets that show why a story matched: the passage holding the most distinct query
words, every matching word marked (stemmed forms, prefixes and fuzzy matches too), cut
only between words. Built from the stored text, so every engine gives the same snippet.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from . import analysis

SNIPPET_CHARS = 220
# How far before the first matching word a passage starts, for context.
LEAD_CHARS = 40
ELLIPSIS = "…"


@dataclass
class Highlighter:
    terms: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    fuzzy: set[tuple[str, int]] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes or self.fuzzy)

    def key(self, folded_word: str) -> str | None:
        """The query word a text word matches (its term), or None."""
        term = analysis.stem(folded_word)
        if term in self.terms:
            return term
        for prefix in self.prefixes:
            if folded_word.startswith(prefix) or term.startswith(prefix):
                return "*" + prefix
        if self.fuzzy:
            from rapidfuzz.distance import Levenshtein

            for fuzzy_term, distance in self.fuzzy:
                if Levenshtein.distance(term, fuzzy_term, score_cutoff=distance) <= distance:
                    return "~" + fuzzy_term
        return None


def _flatten(text: str) -> str:
    return " ".join(text.split())


def _mark(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    out, cursor = [], start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        out.append(html.escape(text[cursor:span_start]))
        out.append("<mark>" + html.escape(text[span_start:span_end]) + "</mark>")
        cursor = span_end
    out.append(html.escape(text[cursor:end]))
    return "".join(out)


def _lead(text: str, length: int) -> tuple[int, int]:
    if len(text) <= length:
        return 0, len(text)
    cut = text.rfind(" ", 0, length)
    return 0, cut if cut > 0 else length


def _window(text: str, words: list[tuple[int, int, str | None]], anchor: int,
            length: int) -> tuple[int, int]:
    """A passage of about `length` characters starting a little before word `anchor`
    (or at the top, when the word is near it), beginning and ending at word boundaries."""
    anchor_start, anchor_end = words[anchor][0], words[anchor][1]
    if anchor_end <= length * 2 // 3:
        start = 0
    else:
        start = anchor_start
        for word_start, _end, _key in reversed(words[:anchor]):
            if anchor_start - word_start > LEAD_CHARS:
                break
            start = word_start
        sentence = max(text.rfind(". ", 0, anchor_start), text.rfind("\n", 0, anchor_start))
        if sentence != -1 and anchor_start - sentence <= LEAD_CHARS + 2:
            start = max(start, sentence + 2) if text[sentence] == "." else sentence + 1
    end = start
    for _start, word_end, _key in words:
        if word_end <= start:
            continue
        if word_end - start > length and end > anchor_start:
            break
        end = word_end
    # Keep punctuation that closes the last word ("said." not "said").
    match = re.compile(r"[^\s]*").match(text, end)
    return start, match.end() if match else end


def _keys(words, start: int, end: int) -> set[str]:
    return {key for s, e, key in words if key and s >= start and e <= end}


def snippet(text: str, highlighter: Highlighter, length: int = SNIPPET_CHARS) -> str:
    """An HTML-escaped passage of `text` with <mark> around matching words."""
    text = _flatten(text)
    if not text:
        return ""
    words = [(start, end, highlighter.key(word) if highlighter else None)
             for _pos, start, end, word in analysis.tokens(text)]
    hits = [i for i, (_s, _e, key) in enumerate(words) if key]
    spans = [(words[i][0], words[i][1]) for i in hits]
    if not hits:
        start, end = _lead(text, length)
        return _mark(text, [], start, end) + (ELLIPSIS if end < len(text) else "")
    wanted = {words[i][2] for i in hits}

    def best(candidates, size):
        scored = []
        for anchor in candidates:
            start, end = _window(text, words, anchor, size)
            found = _keys(words, start, end)
            scored.append((len(found), -anchor, start, end, found))
        return max(scored)

    count, _anchor, start, end, found = best(hits, length)
    fragments = [(start, end)]
    missing = wanted - found
    if missing and len(wanted) > 1:
        # Two half-length passages: the best one, and the best for the words it lacks.
        _c, _a, start, end, found = best(hits, length // 2)
        others = [i for i in hits if words[i][2] in wanted - found
                  and not start <= words[i][0] < end]
        if others:
            _c2, _a2, start2, end2, _f2 = best(others, length // 2)
            fragments = sorted([(start, end), (start2, end2)])
            if fragments[1][0] < fragments[0][1]:
                fragments = [(fragments[0][0], max(fragments[0][1], fragments[1][1]))]
    pieces = []
    for number, (start, end) in enumerate(fragments):
        piece = _mark(text, spans, start, end)
        if start > 0 and (number == 0):
            piece = ELLIPSIS + piece
        if end < len(text):
            piece += ELLIPSIS if number == len(fragments) - 1 else " " + ELLIPSIS + " "
        pieces.append(piece)
    return "".join(pieces)


def highlight_line(text: str, highlighter: Highlighter) -> str:
    """A short line (a headline) with every matching word marked, HTML-escaped."""
    spans = [(start, end) for _pos, start, end, word in analysis.tokens(text)
             if highlighter and highlighter.key(word)]
    return _mark(text, spans, 0, len(text))
