"""Who published a record and which id it gets: agency names as files write them
(`afp.com`, `nprov:REUTERS`, `Agencia EFE`) to the name people use and a collection name.

Ids are `<collection>:<native id>`. The collection is the publisher when the file states
one (`aap`, `efe`, `reuters`), else the format (`nitf`, `ninjs`...), so an id says where a
story came from without depending on where the file sits on disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from .base import SourceFile


@dataclass(frozen=True)
class Publisher:
    collection: str
    source: str


# Collection name -> (display name, other spellings). Spellings are folded (see _fold).
AGENCIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "aap": ("AAP", ("australian associated press", "aap com au")),
    "ap": ("AP", ("associated press", "the associated press", "ap org", "apnews com")),
    "afp": ("AFP", ("agence france presse", "agence france-presse", "afp com")),
    "ansa": ("ANSA", ("ansa it", "agenzia ansa")),
    "efe": ("EFE", ("agencia efe", "efe com")),
    "ntb": ("NTB", ("norsk telegrambyra", "ntb no")),
    "reuters": ("Reuters", ("reuters com", "thomson reuters", "thomsonreuters com")),
    "dpa": ("dpa", ("deutsche presse agentur", "dpa de")),
    "upi": ("UPI", ("united press international", "upi com")),
    "pa": ("PA", ("press association", "pa media")),
    "cp": ("The Canadian Press", ("canadian press", "the canadian press")),
    "tt": ("TT", ("tt nyhetsbyran", "tt se")),
    "xinhua": ("Xinhua", ("xinhua news agency", "xinhuanet com")),
    "kyodo": ("Kyodo", ("kyodo news",)),
    "bloomberg": ("Bloomberg", ("bloomberg news", "bloomberg com")),
    "tass": ("TASS", ("itar tass", "tass ru")),
    "anp": ("ANP", ("algemeen nederlands persbureau",)),
    "belga": ("Belga", ("belga be",)),
    "apa": ("APA", ("austria presse agentur",)),
    "sda": ("Keystone-SDA", ("keystone sda", "schweizerische depeschenagentur")),
    "bbc": ("BBC", ("bbc news", "bbc co uk", "british broadcasting corporation")),
}

_SPELLINGS = {spelling: key for key, (display, others) in AGENCIES.items()
              for spelling in (key, display.lower(), *others)}


def _fold(text: str) -> str:
    # "nprov:REUTERS" and "afp.com" name the agency after a scheme or before a domain.
    text = re.sub(r"^[a-z][a-z0-9+.-]*:(?://)?", "", text.strip().lower())
    text = re.sub(r"^www\.", "", text)
    text = text.replace("å", "a").replace("ø", "o").replace("æ", "ae")
    return " ".join(re.split(r"[^a-z0-9]+", text)).strip()


def slug(text: str) -> str:
    """A collection name made from free text: lower case, words joined by hyphens."""
    return "-".join(re.split(r"[^a-z0-9]+", text.lower())).strip("-")


def publisher(*names: str | None, fallback: str) -> Publisher | None:
    """The first name that means something: a known agency by any spelling, else the
    first non-empty name as written. None when every name is empty."""
    written = [name.strip() for name in names if name and name.strip()]
    for name in written:
        key = _SPELLINGS.get(_fold(name))
        if key is not None:
            return Publisher(key, AGENCIES[key][0])
    for name in written:
        collection = slug(_fold(name)) or fallback
        return Publisher(collection, name)
    return None


def known_agency(name: str | None) -> Publisher | None:
    """The agency `name` spells, or None when it is not one we know."""
    if not name:
        return None
    key = _SPELLINGS.get(_fold(name))
    return Publisher(key, AGENCIES[key][0]) if key else None


def resolve(source: SourceFile, found: Publisher | None, format_name: str) -> Publisher:
    """The collection from the file (or the format), the display name from the
    configuration when it gives one."""
    collection = found.collection if found else format_name
    display = source.source or (found.source if found else "")
    return Publisher(collection, display)


def file_id(source: SourceFile) -> str:
    """A native id for a file that states none: its name without the extension, the
    same whether the file is read on its own or from a bundle."""
    return PurePosixPath(source.name).stem or source.name


_CREDIT = re.compile(r"\s*\((?:[A-Z][\w.&' -]{0,30})\)\s*[-_\u2013\u2014.]*.*$", re.S)


def without_credit(dateline: str) -> str:
    """A dateline without the agency credit and what follows it:
    `STOCKHOLM, Aug 29, 2014 (AFP) -` -> `STOCKHOLM, Aug 29, 2014`."""
    return _CREDIT.sub("", dateline or "").strip()
