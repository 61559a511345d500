"""Bundles: `.gz`, `.zip`, `.tar` and `.tar.gz`/`.tgz` files read in place, recognised by
their magic bytes. Members are expanded in memory one at a time (never written to disk)
and handed back as SourceFiles named `bundle.zip!folder/member.xml`.

Limits keep a hostile or broken bundle from exhausting memory: expanded bytes per member
and in total (nested bundles share the total), members per bundle tree, and nesting
depth. Hitting one is reported as a Rejection naming the bundle and the member; members
that fit are still read, except after the total is spent.
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from ..model import Rejection
from .base import SourceFile

MAX_TOTAL_BYTES = 1024**3
MAX_MEMBER_BYTES = 512 * 1024**2
MAX_MEMBERS = 100_000
# A bundle inside a bundle inside a bundle is as deep as archives honestly go.
MAX_DEPTH = 3
CHUNK = 1024**2

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
TAR_MAGIC_OFFSET = 257


class LimitExceeded(Exception):
    """A bundle expands past one of the limits above."""


@dataclass
class Budget:
    """What is left to expand, shared by a bundle and every bundle nested in it."""

    bytes_left: int
    members_left: int


def new_budget() -> Budget:
    return Budget(MAX_TOTAL_BYTES, MAX_MEMBERS)


def kind(data: bytes) -> str | None:
    """`gzip`, `zip` or `tar` when the bytes start like one, else None."""
    if data.startswith(GZIP_MAGIC):
        return "gzip"
    if data.startswith(ZIP_MAGICS):
        return "zip"
    if _is_tar(data):
        return "tar"
    return None


def _is_tar(head: bytes) -> bool:
    return head[TAR_MAGIC_OFFSET:TAR_MAGIC_OFFSET + 5] == b"ustar"


def members(source: SourceFile, depth: int, budget: Budget
            ) -> Iterator[SourceFile | Rejection]:
    """The members of a bundle as SourceFiles (keeping the bundle's `source` and
    `field_map`), and a Rejection for each member or limit that stops reading."""
    if depth >= MAX_DEPTH:
        yield Rejection(source.path, "", f"bundle nested more than {MAX_DEPTH} deep: not opened")
        return
    found = kind(source.data)
    if found == "zip":
        yield from _zip(source, budget)
    elif found == "gzip":
        yield from _gzip(source, budget)
    elif found == "tar":
        yield from _tar(io.BytesIO(source.data), source, budget, charge=True)


def _member(source: SourceFile, name: str, data: bytes) -> SourceFile:
    return replace(source, path=f"{source.path}!{name}", data=data)


def unsafe_name(name: str) -> str | None:
    """Why a member name must not be used (absolute, or climbing out with `..`)."""
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or re.match(r"^[A-Za-z]:", normalized):
        return "absolute path in bundle: member not read"
    if ".." in normalized.split("/"):
        return "'..' in member path: member not read"
    return None


def _clean_name(name: str) -> str:
    return "/".join(part for part in name.replace("\\", "/").split("/") if part not in ("", "."))


def _take_member(budget: Budget, source: SourceFile) -> Rejection | None:
    if budget.members_left <= 0:
        return Rejection(source.path, "", f"more than {MAX_MEMBERS} members: the rest were "
                         "not read")
    budget.members_left -= 1
    return None


def _read_limited(handle, budget: Budget, limit: int, charge: bool = True) -> bytes:
    """All of `handle`, or LimitExceeded once it passes `limit` or the budget."""
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = handle.read(CHUNK)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if charge:
            budget.bytes_left -= len(chunk)
        if size > limit:
            raise LimitExceeded(f"expands past {_mib(limit)} for one member: not read")
        if budget.bytes_left < 0:
            raise LimitExceeded(f"the bundle expands past {_mib(MAX_TOTAL_BYTES)} in total: "
                                "this member and the rest were not read")
        parts.append(chunk)


def _mib(size: int) -> str:
    return f"{size / 1024**2:g} MiB" if size >= 1024**2 else f"{size} bytes"


def _total_spent(budget: Budget) -> bool:
    return budget.bytes_left < 0


# ---------------------------------------------------------------------------------------

def _zip(source: SourceFile, budget: Budget) -> Iterator[SourceFile | Rejection]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(source.data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        yield Rejection(source.path, "", f"unreadable zip: {error}")
        return
    with archive:
        for number, info in enumerate(infos, start=1):
            if info.is_dir():
                continue
            name = _clean_name(info.filename)
            member_path = f"{source.path}!{name or info.filename}"
            position = f"member {number}"
            why = unsafe_name(info.filename)
            if why:
                yield Rejection(f"{source.path}!{info.filename}", position, why)
                continue
            stop = _take_member(budget, source)
            if stop:
                yield stop
                return
            if info.flag_bits & 0x1:
                yield Rejection(member_path, position, "encrypted member: not read")
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                yield Rejection(member_path, position, f"expands past "
                                f"{_mib(MAX_MEMBER_BYTES)} for one member: not read")
                continue
            try:
                with archive.open(info) as handle:
                    data = _read_limited(handle, budget, MAX_MEMBER_BYTES)
            except LimitExceeded as error:
                yield Rejection(member_path, position, str(error))
                if _total_spent(budget):
                    return
                continue
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError,
                    NotImplementedError, RuntimeError) as error:
                yield Rejection(member_path, position, f"damaged member: {error}")
                continue
            yield _member(source, name, data)


def _gzip_name(source: SourceFile) -> str:
    """The member's name: the original name the gzip header records (when it is a plain
    name), else the bundle's name without `.gz`."""
    data = source.data
    flags = data[3] if len(data) > 3 else 0
    position = 10
    if flags & 0x04 and len(data) >= 12:
        position = 12 + int.from_bytes(data[10:12], "little")
    if flags & 0x08:
        end = data.find(b"\x00", position, position + 1024)
        if end > position:
            stored = data[position:end].decode("latin-1")
            base = PurePosixPath(stored.replace("\\", "/")).name
            if base and base not in (".", "..") and not unsafe_name(stored):
                return base
    outer = source.name
    lower = outer.lower()
    if lower.endswith(".tgz"):
        return outer[:-4] + ".tar"
    for suffix in (".gz", ".gzip", ".z"):
        if lower.endswith(suffix):
            return outer[: -len(suffix)]
    return outer


