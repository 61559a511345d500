"""What every reader shares: the file it is given, the protocol it follows, and how
bytes become text when the file does not say its encoding."""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

from ..model import RawRecord, Rejection


@dataclass(frozen=True)
class SourceFile:
    """One input file's bytes. `path` is what reports and ids show; for a member of a
    bundle it names both (`day.zip!ap/0001.xml`)."""

    path: str
    data: bytes
    # A publisher name from the configuration, overriding the reader's own.
    source: str | None = None
    # For JSON exports that name fields their own way: our field -> their key
    # (`{"headline": "title", "date": "published_at"}`), from the configuration.
    field_map: Mapping[str, str] | None = None

    @property
    def name(self) -> str:
        return PurePosixPath(self.path.replace("\\", "/").split("!")[-1]).name

    @property
    def parts(self) -> tuple[str, ...]:
        """Folder names and file name, innermost last (bundle members included)."""
        return path_parts(self.path)


def path_parts(path: str) -> tuple[str, ...]:
    """The folder names and file name of a path as readers name things, innermost last:
    a bundle member's (`day.zip!ap/1.xml`) go on from its bundle's."""
    return tuple(part for part in path.replace("\\", "/").replace("!", "/").split("/") if part)


class Reader(Protocol):
    name: str

    def sniff(self, source: SourceFile, text_head: str) -> bool:
        """True when the file is in this reader's format (by content, then by name)."""

    def read(self, source: SourceFile) -> Iterator[RawRecord | Rejection]:
        """Every record of the file, or a Rejection for each part that cannot be read."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    # True when the encoding was detected rather than declared or plain UTF-8.
    guessed: bool


def decode(data: bytes, declared: str | None = None) -> Decoded:
    """Text of `data`: the declared encoding when it works (see readings_of for Latin-1
    and ASCII), then UTF-8, then detection. Never fails: a file is never dropped for its
    encoding."""
    if declared:
        for encoding in readings_of(declared):
            try:
                return Decoded(data.decode(encoding), encoding.lower(), False)
            except (LookupError, UnicodeDecodeError):
                pass
    try:
        return Decoded(data.decode("utf-8-sig"), "utf-8", False)
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is not None and best.encoding:
        encoding = best.encoding
        # Western wires are Windows-1252 far more often than anything else, and the
        # detector cannot tell it from its neighbours on a few accents (Spanish comes out
        # cp1250, a lone "£" Shift-JIS, "Zürich" a DOS code page): prefer it whenever it
        # reads the bytes about as cleanly and coherently as the winner.
        western = next((match for match in results if match.encoding in WESTERN), None)
        if western is None:
            western = from_bytes(data, cp_isolation=["cp1252"]).best()
        if (western is not None and western.chaos <= best.chaos + 0.1
                and western.coherence >= best.coherence - 0.2):
            encoding = western.encoding
        return Decoded(data.decode(encoding, errors="replace"), encoding, True)
    return Decoded(data.decode("cp1252", errors="replace"), "cp1252", True)


def detection_warnings(source: SourceFile, decoded: Decoded, expected: str = "UTF-8"
                       ) -> list[Rejection]:
    """A reader's warning when `decoded` had its encoding detected, the text being
    neither declared nor `expected`."""
    if not decoded.guessed:
        return []
    return [Rejection(source.path, "", f"not {expected}; decoded as {decoded.encoding} "
                      "(detected)", severity="warning")]


def readings_of(declared: str) -> tuple[str, ...]:
    """The encodings to try, in order, for a file that declares `declared`. A label of
    ISO-8859-1 (Latin-1) or US-ASCII is seldom true of the bytes: UTF-8 when they are
    valid UTF-8 (which Windows-1252 text almost never is), else Windows-1252, as web
    browsers read such labels (the WHATWG Encoding Standard): Latin-1 would read its
    curly quotes, dashes and euro sign as invisible control characters, and the two
    read every other byte alike."""
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return (declared,)
    if name in ("iso8859-1", "ascii"):
        return ("utf-8", "cp1252", declared)
    return (declared,)


# charset-normalizer's names for Windows-1252 and Latin-1, which read ASCII with a few
# accents identically.
WESTERN = ("cp1252", "latin_1", "iso8859_15")


def looks_binary(data: bytes) -> bool:
    """NUL bytes or mostly non-text bytes in the first 8 KiB."""
    head = data[:8192]
    if b"\x00" in head:
        # UTF-16 text has NULs too; it starts with a byte-order mark, or (XML, which may
        # leave the mark out) with "<?" in UTF-16.
        return not head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00?\x00", b"\x00<\x00?"))
    if not head:
        return False
    text_bytes = bytes(range(32, 127)) + b"\n\r\t\f\b\x1b" + bytes(range(128, 256))
    non_text = len(head.translate(None, text_bytes))
    return non_text / len(head) > 0.30
