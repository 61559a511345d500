"""NewsML-G2 (IPTC): `newsItem` documents, and `newsMessage` envelopes carrying several
items (each a story of its own). The text is `inlineXML` (XHTML or NITF) or `inlineData`.

Ids are `<provider>:<newsItem guid>` (`reuters:tag:reuters.com,2018:newsml_MTZXEE13ZXCZES`,
`ansa:tag:ansa.it,2017-10-11:…`): the guid without the version, so a later version of a
story replaces the earlier one. The provider is `itemMeta/provider`, else the message's
sender, else the copyright holder; `newsml-g2` when the file names none.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from ..model import RawRecord, Rejection
from . import markup, nitf, provenance, xmldoc
from .base import SourceFile

name = "newsml-g2"
NAMESPACE = "http://iptc.org/std/nar/2006-10-01/"
ROOTS = ("newsItem", "newsMessage", "packageItem")

# The story's date: when its content was created, else first published, else this version.
DATES = ("contentCreated", "firstCreated", "versionCreated")
# Item classes that hold no story text (pictures, video...).
NOT_TEXT = re.compile(r"(?:picture|photo|graphic|video|audio|animated)", re.I)
# Subjects that are places, by type or by the scheme of their code.
GEO = re.compile(r"(?:geo|country|iso3166|cntry|loctyp|located|place)", re.I)
COUNTRY_CODE = re.compile(r"^(?:iso3166-?1?-?a?[23]?|cntry|country)[:/]([A-Za-z]{2,3})$", re.I)
# A `dateline` that holds a time stamp rather than a place (Reuters does this).
TIMESTAMP = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")


def sniff(source: SourceFile, text_head: str) -> bool:
    root = xmldoc.root_of(source.data)
    # Some producers leave the namespace out; the camel-case root names are G2's own.
    return root is not None and root.name in ROOTS and (
        not root.namespace or root.namespace.startswith("http://iptc.org/std/nar"))


def read(source: SourceFile) -> Iterator[RawRecord | Rejection]:
    number = 0
    for item in xmldoc.items(source, ["newsItem"]):
        if isinstance(item, Rejection):
            yield item
            continue
        number += 1
        position = f"item {number}"
        item_class = xmldoc.attribute(xmldoc.first(item, "itemMeta", "itemClass"), "qcode")
        if NOT_TEXT.search(item_class):
            yield Rejection(source.path, position, f"not a text item ({item_class}): skipped",
                            severity="warning")
            continue
        try:
            yield _record(item, source, position)
        except Exception as error:  # an odd item costs only itself
            yield Rejection(source.path, position, f"unreadable newsItem: {error!r}")


def _record(item, source: SourceFile, position: str) -> RawRecord:
    content_meta = xmldoc.child(item, "contentMeta")
    root = item.getroottree().getroot()
    header = xmldoc.child(root, "header") if root is not item else None
    found = provenance.publisher(
        _name_of(xmldoc.first(item, "itemMeta", "provider")),
        xmldoc.text(xmldoc.child(header, "sender")) if header is not None else "",
        _name_of(xmldoc.first(item, "rightsInfo", "copyrightHolder")),
        fallback=name)
    publisher = provenance.resolve(source, found, name)
    guid = xmldoc.attribute(item, "guid")
    native_id = guid or provenance.file_id(source) + (
        "" if position == "item 1" else f"/{position.split()[-1]}")
    title = headline(item, content_meta)
    body, is_markup = _body(item)
    byline = _byline(content_meta)
    if is_markup:
        # The record's text fields are read as HTML: keep the plain ones literal.
        title, byline = html.escape(title), html.escape(byline)
    return RawRecord(
        collection=publisher.collection,
        native_id=native_id,
        source=publisher.source,
        headline=title,
        body=body,
        dateline=_dateline(content_meta),
        date=_date(item, content_meta),
        places=tuple(_places(content_meta)),
        topics=tuple(_topics(content_meta, title)),
        byline=byline,
        path=source.path,
        position=position,
        attributes={"format": name, "version": xmldoc.attribute(item, "version")},
        markup=is_markup,
        id_from_file=not guid,
    )


def _name_of(element) -> str:
    """A G2 party or concept: its name, else its literal, else its code."""
    if element is None:
        return ""
    return (xmldoc.text(xmldoc.child(element, "name")) or xmldoc.attribute(element, "literal")
            or xmldoc.attribute(element, "qcode", "uri"))


def _names(element, language: str) -> list[str]:
    """The names of a concept, in the item's language when it gives several."""
    names = xmldoc.children(element, "name")
    if not names:
        return []
    matching = [found for found in names if xmldoc.attribute(found, "lang")[:2] ==
                language[:2]]
    return [xmldoc.text((matching or names)[0])]


