"""How the tantivy engine gets analysis.py's terms: we lower-case and fold the text in
Python, tantivy splits it into words and stems them.

Folding is done on our side because tantivy's own (`ascii_fold`, Lucene's table of Latin
letters) is not analysis.fold (NFKD without combining marks): it leaves the accents on
Greek, Cyrillic and Hangul, so such words were never found. Stemming stays in tantivy
(the same Snowball English algorithm as PyStemmer), where it is fast.

The text handed over is the words of analysis.WORD with spaces between them, so every
word keeps its position and tantivy only splits at spaces:
- Each word is lower-cased and folded (folding leaves ASCII alone). Folding can put
  characters that are not word characters inside a word (`½` -> `1⁄2`); each such
  character is written as a private-use stand-in, and query terms are written the same
  way (index_term), so the terms match.
- A word analysis.py drops for being too long becomes DROPPED, which tantivy's stop
  filter removes while its position still counts.

Indexes made before the text came split (FOLDED_ANALYZER) split it with a pattern of
word characters, which finds the same words in it.
"""

from __future__ import annotations

import re

import tantivy

from .. import analysis

# Tokenizer names saved in an index's schema: which text the index was given and how
# tantivy splits it, and so which wiresearch can read the index. New indexes split at
# spaces (a pattern of word characters cost tantivy twice the indexing time) and store
# one record per article; their name changed with the storage, so that a wiresearch
# that reads stored values field by field refuses such an index instead of finding its
# articles blank. WORDS_ANALYZER is the same analysis in indexes that store field by
# field.
RECORDS_ANALYZER = "wiresearch-records"
WORDS_ANALYZER = "wiresearch-words"
FOLDED_ANALYZER = "wiresearch-folded"
# Indexes made before folding moved to our side were given the original text, and
# tantivy lower-cased and ascii-folded it.
LEGACY_ANALYZER = "wiresearch"

# Stand-ins for non-word characters inside folded words: U+F0000 plus the code point.
# Folding puts few such characters into words (the fraction slash, spaces and brackets
# from compatibility forms such as U+FDFA, spacing marks such as Thai U+0E4D), all far
# below U+FFFE, so each has its own stand-in; any past that would share the last one.
_STAND_IN_BASE = 0xF0000
_STAND_IN_END = 0xFFFFD
DROPPED = "\ue000"
# Python's \w, which analysis.WORD uses, is str.isalnum() or "_": letters and every
# number category. The regex crate's \w is another set (it takes combining marks and
# connector punctuation, and leaves out numbers such as ² and ½), so the class is
# spelled out; the two agree on every code point Python's Unicode database assigns.
_WORD_CLASS = r"\p{L}\p{N}_"
WORD_PATTERN = rf"[{_WORD_CLASS}]+"
# Folded text also holds DROPPED and the stand-ins inside words.
_FOLDED_WORD_PATTERN = (rf"[{_WORD_CLASS}\x{{{ord(DROPPED):X}}}"
                        rf"\x{{{_STAND_IN_BASE:X}}}-\x{{{_STAND_IN_END:X}}}]+")
# A word of analysis.MAX_TOKEN_BYTES or more, in ASCII text translated by
# analysis.ASCII_WORDS.
_ASCII_LONG_WORD = re.compile(rf"[^ ]{{{analysis.MAX_TOKEN_BYTES}}}")


def words_analyzer() -> tantivy.TextAnalyzer:
    """Splits the text indexed_text() gives at its spaces and stems the words."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
            .filter(tantivy.Filter.custom_stopword([DROPPED]))
            .filter(tantivy.Filter.stemmer("english"))
            .build())


def folded_analyzer() -> tantivy.TextAnalyzer:
    """The analyzer of indexes made before indexed_text() put single spaces between the
    words: it finds them with a pattern of word characters."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(_FOLDED_WORD_PATTERN))
            .filter(tantivy.Filter.custom_stopword([DROPPED]))
            .filter(tantivy.Filter.stemmer("english"))
            .build())


def legacy_text_analyzer() -> tantivy.TextAnalyzer:
    """The analyzer of indexes made before indexed_text(): lower case, drop long words,
    ascii_fold, stem. Kept so that such an index stays consistent as it grows."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(WORD_PATTERN))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.remove_long(analysis.MAX_TOKEN_BYTES))
            .filter(tantivy.Filter.ascii_fold())
            .filter(tantivy.Filter.stemmer("english"))
            .build())


def index_term(term: str) -> str:
    """A term of analysis.py as the folded index holds it."""
    if term.isalnum():
        return term
    return "".join(ch if analysis.is_word_char(ch)
                   else chr(min(_STAND_IN_BASE + ord(ch), _STAND_IN_END))
                   for ch in term)


def indexed_text(text: str) -> str:
    """`text` as the index is given it: its words lower-cased, folded, dropped ones
    marked, spaces between them, every word where analysis.tokens() puts it."""
    if text.isascii():
        # Lower-cased, every character outside a word a space: tantivy's split at spaces
        # finds the words of analysis.WORD at their positions.
        folded = text.translate(analysis.ASCII_WORDS)
        if not _ASCII_LONG_WORD.search(folded):
            return folded
        longest = analysis.MAX_TOKEN_BYTES
        return " ".join(DROPPED if len(word) >= longest else word
                        for word in folded.split())
    words = []
    for word in analysis.WORD.findall(text):
        lowered = word.lower()
        folded = index_term(analysis.fold(lowered)) if analysis.keep(lowered) else ""
        # A word that folds to nothing (a lone voicing mark) keeps its position too.
        words.append(folded or DROPPED)
    return " ".join(words)
