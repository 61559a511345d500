"""NewsML 1.x (IPTC, as AFP long delivered it): a `NewsML` envelope of `NewsItem`s whose
`NewsComponent`s carry the story text in `DataContent` (usually NITF). Each component
that holds text is one story; a package of several such components gives several.

Ids are `<provider>:<DateId>:<NewsItemId>` (`afp:20140829T135002Z:TX-PAR-FXW86`): the
revision is left out so a corrected story replaces the earlier one. The provider is the
`Provider` party, else `ProviderId`; `newsml-1` when the file names none.
"""

from __future__ import annotations

import html
from collections.abc import Iterator

from ..model import RawRecord, Rejection
from . import markup, nitf, provenance, xmldoc
from .base import SourceFile

name = "newsml-1"
ROOTS = ("NewsML", "NewsItem")

# The story's date: when it was first created, else this revision, else the item's date id.
DATES = (("NewsManagement", "FirstCreated"), ("NewsManagement", "ThisRevisionCreated"),
         ("NewsIdentifier", "DateId"))


def sniff(source: SourceFile, text_head: str) -> bool:
    root = xmldoc.root_of(source.data)
    return root is not None and root.name in ROOTS and not root.namespace.startswith(
        "http://iptc.org/std/nar")


def read(source: SourceFile) -> Iterator[RawRecord | Rejection]:
    number = 0
    for item in xmldoc.items(source, ["NewsItem"]):
        if isinstance(item, Rejection):
            yield item
            continue
        number += 1
        components = _story_components(item)
        if not components:
            yield Rejection(source.path, f"item {number}", "no text component: skipped",
                            severity="warning")
            continue
        for part, component in enumerate(components, start=1):
            position = f"item {number}" + (f", component {part}" if len(components) > 1
                                           else "")
            try:
                yield _record(item, component, part if len(components) > 1 else 0, source,
                              position)
            except Exception as error:  # an odd component costs only itself
                yield Rejection(source.path, position, f"unreadable NewsItem: {error!r}")


def _story_components(item) -> list:
    """NewsComponents with text content of their own (not only in sub-components)."""
    found = []
    for component in xmldoc.descendants(item, "NewsComponent"):
        if any(_text_of(content)[0].strip()
               for content in xmldoc.children(component, "ContentItem")):
            found.append(component)
    return found


def _text_of(content_item) -> tuple[str, bool]:
    media = xmldoc.attribute(xmldoc.child(content_item, "MediaType"), "FormalName")
    if media and media.lower() != "text":
        return "", False
    data = xmldoc.child(content_item, "DataContent")
    if data is None:
        return "", False
    nitf_root = next((found for found in data.iter() if markup.localname(found) == "nitf"),
                     None)
    if nitf_root is not None:
        return "\n\n".join(nitf.body_paragraphs(nitf_root)), False
    if len(data):
        html_body = next((found for found in data.iter() if markup.localname(found) == "body"),
                         None)
        return "\n\n".join(markup.xml_paragraphs(html_body if html_body is not None
                                                 else data)), False
    text = data.text or ""
    return text, markup.looks_like_markup(text)


def _nearest(component, item, *path: str):
    """The first element along `path` in the component or, failing that, in the
    components and item around it (a package's lines and metadata apply to its parts)."""
    node = component
    while node is not None:
        found = xmldoc.first(node, *path)
        if found is not None:
            return found
        if node is item:
            break
        node = node.getparent()
    return None


def _record(item, component, part: int, source: SourceFile, position: str) -> RawRecord:
    identifier = xmldoc.first(item, "Identification", "NewsIdentifier")
    found = provenance.publisher(
        xmldoc.attribute(_nearest(component, item, "AdministrativeMetadata", "Provider",
                                  "Party"), "FormalName"),
        xmldoc.text(xmldoc.child(identifier, "ProviderId")) if identifier is not None else "",
        fallback=name)
    publisher = provenance.resolve(source, found, name)
    native_id, from_file = _native_id(identifier, source)
    if part:
        native_id += f"/{xmldoc.attribute(component, 'Duid') or part}"
    bodies = [_text_of(content) for content in xmldoc.children(component, "ContentItem")]
    bodies = [body for body in bodies if body[0].strip()]
    is_markup = any(flag for _text, flag in bodies)
    lines = _nearest(component, item, "NewsLines")
    title = xmldoc.text(xmldoc.child(lines, "HeadLine")) if lines is not None else ""
    byline = xmldoc.text(xmldoc.child(lines, "ByLine")) if lines is not None else ""
    if is_markup:
        title, byline = html.escape(title), html.escape(byline)
    descriptive = _nearest(component, item, "DescriptiveMetadata")
    return RawRecord(
        collection=publisher.collection,
        native_id=native_id,
        source=publisher.source,
        headline=title,
        body="\n\n".join(text for text, _flag in bodies),
        dateline=provenance.without_credit(xmldoc.text(xmldoc.child(lines, "DateLine")))
        if lines is not None else "",
        date=_date(item, identifier),
        places=tuple(_places(descriptive)),
        topics=tuple(_topics(descriptive)),
        byline=byline,
        path=source.path,
        position=position,
        attributes={"format": name},
        markup=is_markup,
        id_from_file=from_file,
    )


def _native_id(identifier, source: SourceFile) -> tuple[str, bool]:
    """The item's id, and whether it was made from the file's name."""
    if identifier is None:
        return provenance.file_id(source), True
    date_id = xmldoc.text(xmldoc.child(identifier, "DateId"))
    item_id = xmldoc.text(xmldoc.child(identifier, "NewsItemId"))
    if item_id:
        return (f"{date_id}:{item_id}" if date_id else item_id), False
    public = xmldoc.text(xmldoc.child(identifier, "PublicIdentifier"))
    return (public, False) if public else (provenance.file_id(source), True)


def _date(item, identifier) -> str | None:
    for scope_name, element_name in DATES:
        scope = identifier if scope_name == "NewsIdentifier" else xmldoc.child(item, scope_name)
        if scope is None:
            continue
        value = xmldoc.text(xmldoc.child(scope, element_name))
        if value:
            return value
    return None


def _properties(element, formal_name: str) -> list[str]:
    return [xmldoc.attribute(found, "Value") for found in xmldoc.children(element, "Property")
            if xmldoc.attribute(found, "FormalName").lower() == formal_name.lower()]


def _places(descriptive) -> list[str]:
    """`Location` properties naming a country (ISO codes or names)."""
    if descriptive is None:
        return []
    found: list[str] = []
    for location in xmldoc.children(descriptive, "Location"):
        found.extend(_properties(location, "Country"))
    return [place for place in dict.fromkeys(found) if place]


def _topics(descriptive) -> list[str]:
    """IPTC subject codes (`SubjectCode`) and keywords."""
    if descriptive is None:
        return []
    found: list[str] = []
    for code in xmldoc.children(descriptive, "SubjectCode"):
        found.extend(xmldoc.attribute(subject, "FormalName") for subject in code)
    found.extend(_properties(descriptive, "Keyword"))
    return [topic for topic in dict.fromkeys(found) if topic]
