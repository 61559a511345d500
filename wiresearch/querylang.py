"""The query language: what people type into `wiresearch search`, parsed into the
engine-neutral tree of nodes.py.

    cocoa brazil            both words (AND is the default)
    cocoa OR coffee         either; OR binds tighter than AND:
                            `cocoa brazil OR ghana` = cocoa AND (brazil OR ghana)
    -rain, NOT rain         without the word
    "oil prices"            the exact phrase;  "oil prices"~3  within 3 words, in order
    export*                 words starting with export;  lavrov~  spelled about so
    soy oil, petro-chemicals   also written as one word: soyoil, petrochemicals
    (a OR b) c              grouping
    headline: body: dateline: country: region: source: topic:    one field
    date:1987-03  date:[1987-03-01 TO 1987-03-15]  date:>2017-01-01  date:<=1987-04

Words are analyzed like the index (analysis.py): case, accents and endings do not
matter. Common words (the, of, ...) are dropped outside quotes.

Wire copy writes many pairs of words both ways: "soy oil" and "soyoil", "take-over" and
"takeover", "petro-chemicals" and "petrochemicals". Two neighbouring words of a query
(in one AND or OR list, or joined by a hyphen in one typed word) also match the one word
they make, where the archive holds it: `soy oil` is `(soy oil) OR soyoil`. Quoted
phrases stay exact, and initials are not joined: `U.S.` is never `us`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import analysis, nodes, places
from .dates import epoch_seconds, parse_user_date
from .errors import QueryError, UsageError
from .ranking import FIELD_WEIGHTS

MAX_QUERY_LENGTH = 1000
MAX_CLAUSES = 100
# "a b"~N: beyond this many words apart, nearness means nothing in a story (and the
# phrase matchers' work grows with N).
MAX_PROXIMITY = 1000
# Groups and signs nest at most this deep (the parser recurses for each level).
MAX_DEPTH = 100
MAX_FUZZY = 10
TEXT_FIELDS = {"headline": ("headline",), "body": ("body",), "dateline": ("dateline",)}
KEYWORD_FIELDS = ("country", "region", "source", "topic")
FIELDS = (*TEXT_FIELDS, *KEYWORD_FIELDS, "date")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPECIAL = set('()"')


@dataclass(frozen=True)
class QueryWord:
    """A free-text word as typed, where it stands, and its index term (for suggestions)."""

    text: str
    start: int
    end: int
    term: str


@dataclass
class ParsedQuery:
    node: nodes.Node
    words: list[QueryWord] = field(default_factory=list)
    # What snippets should highlight: terms, prefixes and fuzzy terms of text fields.
    terms: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    fuzzy: set[tuple[str, int]] = field(default_factory=set)
    # Terms of excluded words (`-brazil`): never highlighted, never added by expansion.
    excluded: set[str] = field(default_factory=set)

    @property
    def matches_everything(self) -> bool:
        return isinstance(self.node, nodes.MatchAll)


@dataclass(frozen=True)
class _Token:
    kind: str  # WORD PHRASE LPAREN RPAREN AND OR NOT MINUS PLUS FIELD RANGE COMPARE
    text: str
    start: int
    end: int
    slop: int | None = None


# Resolves a keyword-field value (`source:reuters`) to the values the index holds for
# it: every spelling that differs from it only in case, commas or spaces.
ValueResolver = Callable[[str, str], tuple[str, ...]]


# The archive's folded words that start with a prefix (its vocabulary), to find the
# stems of a prefix's words where they end before it (see Parser._text_word).
WordsStarting = Callable[[str], list[str]]
# Shorter prefixes are not looked up: their words' stems start with them.
MIN_EXPANDED_PREFIX = 4
# Whether some story writes a term in its headline or body: a compound ("soyoil") is
# looked for only then.
HoldsTerm = Callable[[str], bool]
# Words joined into a compound have at least this many letters: initials joined ("U.S.",
# "S&P") make other words ("us", "sp").
MIN_COMPOUND_PART = 2
# Each compound found adds an alternative to the query (its AND list again, the compound
# in place of the two words; or an option of its OR list, or of its hyphenated word): a
# query gets at most this many.
MAX_COMPOUNDS = 4


def any_of(field_name: str, values) -> nodes.Node:
    """A keyword filter matching any of `values`."""
    terms = tuple(nodes.Term(field_name, value) for value in dict.fromkeys(values))
    return terms[0] if len(terms) == 1 else nodes.Or(terms)


def default_resolver(field_name: str, value: str) -> tuple[str, ...]:
    return (value,)


def resolve_country(value: str) -> str:
    code = places.country_code(value)
    if code is None:
        raise UsageError(f"unknown country {value!r}: use an ISO code (US, GB, SUHH) "
                         "or a name (Russia, West Germany)")
    return code


def resolve_region(value: str) -> str:
    region = places.region_name(value)
    if region is None:
        raise UsageError(f"unknown region {value!r}: use one of {', '.join(places.REGIONS)}")
    return region


class _Lexer:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.tokens: list[_Token] = []

    def error(self, message: str, position: int) -> QueryError:
        return QueryError(message, self.text, position)

    def run(self) -> list[_Token]:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch.isspace():
                self.pos += 1
            elif ch == "(":
                self._emit("LPAREN", "(", self.pos, self.pos + 1)
            elif ch == ")":
                self._emit("RPAREN", ")", self.pos, self.pos + 1)
            elif ch == '"':
                self._phrase()
            elif ch in "-+" and self._at_token_start() and self._next_is_operand():
                if ch == "-" and self.tokens and self.tokens[-1].kind == "MINUS" and \
                        self.tokens[-1].end == self.pos:
                    self.pos += 1  # `--oil` is a dash typed twice: `-oil`
                else:
                    self._emit("MINUS" if ch == "-" else "PLUS", ch, self.pos, self.pos + 1)
            else:
                self._word()
        return self.tokens

    def _emit(self, kind: str, value: str, start: int, end: int, slop: int | None = None):
        self.tokens.append(_Token(kind, value, start, end, slop))
        self.pos = end

    def _at_token_start(self) -> bool:
        # Right after a space or another token (a bracket, a phrase, a sign, a field's
        # colon; a word runs on to the next space or bracket): a sign there is an
        # operator (`(coffee)-cocoa`, `"oil prices"-opec`, `+-cocoa`), not part of a word
        # whose dash analysis drops, which turned an exclusion into an inclusion.
        return (self.pos == 0 or self.text[self.pos - 1].isspace()
                or bool(self.tokens) and self.tokens[-1].end == self.pos)

    def _next_is_operand(self) -> bool:
        following = self.text[self.pos + 1:self.pos + 2]
        return bool(following) and not following.isspace() and following != ")"

    def _slop(self, after: int) -> tuple[int | None, int]:
        match = re.compile(r"~(\d*)").match(self.text, after)
        if not match:
            return None, after
        digits = match.group(1)
        return (int(digits) if digits else -1), match.end()

    def _phrase(self) -> None:
        start = self.pos
        close = self.text.find('"', start + 1)
        if close == -1:
            raise self.error("unbalanced quote: this \" is never closed", start)
        slop, end = self._slop(close + 1)
        if slop is not None and self.text.startswith("~", end):  # "a b"~5~: dropped
            raise self.error('a phrase takes one distance: "oil prices"~3', end)
        self._emit("PHRASE", self.text[start + 1:close], start, end, slop)

    def _word(self) -> None:
        start = self.pos
        text = self.text
        end = start
        while end < len(text) and not text[end].isspace() and text[end] not in _SPECIAL:
            if text[end] == ":" and end > start:
                name = text[start:end].lower()
                if name in FIELDS:
                    self._emit("FIELD", name, start, end + 1)
                    self._field_value()
                    return
                if text[start:end].isalpha() and end + 1 < len(text) and \
                        not text[end + 1].isspace():
                    raise self.error(
                        f"unknown field {text[start:end]!r}: fields are "
                        f"{', '.join(FIELDS)}; put the words in quotes to search for them",
                        start)
            end += 1
        word = text[start:end]
        if word in ("AND", "OR", "NOT"):
            self._emit(word, word, start, end)
        else:
            self._emit("WORD", word, start, end)

    def _field_value(self) -> None:
        text = self.text
        if self.pos >= len(text) or text[self.pos].isspace():
            raise self.error("a field needs a value right after the colon, like "
                             "country:US", self.pos - 1)
        ch = text[self.pos]
        if ch in "[{":
            # Either bracket closes either: [1987 TO 1988} includes its start only.
            close = re.compile(r"[\]}]").search(text, self.pos)
            if close is None:
                raise self.error(f"unbalanced bracket: this {ch} is never closed", self.pos)
            self._emit("RANGE", text[self.pos:close.end()], self.pos, close.end())
        elif ch in "<>":
            match = re.compile(r"[<>]=?").match(text, self.pos)
            self._emit("COMPARE", match.group(), self.pos, match.end())
            if self.pos >= len(text) or text[self.pos].isspace():
                raise self.error(f"{match.group()} needs a date after it", self.pos - 1)
            if text[self.pos] == '"':
                self._phrase()  # date:>"1987-03"
            else:
                self._word()
        # Otherwise the value is the next token (a word, a phrase or a group).


class Parser:
    """Parse query text into a ParsedQuery. `resolve` maps source/topic values to the
    values the index holds (case-insensitively); countries and regions are resolved
    through places.py."""

    def __init__(self, resolve: ValueResolver = default_resolver,
                 words_starting: WordsStarting | None = None,
                 holds_term: HoldsTerm | None = None):
        self.resolve = resolve
        self.words_starting = words_starting
        self.holds_term = holds_term

    def parse(self, text: str | None) -> ParsedQuery:
        text = text or ""
        if len(text) > MAX_QUERY_LENGTH:
            raise QueryError(f"the query is {len(text):,} characters long; the limit is "
                             f"{MAX_QUERY_LENGTH:,}")
        control = _CONTROL.search(text)
        if control:
            raise QueryError("the query contains a control character", text, control.start())
        self.text = text
        self.result = ParsedQuery(nodes.MatchAll())
        stripped = text.strip()
        if stripped in ("", "*"):
            return self.result
        self.tokens = _Lexer(text).run()
        self.index = 0
        self.clauses = 0
        self.depth = 0
        self.fuzzy_words = 0
        self.compounds = 0
        node = self._conjunction()
        if self.index < len(self.tokens):
            token = self.tokens[self.index]
            raise QueryError("unbalanced parenthesis: this ) has no matching (", text,
                             token.start)
        # A query of only marks, emoji, words too long to be indexed or empty groups asks
        # for something no article holds (it used to match every article, as an empty
        # query does).
        self.result.node = nodes.MatchNone() if node is None else _finish(node)
        return self.result

    # Grammar: conjunction := disjunction ((AND)? disjunction)*
    #          disjunction := unary (OR unary)*
    #          unary := (NOT | - | +) unary | primary
    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _conjunction(self, fields: tuple[str, ...] | None = None
                     ) -> nodes.Node | None:
        parts: list[nodes.Node | None] = []
        # The folded word of each part that is one plain word (None for the others).
        words: list[str | None] = []
        while True:
            token = self._peek()
            if token is None or token.kind == "RPAREN":
                break
            if token.kind == "AND":
                self._take()
                if not parts:
                    raise QueryError("AND needs something on its left", self.text, token.start)
                if self._peek() is None or self._peek().kind in ("RPAREN", "AND", "OR"):
                    raise QueryError("AND needs something on its right", self.text,
                                     token.start)
                continue
            start = self.index
            parts.append(self._disjunction(fields))
            words.append(self._plain_word(start))
        present = [part for part in parts if part is not None]
        if not present:
            return None  # "()", or only words no index holds: nothing to look for
        node = nodes.conjoin(*present) if len(present) > 1 or isinstance(
            present[0], nodes.Not) else present[0]
        # Each compound of two neighbours, in their place among the others.
        alternatives = [nodes.conjoin(*(part for part in (*parts[:at], compound,
                                                          *parts[at + 2:])
                                        if part is not None))
                        for at, compound in self._compounds(words, fields)]
        return nodes.Or((node, *alternatives)) if alternatives else node

    def _disjunction(self, fields) -> nodes.Node | None:
        token = self._peek()
        if token is not None and token.kind == "OR":
            raise QueryError("OR needs something on its left", self.text, token.start)
        start = self.index
        options = [self._unary(fields)]
        words = [self._plain_word(start)]
        while self._peek() is not None and self._peek().kind == "OR":
            operator = self._take()
            following = self._peek()
            if following is None or following.kind in ("RPAREN", "OR", "AND"):
                raise QueryError("OR needs something on its right", self.text,
                                 operator.start)
            start = self.index
            options.append(self._unary(fields))
            words.append(self._plain_word(start))
        present = [option for option in options if option is not None]
        if not present:
            return None
        if any(isinstance(option, nodes.Not) for option in present) and len(present) > 1:
            present = [nodes.conjoin(nodes.MatchAll(), option)
                       if isinstance(option, nodes.Not) else option for option in present]
        node = present[0] if len(present) == 1 else nodes.Or(tuple(present))
        # Compounds as options of their own, beside (not among) the words: ranking's
        # proximity bonus pairs neighbouring words of an OR, and a compound is no
        # neighbour of the word after it.
        compounds = [compound for _at, compound in self._compounds(words, fields)]
        return nodes.Or((node, *compounds)) if compounds else node

    def _plain_word(self, start: int) -> str | None:
        """The folded word of the token at `start` (after `+` signs, which change
        nothing) when the parser has just read it and it alone, and it is one word that
        may join a neighbour into a compound."""
        while start < self.index and self.tokens[start].kind == "PLUS":
            start += 1
        if self.index != start + 1 or self.tokens[start].kind != "WORD":
            return None
        words = _joinable_words(self.tokens[start].text)
        return words[0] if words is not None and len(words) == 1 else None

    def _compounds(self, words: list[str | None], fields):
        """(position, node) of the compound of each two neighbouring plain words of a
        list that the archive holds."""
        for at, (first, second) in enumerate(itertools.pairwise(words)):
            if first is not None and second is not None:
                compound = self._compound([first, second], fields)
                if compound is not None:
                    yield at, compound

    def _compound(self, words: list[str], fields) -> nodes.Node | None:
        """The words written as one, looked for in `fields`; None when the archive does
        not hold that word or the query has its share of compounds."""
        if self.holds_term is None or self.compounds >= MAX_COMPOUNDS:
            return None
        term = analysis.stem("".join(words))
        if not self.holds_term(term):
            return None
        self.compounds += 1
        self.result.terms.add(term)
        # It stands for all the words it joins, and weighs as many (ranking.word_in_fields
        # reads the factor as the word's query weight).
        return self._across(fields, lambda name: nodes.Term(
            name, term, FIELD_WEIGHTS[name] * len(words)))

    def _unary(self, fields) -> nodes.Node | None:
        token = self._take()
        if token.kind in ("NOT", "MINUS", "PLUS", "LPAREN"):
            # Each group and sign is a level of the parser's recursion.
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(f"the query nests groups and signs (NOT, -, +) more than "
                                 f"{MAX_DEPTH} deep", self.text, token.start)
            try:
                return self._nested(token, fields)
            finally:
                self.depth -= 1
        return self._nested(token, fields)

    def _nested(self, token: _Token, fields) -> nodes.Node | None:
        if token.kind in ("NOT", "MINUS"):
            following = self._peek()
            if following is None or following.kind in ("RPAREN", "OR", "AND"):
                raise QueryError(f"{token.text} needs something after it", self.text,
                                 token.start)
            # An excluded word is in no match: snippets must not mark it.
            shown = (set(self.result.terms), set(self.result.prefixes),
                     set(self.result.fuzzy))
            inner = self._unary(fields)
            self.result.excluded |= self.result.terms - shown[0]
            self.result.terms, self.result.prefixes, self.result.fuzzy = shown
            return None if inner is None else nodes.Not(inner)
        if token.kind == "PLUS":
            return self._unary(fields)
        return self._primary(token, fields)

    def _primary(self, token: _Token, fields) -> nodes.Node | None:
        if token.kind == "LPAREN":
            inner = self._conjunction(fields=fields)
            closing = self._peek()
            if closing is None or closing.kind != "RPAREN":
                raise QueryError("unbalanced parenthesis: this ( is never closed", self.text,
                                 token.start)
            self._take()
            return inner
        if token.kind == "RPAREN":
            raise QueryError("unbalanced parenthesis: this ) has no matching (", self.text,
                             token.start)
        if token.kind == "FIELD":
            return self._field(token)
        if token.kind == "PHRASE":
            return self._text_phrase(token, fields)
        if token.kind == "WORD":
            return self._text_word(token, fields)
        raise QueryError(f"unexpected {token.text!r}", self.text, token.start)

    def _count_clause(self, token: _Token) -> None:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise QueryError(f"the query has more than {MAX_CLAUSES} terms", self.text,
                             token.start)

    # Free text
    def _text_fields(self, fields) -> tuple[str, ...]:
        return fields or tuple(TEXT_FIELDS)

    def _across(self, fields, make: Callable[[str], nodes.Node]) -> nodes.Node:
        built = [make(name) for name in self._text_fields(fields)]
        return built[0] if len(built) == 1 else nodes.Or(tuple(built))

    def _text_word(self, token: _Token, fields) -> nodes.Node | None:
        self._count_clause(token)
        word, slop_marker = token.text, None
        tilde = re.search(r"~(\d*)$", word)
        if re.search(r"~[-+]?\d*\.\d*$|~[-+]\d+$", word):  # cocoa~1.5, cocoa~-1
            raise QueryError("fuzzy distance must be 0, 1 or 2", self.text, token.start)
        if tilde:
            word = word[:tilde.start()]
            slop_marker = int(tilde.group(1)) if tilde.group(1) else -1
        if word.endswith("*") and slop_marker is None:
            stem = word.rstrip("*")
            if "~" in stem:  # oil~* was the prefix oil*, its ~ dropped
                raise QueryError("a word is either spelled about so (lavrov~) or a prefix "
                                 "(export*), not both", self.text, token.start)
            if "*" in stem or "?" in stem:
                raise QueryError("wildcards work only at the end of a word (export*)",
                                 self.text, token.start)
            parts = analysis.words(stem)
            if len(parts) > 1:  # `U.S*` is not the prefix `us`
                raise QueryError(f"{stem} is {len(parts)} words ({' '.join(parts)}) to the "
                                 "index: * goes at the end of one word", self.text,
                                 token.start)
            prefix = "".join(parts)
            if not prefix:
                return nodes.MatchAll() if not stem else None
            self.result.prefixes.add(prefix)
            # The index holds stems, which may end before the prefix does or differ at
            # its end: `economy` is `economi`, `negotiations` is `negoti`. So the stems of
            # the typed word and of the archive's words that start with it are looked for
            # too, where the terms that start with the prefix do not hold them.
            words = [prefix]
            if self.words_starting is not None and len(prefix) >= MIN_EXPANDED_PREFIX:
                words += self.words_starting(prefix)
            extra = sorted({term for term in analysis.stems(words)
                            if not term.startswith(prefix)})
            if not extra:
                return self._across(fields, lambda name: nodes.Prefix(
                    name, prefix, FIELD_WEIGHTS[name]))
            self.result.terms.update(extra)
            return self._across(fields, lambda name: nodes.Or((
                nodes.Prefix(name, prefix, FIELD_WEIGHTS[name]),
                *(nodes.Term(name, term, FIELD_WEIGHTS[name]) for term in extra))))
        if "*" in word:
            raise QueryError("wildcards work only at the end of a word (export*)",
                             self.text, token.start)
        folded = analysis.words(word)
        if not folded:
            return None
        if slop_marker is not None:
            if len(folded) != 1:
                raise QueryError("~ after a word asks for words spelled about so; it takes "
                                 "one word (use quotes for phrases: \"a b\"~3)",
                                 self.text, token.start)
            distance = slop_marker if slop_marker >= 0 else (1 if len(folded[0]) <= 4 else 2)
            if distance > 2:
                raise QueryError("fuzzy distance must be 0, 1 or 2", self.text, token.start)
            self.fuzzy_words += 1
            if self.fuzzy_words > MAX_FUZZY:
                raise QueryError(f"a query takes at most {MAX_FUZZY} fuzzy words (each is "
                                 "looked for through the whole vocabulary)", self.text,
                                 token.start)
            term = analysis.stem(folded[0])
            # One or two letters changed in a word of one or two is any such word (and
            # costs the Whoosh engine seconds to find them all): such words match exactly.
            if len(term) <= 2:
                distance = 0
            self.result.fuzzy.add((term, distance))
            self._record_word(folded[0], token, term)
            return self._across(fields, lambda name: nodes.Fuzzy(
                name, term, distance, FIELD_WEIGHTS[name]))
        terms = [analysis.stem(w) for w in folded]
        if len(terms) == 1:
            if folded[0] in analysis.STOP_WORDS and not self._only_stop_words():
                return None
            self.result.terms.add(terms[0])
            self._record_word(folded[0], token, terms[0])
            return self._across(fields, lambda name: nodes.Term(
                name, terms[0], FIELD_WEIGHTS[name]))
        # "U.S." or "G-20": one typed word, several index words: a phrase; and
        # "take-over" is "takeover" too.
        self.result.terms.update(terms)
        phrase = self._across(fields, lambda name: nodes.Phrase(
            name, tuple(terms), 0, FIELD_WEIGHTS[name]))
        joinable = _joinable_words(token.text)
        compound = None if joinable is None else self._compound(joinable, fields)
        return phrase if compound is None else nodes.Or((phrase, compound))

    def _only_stop_words(self) -> bool:
        """Whether every word of the query is a stop word (a text field's name, as in
        `headline:the`, is not a word of it)."""
        for token in self.tokens:
            if token.kind == "PHRASE" or (token.kind == "FIELD"
                                          and token.text not in TEXT_FIELDS) or (
                    token.kind == "WORD" and any(
                        w not in analysis.STOP_WORDS for w in analysis.words(token.text))):
                return False
        return True

    def _record_word(self, folded: str, token: _Token, term: str) -> None:
        if token.text.isalpha():
            self.result.words.append(QueryWord(token.text, token.start, token.end, term))

    def _text_phrase(self, token: _Token, fields) -> nodes.Node | None:
        self._count_clause(token)
        # A word too long to be indexed keeps its position in the article: the words on
        # either side of it stand that much further apart (`gaps[i]` words between the
        # i-th kept term and the next).
        kept: list[str] = []
        gaps: list[int] = []
        skipped = 0
        for term in analysis.positioned_terms(token.text):
            if term is None:
                skipped += 1
                continue
            if kept:
                gaps.append(skipped)
            kept.append(term)
            skipped = 0
        terms = tuple(kept)
        if token.slop == -1:  # before an empty phrase returns: `""~` is as wrong
            raise QueryError('proximity needs a number: "oil prices"~3', self.text,
                             token.start)
        slop = token.slop or 0
        if slop > MAX_PROXIMITY:
            raise QueryError(f"proximity is at most {MAX_PROXIMITY} words", self.text,
                             token.start)
        if not terms:
            return None
        self.result.terms.update(terms)
        if len(terms) == 1:
            return self._across(fields, lambda name: nodes.Term(name, terms[0],
                                                                FIELD_WEIGHTS[name]))
        if not any(gaps) and not (slop and len(terms) > 2):
            return self._across(fields, lambda name: nodes.Phrase(name, terms, slop,
                                                                  FIELD_WEIGHTS[name]))
        # Proximity over several words: each neighbouring pair within `slop` words (and
        # a gap's words more). An exact phrase with gaps: its runs without one exact.
        parts: list[tuple[tuple[str, ...], int]] = []
        run = [terms[0]]
        for term, gap in zip(terms[1:], gaps, strict=True):
            if slop or gap:
                parts.append(((run[-1], term), slop + gap))
                if len(run) > 1:  # (with a slop, every run is one word)
                    parts.append((tuple(run), 0))
                run = [term]
            else:
                run.append(term)
        if len(run) > 1:
            parts.append((tuple(run), 0))

        def phrases(name: str) -> nodes.Node:
            made = tuple(nodes.Phrase(name, words, distance, FIELD_WEIGHTS[name])
                         for words, distance in parts)
            return made[0] if len(made) == 1 else nodes.And(made)

        return self._across(fields, phrases)

    # Fields
    def _field(self, field_token: _Token) -> nodes.Node | None:
        name = field_token.text
        token = self._peek()
        if token is None:
            raise QueryError(f"{name}: needs a value", self.text, field_token.start)
        if name == "date":
            return self._date(field_token)
        if token.kind in ("MINUS", "PLUS"):
            raise QueryError(f"{name}:{token.text} is not a value: a sign goes before the "
                             f"field ({token.text}{name}:...)", self.text, token.start)
        if name in TEXT_FIELDS:
            token = self._take()
            if token.kind == "LPAREN":
                return self._primary(token, TEXT_FIELDS[name])
            if token.kind in ("WORD", "PHRASE"):
                return self._primary(token, TEXT_FIELDS[name])
            raise QueryError(f"{name}: needs a word, a \"phrase\" or a (group)", self.text,
                             token.start)
        token = self._take()
        if token.kind == "LPAREN":
            values = []
            while self._peek() is not None and self._peek().kind in ("WORD", "PHRASE", "OR"):
                value = self._take()
                if value.kind != "OR":
                    values.append(self._keyword(name, value))
            closing = self._peek()
            if closing is None or closing.kind != "RPAREN":
                raise QueryError(f"{name}:( takes values separated by spaces or OR, "
                                 "closed with )", self.text, token.start)
            self._take()
            return nodes.Or(tuple(values)) if len(values) > 1 else (values[0] if values
                                                                    else None)
        if token.kind in ("WORD", "PHRASE"):
            return self._keyword(name, token)
        raise QueryError(f"{name}: needs a value", self.text, token.start)

    def _keyword(self, name: str, token: _Token) -> nodes.Node:
        self._count_clause(token)
        value = token.text.strip()
        if token.kind == "WORD" and ("*" in value or "~" in value):
            raise QueryError(f"{name}: takes exact values, not wildcards", self.text,
                             token.start)
        try:
            if name == "country":
                values = (resolve_country(value),)
            elif name == "region":
                values = (resolve_region(value),)
            else:
                values = self.resolve(name, value)
        except UsageError as error:
            raise QueryError(str(error), self.text, token.start) from None
        return any_of(name, values)

    def _date(self, field_token: _Token) -> nodes.Node:
        token = self._take()
        last = token  # the end of what the error quotes
        try:
            if token.kind == "RANGE":
                return _date_range(token.text)
            if token.kind == "COMPARE":
                value = last = self._take()
                start, end = parse_user_date(value.text)
                operator = token.text
                if operator == ">":
                    return nodes.DateRange(epoch_seconds(end), None)
                if operator == ">=":
                    return nodes.DateRange(epoch_seconds(start), None)
                if operator == "<":
                    return nodes.DateRange(None, epoch_seconds(start))
                return nodes.DateRange(None, epoch_seconds(end))
            if token.kind in ("WORD", "PHRASE"):  # date:1987-03, date:"1987-03"
                start, end = parse_user_date(token.text)
                return nodes.DateRange(epoch_seconds(start), epoch_seconds(end))
        except UsageError as error:
            written = " ".join(self.text[field_token.start:last.end].split())
            raise QueryError(f"{error} in {written}", self.text, token.start) from None
        raise QueryError("date: takes YYYY[-MM[-DD]], [FROM TO TO], or >DATE / <DATE",
                         self.text, token.start)


def _date_range(text: str) -> nodes.DateRange:
    inclusive_start, inclusive_end = text[0] == "[", text[-1] == "]"
    inner = text[1:-1].strip()
    parts = re.split(r"\s+TO\s+", inner, flags=re.I)
    if len(parts) != 2:
        raise UsageError(f"bad date range {text!r}: write [1987-03-01 TO 1987-03-15]")
    low, high = (part.strip() for part in parts)
    start = end = None
    if low not in ("*", ""):
        first_day, after = parse_user_date(low)
        start = epoch_seconds(first_day if inclusive_start else after)
    if high not in ("*", ""):
        high_day, after = parse_user_date(high)
        end = epoch_seconds(after if inclusive_end else high_day)
        # Backwards (the low end begins when the high one has ended) is a slip of the
        # pen, refused as --from after --to is.
        if start is not None and epoch_seconds(first_day) >= epoch_seconds(after):
            raise UsageError(f"bad date range {text!r}: {low} is after {high}")
    if start is None and end is None:
        raise UsageError(f"bad date range {text!r}: give at least one date")
    return nodes.DateRange(start, end)


def _joinable_words(typed: str) -> list[str] | None:
    """The folded words of a typed word (one, or several joined by hyphens) that may be
    parts of a compound: letters only, each of at least MIN_COMPOUND_PART and no stop
    word; None for any other (`U.S.`, `G-20`, `soy,`)."""
    if not typed.replace("-", "").isalpha():
        return None
    words = analysis.words(typed)
    if words and all(len(word) >= MIN_COMPOUND_PART and word not in analysis.STOP_WORDS
                     for word in words):
        return words
    return None


def _finish(node: nodes.Node) -> nodes.Node:
    """A top-level NOT means everything except."""
    if isinstance(node, nodes.Not):
        return nodes.And((nodes.MatchAll(), node))
    return node


def parse(text: str | None, resolve: ValueResolver = default_resolver,
          words_starting: WordsStarting | None = None,
          holds_term: HoldsTerm | None = None) -> ParsedQuery:
    return Parser(resolve, words_starting, holds_term).parse(text)
