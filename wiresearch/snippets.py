"""Snippets that show why a story matched: the passage holding the most distinct query
words, every matching word marked (stemmed forms, prefixes and fuzzy matches too), cut
only between words. Built from the stored text, so every engine gives the same snippet.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

from . import analysis
from .analysis import is_word_char

SNIPPET_CHARS = 220
# How far before the first matching word a passage starts, for context.
LEAD_CHARS = 40
ELLIPSIS = "…"
_NOT_SPACE = re.compile(r"[^\s]*")


@dataclass
class Highlighter:
    terms: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    fuzzy: set[tuple[str, int]] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes or self.fuzzy)

    def key(self, folded_word: str, term: str | None = None) -> str | None:
        """The query word a text word matches (its term), or None."""
        if term is None:
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


@lru_cache(maxsize=256)
def _starting_with(initials: str) -> re.Pattern:
    """Whole words that start with one of `initials`. The letter comes first and the
    look-behind (no word character before it) after: a pattern that starts with a set
    of letters lets the regex engine skip ahead to them, which halves the search."""
    return re.compile("[" + re.escape(initials) + r"](?<!\w.)\w*")


def _matching_words(text: str, highlighter: Highlighter) -> list[tuple[int, int, str]]:
    """(start, end, key) of each word of `text` that matches a query word."""
    if not highlighter:
        return []
    if text.isascii() and not highlighter.fuzzy:
        # Only words that begin like a query word can match it (a stem keeps the first
        # letter of its word): find those with one regular expression and analyse each
        # distinct one once, instead of analysing every word of the story.
        initials = {word[0] for word in highlighter.terms | highlighter.prefixes if word}
        if not initials:
            return []
        candidates = list(_starting_with("".join(sorted(initials))).finditer(text.lower()))
        found = [match.group() for match in candidates]
        distinct = set(found)
        # In ASCII text analysis.keep drops only words of MAX_TOKEN_BYTES or more: ask it
        # only when such a word is there (a call per word was a fifth of a snippet).
        if distinct and max(map(len, distinct)) >= analysis.MAX_TOKEN_BYTES:
            distinct = {word for word in distinct if analysis.keep(word)}
        distinct = list(distinct)
        keys = {word: key for word, term in zip(distinct, analysis.stems(distinct), strict=True)
                if (key := highlighter.key(word, term))}
        return [(match.start(), match.end(), keys[word])
                for match, word in zip(candidates, found, strict=True) if word in keys]
    return [(start, end, key) for start, end, word, term in analysis.spans(text)
            if (key := highlighter.key(word, term))]


class _Passages:
    """A text and its matching words, for choosing passages."""

    def __init__(self, text: str, hits: list[tuple[int, int, str]]):
        self.text = text
        self.hits = hits
        self.hit_starts = [start for start, _end, _key in hits]

    def _first_word_from(self, position: int) -> int:
        """Where the first word that starts at or after `position` starts."""
        text = self.text
        position = max(position, 0)
        while 0 < position < len(text) and is_word_char(text[position - 1]) \
                and is_word_char(text[position]):
            position += 1  # inside a word: that word starts before `position`
        match = analysis.WORD.search(text, position)
        return match.start() if match else len(text)

    def _last_end_upto(self, limit: int) -> int | None:
        """Where the last word that ends at or before `limit` ends; None if none does."""
        text = self.text
        position = min(limit, len(text))
        if position < len(text):
            while position > 0 and is_word_char(text[position]) \
                    and is_word_char(text[position - 1]):
                position -= 1  # a word runs across `limit`: it does not fit
        while position > 0 and not is_word_char(text[position - 1]):
            position -= 1
        return position or None

    def window(self, hit: int, length: int) -> tuple[int, int]:
        """A passage of about `length` characters starting a little before matching word
        `hit` (or at the top, when the word is near it), cut only between words."""
        anchor_start, anchor_end, _key = self.hits[hit]
        text = self.text
        if anchor_end <= length * 2 // 3:
            start = 0
        else:
            start = self._first_word_from(anchor_start - LEAD_CHARS)
            sentence = max(text.rfind(". ", 0, anchor_start), text.rfind("\n", 0, anchor_start))
            if sentence != -1 and anchor_start - sentence <= LEAD_CHARS + 2:
                start = max(start, sentence + 2) if text[sentence] == "." else sentence + 1
        last = self._last_end_upto(start + length)
        end = max(last if last is not None else start, anchor_end)
        # Keep punctuation that closes the last word ("said." not "said").
        match = _NOT_SPACE.match(text, end)
        return start, match.end() if match else end

    def keys(self, start: int, end: int) -> set[str]:
        # Hits are in text order: only those from the first at or after `start` on.
        first = bisect_left(self.hit_starts, start)
        found = set()
        for s, e, key in self.hits[first:]:
            if s >= end:
                break
            if e <= end:
                found.add(key)
        return found

    def best(self, candidates: list[int], size: int, most: int):
        """(distinct words, -hit, start, end, words) of the best passage around one of
        `candidates` (in text order): most distinct query words, then earliest. A passage
        with all `most` words ends the search: no later one can beat it."""
        best = None
        for hit in candidates:
            start, end = self.window(hit, size)
            found = self.keys(start, end)
            scored = (len(found), -hit, start, end, found)
            if best is None or scored > best:
                best = scored
            if len(found) >= most:
                break
        return best


def snippet(text: str, highlighter: Highlighter, length: int = SNIPPET_CHARS) -> str:
    """An HTML-escaped passage of `text` with <mark> around matching words."""
    text = _flatten(text)
    if not text:
        return ""
    passages = _Passages(text, _matching_words(text, highlighter))
    hits = passages.hits
    marks = [(start, end) for start, end, _key in hits]
    if not hits:
        start, end = _lead(text, length)
        return _mark(text, [], start, end) + (ELLIPSIS if end < len(text) else "")
    wanted = {key for _start, _end, key in hits}
    everyone = list(range(len(hits)))
    _count, _hit, start, end, found = passages.best(everyone, length, len(wanted))
    fragments = [(start, end)]
    if wanted - found and len(wanted) > 1:
        # Two half-length passages: the best one, and the best for the words it lacks.
        _count, _hit, start, end, found = passages.best(everyone, length // 2, len(wanted))
        others = [i for i, (s, _e, k) in enumerate(hits)
                  if k in wanted - found and not start <= s < end]
        if others:
            _c2, _h2, start2, end2, _f2 = passages.best(others, length // 2, len(wanted))
            fragments = sorted([(start, end), (start2, end2)])
            if fragments[1][0] < fragments[0][1]:
                fragments = [(fragments[0][0], max(fragments[0][1], fragments[1][1]))]
    pieces = []
    for number, (start, end) in enumerate(fragments):
        piece = _mark(text, marks, start, end)
        if start > 0 and (number == 0):
            piece = ELLIPSIS + piece
        if end < len(text):
            piece += ELLIPSIS if number == len(fragments) - 1 else " " + ELLIPSIS + " "
        pieces.append(piece)
    return "".join(pieces)


def highlight_line(text: str, highlighter: Highlighter) -> str:
    """A short line (a headline) with every matching word marked, HTML-escaped."""
    return _mark(text, [(start, end) for start, end, _key in _matching_words(text, highlighter)],
                 0, len(text))
