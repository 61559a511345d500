"""ANPA 1312, the wire transmission format of AP and other agencies: control codes (SYN,
SOH, STX, ETX, EOT...) around a two-line header, `^`-marked header lines (keyword, headline,
notes, byline), tab-indented paragraphs, and a trailer with the filing time.

Ids are `<agency>:<YYYYMMDD>-<service><message number>` (`ap:20131113-W2870`); the agency
comes from the trailer (`AP-WF-11-13-13 1509GMT`). Message numbers restart every few
thousand messages, so the trailer's day makes them unique; without a trailer the file
name stands in for the day, and the collection is `anpa`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..dates import utc_offset
from ..model import RawRecord, Rejection
from . import provenance
from .base import SourceFile, decode, detection_warnings

name = "anpa"
COLLECTION = "anpa"
SUFFIXES = (".anpa", ".tst", ".ap")

SYN, SOH, STX, ETX, EOT = "\x16", "\x01", "\x02", "\x03", "\x04"
# Tab line indicator (starts a table row) and space band (a fixed space) in agate tables.
TLI, SPACE_BAND = "\x08", "\x10"
# Format identifier of the second header line: DC2 marks tabular (preformatted) copy.
TABULAR = "\x12"

# "W2870<US>asian": service level, message number, selector codes.
_HEADER_1 = re.compile(r"^\s*(?P<service>[A-Za-z]?)(?P<number>\d{4})(?:\x1f(?P<selectors>[^\n]*))?")
# "f l<DC3><DC1> BC-LT--Argentina-CancerB     11-13 1049": priority, category, format,
# keyword, month-day, word count.
_HEADER_2 = re.compile(r"^(?P<priority>[A-Za-z]) (?P<category>[A-Za-z])(?P<format>[\x11-\x14]*)"
                       r"\s*(?P<keyword>.*?)\s+(?P<month>\d{1,2})-(?P<day>\d{1,2})"
                       r"(?:\s+(?P<words>\d{0,4}))?\s*$")
# "BC-LT--Argentina-Cancer Beauty,466": cycle, desk code, slug.
_KEYWORD = re.compile(r"^(?:[A-Z]{2})-(?P<desk>[A-Za-z]{1,4})--?(?P<slug>\S.*?)(?:,\s*\d+)?\s*$")
# "AP-WF-11-13-13 1509GMT": agency, circuit, MM-DD-YY, HHMM and zone.
_TRAILER = re.compile(r"(?P<agency>[A-Z][A-Za-z]{1,7})-(?P<circuit>[A-Za-z0-9]{1,6})-"
                      r"(?P<month>\d{2})-(?P<day>\d{2})-(?P<year>\d{2})\s+(?P<hour>\d{2})"
                      r"(?P<minute>\d{2})\s*(?P<zone>[A-Z]{1,4})?")
# "BUENOS AIRES, Argentina (AP) _ For cancer patients": the dateline before the credit.
_DATELINE = re.compile(r"^(?P<place>[A-Z][A-Z.'’ -]*[A-Z.](?:,\s*[A-Z][\w.'’ -]*?)?)\s*"
                       r"\((?P<credit>[A-Za-z]{2,10})\)\s*(?:_|-|—|–)")
_QUAD = re.compile(r"\s*[<=]+\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NOTES = re.compile(r"^(?:AP Photos?\b|Eds?:|EDITOR'?S NOTE|With AP Photo|Photos?\b|"
                    r"Graphic\b|Video\b|Audio\b|Moving on\b|Embargoed\b)", re.I)


def sniff(source: SourceFile, text_head: str) -> bool:
    head = source.data[:64].lstrip(b"\x16\r\n ")
    if head.startswith(b"\x01") and b"\x02" in source.data[:8192]:
        return True
    # Captures that lost the leading SYN/SOH still carry STX ... ETX.
    return (source.name.lower().endswith(SUFFIXES) and b"\x02" in source.data[:8192]
            and b"\x03" in source.data)


def read(source: SourceFile) -> Iterator[RawRecord | Rejection]:
    decoded = decode(source.data)
    yield from detection_warnings(source, decoded, "ASCII or UTF-8")
    messages = _messages(decoded.text)
    for number, message in enumerate(messages, start=1):
        position = f"message {number}" if len(messages) > 1 else ""
        try:
            yield _record(message, source, position, number)
        except ValueError as error:
            yield Rejection(source.path, position or "message 1", str(error))
        except Exception as error:  # an odd message costs only itself
            yield Rejection(source.path, position or "message 1",
                            f"unreadable ANPA message: {error!r}")


def _messages(text: str) -> list[str]:
    """One text per transmission: from SOH (or the start) to EOT, SYNs dropped."""
    parts = [part for part in re.split(r"\x04", text) if part.strip(SYN + " \r\n\x0c")]
    messages: list[str] = []
    for part in parts:
        chunks = part.split(SOH)
        # Text before the first SOH is line noise unless the capture lost the SOH.
        lead, rest = chunks[0], chunks[1:]
        if lead.strip(SYN + " \r\n\x0c") and not rest:
            messages.append(lead)
        messages.extend(chunk for chunk in rest if chunk.strip())
    return messages


def _clean(line: str) -> str:
    """A line without ANPA's control and typesetting codes."""
    line = line.replace(SPACE_BAND, "").replace("\r", "")
    line = _CONTROL.sub("", line).lstrip("^").strip()
    return _QUAD.sub("", line).strip()


