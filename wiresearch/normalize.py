"""Turn a reader's RawRecord into an Article: clean text, UTC dates, ISO countries, UN M49
regions, topics, a checksum and a duplicate signature. Pure: same record, same Article.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from hashlib import blake2b

from . import analysis, duplicates, places
from .dates import AbsurdDate, parse_source_date
from .facets import spelling_key
from .model import Article, RawRecord, format_date

# C0 and C1 control characters other than newline and tab; Reuters carries &#2; &#3;
# &#5; &#22; &#31; &#127; and friends.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
# A run of spaces within a line becomes one " ". The pattern leaves a lone " " (most of
# the text's spaces) alone rather than replace it with itself: the pass over a story
# takes half as long.
_OTHER_SPACES = r"\t\u00a0\u2000-\u200a\u202f\u205f\u3000"
SPACE = rf"[ {_OTHER_SPACES}]"
_SPACES = re.compile(rf" {SPACE}+|[{_OTHER_SPACES}]{SPACE}*")

# Paragraphs that are not the story: agency footers and sign-offs.
_FOOTERS = [
    re.compile(r"^copyright \d{4} countrywatch", re.I),
    re.compile(r"^no portion of countrywatch content", re.I),
    re.compile(r"^(?:\(c\)|©|copyright)\s*\d{4}\b.{0,80}\ball rights reserved\.?$", re.I),
]
# Reuters ends stories with a sign-off (and &#3;, removed with the control characters):
# "Reuter", "REUTER", "reuter..." as the last paragraph, or at the end of the last line.
# "Reuters" ends a body only as a paragraph of its own: at the end of a sentence
# ("Additional reporting by Reuters") it is the story's.
_SIGN_OFF_PARAGRAPH = re.compile(r"^\W*reuters?(?:\W|\^M)*$", re.I)
_SIGN_OFF_WORD = re.compile(r"\s+reuter(?:\W|\^M)*$", re.I)
_FILLER = re.compile(r"\s*\bBlah blah blah\.", re.I)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# The date after a dateline's place: "Feb 26", "March 2, 1987" or "2 March".
_DATELINE_TAIL = re.compile(
    rf",?\s*(?:{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?)?"
    r"\s*[-\u2013\u2014]*\s*$", re.I)
MAX_DERIVED_HEADLINE = 100


@dataclass(frozen=True)
class Normalized:
    article: Article
    # Things dropped while normalizing that the run report should mention.
    warnings: tuple[str, ...] = ()
    # The story's folded words (analysis.words), already computed for the signature;
    # the indexer adds them to the spelling vocabulary.
    words: tuple[str, ...] = ()


def clean_text(text: str, markup: bool = False) -> str:
    """Unicode-normalized text with control characters gone and spaces collapsed within
    lines; line structure is kept for paragraph detection."""
    if not text:
        return ""
    if markup:
        text = strip_markup(text)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    # _SPACES never matches a line break, so one pass over the text collapses each line.
    if not text.isascii():  # the invisible characters are not
        text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text))
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


def strip_markup(fragment: str) -> str:
    """Text of an HTML fragment, with block elements as line breaks."""
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

    from .formats.markup import break_separates

    with warnings.catch_warnings():
        # A short body that looks like a path or a URL is still a body, not a mistake.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(fragment, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    # A lone <br> wraps a line inside a paragraph (CMS bodies break every few words);
    # two in a row separate paragraphs, as a block element does.
    breaks = soup.find_all("br")
    separating = [break_separates(tag) for tag in breaks]
    for tag, separates in zip(breaks, separating, strict=True):
        tag.replace_with("\n\n" if separates else " ")
    for tag in soup.find_all(["p", "div", "li", "h1", "h2", "h3", "h4", "tr", "blockquote",
                              "pre"]):
        tag.insert_before("\n\n")
    return soup.get_text()


def paragraphs(text: str) -> list[str]:
    """Split cleaned text into paragraphs: a blank line or an indented line starts one
    (wires indent new paragraphs); lines inside a paragraph are joined."""
    lines = text.split("\n")
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    common = min(indents, default=0)
    result: list[str] = []
    current: list[str] = []
    for line in lines:
        line = line[common:]
        if not line.strip():
            if current:
                result.append(" ".join(current))
                current = []
            continue
        if line.startswith(" ") and current:
            result.append(" ".join(current))
            current = []
        current.append(line.strip())
    if current:
        result.append(" ".join(current))
    return [p for p in result if p]


def clean_body(text: str, markup: bool = False) -> str:
    paras = paragraphs(without_filler(clean_text(text, markup)))
    paras = [p for p in paras if not any(pattern.search(p) for pattern in _FOOTERS)]
    if paras and _SIGN_OFF_PARAGRAPH.match(paras[-1]):
        paras.pop()
    if paras:  # a few stories are signed twice: "... Noranda said. Reuter\n Reuter"
        paras[-1] = _SIGN_OFF_WORD.sub("", paras[-1])
    return "\n\n".join(paras)


def without_filler(text: str) -> str:
    """`text` without Reuters' placeholder "Blah blah blah." A story seldom has it: it is
    looked for as plain text first, in lower case (about 40 times as fast as the
    pattern's search, which tries its leading spaces at every position; no other
    character matches b, l, a or h when case is ignored, so lower case finds it all)."""
    if "blah blah blah." not in text.lower():
        return text
    return _FILLER.sub("", text)


def clean_line(text: str, markup: bool = False) -> str:
    return " ".join(clean_text(without_filler(text or ""), markup).split())


def clean_dateline(text: str) -> str:
    """The place part of a dateline: `    SALVADOR, Feb 26 - ` -> `SALVADOR`."""
    line = clean_line(text)
    return _DATELINE_TAIL.sub("", line).strip(" ,-")


def map_countries(place_names: tuple[str, ...]) -> tuple[str, ...]:
    codes: list[str] = []
    for name in place_names:
        code = places.country_code(name)
        if code and code not in codes:
            codes.append(code)
    return tuple(codes)


def clean_topics(topics: tuple[str, ...]) -> tuple[str, ...]:
    """Topics in lower case, each once: spellings that differ only in commas or spaces
    (`a, b` and `a b`) are one topic, as facets and filters take them."""
    result: dict[str, str] = {}
    for topic in topics:
        value = " ".join(clean_text(topic).split()).lower()
        if value:
            result.setdefault(spelling_key(value), value)
    return tuple(result.values())


def derive_headline(body: str) -> str:
    """A headline for a story that has none: its first line, cut at a word."""
    first = body.split("\n", 1)[0]
    if len(first) <= MAX_DERIVED_HEADLINE:
        return first
    cut = first[:MAX_DERIVED_HEADLINE].rsplit(" ", 1)[0]
    return cut + "…"


def checksum(article_fields: dict) -> str:
    """A content checksum: changes when anything a reader sees changes."""
    digest = blake2b(digest_size=16)
    for key in sorted(article_fields):
        digest.update(f"{key}\x1f{article_fields[key]}\x1e".encode())
    return digest.hexdigest()


def normalize(record: RawRecord) -> Normalized:
    """The Article for a RawRecord, with warnings about what could not be kept."""
    warnings: list[str] = []
    headline = clean_line(record.headline, record.markup)
    body = clean_body(record.body, record.markup)
    if not headline and not body:
        # Still an entry of the archive (it has an id and usually a date), so it is
        # indexed, but the report says it is empty.
        warnings.append("no text: the record has neither headline nor body")
    elif not headline:
        headline = derive_headline(body)
    try:
        when = parse_source_date(record.date)
    except AbsurdDate as error:
        warnings.append(f"{error}; indexed without a date")
        when = None
    if record.date and record.date.strip() and when is None and not any(
            "date" in warning for warning in warnings):
        warnings.append(f"unreadable date {record.date.strip()[:40]!r}; indexed without a date")
    countries = map_countries(record.places)
    fields = {
        "id": f"{record.collection}:{record.native_id}",
        "source": clean_line(record.source),
        "headline": headline,
        "body": body,
        "dateline": clean_dateline(record.dateline),
        "date": when,
        "countries": countries,
        "regions": places.regions_of(countries),
        "topics": clean_topics(record.topics),
        "byline": clean_line(record.byline, record.markup),
    }
    digest = checksum({**fields, "date": format_date(when)})
    # Word by word the same as the words of headline + "\n" + body.
    words = analysis.words(headline) + analysis.words(body)
    article = Article(**fields, checksum=digest, signature=duplicates.simhash(words),
                      path=record.path, position=record.position)
    return Normalized(article, tuple(warnings), tuple(words))