def headline(item, content_meta) -> str:
    headlines = xmldoc.children(content_meta, "headline") if content_meta is not None else []
    main = [found for found in headlines
            if xmldoc.attribute(found, "role") in ("", "hld:main", "main")]
    for found in main + headlines:
        if xmldoc.text(found):
            return xmldoc.text(found)
    return xmldoc.text(xmldoc.first(item, "itemMeta", "title"))


def _byline(content_meta) -> str:
    if content_meta is None:
        return ""
    by = xmldoc.text(xmldoc.child(content_meta, "by"))
    if by:
        return by
    creators = [_name_of(found) for found in xmldoc.children(content_meta, "creator")
                if "source" not in xmldoc.attribute(found, "role")]
    return ", ".join(creator for creator in creators if creator and ":" not in creator)


def _dateline(content_meta) -> str:
    if content_meta is None:
        return ""
    dateline = provenance.without_credit(xmldoc.text(xmldoc.child(content_meta,
                                                                  "dateline")))
    if dateline and not TIMESTAMP.match(dateline):
        return dateline
    located = xmldoc.child(content_meta, "located")
    return _name_of(located) if located is not None and ":" not in _name_of(located) else ""


def _date(item, content_meta) -> str | None:
    for element_name in DATES:
        for scope in (content_meta, xmldoc.child(item, "itemMeta")):
            if scope is None:
                continue
            value = xmldoc.text(xmldoc.child(scope, element_name))
            if value:
                return value
    return None


def _places(content_meta) -> list[str]:
    """Countries the item is located in or about: `located` and its `broader` chain,
    and geographic subjects, as codes (`iso3166-1a2:DE`) or names."""
    if content_meta is None:
        return []
    found: list[str] = []
    concepts = xmldoc.children(content_meta, "located") + [
        subject for subject in xmldoc.children(content_meta, "subject") if _is_geo(subject)]
    for concept in concepts:
        for element in [concept, *xmldoc.children(concept, "broader")]:
            code = COUNTRY_CODE.match(xmldoc.attribute(element, "qcode"))
            if code:
                found.append(code.group(1))
            kind = xmldoc.attribute(element, "type")
            if "country" in kind.lower() or (not kind and element is concept):
                found.append(_name_of(element))
    return [place for place in dict.fromkeys(found) if place and ":" not in place]


def _is_geo(subject) -> bool:
    return bool(GEO.search(xmldoc.attribute(subject, "type"))
                or COUNTRY_CODE.match(xmldoc.attribute(subject, "qcode")))


def _topics(content_meta, title: str) -> list[str]:
    """Subject codes and names; subjects that only repeat the headline (ANSA's
    sub-category literal does) are not topics."""
    if content_meta is None:
        return []
    language = xmldoc.attribute(content_meta.getparent(), "lang") or "en"
    found: list[str] = []
    for subject in xmldoc.children(content_meta, "subject"):
        if _is_geo(subject):
            continue
        found.extend([xmldoc.attribute(subject, "qcode"), xmldoc.attribute(subject, "literal"),
                      *_names(subject, language)])
    heading = " ".join(html.unescape(title).split()).casefold()
    return [topic for topic in dict.fromkeys(found)
            if topic and " ".join(topic.split()).casefold() != heading]


def _body(item) -> tuple[str, bool]:
    """The story text and whether it is still HTML: the first inline rendition that has
    text. XHTML and NITF become paragraphs here; text/plain that carries tags anyway is
    handed on as HTML."""
    content_set = xmldoc.child(item, "contentSet")
    if content_set is None:
        return "", False
    for rendition in content_set:
        kind = markup.localname(rendition)
        if kind == "inlineXML":
            nitf_root = next(iter(_with_name(rendition, "nitf")), None)
            if nitf_root is not None:
                paragraphs = nitf.body_paragraphs(nitf_root)
            else:
                html_body = next(iter(_with_name(rendition, "body")), None)
                paragraphs = markup.xml_paragraphs(
                    html_body if html_body is not None else rendition)
            if paragraphs:
                return "\n\n".join(paragraphs), False
        elif kind == "inlineData":
            text = "".join(rendition.itertext())
            if text.strip():
                is_html = "html" in xmldoc.attribute(rendition, "contenttype").lower()
                return text, is_html or markup.looks_like_markup(text)
    return "", False


def _with_name(element, local: str) -> list:
    return [found for found in element.iter() if markup.localname(found) == local]
