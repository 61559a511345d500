"""JSON exports: one story per record, in a JSON array, a single object, an object
wrapping a list (`{"items": [...]}`), or JSON Lines (one object per line).

Fields are found under common key names (`headline`/`title`, `body`/`text`/`content`,
`date`/`published_at`...) or under the keys the configuration maps (`SourceFile.field_map`,
our field -> their key; a dotted key reaches into nested objects). Ids are
`<publisher>:<id field>` when the record names its publisher, else `json:<id field>`;
a record without an id uses `<file name>/<line or item number>`.
A broken line is a Rejection naming the line; the other lines are still read.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..model import RawRecord, Rejection
from . import markup, provenance
from .base import SourceFile, decode, detection_warnings

name = "json"
COLLECTION = "json"

# Our field -> the keys exports commonly use for it, most specific first (matched
# without regard to case).
DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    "headline": ("headline", "title", "hed", "heading"),
    "body": ("body", "text", "content", "content_text", "body_text", "article", "story",
             "full_text", "fulltext", "articlebody", "description", "summary"),
    "body_html": ("body_html", "content_html", "html", "body_xhtml"),
    "date": ("date", "published", "published_at", "publishedat", "pubdate", "pub_date",
             "datepublished", "date_published", "publication_date", "created", "created_at",
             "timestamp", "time", "datetime", "firstcreated", "versioncreated"),
    "id": ("id", "guid", "uri", "url", "uuid", "doc_id", "docid", "article_id"),
    "places": ("places", "countries", "country", "locations", "location", "place"),
    "topics": ("topics", "tags", "subjects", "subject", "categories", "category", "keywords",
               "section"),
    "source": ("source", "publisher", "agency", "provider", "site"),
    "byline": ("byline", "author", "authors", "by"),
    "dateline": ("dateline",),
}
FIELDS = tuple(DEFAULT_KEYS)
# Keys that tell a story from an envelope of stories.
_HEADLINE_KEYS = frozenset(("headline", "title", "headlines"))
_TEXT_KEYS = frozenset((*DEFAULT_KEYS["body"], *DEFAULT_KEYS["body_html"], "bodies"))
_STORY_KEYS = _HEADLINE_KEYS | _TEXT_KEYS
# Keys that hold the list of records when a document wraps them.
WRAPPERS = ("items", "item", "data", "articles", "results", "records", "docs", "documents",
            "stories", "hits", "entries")
# Keys of a concept object ({"code": "US", "name": "United States"}) worth keeping.
CONCEPT_KEYS = ("name", "code", "value", "label", "title", "qcode", "literal")

_LOOKS_JSON = re.compile(r'^\s*(?:\[\s*)?\{\s*(?:"|\})')
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".jsonlines")


def sniff(source: SourceFile, text_head: str) -> bool:
    head = text_head.lstrip("\ufeff")
    if _LOOKS_JSON.match(head):
        return True
    return source.name.lower().endswith(JSON_SUFFIXES) and head.lstrip()[:1] in ("{", "[")


def read(source: SourceFile) -> Iterator[RawRecord | Rejection]:
    for item in records(source):
        if isinstance(item, Rejection):
            yield item
            continue
        position, number, value = item
        try:
            yield from _record(value, source, position, number)
        except Exception as error:
            # An odd value (nested a thousand deep, say) costs only its record.
            yield Rejection(source.path, position, f"unreadable record: {error!r}")


# ---------------------------------------------------------------------------------------
# Records: the JSON values a file holds, whatever its layout.

def records(source: SourceFile) -> Iterator[tuple[str, int, dict] | Rejection]:
    """(position, number, object) for every record of a JSON or JSON Lines file, and a
    Rejection for every part that is not valid JSON or not an object."""
    decoded = decode(source.data)
    yield from detection_warnings(source, decoded)
    text = decoded.text.lstrip("\ufeff")
    if not text.strip():
        return
    if _is_json_lines(text):
        yield from _lines(source, text)
        return
    start = len(text) - len(text.lstrip())
    if text[start] == "[":
        yield from _array(source, text, start)
        return
    try:
        value, end = json.JSONDecoder().raw_decode(text, start)
    except (ValueError, RecursionError) as error:
        if _objects_alone(_split_lines(text)[:50]) >= 2:
            # JSON Lines whose first lines are broken: the rest are still stories.
            yield from _lines(source, text)
        else:
            yield _broken(source, text, error, "")
        return
    if text[end:].strip():
        line = text.count("\n", 0, end) + 1
        yield Rejection(source.path, f"line {line}", "extra data after the JSON document")
    yield from _unwrap(source, value)


def _split_lines(text: str) -> list[str]:
    # Only a line feed ends a JSON line: str.splitlines() also splits at U+2028, U+2029
    # and U+0085, which JSON strings may hold as they are (json.dumps(ensure_ascii=False)
    # writes them so). A carriage return before it is JSON whitespace.
    return text.split("\n")


def _objects_alone(lines: list[str]) -> int:
    """How many of `lines` are each a complete JSON object by itself."""
    found = 0
    for line in lines:
        if line.lstrip().startswith("{"):
            try:
                found += isinstance(json.loads(line), dict)
            except (ValueError, RecursionError):
                continue
    return found


def _is_json_lines(text: str) -> bool:
    """Two or more lines, one of the first two a complete JSON object by itself."""
    lines = [line for line in _split_lines(text)[:50] if line.strip()]
    return len(lines) >= 2 and _objects_alone(lines[:2]) > 0


def _lines(source: SourceFile, text: str) -> Iterator[tuple[str, int, dict] | Rejection]:
    for number, line in enumerate(_split_lines(text), start=1):
        if not line.strip():
            continue
        position = f"line {number}"
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as error:
            column = getattr(error, "colno", None)
            where = f" at column {column}" if column else ""
            yield Rejection(source.path, position,
                            f"broken JSON line: {_message(error)}{where}")
            continue
        if not isinstance(value, dict):
            yield Rejection(source.path, position, f"not a JSON object ({type(value).__name__})")
            continue
        yield position, number, value


def _array(source: SourceFile, text: str, start: int
           ) -> Iterator[tuple[str, int, dict] | Rejection]:
    """Elements of a top-level array one at a time, so a break costs only what follows."""
    decoder = json.JSONDecoder()
    index = _skip_space(text, start + 1)
    number = 0
    while index < len(text) and text[index] != "]":
        try:
            value, index = decoder.raw_decode(text, index)
        except (ValueError, RecursionError) as error:
            yield _broken(source, text, error, f"after item {number}" if number else "")
            return
        number += 1
        if isinstance(value, dict):
            yield f"item {number}", number, value
        else:
            yield Rejection(source.path, f"item {number}",
                            f"not a JSON object ({type(value).__name__})")
        index = _skip_space(text, index)
        if index < len(text) and text[index] == ",":
            index = _skip_space(text, index + 1)
        elif index < len(text) and text[index] != "]":
            line = text.count("\n", 0, index) + 1
            yield Rejection(source.path, f"line {line}", "broken JSON: expected ',' or ']'")
            return
    if index >= len(text):
        yield Rejection(source.path, f"line {text.count(chr(10)) + 1}",
                        "broken JSON: the array is never closed (truncated file?)")


def _unwrap(source: SourceFile, value: Any) -> Iterator[tuple[str, int, dict] | Rejection]:
    if not isinstance(value, dict):
        yield Rejection(source.path, "", f"not a JSON object or array ({type(value).__name__})")
        return
    wrapped = wrapped_list(value)
    if wrapped is None:
        yield "", 1, value
        return
    for number, element in enumerate(wrapped, start=1):
        if isinstance(element, dict):
            yield f"item {number}", number, element
        else:
            yield Rejection(source.path, f"item {number}",
                            f"not a JSON object ({type(element).__name__})")


def wrapped_list(value: dict) -> list | None:
    """The list of records an envelope object carries (`{"total": 1, "items": [...]}`),
    or None when the object is a record itself."""
    if _has_any(value, _TEXT_KEYS):
        return None  # a story with a text (and, say, a list of related items)
    lower = {key.lower(): key for key in value}
    for key in WRAPPERS:
        found = value.get(lower.get(key, key))
        if isinstance(found, list) and any(isinstance(element, dict) for element in found):
            # A feed may have a title of its own (JSON Feed: {"title": ..., "items":
            # [...]}); a headline-only story's list is not stories.
            if _has_any(value, _HEADLINE_KEYS) and not any(
                    isinstance(element, dict) and _has_any(element, _STORY_KEYS)
                    for element in found):
                return None
            return found
    return None


def _has_any(value: dict, keys: frozenset[str]) -> bool:
    return any(key.lower() in keys for key in value)


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _message(error: BaseException) -> str:
    if isinstance(error, json.JSONDecodeError):
        return error.msg
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error)


def _broken(source: SourceFile, text: str, error: BaseException, context: str) -> Rejection:
    if isinstance(error, json.JSONDecodeError):
        position = f"line {error.lineno}, column {error.colno}"
    else:
        position = context
    suffix = f" ({context})" if context and position != context else ""
    return Rejection(source.path, position, f"broken JSON: {_message(error)}{suffix}")


# ---------------------------------------------------------------------------------------
# Values: what a record's fields hold, as strings.

def lookup(record: Mapping, key: str) -> Any:
    """The value under `key`: the key itself (any case), else a dotted path into nested
    objects (`author.name`)."""
    if key in record:
        return record[key]
    lower = {str(name).lower(): name for name in record}
    if key.lower() in lower:
        return record[lower[key.lower()]]
    value: Any = record
    for part in key.split("."):
        if not isinstance(value, Mapping):
            return None
        matches = [name for name in value if str(name).lower() == part.lower()]
        if not matches:
            return None
        value = value[matches[0]]
    return value


def strings(value: Any) -> list[str]:
    """Every string a value holds: strings, numbers, lists, and the names and codes of
    concept objects (`{"code": "US", "name": "United States"}`)."""
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, (int, float)):
        return [str(value)]
    if isinstance(value, list):
        return [text for element in value for text in strings(element)]
    if isinstance(value, Mapping):
        return [text for key in CONCEPT_KEYS for text in strings(value.get(key))
                if not isinstance(value.get(key), (Mapping, list))]
    return []


def date_text(value: Any) -> str | None:
    """A date as text; numbers are Unix times (seconds, or milliseconds when large)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            seconds = value / 1000 if abs(value) > 1e11 else value
            moment = dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    found = strings(value)
    return found[0] if found else None


