"""Text analysis shared by every engine and by our own layers: how text becomes terms.

Words are runs of Unicode word characters, lower-cased, stripped of accents and stemmed
with the Snowball English stemmer (the C one from PyStemmer). Every engine indexes with
exactly this chain (the tantivy engine lower-cases and folds with it, then stems with
tantivy's own Snowball filter; only tantivy indexes of the legacy layout fold their own
way), and queries, snippets and spelling suggestions use these functions, so a term
means the same thing everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

WORD = re.compile(r"\w+")


def is_word_char(char: str) -> bool:
    """Whether WORD matches `char`: Python's \\w is str.isalnum() or "_"."""
    return char.isalnum() or char == "_"


# ASCII text in one C pass: upper case to lower, every character that is not a word
# character to a space, so that splitting at spaces finds the words of WORD, lower-cased
# and in order (runs of spaces are one gap): five times as fast as WORD.findall.
ASCII_WORDS = str.maketrans({chr(code): (chr(code).lower() if is_word_char(chr(code))
                                         else " ") for code in range(128)})


# Longer tokens are noise (base64, tables glued together) and are dropped, their
# positions still counted: the limit counts UTF-8 bytes of the lower-cased word.
MAX_TOKEN_BYTES = 40

# Dropped from free-text queries (not from the index, so phrases stay exact): the
# Lucene English list, which keeps "us" and "may" searchable.
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into",
    "is", "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then",
    "there", "these", "they", "this", "to", "was", "will", "with",
})

# Letters that Unicode does not decompose but ASCII folding turns into plain letters.
_SPECIAL_FOLDS = str.maketrans({
    "ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th", "ð": "d",
    "ı": "i", "ŀ": "l", "ħ": "h",
})


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Accents and ligatures off a lower-case word: `café` -> `cafe`, `straße` -> `strasse`."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word.translate(_SPECIAL_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_stemmer = None


def _snowball():
    global _stemmer
    if _stemmer is None:
        import Stemmer

        # PyStemmer keeps its own cache of recent words, in C.
        _stemmer = Stemmer.Stemmer("english", 100_000)
    return _stemmer


def stem(word: str) -> str:
    """The index term of a folded word."""
    return _snowball().stemWord(word)


def stems(folded_words: list[str]) -> list[str]:
    """stem() of many words in one call."""
    return _snowball().stemWords(folded_words)


def keep(word: str) -> bool:
    return len(word) * 4 < MAX_TOKEN_BYTES or len(word.encode("utf-8")) < MAX_TOKEN_BYTES


def _all_kept(lowered: list[str], folded: list[str]) -> bool:
    """Whether keep() holds for every word of _words(): asked once, in C, for the usual
    ASCII text (where _words returns one list twice, and a word's bytes are its
    characters) instead of once a word, about 28 of a reader's 700 us a Reuters story."""
    return lowered is folded and max(map(len, lowered)) < MAX_TOKEN_BYTES


def term(word: str) -> str:
    """The index term of one word as a user typed it."""
    return stem(fold(word.lower()))


def tokens(text: str) -> Iterator[tuple[int, int, int, str]]:
    """(position, start, end, folded word) for each word of `text`. Positions count every
    word, including dropped long ones, as the index does."""
    for position, match in enumerate(WORD.finditer(text)):
        lowered = match.group().lower()
        if keep(lowered):
            yield position, match.start(), match.end(), fold(lowered)


# A story's headline and body are split into words for its signature (normalize) and
# again for its postings (the Whoosh engine's prepare), one after the other: the second
# time they are found here. The lists are shared: callers must not change them.
@lru_cache(maxsize=4)
def _words(text: str) -> tuple[list[str], list[str]]:
    """Every word of `text`, lower-cased, and the same words folded: the words and
    positions of tokens(), computed in bulk (this is the indexing hot path)."""
    if text.isascii():
        words = text.translate(ASCII_WORDS).split()
        # One list twice says "ASCII" to _all_kept, which then needs a word.
        return (words, words) if words else ([], [])
    found = WORD.findall(text)
    if not found:
        return [], []
    # One lower() over the joined words instead of one per word.
    lowered = " ".join(found).lower()
    if lowered.isascii():
        words = lowered.split(" ")
        return words, words
    lowered_words = [word.lower() for word in found]
    return lowered_words, [fold(word) for word in lowered_words]


def positioned_terms(text: str) -> list[str | None]:
    """The index term at each word position of `text`; None where a word is dropped
    for being too long (measured before folding)."""
    lowered, folded = _words(text)
    if not folded:
        return []
    stems = _snowball().stemWords(folded)
    if _all_kept(lowered, folded):
        return stems
    return [term if keep(word) else None for word, term in zip(lowered, stems, strict=True)]


def spans(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, folded word, term) of each kept word of `text`, in bulk: what
    snippets need to find and mark matching words."""
    matches = list(WORD.finditer(text))
    if not matches:
        return []
    lowered = " ".join(match.group() for match in matches).lower().split(" ")
    folded = lowered if text.isascii() else [fold(word) for word in lowered]
    stems = _snowball().stemWords(folded)
    return [(match.start(), match.end(), word, term)
            for match, low, word, term in zip(matches, lowered, folded, stems, strict=True)
            if keep(low)]


def terms(text: str) -> list[str]:
    """The index terms of `text`, in order."""
    return [term for term in positioned_terms(text) if term is not None]


def words(text: str) -> list[str]:
    """The folded, unstemmed words of `text` (the vocabulary used for suggestions)."""
    lowered, folded = _words(text)
    if _all_kept(lowered, folded):
        return list(folded)
    return [word for word, low in zip(folded, lowered, strict=True) if keep(low)]
