"""Input formats: one module per format, registered in READERS, chosen by content.

`read_source` is the one entry point: give it a file's bytes and it yields raw records
and rejections; bundles (zip, gzip, tar) are opened in place and each member is read
with its own reader. Nothing here touches an index.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from ..errors import UsageError
from ..model import RawRecord, Rejection
from . import (
    anpa,
    bundles,
    countrywire,
    jsonl,
    newsml1,
    newsml_g2,
    ninjs,
    nitf,
    plaintext,
    reuters,
    webpage,
    xmldoc,
)
from .base import Reader, SourceFile, looks_binary

# Most specific first: the first reader whose sniff() accepts a file reads it. Readers
# decide by content (control codes, root element, JSON keys); ninjs before the generic
# JSON reader, which takes any JSON; plain text last, as it takes almost anything.
READERS: list[Reader] = [anpa, nitf, newsml_g2, newsml1, reuters, countrywire, ninjs, jsonl,
                         webpage, plaintext]
BY_NAME = {reader.name: reader for reader in READERS}

# Files that are never stories: skipped silently when walking a folder.
IGNORED_SUFFIXES = (
    ".dtd", ".lc.txt", ".pyc",
    # Pictures, sound and video that archives keep beside the stories.
    ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp", ".svg",
    ".ico", ".heic", ".mp3", ".wav", ".m4a", ".mp4", ".mov", ".avi",
)
# Notes about a folder, whatever their extension (README.rst, LICENSE.md).
IGNORED_STEMS = ("readme", "license")


def reader_named(format_name: str) -> Reader:
    try:
        return BY_NAME[format_name]
    except KeyError:
        known = ", ".join(sorted(BY_NAME))
        raise UsageError(f"unknown format {format_name!r}: use one of {known}") from None


def detect(source: SourceFile) -> Reader | None:
    head = xmldoc.head_text(source.data)
    for reader in READERS:
        if reader.sniff(source, head):
            return reader
    return None


def read_source(source: SourceFile, format_name: str | None = None
                ) -> Iterator[RawRecord | Rejection]:
    """Records of one file. Empty, binary and unrecognised files become a Rejection;
    a bundle gives the records of its members."""
    yield from _read(source, format_name, 0, None)


def _read(source: SourceFile, format_name: str | None, depth: int,
          budget: bundles.Budget | None) -> Iterator[RawRecord | Rejection]:
    if not source.data.strip():
        yield Rejection(source.path, "", "empty file")
        return
    # Before the binary check: a zip or a gzip is binary.
    if bundles.kind(source.data):
        yield from _read_bundle(source, format_name, depth, budget or bundles.new_budget())
        return
    if looks_binary(source.data):
        yield Rejection(source.path, "", "binary file: not a text format wiresearch reads")
        return
    reader = reader_named(format_name) if format_name else detect(source)
    if reader is None:
        yield Rejection(source.path, "", "unrecognised format")
        return
    try:
        yield from reader.read(source)
    except Exception as error:  # a reader bug must not stop the other files
        yield Rejection(source.path, "", f"{reader.name} reader failed: {error!r}")


def _read_bundle(source: SourceFile, format_name: str | None, depth: int,
                 budget: bundles.Budget) -> Iterator[RawRecord | Rejection]:
    for member in bundles.members(source, depth, budget):
        if isinstance(member, Rejection):
            yield member
            continue
        if is_ignored(Path(member.name)):
            continue
        for item in _read(member, format_name, depth + 1, budget):
            # A whole-member problem is not a whole-bundle problem: give it a position,
            # so the bundle's other members still count.
            if isinstance(item, Rejection) and not item.position:
                item = replace(item, position="whole member")
            yield item


def is_ignored(path: Path) -> bool:
    lower = path.name.lower()
    return (lower.startswith(".") or lower.split(".", 1)[0] in IGNORED_STEMS
            or lower.endswith(IGNORED_SUFFIXES))


def walk(paths: Iterable[str | Path],
         unlisted: Callable[[OSError], None] | None = None) -> Iterator[Path]:
    """Every file under `paths`, recursively, in a stable order; hidden files, READMEs
    and known non-story files (DTDs, category lists, images) are left out. A folder that
    cannot be listed (no permission, an I/O error) is passed to `unlisted` as the error
    (its `filename` the folder), or passed over without a word when there is none."""
    for given in paths:
        path = checked_path(given)
        if path.is_file():
            yield path
            continue
        # Links to folders are followed, as links to files are (a folder moved to
        # another disk and linked back keeps its stories); a folder reached twice (a
        # link to an ancestor) is read once.
        visited: set[tuple[int, int]] = set()
        for root, dirs, files in _folders(str(path), unlisted):
            try:
                status = os.stat(root)
            except OSError as error:
                if unlisted is not None:
                    unlisted(error)
                dirs[:] = []
                continue
            if (status.st_dev, status.st_ino) in visited:
                dirs[:] = []
                continue
            visited.add((status.st_dev, status.st_ino))
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for file_name in sorted(files):
                candidate = Path(root, file_name)
                try:
                    if is_ignored(candidate) or _special(candidate):
                        continue
                except OSError as error:
                    # A folder that may be listed but not entered (mode 0644): none of
                    # its files can be read, and none is deleted.
                    if unlisted is not None:
                        unlisted(OSError(error.errno, error.strerror, root))
                    dirs[:] = []
                    break
                yield candidate


def _folders(top: str, unlisted: Callable[[OSError], None] | None
             ) -> Iterator[tuple[str, list[str], list[str]]]:
    """What os.walk(top, onerror=unlisted, followlinks=True) yields, in the same order,
    without recursion: os.walk before Python 3.12 recurses once per level and fails on
    a tree about a thousand folders deep, which cost the whole run. Each (folder, its
    subfolders, its files) comes before the subfolders are read, so that the caller may
    prune them in place."""
    waiting = [top]
    while waiting:
        folder = waiting.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as error:
            if unlisted is not None:
                unlisted(error)
            continue
        dirs: list[str] = []
        files: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # a link to a folder is a folder
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(entry.name)
        yield folder, dirs, files
        waiting.extend(os.path.join(folder, name) for name in reversed(dirs))


def checked_path(given: str | os.PathLike) -> Path:
    """`given` as a Path, if it names a file or a folder; else a UsageError saying what
    it names (nothing, or a pipe, socket or device)."""
    if isinstance(given, str) and not given.strip():
        raise UsageError("an empty path names no file or folder")
    path = Path(given)
    try:
        if path.is_file() or path.is_dir():
            return path
    except PermissionError:
        raise UsageError(f"cannot reach {given}: permission denied on a folder above "
                         "it") from None
    if path.exists():
        raise UsageError(f"{given} is neither a file nor a folder")
    raise UsageError(f"no such file or folder: {given}")


def _special(path: Path) -> bool:
    """A named pipe, socket or device: reading one would wait forever or never end. (A
    link to nowhere is not special: it is read, and rejected for that.)"""
    return not path.is_file() and path.exists()  # one stat for the usual file
