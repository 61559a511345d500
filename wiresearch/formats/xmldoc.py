"""XML wire documents: what their root element is (for detection), and parsing them
safely (no DTDs, no network, no entity expansion) in whatever encoding they declare.

A document that breaks part-way still gives the items that were complete before the
break, and a Rejection saying where it broke.
"""

from __future__ import annotations

import codecs
import html.entities
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from ..model import Rejection
from .base import SourceFile, decode, detection_warnings, readings_of
from .markup import localname

_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_PROLOG = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)", re.S | re.I)
_START = re.compile(r"<([A-Za-z_][\w.:-]*)([^>]*)>?", re.S)
_XMLNS = re.compile(r"""xmlns(?::([\w.-]+))?\s*=\s*["']([^"']*)["']""")
# An entity reference, or a CDATA section or comment, whose text is not markup (matched
# so that entities inside them are left alone).
_ENTITY = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->|&([A-Za-z][A-Za-z0-9]*);", re.S)
# Entities the document's own DTD subset declares: lxml keeps them, undefined or not.
_DECLARED_ENTITY = re.compile(rb"<!ENTITY\s+([A-Za-z][A-Za-z0-9]*)")
_DECLARED = re.compile(r"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])[^\"']*")
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}
# UTF-32 first: its little-endian mark starts with UTF-16's.
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_MARKS = tuple(bom for bom, _encoding in _BOMS)
# XML in UTF-16 may leave the mark out: its first characters, "<?", say which order.
_UNMARKED = ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"))


@dataclass(frozen=True)
class Root:
    name: str
    namespace: str


def head_text(data: bytes, size: int = 4096) -> str:
    """The start of a file as text, honouring a byte-order mark."""
    head = data[:size]
    for bom, encoding in (*_BOMS, *_UNMARKED):
        if head.startswith(bom):
            return head.decode(encoding, errors="ignore").lstrip("\ufeff")
    return head.decode("utf-8", errors="replace")


def root_of(data: bytes) -> Root | None:
    """The root element's local name and namespace, read from the first bytes only."""
    text = head_text(data)
    position = 0
    while True:
        match = _PROLOG.match(text, position)
        if not match or match.end() == position:
            break
        position = match.end()
    start = _START.match(text, position)
    if not start:
        return None
    qualified, attributes = start.group(1), start.group(2)
    prefix, _, name = qualified.rpartition(":")
    namespaces = {found.group(1) or "": found.group(2) for found in _XMLNS.finditer(attributes)}
    return Root(name, namespaces.get(prefix, ""))


def _declared_encoding(data: bytes) -> str | None:
    for bom, encoding in (*_BOMS, *_UNMARKED):
        if data.startswith(bom):
            return encoding
    match = _DECLARATION.match(data[:512])
    return match.group(1).decode("ascii") if match else None


def _replace_entities(data: bytes) -> tuple[bytes, list[str]]:
    """`&nbsp;` and friends are undefined in XML without the DTD (which is never loaded):
    the ones HTML knows become character references, any other (`&foo;`), which would
    stop the parser and lose the file, is kept as text. Returns the bytes and the
    names kept as text."""
    unknown: list[str] = []
    declared = set(_DECLARED_ENTITY.findall(data)) if b"<!ENTITY" in data else set()

    def replace(match: re.Match) -> bytes:
        name = match.group(1)
        if name is None or name in _XML_ENTITIES or name in declared:
            return match.group()
        code = html.entities.name2codepoint.get(name.decode("ascii"))
        if code is None:
            unknown.append(name.decode("ascii"))
            return b"&amp;" + match.group()[1:]
        return f"&#{code};".encode("ascii")

    return _ENTITY.sub(replace, data), unknown