def _gzip_head(data: bytes) -> bytes:
    try:
        return zlib.decompressobj(31).decompress(data[:65536], TAR_MAGIC_OFFSET + 8)
    except zlib.error:
        return b""


def _gzip(source: SourceFile, budget: Budget) -> Iterator[SourceFile | Rejection]:
    stream = gzip.GzipFile(fileobj=io.BytesIO(source.data), mode="rb")
    if _is_tar(_gzip_head(source.data)):
        # A .tar.gz: its members are named straight under the bundle (`x.tgz!a.xml`).
        yield from _tar(_Metered(stream, budget), source, budget, charge=False)
        return
    name = _gzip_name(source)
    member_path = f"{source.path}!{name}"
    stop = _take_member(budget, source)
    if stop:
        yield stop
        return
    reader = _Partial(stream)
    try:
        data = _read_limited(reader, budget, MAX_MEMBER_BYTES)
    except LimitExceeded as error:
        yield Rejection(member_path, "member 1", str(error))
        return
    if reader.error:
        # Read what came through: the member's reader rejects a cut-off record itself.
        kept = bytes(reader.kept)
        yield Rejection(member_path, f"byte {len(kept)}",
                        f"damaged or truncated gzip ({reader.error})"
                        + (f"; read the {len(kept)} bytes before the damage" if kept else ""))
        if not kept:
            return
        data = kept
    yield _member(source, name, data)


class _Partial:
    """A gzip stream that stops at damage instead of raising, remembering what it read."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.error = ""
        self.kept = bytearray()

    # Small reads: what a failing read had decompressed is lost with it.
    PIECE = 64 * 1024

    def read(self, size: int) -> bytes:
        pieces: list[bytes] = []
        wanted = size
        while wanted > 0 and not self.error:
            try:
                piece = self.stream.read(min(wanted, self.PIECE))
            except (EOFError, OSError, zlib.error) as error:
                self.error = str(error) or type(error).__name__
                break
            if not piece:
                break
            pieces.append(piece)
            wanted -= len(piece)
        chunk = b"".join(pieces)
        self.kept.extend(chunk)
        return chunk


class _Metered(io.RawIOBase):
    """A stream whose expanded bytes are charged to the budget as they are read."""

    def __init__(self, stream, budget: Budget) -> None:
        super().__init__()
        self.stream = stream
        self.budget = budget

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size if size is not None and size >= 0 else CHUNK)
        self.budget.bytes_left -= len(chunk)
        if self.budget.bytes_left < 0:
            raise LimitExceeded(f"the bundle expands past {_mib(MAX_TOTAL_BYTES)} in total: "
                                "this member and the rest were not read")
        return chunk


def _tar(fileobj, source: SourceFile, budget: Budget, charge: bool
         ) -> Iterator[SourceFile | Rejection]:
    """Members of a tar stream in order. `charge` is False when the stream's bytes are
    already counted (a tar inside gzip is metered as it is expanded)."""
    number = 0
    current = source.path
    try:
        with tarfile.open(fileobj=fileobj, mode="r|") as archive:
            for info in archive:
                number += 1
                name = _clean_name(info.name)
                current = f"{source.path}!{name or info.name}"
                position = f"member {number}"
                if info.isdir():
                    continue
                why = unsafe_name(info.name)
                if why:
                    yield Rejection(f"{source.path}!{info.name}", position, why)
                    continue
                if info.issym() or info.islnk():
                    yield Rejection(current, position, "link in bundle: not followed")
                    continue
                if not info.isfile():
                    yield Rejection(current, position, "special file in bundle: not read")
                    continue
                stop = _take_member(budget, source)
                if stop:
                    yield stop
                    return
                if info.size > MAX_MEMBER_BYTES:
                    yield Rejection(current, position, f"expands past "
                                    f"{_mib(MAX_MEMBER_BYTES)} for one member: not read")
                    continue
                handle = archive.extractfile(info)
                data = (_read_limited(handle, budget, MAX_MEMBER_BYTES, charge)
                        if handle else b"")
                yield _member(source, name, data)
    except LimitExceeded as error:
        yield Rejection(current, f"member {number}", str(error))
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        if not number:
            yield Rejection(source.path, "", f"unreadable tar: {error}")
        else:
            yield Rejection(current, f"member {number}",
                            f"damaged or truncated tar: {error}; members before it were read")
