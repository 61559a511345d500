"""CountryWire (CountryWatch, Inc.) plain text: a `Country Wire` banner, a digest
headline, `<region>: <country>` lines, then one or more stories and a copyright footer.

The file gives no publication date (the footer's copyright year is not one), so the
date stays empty. A story starts at a block that repeats one of the digest's headlines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from ..model import RawRecord, Rejection
from .base import SourceFile, decode, detection_warnings

name = "countrywire"
COLLECTION = "countrywire"
SOURCE = "CountryWatch"

_BANNER = re.compile(r"^\s*Country\s*Wire\s*$", re.I | re.M)
# "Americas: United States", "Europe / Asia: Russia"
_REGION_LINE = re.compile(r"^[A-Z][A-Za-z .]*(?:\s*/\s*[A-Z][A-Za-z .]*)*:\s*(\S.*)$")


def sniff(source: SourceFile, text_head: str) -> bool:
    first = text_head.lstrip("\ufeff").lstrip().split("\n", 1)[0]
    return _BANNER.match(first) is not None


def _blocks(text: str) -> list[str]:
    blocks, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def read(source: SourceFile) -> Iterator[RawRecord | Rejection]:
    decoded = decode(source.data)
    yield from detection_warnings(source, decoded)
    blocks = _blocks(decoded.text)
    if not blocks or not _BANNER.match(blocks[0].strip()):
        yield Rejection(source.path, "line 1", "no 'Country Wire' banner")
        return
    blocks = blocks[1:]
    if not blocks:
        yield Rejection(source.path, "", "no story after the banner")
        return
    digest = blocks.pop(0)
    headlines = {_key(part) for part in digest.split(";") if part.strip()}
    places: list[str] = []
    # Region blocks end where a story starts: a headline may hold a colon too
    # ("Venezuela: Maduro tightens grip").
    while (blocks and _key(blocks[0]) not in headlines
           and _REGION_LINE.match(blocks[0].strip())):
        for line in blocks.pop(0).splitlines():
            match = _REGION_LINE.match(line.strip())
            if match:
                places.extend(part.strip() for part in match.group(1).split(","))
    stories: list[tuple[str, list[str]]] = []
    for block in blocks:
        if _key(block) in headlines or not stories:
            stories.append((block, []))
        else:
            stories[-1][1].append(block)
    stem = PurePosixPath(source.name).stem
    for number, (headline, paragraphs) in enumerate(stories, start=1):
        yield RawRecord(
            collection=COLLECTION,
            native_id=stem if number == 1 else f"{stem}/{number}",
            source=source.source or SOURCE,
            headline=headline,
            body="\n\n".join(paragraphs),
            places=tuple(places),
            path=source.path,
            position=f"story {number}",
            id_from_file=True,
        )
