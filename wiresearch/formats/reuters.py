"""Reuters-21578 SGML: `<REUTERS NEWID="n">` records, 1,000 to a file.

The files are SGML, not XML: control-character references (`&#3;`), and in files other
tools wrote HTML's named entities, a bare `&`, unquoted attribute values. Each record is
cut out with a pattern and parsed on its own, so a broken record costs only itself:
- first with lxml, once its references are made XML's (those of control characters
  become the spaces normalizing makes of them; the others are read as HTML reads them);
  lxml reads a record several times faster than BeautifulSoup's HTML parser, and gave
  the same articles for all 21,578 stories;
- when lxml would have to repair the record's markup to read it (it then drops text),
  with BeautifulSoup's tolerant HTML parser, as before lxml was used.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from lxml import etree

from ..model import RawRecord, Rejection
from .base import SourceFile, decode, detection_warnings

name = "reuters-sgml"
COLLECTION = "reuters21578"
SOURCE = "Reuters"

# A record: its opening tag, then everything up to its closing tag, the next record's
# opening tag or the end. Written as runs of anything but "<", each "<" checked for the
# end: the same matches as a lazy ".*?" before the three ends, which tries all three at
# every character (2.4 instead of 32 us a record).
_RECORD = re.compile(r"<REUTERS\b[^>]*>[^<]*(?:<(?!/REUTERS>|REUTERS\b)[^<]*)*"
                     r"(?:</REUTERS>|(?=<REUTERS\b)|\Z)", re.I)


def sniff(source: SourceFile, text_head: str) -> bool:
    return re.search(r"<REUTERS\b", text_head, re.I) is not None


def read(source: SourceFile) -> Iterator[RawRecord | Rejection]:
    decoded = decode(source.data)
    yield from detection_warnings(source, decoded)
    number = 0
    for number, match in enumerate(_RECORD.finditer(decoded.text), start=1):
        position = f"record {number}"
        chunk = match.group()
        if not re.search(r"</REUTERS>\s*$", chunk, re.I):
            yield Rejection(source.path, position, "truncated record: no closing </REUTERS>")
            continue
        try:
            yield _parse_record(chunk, source, position)
        except ValueError as error:
            yield Rejection(source.path, position, str(error))
    if not number:  # read as Reuters by --format, but holding none of its records
        yield Rejection(source.path, "", "no <REUTERS> record")


# A character reference, a named entity (HTML's legacy ones may lack the semicolon), or
# a bare ampersand.
_REFERENCE = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)?")
_XML_REFERENCES = frozenset({"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"})
# Characters XML forbids (and normalizing would turn into spaces anyway); \r is left to
# the parser, which makes it a line break as normalizing does.
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class _Fields(NamedTuple):
    attributes: dict[str, str]
    headline: str
    body: str
    dateline: str
    date: str | None
    places: tuple[str, ...]
    topics: tuple[str, ...]


def _as_xml_reference(match: re.Match) -> str:
    return _xml_reference(match.group())


# A Reuters record holds about ten references, nearly all of the same few (&#3;, &lt;).
@lru_cache(maxsize=4096)
def _xml_reference(reference: str) -> str:
    if reference in _XML_REFERENCES:
        return reference
    text = html.unescape(reference)
    if reference.startswith("&#"):
        digits = reference[2:].rstrip(";")
        code = int(digits[1:], 16) if digits[0] in "xX" else int(digits)
        if 0 < code < 32 and code not in (9, 10, 13) or code == 127:
            return " "
        if not text:  # a noncharacter (U+FDD0, U+FFFE), which html.unescape drops
            text = chr(code)
    if text == reference:  # no reference HTML knows: the ampersand is text
        return "&amp;" + reference[1:]
    return (_RAW_CONTROL.sub(" ", text).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def _text(element) -> str:
    return "".join(element.itertext()) if element is not None else ""


def _fields_by_lxml(chunk: str) -> _Fields | None:
    """The record's fields, or None when lxml would have to repair its markup (or
    cannot read it): its repairs drop text."""
    # A parser per record: a parser is not safe to share between threads, and its error
    # log must be this record's.
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    try:
        record = etree.fromstring(_REFERENCE.sub(_as_xml_reference,
                                                 _RAW_CONTROL.sub(" ", chunk)), parser)
        if record is None or len(parser.error_log):
            return None
        # SGML's names are case-insensitive; XML's are not.
        for element in record.iter(tag=etree.Element):
            element.tag = element.tag.lower()
    except (etree.LxmlError, ValueError):
        return None
    if record.tag != "reuters":
        return None

    def listed(tag: str) -> tuple[str, ...]:
        found = record.find(".//" + tag)
        if found is None:
            return ()
        return tuple(text for text in (_text(d).strip() for d in found.iter("d")) if text)

    text = record.find(".//text")
    headline = body = dateline = ""
    if text is not None:
        headline, dateline = _text(text.find(".//title")), _text(text.find(".//dateline"))
        body_element = text.find(".//body")
        kind = next((value for key, value in text.attrib.items() if key.lower() == "type"),
                    "")
        if body_element is not None:
            body = _text(body_element)
        elif kind.upper() == "UNPROC":
            # Unprocessed tables: the whole text is the story.
            body = _text(text)
    date = record.find(".//date")
    return _Fields({key.lower(): value for key, value in record.attrib.items()}, headline,
                   body, dateline, _text(date) if date is not None else None,
                   listed("places"), listed("topics"))


def _fields_by_soup(chunk: str) -> _Fields:
    from bs4 import BeautifulSoup

    record = BeautifulSoup(chunk, "html.parser").find("reuters")
    if record is None:
        raise ValueError("unreadable record")

    def listed(tag: str) -> tuple[str, ...]:
        found = record.find(tag)
        if found is None:
            return ()
        return tuple(d.get_text().strip() for d in found.find_all("d")
                     if d.get_text().strip())

    text = record.find("text")
    headline = body = dateline = ""
    if text is not None:
        title, body_element, dateline_element = (text.find("title"), text.find("body"),
                                                 text.find("dateline"))
        headline = title.get_text() if title else ""
        dateline = dateline_element.get_text() if dateline_element else ""
        if body_element is not None:
            body = body_element.get_text()
        elif (text.get("type") or "").upper() == "UNPROC":
            body = text.get_text()
    date = record.find("date")
    return _Fields({key: str(value) for key, value in record.attrs.items()}, headline,
                   body, dateline, date.get_text() if date else None,
                   listed("places"), listed("topics"))


def _parse_record(chunk: str, source: SourceFile, position: str) -> RawRecord:
    fields = _fields_by_lxml(chunk) or _fields_by_soup(chunk)
    newid = (fields.attributes.get("newid") or "").strip()
    if not newid.isdigit():
        raise ValueError("record has no NEWID")
    return RawRecord(
        collection=COLLECTION,
        native_id=newid,
        source=source.source or SOURCE,
        headline=fields.headline,
        body=fields.body,
        dateline=fields.dateline,
        date=fields.date,
        places=fields.places,
        topics=fields.topics,
        path=source.path,
        position=position,
        attributes=fields.attributes,
    )
