"""HTML article pages (a site's story saved as a file): headline, date, byline and the
story text of the `<article>` (else the main content), without navigation, scripts, ads,
share boxes and footers. Metadata comes from Open Graph, `article:` meta tags and JSON-LD.

Ids are `<site>:<canonical URL>`: the site is a known agency when the page names one
(`og:site_name`, JSON-LD publisher), else the page's host name (`example.com`), else `html`;
a page without a URL uses its file name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from ..model import RawRecord, Rejection
from . import markup, provenance
from .base import SourceFile, decode

name = "html"
COLLECTION = "html"
SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")

_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*(?:<\?xml[^>]*>\s*)?(?:<!doctype\s+html|<html\b)",
                         re.I | re.S)
_HTML_TAGS = re.compile(r"<(?:head|body|article|meta|title)\b", re.I)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
# Class or id words of boxes around a story that are not the story.
_CLUTTER = re.compile(
    r"(?:^|[\s_-])(?:ad|ads|advert\w*|sponsor\w*|promo\w*|share|sharing|social|related|"
    r"newsletter|subscribe|comments?|breadcrumbs?|cookie\w*|paywall|recommended|"
    r"most-?read|outbrain|taboola|nav|navigation|menu|footer|masthead|sidebar|toolbar|"
    r"popup|modal|banner)(?:$|[\s_-])", re.I)
DROPPED_TAGS = ("nav", "script", "style", "noscript", "footer", "aside", "form", "iframe",
                "button", "svg", "figure", "template", "header", "dialog", "input", "select")
ARTICLE_TYPES = ("NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle",
                 "BlogPosting", "OpinionNewsArticle", "LiveBlogPosting", "Report",
                 "BackgroundNewsArticle", "TechArticle", "ScholarlyArticle")


def sniff(source: SourceFile, text_head: str) -> bool:
    head = text_head.lstrip("\ufeff")
    if _HTML_START.match(head):
        return True
    return source.name.lower().endswith(SUFFIXES) and bool(_HTML_TAGS.search(head))


def read(source: SourceFile) -> Iterator[RawRecord | Rejection]:
    from bs4 import BeautifulSoup

    declared = _declared_encoding(source.data)
    decoded = decode(source.data, declared)
    if decoded.guessed:
        said = f"declared {declared!r} does not fit; " if declared else ""
        yield Rejection(source.path, "", f"{said}no usable encoding declared; decoded as "
                        f"{decoded.encoding} (detected)", severity="warning")
    soup = BeautifulSoup(decoded.text, "lxml")
    metadata = _json_ld(soup)
    headline = (_meta(soup, "og:title") or _text(metadata.get("headline"))
                or _first_text(soup, "article h1") or _first_text(soup, "h1")
                or _first_text(soup, "title"))
    date = (_meta(soup, "article:published_time") or _text(metadata.get("datePublished"))
            or _attribute(soup, "[itemprop=datePublished]", "content", "datetime")
            or _attribute(soup, "article time[datetime]", "datetime")
            or _attribute(soup, "time[datetime]", "datetime")
            or _meta(soup, "date", "pubdate", "publishdate", "dc.date.issued", "dc.date")
            or _text(metadata.get("dateCreated")))
    byline = (_meta(soup, "author", "article:author", "byl") or _names(metadata.get("author"))
              or _first_text(soup, "[rel=author]") or _first_text(soup, ".byline"))
    url = (_link(soup, "canonical") or _meta(soup, "og:url") or _text(metadata.get("url"))
           or _text(metadata.get("@id")))
    site = _meta(soup, "og:site_name") or _names(metadata.get("publisher"))
    topics = [*_meta_all(soup, "article:section"), *_meta_all(soup, "article:tag"),
              *_strings(metadata.get("articleSection")), *_keywords(metadata.get("keywords")),
              *_keywords(_meta(soup, "news_keywords", "keywords"))]
    places = _strings(_place_names(metadata.get("contentLocation")))
    paragraphs = _story(soup, [headline, byline, f"By {byline}"])
    if not headline and not paragraphs:
        yield Rejection(source.path, "", "no article in this page (no headline, no text)")
        return
    host = (urlsplit(url).hostname or "") if url.startswith(("http://", "https://")) else ""
    host = host.removeprefix("www.")
    agency = provenance.known_agency(site) or provenance.known_agency(host)
    collection = agency.collection if agency else (host or COLLECTION)
    display = source.source or (agency.source if agency else site or host)
    yield RawRecord(
        collection=collection,
        native_id=url or provenance.file_id(source),
        source=display,
        headline=headline,
        body="\n\n".join(paragraphs),
        date=date or None,
        places=tuple(dict.fromkeys(places)),
        topics=tuple(dict.fromkeys(topic for topic in topics if topic)),
        byline=byline,
        path=source.path,
        position="",
        attributes={"format": name, "url": url},
        id_from_file=not url,
    )


def _declared_encoding(data: bytes) -> str | None:
    match = _XML_ENCODING.match(data[:512]) or _CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def _story(soup, repeated: list[str]) -> list[str]:
    """Paragraphs of the story: the `<article>` with the most text (else the page's main
    content), clutter removed, and no paragraph that only repeats the headline, the
    byline or a time stamp."""
    repeated = repeated + [tag.get_text(" ") for tag in soup.find_all("time")]
    for tag in soup(DROPPED_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed:  # inside a box removed a moment ago
            continue
        words = " ".join([*(tag.get("class") or []), tag.get("id") or "",
                          tag.get("role") or ""])
        if tag.name not in ("html", "body", "article", "main") and (
                _CLUTTER.search(words) or tag.get("aria-hidden") == "true"
                or tag.get("role") in ("navigation", "complementary", "banner",
                                       "contentinfo")):
            tag.decompose()
    candidates = (soup.find_all("article") or soup.select("[itemprop=articleBody]")
                  or soup.find_all("main") or soup.select("[role=main]") or
                  [soup.body or soup])
    container = max(candidates, key=lambda tag: len(tag.get_text(" ", strip=True)))
    paragraphs = markup.soup_paragraphs(container)
    skipped = {" ".join(text.split()).casefold() for text in repeated if text.strip()}
    return [paragraph for paragraph in paragraphs if paragraph.casefold() not in skipped]


def _meta(soup, *names: str) -> str:
    for wanted in names:
        for tag in soup.find_all("meta"):
            key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").lower()
            if key == wanted.lower() and (tag.get("content") or "").strip():
                return " ".join(tag["content"].split())
    return ""


def _meta_all(soup, wanted: str) -> list[str]:
    return [" ".join(tag["content"].split()) for tag in soup.find_all("meta")
            if (tag.get("property") or tag.get("name") or "").lower() == wanted
            and (tag.get("content") or "").strip()]


def _link(soup, rel: str) -> str:
    for tag in soup.find_all("link"):
        if rel in [value.lower() for value in tag.get("rel") or []] and tag.get("href"):
            return tag["href"].strip()
    return ""


def _first_text(soup, selector: str) -> str:
    found = soup.select_one(selector)
    return " ".join(found.get_text(" ").split()) if found else ""


def _attribute(soup, selector: str, *attributes: str) -> str:
    for tag in soup.select(selector):
        for attribute in attributes:
            if (tag.get(attribute) or "").strip():
                return tag[attribute].strip()
    return ""


def _json_ld(soup) -> dict:
    """The page's schema.org article object, when it has one."""
    for script in soup.find_all("script", type=re.compile("ld\\+json", re.I)):
        try:
            data = json.loads(script.string or "")
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            node = stack.pop(0)
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                kinds = node.get("@type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if any(kind in ARTICLE_TYPES for kind in kinds):
                    return node
                stack.extend(node.get("@graph") or [])
    return {}


def _text(value) -> str:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list) and value:
        return _text(value[0])
    return ""


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [text for element in value for text in _strings(element)]
    return []


def _names(value) -> str:
    """Names of schema.org people or organisations (a dict, a list, or a string)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return _text(value.get("name"))
    if isinstance(value, list):
        return ", ".join(found for found in (_names(element) for element in value) if found)
    return ""


def _keywords(value) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return _strings(value)


def _place_names(value) -> list[str]:
    """Countries of schema.org places: `address.addressCountry`, else the place name."""
    places = value if isinstance(value, list) else [value]
    found: list[str] = []
    for place in places:
        if isinstance(place, str):
            found.append(place)
        elif isinstance(place, dict):
            address = place.get("address")
            country = address.get("addressCountry") if isinstance(address, dict) else None
            found.append(_names(country) or _text(place.get("name")))
    return [place for place in found if place]
