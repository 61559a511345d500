"""Plain text with the headline on the first line, a blank line, then the body: the BBC
News layout. The folder holding the file is its section (the topic) and the folder
above that names the collection: `bbc/business/001.txt` is `bbc:business/001`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from ..model import RawRecord, Rejection
from .base import SourceFile, decode, detection_warnings

name = "plaintext"

# Publisher names for collections whose folder name is not how people write them.
KNOWN_SOURCES = {"bbc": "BBC"}


MAX_HEADLINE = 300


def sniff(source: SourceFile, text_head: str) -> bool:
    """A short first line, then a blank line."""
    lines = text_head.lstrip("\ufeff\r\n \t").replace("\r\n", "\n").split("\n", 2)
    return (len(lines) >= 2 and 0 < len(lines[0].strip()) <= MAX_HEADLINE
            and not lines[1].strip())


def read(source: SourceFile) -> Iterator[RawRecord | Rejection]:
    decoded = decode(source.data)
    yield from detection_warnings(source, decoded)
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n").strip("\n \t")
    headline, _sep, body = text.partition("\n")
    parts = source.parts
    stem = PurePosixPath(parts[-1]).stem
    section = parts[-2] if len(parts) >= 2 else ""
    collection = (parts[-3] if len(parts) >= 3 else section or "text").lower()
    native_id = f"{section}/{stem}" if section else stem
    yield RawRecord(
        collection=collection,
        native_id=native_id,
        source=source.source or KNOWN_SOURCES.get(collection, collection),
        headline=headline,
        body=body,
        topics=(section,) if section else (),
        path=source.path,
        position="",
        id_from_file=True,
    )