def _field(record: Mapping, field: str, field_map: Mapping[str, str] | None) -> Any:
    if field_map and field in field_map:
        return lookup(record, field_map[field])
    for key in DEFAULT_KEYS[field]:
        value = lookup(record, key)
        if value not in (None, "", [], {}):
            return value
    return None


def _record(value: dict, source: SourceFile, position: str, number: int
            ) -> Iterator[RawRecord | Rejection]:
    field_map = source.field_map or None
    headline = " ".join(strings(_field(value, "headline", field_map))[:1])
    body_html = "\n\n".join(strings(_field(value, "body_html", field_map)))
    body = "\n\n".join(strings(_field(value, "body", field_map)))
    is_markup = bool(body_html) or markup.looks_like_markup(body)
    if body_html:
        body = body_html
    if not headline.strip() and not body.strip():
        mapped = ", ".join(f"{field}={key}" for field, key in (field_map or {}).items())
        hint = (f"the mapping ({mapped}) finds nothing" if mapped else
                "set `fields` in the configuration to name its keys")
        yield Rejection(source.path, position or "record 1",
                        f"record has no headline or text: {hint}")
        return
    byline = ", ".join(strings(_field(value, "byline", field_map)))
    # Web exports write headlines as HTML text ("Trump&#8217;s visit &amp; more",
    # WordPress's title.rendered), whether or not the body is HTML.
    headline, byline = html.unescape(headline), html.unescape(byline)
    if is_markup:
        headline, byline = html.escape(headline), html.escape(byline)
    source_name = " ".join(strings(_field(value, "source", field_map))[:1])
    publisher = provenance.resolve(source, provenance.publisher(source_name, fallback=name),
                                   COLLECTION)
    native = strings(_field(value, "id", field_map))
    native_id = native[0].strip() if native else f"{provenance.file_id(source)}/{number}"
    yield RawRecord(
        collection=publisher.collection,
        native_id=native_id,
        source=publisher.source,
        headline=headline,
        body=body,
        dateline=" ".join(strings(_field(value, "dateline", field_map))[:1]),
        date=date_text(_field(value, "date", field_map)),
        places=tuple(dict.fromkeys(strings(_field(value, "places", field_map)))),
        topics=tuple(dict.fromkeys(strings(_field(value, "topics", field_map)))),
        byline=byline,
        path=source.path,
        position=position,
        attributes={"format": name},
        markup=is_markup,
        id_from_file=not native,
    )
