"""ninjs (IPTC News in JSON, 1.x and 2.x): one item per object, or a list or envelope of
them (`{"item": [...]}`), or one per line. Recognised by ninjs's own keys
(`versioncreated`, `pubstatus`, `body_html`...), so plain JSON exports go to the json reader.

Ids are `<publisher>:<uri or guid>` with the publisher from `source` or `copyrightholder`
(`aap:urn:newsml:localhost:…`), `ninjs:<uri or guid>` when the item names none.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping

from ..model import RawRecord, Rejection
from . import jsonl, provenance, xmldoc
from .base import SourceFile

name = "ninjs"

# Keys only ninjs uses; two of them (or a ninjs schema) make a file ninjs.
NINJS_KEYS = ("versioncreated", "firstcreated", "contentcreated", "pubstatus", "body_html",
              "body_text", "body_xhtml", "headlines", "bodies", "renditions", "associations",
              "copyrightholder", "copyrightnotice", "usageterms", "embargoed", "ednote",
              "representationtype", "description_text")
_KEY = re.compile(r'"(' + "|".join(NINJS_KEYS) + r')"\s*:')
_SCHEMA = re.compile(r'"(?:\$schema|profile)"\s*:\s*"[^"]*ninjs', re.I)
SNIFF_BYTES = 65536

# The story's date: first created, else content created, else this version.
DATES = ("firstcreated", "contentcreated", "versioncreated")
# Item types that hold no story text.
NOT_TEXT = ("picture", "video", "audio", "graphic")


def sniff(source: SourceFile, text_head: str) -> bool:
    if source.field_map:
        return False  # a field mapping says the file is a generic export
    if not jsonl.sniff(source, text_head):
        return False
    head = xmldoc.head_text(source.data, SNIFF_BYTES)  # UTF-16 with its mark too
    return bool(_SCHEMA.search(head)) or len(set(_KEY.findall(head))) >= 2


def read(source: SourceFile) -> Iterator[RawRecord | Rejection]:
    for item in jsonl.records(source):
        if isinstance(item, Rejection):
            yield item
            continue
        position, number, value = item
        kind = str(value.get("type") or "").lower()
        if kind in NOT_TEXT:
            yield Rejection(source.path, position or f"item {number}",
                            f"not a text item ({kind}): skipped", severity="warning")
            continue
        try:
            yield _record(value, source, position, number)
        except Exception as error:  # an odd item costs only itself
            yield Rejection(source.path, position or f"item {number}",
                            f"unreadable item: {error!r}")


def _text(value) -> str:
    found = jsonl.strings(value)
    return found[0].strip() if found else ""


def _headline(item: Mapping) -> str:
    if _text(item.get("headline")):
        return _text(item.get("headline"))
    headlines = [entry for entry in item.get("headlines") or [] if isinstance(entry, Mapping)]
    main = [entry for entry in headlines if entry.get("role") in (None, "", "main")]
    for entry in main + headlines:
        if _text(entry.get("value")):
            return _text(entry.get("value"))
    return ""


def _body(item: Mapping) -> tuple[str, bool]:
    """The story text and whether it is HTML; HTML is preferred for its paragraphs."""
    for key in ("body_html", "body_xhtml"):
        if _text(item.get(key)):
            return str(item[key]), True
    if _text(item.get("body_text")):
        return str(item["body_text"]), False
    bodies = [entry for entry in item.get("bodies") or [] if isinstance(entry, Mapping)]
    ranked = sorted(bodies, key=lambda entry: "html" not in str(entry.get("contenttype", "")))
    for entry in ranked:
        if _text(entry.get("value")):
            return str(entry["value"]), "html" in str(entry.get("contenttype", ""))
    return "", False


def _concepts(item: Mapping, *keys: str) -> list[str]:
    found: list[str] = []
    for key in keys:
        for entry in item.get(key) or []:
            if isinstance(entry, Mapping):
                found.extend(jsonl.strings({k: entry.get(k) for k in ("name", "code", "qcode")}))
            else:
                found.extend(jsonl.strings(entry))
    return list(dict.fromkeys(found))


def _byline(item: Mapping) -> str:
    if _text(item.get("byline")):
        return _text(item.get("byline"))
    if isinstance(item.get("by"), str) and item["by"].strip():  # ninjs 2: the byline
        return item["by"].strip()
    people = item.get("authors") or item.get("by") or []
    return ", ".join(_text(person.get("name")) if isinstance(person, Mapping) else _text(person)
                     for person in people if person) if isinstance(people, list) else ""


def _record(item: Mapping, source: SourceFile, position: str, number: int) -> RawRecord:
    infosources = [entry.get("name") for entry in item.get("infosources") or []
                   if isinstance(entry, Mapping)]
    found = provenance.publisher(_text(item.get("source")), _text(item.get("copyrightholder")),
                                 *[_text(entry) for entry in infosources], fallback=name)
    publisher = provenance.resolve(source, found, name)
    stated = _text(item.get("uri")) or _text(item.get("guid")) or _text(item.get("id"))
    native_id = stated or f"{provenance.file_id(source)}/{number}"
    headline = _headline(item)
    body, is_markup = _body(item)
    byline = _byline(item)
    if is_markup:
        headline, byline = html.escape(headline), html.escape(byline)
    return RawRecord(
        collection=publisher.collection,
        native_id=native_id,
        source=publisher.source,
        headline=headline,
        body=body,
        dateline=_text(item.get("located")),
        date=next((_text(item.get(key)) for key in DATES if _text(item.get(key))), None),
        places=tuple(_concepts(item, "place", "places")),
        topics=tuple(_concepts(item, "subject", "subjects")),
        byline=byline,
        path=source.path,
        position=position,
        attributes={"format": name},
        markup=is_markup,
        id_from_file=not stated,
    )