def _typeset(text: str) -> str:
    """AP's TTS conventions as ordinary characters: `` and '' quotes, _ for a dash."""
    return text.replace("``", '"').replace("''", '"').replace(" _ ", " — ")


def _record(message: str, source: SourceFile, position: str, number: int) -> RawRecord:
    header, stx, rest = message.partition(STX)
    if not stx:
        raise ValueError("no start of text (STX): not an ANPA message")
    story, _etx, trailer = rest.partition(ETX)
    header_lines = [line for line in header.lstrip(SYN).splitlines() if line.strip()]
    first = _HEADER_1.match(header_lines[0]) if header_lines else None
    second = next((match for line in header_lines[1:] if (match := _HEADER_2.match(
        line.replace("\r", "")))), None)
    tabular = bool(second and TABULAR in second.group("format"))

    lines = story.split("\n")
    marked = [(_clean(line), line) for line in lines]
    # Header lines start with ^ (after an optional control code); the story proper
    # starts at the first tab-indented line, or at the first line that is neither.
    headers: list[str] = []
    body_start = len(lines)
    for index, (clean, raw) in enumerate(marked):
        stripped = raw.lstrip("\x00\x01\x02\x08\x10")
        if stripped.startswith("\t") or (tabular and raw.startswith(TLI)):
            body_start = index
            break
        if stripped.startswith("^") and clean:
            headers.append(clean)
        elif clean:
            body_start = index
            break

    keyword = _KEYWORD.match(headers[0]) if headers else None
    informative = headers[1:] if keyword else headers
    headline = next((line for line in informative
                     if not _NOTES.match(line) and not line.lower().startswith("by ")), "")
    byline_index = next((index for index, line in enumerate(informative)
                         if line.lower().startswith("by ")), None)
    byline = informative[byline_index] if byline_index is not None else ""

    paragraphs = [_clean(raw) for raw in lines[body_start:]]
    if tabular:
        # Agate tables: the lines after the byline are part of the table too.
        extra = informative[(byline_index + 1) if byline_index is not None else 1:]
        paragraphs = extra + [line.replace(";", " ").replace("{", "½") for line in paragraphs]
    # In tables "_" is an empty cell, not a dash.
    paragraphs = [line if tabular else _typeset(line) for line in paragraphs
                  if line and not re.fullmatch(r"[_=\-\s]+", line)]
    if not paragraphs:
        paragraphs = [line for line in informative if line != headline and line != byline]

    dateline = _DATELINE.match(paragraphs[0]) if paragraphs else None
    stamp = _TRAILER.search(_CONTROL.sub(" ", trailer)) or _TRAILER.search(
        _CONTROL.sub(" ", story[-200:]))
    agency = stamp.group("agency") if stamp else (dateline.group("credit") if dateline else "")
    found = provenance.known_agency(agency) or provenance.publisher(agency, fallback=name)
    publisher = provenance.resolve(source, found, COLLECTION)

    service = (first.group("service") + first.group("number")) if first else ""
    day = "".join(_date(stamp)[:10].split("-")) if stamp else ""
    from_file = not (day and service)
    if not from_file:
        native_id = f"{day}-{service}"
    else:
        native_id = provenance.file_id(source) + (f"/{service or number}" if position else "")
    places = ()
    if dateline and "," in dateline.group("place"):
        country = dateline.group("place").rsplit(",", 1)[1].strip()
        # "Ga." and "Pa." are US states, not Gabon and Panama: only full names count.
        if len(country) > 3 and not country.endswith("."):
            places = (country,)
    return RawRecord(
        collection=publisher.collection,
        native_id=native_id,
        source=publisher.source,
        headline=_typeset(headline or (keyword.group("slug") if keyword else "")),
        body="\n\n".join(paragraphs),
        dateline=dateline.group("place") if dateline else "",
        date=_date(stamp) if stamp else None,
        places=places,
        topics=(keyword.group("desk").lower(),) if keyword else (),
        byline=byline,
        path=source.path,
        position=position,
        attributes={
            "format": name,
            "message": service,
            "priority": second.group("priority") if second else "",
            "category": second.group("category") if second else "",
            "keyword": second.group("keyword").strip() if second else "",
            "slug": keyword.group("slug") if keyword else "",
            "selectors": (first.group("selectors") or "").strip() if first else "",
        },
        id_from_file=from_file,
    )


def _date(stamp: re.Match) -> str:
    """The trailer's filing time as ISO 8601 (two-digit years: 70-99 are 19xx)."""
    year = int(stamp.group("year"))
    year += 1900 if year >= 70 else 2000
    zone = utc_offset(stamp.group("zone") or "") or ""
    return (f"{year:04d}-{stamp.group('month')}-{stamp.group('day')}T{stamp.group('hour')}:"
            f"{stamp.group('minute')}:00{zone}")