def prepare(source: SourceFile) -> tuple[bytes, list[Rejection]]:
    """Bytes lxml can parse, and warnings: when the encoding had to be guessed, and for
    undefined entities kept as text. UTF-8 without a byte-order mark is passed as it is;
    anything else is read in the declared encoding (for Latin-1 and ASCII labels, see
    base.readings_of) when the bytes are valid in it, else UTF-8, else a detected one,
    and passed as UTF-8."""
    data = source.data
    declared = _declared_encoding(data)
    if (declared and declared.lower().startswith(("utf-16", "utf-32"))
            and not data.startswith(_MARKS)):
        return data, []  # declared without a byte-order mark: libxml2 reads it itself
    warnings = []
    if not (_is_utf_8(declared) and _valid_utf_8(data)):
        decoded = decode(data, declared)
        data = _DECLARED.sub(r"\1UTF-8", decoded.text, count=1).encode("utf-8")
        if declared and not decoded.guessed and decoded.encoding not in (
                name.lower() for name in readings_of(declared)):
            warnings.append(Rejection(source.path, "", f"not valid {declared}; decoded as "
                                      f"{decoded.encoding}", severity="warning"))
        warnings += detection_warnings(source, decoded, f"valid {declared or 'UTF-8'}")
    data, unknown = _replace_entities(data)
    if unknown:
        names = ", ".join(f"&{name};" for name in dict.fromkeys(unknown))
        warnings.append(Rejection(source.path, "", f"undefined entities kept as text: {names}",
                                  severity="warning"))
    return data, warnings


def _is_utf_8(declared: str | None) -> bool:
    try:
        return declared is None or codecs.lookup(declared).name == "utf-8"
    except LookupError:
        return False


def _valid_utf_8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def where(error: etree.XMLSyntaxError) -> str:
    line, column = error.position if error.position else (0, 0)
    return f"line {line}, column {column}" if line else ""


def items(source: SourceFile, names: Iterable[str]) -> Iterator[etree._Element | Rejection]:
    """The outermost elements named `names` (local names), in document order.

    A document that does not parse gives the elements completed before the error, then
    a Rejection with the line and column of the error."""
    wanted = frozenset(names)
    data, warnings = prepare(source)
    yield from warnings
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        yield from _salvage(source, data, wanted, error)
        return
    if root is None:
        yield Rejection(source.path, "", "empty XML document")
        return
    found = 0
    for element in _outermost(root, wanted):
        found += 1
        yield element
    if not found:
        yield Rejection(source.path, "", f"no {' or '.join(sorted(wanted))} element "
                        f"(root is <{localname(root)}>)")


def _outermost(root, wanted: frozenset[str]) -> Iterator[etree._Element]:
    if localname(root) in wanted:
        yield root
        return
    for child in root:
        if isinstance(child.tag, str):
            yield from _outermost(child, wanted)


_SALVAGE_PIECE = 64 * 1024


def _salvage(source: SourceFile, data: bytes, wanted: frozenset[str],
             error: etree.XMLSyntaxError) -> Iterator[etree._Element | Rejection]:
    complete = 0
    # A pull parser, because it hands over what it parsed before an error in the piece
    # it was fed (iterparse raises before giving the events of its last 32 KB read).
    parser = etree.XMLPullParser(events=("end",), resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False, remove_comments=True,
                                 remove_pis=True)
    for start in range(0, len(data), _SALVAGE_PIECE):
        try:
            parser.feed(data[start:start + _SALVAGE_PIECE])
            broken = False
        except etree.XMLSyntaxError:
            broken = True
        for _event, element in parser.read_events():
            if localname(element) in wanted and not any(
                    localname(parent) in wanted for parent in element.iterancestors()):
                complete += 1
                yield element
        if broken:
            break
    kept = f"; {complete} complete item(s) before it were read" if complete else ""
    message = error.msg or str(error)
    # lxml repeats the position in the message; the Rejection has it as its position.
    message = re.sub(r",? line \d+, column \d+$", "", message)
    yield Rejection(source.path, where(error), f"malformed XML: {message}{kept}")


def children(element, name: str) -> list:
    return [child for child in element if localname(child) == name]


def child(element, name: str):
    for found in element:
        if localname(found) == name:
            return found
    return None


def descendants(element, name: str) -> Iterator:
    for found in element.iter():
        if localname(found) == name and found is not element:
            yield found


def first(element, *path: str):
    """The first element along a path of local names (`first(item, "contentMeta",
    "headline")`), searching every match at each step."""
    current = [element]
    for name in path:
        current = [found for node in current for found in children(node, name)]
        if not current:
            return None
    return current[0]


def text(element) -> str:
    """All text inside an element, whitespace collapsed."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def attribute(element, *names: str) -> str:
    """The first non-empty attribute among `names` (local names, any namespace)."""
    if element is None:
        return ""
    by_local = {etree.QName(key).localname if key.startswith("{") else key: value
                for key, value in element.attrib.items()}
    for name in names:
        value = (by_local.get(name) or "").strip()
        if value:
            return value
    return ""
