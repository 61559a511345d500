"""NITF 3.x (News Industry Text Format): one story per `<nitf>` document, as AAP, AP, EFE,
NTB and many others deliver it, and as NewsML wraps it.

Ids are `<agency>:<doc-id id-string>`; the agency comes from `doc-id regsrc`, the
distributor or the copyright holder (`aap:AAP.115314987.5417374`, `efe:22751909`), and is
`nitf` when the file names none. A file without a doc-id uses its file name.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import RawRecord, Rejection
from . import markup, provenance, xmldoc
from .base import SourceFile

name = "nitf"

# Date elements in order of preference, with the attribute holding the ISO 8601 value.
DATES = (("story.date", "norm"), ("date.issue", "norm"), ("pubdata", "date.publication"),
         ("date.release", "norm"))


def sniff(source: SourceFile, text_head: str) -> bool:
    root = xmldoc.root_of(source.data)
    return root is not None and root.name == "nitf"


def read(source: SourceFile) -> Iterator[RawRecord | Rejection]:
    number = 0
    for item in xmldoc.items(source, ["nitf"]):
        if isinstance(item, Rejection):  # a warning is no document: count only those
            yield item
            continue
        number += 1
        position = f"document {number}" if number > 1 else ""
        try:
            yield record(item, source, position)
        except Exception as error:  # an odd document costs only itself
            yield Rejection(source.path, position or "document 1",
                            f"unreadable NITF document: {error!r}")


def record(root, source: SourceFile, position: str) -> RawRecord:
    """The RawRecord of one `<nitf>` element."""
    head = xmldoc.child(root, "head")
    body = xmldoc.child(root, "body")
    body_head = xmldoc.child(body, "body.head") if body is not None else None
    docdata = xmldoc.child(head, "docdata") if head is not None else None
    doc_id = xmldoc.child(docdata, "doc-id") if docdata is not None else None
    found = provenance.publisher(
        xmldoc.attribute(doc_id, "regsrc"),
        xmldoc.text(_find(body_head, "distributor")),
        xmldoc.attribute(_find(docdata, "doc.copyright"), "holder"),
        xmldoc.text(_find(body_head, "rights.owner")),
        xmldoc.attribute(_find(docdata, "doc.rights"), "owner"),
        fallback=name)
    publisher = provenance.resolve(source, found, name)
    stated = xmldoc.attribute(doc_id, "id-string")
    native_id = stated or provenance.file_id(source)
    return RawRecord(
        collection=publisher.collection,
        native_id=native_id,
        source=publisher.source,
        headline=headline(root),
        body="\n\n".join(body_paragraphs(root)),
        dateline=_dateline(body_head),
        date=date(root),
        places=tuple(places(root)),
        topics=tuple(topics(root)),
        byline=_byline(body_head),
        path=source.path,
        position=position,
        attributes={"format": name},
        id_from_file=not stated,
    )


def _find(element, local: str):
    if element is None:
        return None
    return next(xmldoc.descendants(element, local), None)


def headline(root) -> str:
    text = xmldoc.text(_find(xmldoc.child(root, "body"), "hl1"))
    return text or xmldoc.text(_find(xmldoc.child(root, "head"), "title"))


def body_paragraphs(root) -> list[str]:
    """The story text: every `body.content` block, media and captions left out."""
    paragraphs: list[str] = []
    for content in xmldoc.descendants(root, "body.content"):
        paragraphs.extend(markup.xml_paragraphs(content))
    return paragraphs


def date(root) -> str | None:
    for element_name, attribute in DATES:
        for element in xmldoc.descendants(root, element_name):
            value = xmldoc.attribute(element, attribute) or xmldoc.text(element)
            if value:
                return value
    return None


def places(root) -> list[str]:
    """Country codes and names the header states: `iso-cc` attributes (`evloc`,
    `country`), ISO 3166 location codes and `country` elements of the head and the
    dateline (not places marked up inside the story text)."""
    found: list[str] = []
    scopes = [xmldoc.child(root, "head")]
    body = xmldoc.child(root, "body")
    if body is not None:
        scopes.append(xmldoc.child(body, "body.head"))
    for scope in scopes:
        if scope is None:
            continue
        for element in scope.iter():
            found.append(xmldoc.attribute(element, "iso-cc"))
            if "3166" in xmldoc.attribute(element, "code-source"):
                found.append(xmldoc.attribute(element, "location-code"))
            if markup.localname(element) == "country":
                found.append(xmldoc.text(element))
    return [place for place in dict.fromkeys(found) if place]


def topics(root) -> list[str]:
    """Subject names and codes (`tobject.subject`) and keywords (`key-list/keyword`)."""
    found: list[str] = []
    for subject in xmldoc.descendants(root, "tobject.subject"):
        found.extend(xmldoc.attribute(subject, attribute) for attribute in (
            "tobject.subject.type", "tobject.subject.matter", "tobject.subject.detail",
            "tobject.subject.refnum"))
    for keyword in xmldoc.descendants(root, "keyword"):
        found.append(xmldoc.attribute(keyword, "key") or xmldoc.text(keyword))
    return [topic for topic in dict.fromkeys(found) if topic]


def _byline(body_head) -> str:
    byline = xmldoc.child(body_head, "byline") if body_head is not None else None
    if byline is None:
        return ""
    # The title (`byttl`, "AP Business Writer") is not the author.
    parts = [byline.text or ""]
    for element in byline:
        if markup.localname(element) != "byttl":
            parts.append("".join(element.itertext()))
        parts.append(element.tail or "")
    return markup.collapse(" ".join(parts))


def _dateline(body_head) -> str:
    dateline = xmldoc.child(body_head, "dateline") if body_head is not None else None
    if dateline is None:
        return ""
    # `story.date` is the filing time, not a place.
    parts = [dateline.text or ""]
    for element in dateline:
        if markup.localname(element) != "story.date":
            parts.append("".join(element.itertext()))
        parts.append(element.tail or "")
    # `NEW YORK (AP) _`: the credit is the agency's, not the place's.
    return provenance.without_credit(markup.collapse(" ".join(parts)))
