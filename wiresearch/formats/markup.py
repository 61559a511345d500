"""Plain text out of marked-up story bodies (NITF, XHTML, HTML): one paragraph per block
element, paragraphs separated by a blank line, pictures, scripts and embeds left out."""

from __future__ import annotations

import re

from lxml import etree

# Elements that start a paragraph of their own (local names: NITF, XHTML and HTML).
BLOCKS = frozenset({
    "p", "hl1", "hl2", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote",
    "bq", "pre", "tr", "div", "block", "section", "article", "note", "fn", "caption",
    "address", "table", "ul", "ol", "dl", "abstract", "body.content", "body", "header",
    "main", "figure", "tagline", "credit", "dateline", "byline", "td", "th",
})
# Elements whose text is never story text.
SKIPPED = frozenset({
    "media", "media-reference", "media-caption", "media-producer", "media-metadata",
    "script", "style", "noscript", "object", "embed", "iframe", "svg", "img", "head",
    "template", "button", "form", "input", "select", "textarea",
})
# Table cells are joined on one line; everything else inline is plain running text.
CELLS = frozenset({"td", "th"})

_SPACE = re.compile(r"\s+")
# Literal HTML inside text (escaped markup such as embed codes, or tags in text/plain).
_TAG = re.compile(r"</?(?:p|br|div|span|script|iframe|a|b|i|em|strong|blockquote|img|ul|ol|li|"
                  r"h[1-6]|figure|table|tr|td)\b[^<>]*>", re.I)


def localname(element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return etree.QName(tag).localname if tag.startswith("{") else tag


def collapse(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def looks_like_markup(text: str) -> bool:
    return _TAG.search(text) is not None


def xml_paragraphs(element, skip: frozenset[str] = frozenset()) -> list[str]:
    """The paragraphs of an lxml element: text of block elements, whitespace collapsed;
    `pre` keeps its lines. Escaped markup found in the text is reduced to its words."""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = collapse("".join(current))
        current.clear()
        if text and looks_like_markup(text):
            text = collapse(html_text(text))
        if text:
            paragraphs.append(text)

    def walk(node) -> None:
        name = localname(node)
        if name in SKIPPED or name in skip:
            return
        if name == "pre":
            flush()
            for line in "".join(node.itertext()).splitlines():
                current.append(line)
                flush()
            return
        block = name in BLOCKS and name not in CELLS
        if block:
            flush()
        if node.text and name:
            current.append(node.text)
        for child in node:
            walk(child)
            if isinstance(child.tag, str) and localname(child) in CELLS:
                current.append("  ")
            if child.tail:
                current.append(child.tail)
        if name == "br" and _xml_break_separates(node):
            flush()
        elif name in ("br", "hr"):
            current.append(" ")
        if block:
            flush()

    walk(element)
    flush()
    return paragraphs


def _xml_break_separates(node) -> bool:
    """Whether a <br> has another right before or after it (spaces between): two in a
    row separate paragraphs, one wraps a line inside its paragraph."""
    previous, following = node.getprevious(), node.getnext()
    return ((previous is not None and localname(previous) == "br"
             and not (previous.tail or "").strip())
            or (following is not None and localname(following) == "br"
                and not (node.tail or "").strip()))


def break_separates(tag) -> bool:
    """_xml_break_separates for a BeautifulSoup <br>."""
    for step in ("next_sibling", "previous_sibling"):
        found = getattr(tag, step)
        while isinstance(found, str) and not found.strip():
            found = getattr(found, step)
        if getattr(found, "name", None) == "br":
            return True
    return False


def html_text(fragment: str) -> str:
    """The words of an HTML fragment, scripts and styles left out."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "html.parser")
    for tag in soup(["script", "style", "noscript", "iframe"]):
        tag.decompose()
    return soup.get_text(" ")


def soup_paragraphs(element) -> list[str]:
    """The paragraphs of a BeautifulSoup element, with the same rules as xml_paragraphs."""
    from bs4 import NavigableString, Tag
    from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

    paragraphs: list[str] = []
    current: list[str] = []
    unwanted = (Comment, Declaration, Doctype, ProcessingInstruction)

    def flush() -> None:
        text = collapse("".join(current))
        current.clear()
        if text:
            paragraphs.append(text)

    def walk(node) -> None:
        if isinstance(node, NavigableString):
            if not isinstance(node, unwanted):
                current.append(str(node))
            return
        if not isinstance(node, Tag):
            return
        name = node.name.lower()
        if name in SKIPPED:
            return
        if name == "pre":
            flush()
            for line in node.get_text().splitlines():
                current.append(line)
                flush()
            return
        block = name in BLOCKS and name not in CELLS
        if block:
            flush()
        for child in node.children:
            walk(child)
        if name in CELLS:
            current.append("  ")
        if name == "br" and break_separates(node):
            flush()
        elif name in ("br", "hr"):
            current.append(" ")
        if block:
            flush()

    walk(element)
    flush()
    return paragraphs
