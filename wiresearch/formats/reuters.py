"""Reuters-21578 SGML: `<REUTERS NEWID="n">` records, 1,000 to a file.

The files are SGML, not XML (control-character references, a stray `>` after `&lt;`), so
each record is cut out with a pattern and parsed on its own with BeautifulSoup's
tolerant HTML parser: a broken record costs only itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import RawRecord, Rejection
from .base import SourceFile, decode

name = "reuters-sgml"
COLLECTION = "reuters21578"
SOURCE = "Reuters"

_RECORD = re.compile(r"<REUTERS\b[^>]*>.*?(?:</REUTERS>|(?=<REUTERS\b)|\Z)", re.S | re.I)


def sniff(source: SourceFile, text_head: str) -> bool:
    return re.search(r"<REUTERS\b", text_head, re.I) is not None


def read(source: SourceFile) -> Iterator[RawRecord | Rejection]:
    decoded = decode(source.data)
    if decoded.guessed:
        yield Rejection(source.path, "", f"not UTF-8; decoded as {decoded.encoding} (detected)",
                        severity="warning")
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


def _list(element, tag: str) -> tuple[str, ...]:
    found = element.find(tag)
    if found is None:
        return ()
    return tuple(d.get_text().strip() for d in found.find_all("d") if d.get_text().strip())


def _parse_record(chunk: str, source: SourceFile, position: str) -> RawRecord:
    from bs4 import BeautifulSoup

    record = BeautifulSoup(chunk, "html.parser").find("reuters")
    if record is None:
        raise ValueError("unreadable record")
    newid = (record.get("newid") or "").strip()
    if not newid.isdigit():
        raise ValueError("record has no NEWID")
    text = record.find("text")
    headline = body = dateline = ""
    if text is not None:
        title, body_el, dateline_el = text.find("title"), text.find("body"), text.find("dateline")
        headline = title.get_text() if title else ""
        dateline = dateline_el.get_text() if dateline_el else ""
        if body_el is not None:
            body = body_el.get_text()
        elif (text.get("type") or "").upper() == "UNPROC":
            # Unprocessed tables: the whole text is the story.
            body = text.get_text()
    date = record.find("date")
    return RawRecord(
        collection=COLLECTION,
        native_id=newid,
        source=source.source or SOURCE,
        headline=headline,
        body=body,
        dateline=dateline,
        date=date.get_text() if date else None,
        places=_list(record, "places"),
        topics=_list(record, "topics"),
        path=source.path,
        position=position,
        attributes={key: str(value) for key, value in record.attrs.items()},
    )
