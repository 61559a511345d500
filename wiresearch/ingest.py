"""Ingestion: compare the files on disk with the catalog, read what changed in worker
processes, and write the difference to the engine, crash-safely.

Crash safety rests on one order of events per batch of files:
  1. the batch's paths go to `journal.json` in the generation (written atomically),
  2. the engine commits, 3. the catalog commits, 4. the journal is removed.
A run killed anywhere leaves the engine at its last commit; the next run finds the
journal and re-reads those files, replacing whatever the engine holds for them, so
nothing committed is lost and nothing half-written survives.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
import signal
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent import futures
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from itertools import islice
from multiprocessing import get_context
from multiprocessing.connection import wait
from pathlib import Path

from . import formats
from .catalog import Catalog, FileEntry
from .engine import Engine, engine_class
from .errors import IndexNotFoundError, UsageError, damaged, not_writable
from .formats.base import path_parts
from .indexdir import IndexDir, _write_atomically
from .model import Article, Rejection
from .normalize import normalize

JOURNAL_FILE = "journal.json"
MAX_FILE_BYTES = 512 * 1024 * 1024
# An incremental run commits at least this often, so a killed run loses little
# ($WIRESEARCH_BATCH_ARTICLES overrides the count).
BATCH_ARTICLES = 5000
BATCH_SECONDS = 30.0
# Crash-test hook: `WIRESEARCH_FAULT=<point>` kills the process at that point of a
# commit, as a power cut would (see tests/test_reindex.py).
FAULT_POINTS = ("journal-written", "engine-committed", "catalog-committed",
                "generation-built")
# Below this much input, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 4 * 1024 * 1024
VOCABULARY_WORD = (3, 30)
# Catalog meta key of the folder a source link pointed to at the last run.
LINK_META = "source-link:"


@dataclass(frozen=True)
class SourceSpec:
    """Where to find files and how to read them (one `[[sources]]` entry)."""

    path: str
    format: str | None = None
    source: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # JSON field mapping: our field -> the export's key.
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FileTask:
    path: str
    format: str | None
    source: str | None
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def reading(self) -> str:
        """The settings the file is read with, as the catalog keeps them: a file read
        with others since (a corrected `--format`, a renamed `source`) is read again."""
        return _reading(self.format, self.source, self.fields)


@lru_cache(maxsize=256)
def _reading(format_name: str | None, source: str | None,
             fields: tuple[tuple[str, str], ...]) -> str:
    # Once per source's settings, not once per file (a million a night).
    settings = {"format": format_name, "source": source, "fields": dict(fields) or None}
    return json.dumps({key: value for key, value in settings.items() if value},
                      sort_keys=True, ensure_ascii=False)


@dataclass
class FileResult:
    path: str
    size: int = 0
    mtime_ns: int = 0
    hash: str = ""
    articles: list[Article] = field(default_factory=list)
    # What the engine's prepare() made of each article, in the same order.
    prepared: list[object] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    vocabulary: dict[str, int] = field(default_factory=dict)
    # Set when the file as a whole could not be read (I/O error, empty, binary...).
    error: str | None = None
    # Set when that was the file system's doing (permissions, I/O): the next run tries
    # again, as it would not for a file whose content is the problem.
    retry: bool = False
    reading: str = ""  # FileTask.reading
    # Ids of articles that state none: made from the file's name (RawRecord.id_from_file).
    ids_from_file: set[str] = field(default_factory=set)


@dataclass
class IndexReport:
    """What a run did. Counts are articles unless named files_*."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)
    files_new: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    files_unchanged: int = 0
    # Files that were good before and are unreadable now: their last articles are kept.
    files_stale: list[str] = field(default_factory=list)
    files_read: int = 0
    documents: int = 0
    generation: str = ""
    engine: str = ""
    full: bool = False
    dry_run: bool = False
    recovered: list[str] = field(default_factory=list)
    duration: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.rejected

    def to_dict(self) -> dict:
        return {
            "added": self.added, "updated": self.updated, "deleted": self.deleted,
            "unchanged": self.unchanged,
            "rejected": [r.to_dict() for r in self.rejected],
            "warnings": [r.to_dict() for r in self.warnings],
            "files": {"new": self.files_new, "changed": self.files_changed,
                      "removed": self.files_removed, "unchanged": self.files_unchanged,
                      "stale": self.files_stale, "read": self.files_read},
            "documents": self.documents, "generation": self.generation,
            "engine": self.engine, "full": self.full, "dry_run": self.dry_run,
            "recovered": self.recovered, "duration_seconds": round(self.duration, 3),
        }


def _fault(point: str) -> None:
    # Tests stop a run at a named point: `point` kills it, `point:SIGTERM` terminates it,
    # `point:SIGINT` is Ctrl-C (which the terminal sends to the whole process group).
    name, _, how = os.environ.get("WIRESEARCH_FAULT", "").partition(":")
    if name == point and how == "SIGINT":
        os.killpg(0, signal.SIGINT)
    elif name == point:
        os.kill(os.getpid(), signal.SIGTERM if how == "SIGTERM" else signal.SIGKILL)


def file_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def process_file(task: FileTask, engine: str | None = None) -> FileResult:
    """Read and normalize one file (runs in a worker process), and do what the
    `engine` can of adding its articles ahead. Never raises."""
    result = FileResult(task.path, reading=task.reading)
    prepare = engine_class(engine).prepare if engine else None
    try:
        stat = os.stat(task.path)
        result.size, result.mtime_ns = stat.st_size, stat.st_mtime_ns
        if stat.st_size > MAX_FILE_BYTES:
            result.error = f"file is larger than {MAX_FILE_BYTES // 2**20} MiB"
            return result
        with open(task.path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        result.error = f"cannot read: {error.strerror or error}"
        result.retry = True
        return result
    result.hash = file_hash(data)
    vocabulary: Counter[str] = Counter()
    low, high = VOCABULARY_WORD
    source = formats.SourceFile(task.path, data, task.source,
                                dict(task.fields) if task.fields else None)
    for item in formats.read_source(source, task.format):
        if isinstance(item, Rejection):
            if item.severity == "warning":
                result.rejections.append(item)
            elif not item.position and not result.articles:
                result.error = item.reason
            else:
                result.rejections.append(item)
            continue
        try:
            normalized = normalize(item)
        except Exception as error:  # one bad record must not cost the file
            result.rejections.append(Rejection(task.path, item.position,
                                               f"cannot normalize: {error!r}"))
            continue
        for warning in normalized.warnings:
            result.rejections.append(Rejection(task.path, item.position, warning, "warning"))
        result.articles.append(normalized.article)
        if item.id_from_file:
            result.ids_from_file.add(normalized.article.id)
        if prepare is not None:
            result.prepared.append(prepare(normalized.article))
        # Each word once per article (a document frequency), counted in C; which words
        # are worth suggesting is decided once per file, over its distinct words.
        vocabulary.update(set(normalized.words))
    result.vocabulary = {word: count for word, count in vocabulary.items()
                         if low <= len(word) <= high and word.isalpha()}
    return result


def _placed_id(article: Article, path: str, catalog: Catalog) -> str | None:
    """`article`'s id with the names of up to three of its folders put before its own
    (`json:export/1` from 2024-02/export.jsonl: `json:2024-02/export/1`), the first that
    no other file holds; None when all are taken."""
    collection, native = article.id.split(":", 1)
    folders = path_parts(article.path or path)[:-1]
    named = set(native.split("/"))
    prefix = ""
    for folder in [folder for folder in reversed(folders) if folder not in named][:3]:
        prefix = f"{folder}/{prefix}"
        candidate = f"{collection}:{prefix}{native}"
        holder = catalog.docs([candidate]).get(candidate)
        if holder is None or holder.path == path:
            return candidate
    return None


def _stop_readers(executor: Executor) -> None:
    # concurrent.futures has no way to stop a call under way: its processes are told
    # to end (SIGTERM, which they die of quietly).
    processes = _reader_processes(executor)
    for process in processes:
        with contextlib.suppress(OSError):
            process.terminate()
    for process in processes:
        process.join(READER_STOP_SECONDS)
    # A reader ended while it was sending its result leaves half a message in the pool's
    # result pipe, and the pool's manager thread waits for the rest of it, for ever:
    # shutting the pool down, and the run's exit, waited with it. With the readers gone,
    # closing this process's end for writing lets it read to the end of the pipe and
    # find the pool broken.
    if all(not process.is_alive() for process in processes):
        writing_end = getattr(getattr(executor, "_result_queue", None), "_writer", None)
        if writing_end is not None:
            writing_end.close()


# How long a stopped reader may take to end (it is sent SIGTERM, which it dies of).
READER_STOP_SECONDS = 10


def _leave_interrupts_to_the_run() -> None:
    """In a reader process: Ctrl-C reaches the whole process group, and the run stops its
    readers itself; a reader stopped by it printed its traceback on the terminal."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ordered_map(executor: Executor | None, function, items: Iterable, window: int
                 ) -> Iterator:
    """Like executor.map, in order, but with at most `window` tasks in flight, so fast
    readers cannot pile up results in memory while the writer catches up."""
    if executor is None:
        yield from map(function, items)
        return
    broken = False

    def submit(item):
        nonlocal broken
        if not broken:
            try:
                return executor.submit(function, item)
            except BrokenProcessPool:
                broken = True
        return None

    def outcome(item, future):
        # A worker died (killed, out of memory, or a script without an
        # `if __name__ == "__main__":` guard re-running itself in it): what it had not
        # delivered is read in this process rather than lost. Results already delivered
        # are kept; a file that kills its reader may kill this process too.
        if future is not None:
            try:
                return _result(executor, future)
            except BrokenProcessPool:
                pass
        return function(item)

    iterator = iter(items)
    pending = deque((item, submit(item)) for item in islice(iterator, window))
    while pending:
        item, future = pending.popleft()
        result = outcome(item, future)
        for following in islice(iterator, 1):
            pending.append((following, submit(following)))
        yield result


def _result(executor: Executor, future):
    """future.result(), for a reader pool that may never find itself broken: a reader
    that dies while it sends its result (killed, out of memory) leaves the pool's thread
    waiting for the rest of the message for ever, as long as another reader holds the
    pipe open. A reader seen gone while the result is still awaited a while later means
    that: the pool is stopped, which ends the wait (BrokenProcessPool)."""
    died = False
    while True:
        try:
            return future.result(timeout=READER_CHECK_SECONDS)
        except futures.TimeoutError:
            pass
        if died:
            _stop_readers(executor)
            try:
                return future.result(timeout=READER_STOP_SECONDS)
            except futures.TimeoutError:
                raise BrokenProcessPool("a reader died sending its result") from None
        died = _a_reader_ended(executor)


def _reader_processes(executor: Executor) -> list:
    # The pool's own table (concurrent.futures has no public list of its processes).
    return list((getattr(executor, "_processes", None) or {}).values())


def _a_reader_ended(executor: Executor) -> bool:
    processes = _reader_processes(executor)
    # Ended processes' sentinels are ready; waiting on them reaps nothing.
    return bool(processes) and bool(wait([process.sentinel for process in processes],
                                         timeout=0))


# How often a run waiting for a reader's result checks that the readers are alive.
READER_CHECK_SECONDS = 1.0


@dataclass
class Discovery:
    """What the sources name: the files to index, and what could not be looked at."""

    tasks: list[FileTask] = field(default_factory=list)
    # Folders that could not be listed, and why: nothing indexed from under them is
    # deleted by an incremental run.
    unlisted: dict[str, str] = field(default_factory=dict)
    # Source folders that hold no file at all (an unmounted mount point looks so).
    empty: list[str] = field(default_factory=list)
    # Sources named by a link to a folder: the link -> the folder it points to now. A
    # run records them (catalog meta), so that a link re-pointed at an empty folder (a
    # disk not mounted behind it) is refused as an emptied folder is.
    links: dict[str, str] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)


def discover(specs: Iterable[SourceSpec]) -> Discovery:
    """Every file the sources name, once, in a stable order."""
    found = Discovery()
    tasks: dict[str, FileTask] = {}
    # A file two sources name is read as the more specific one says (`data/bbc` with
    # its own `source` inside `data`), whatever their order in the configuration.
    depth_of: dict[str, tuple[int, int, str]] = {}

    def unlisted(error: OSError) -> None:
        found.unlisted[os.path.realpath(error.filename)] = str(error.strerror or error)

    for spec in specs:
        paths = 0
        depth = _depth(spec.path)
        pattern = is_pattern(spec.path)
        reached: set[str] = set()  # for a pattern, the folders its files are in
        for path in _expand(spec.path, unlisted):
            paths += 1
            if pattern:
                reached.add(os.path.dirname(os.path.abspath(path)))
            relative = str(path)
            if spec.include and not any(fnmatch.fnmatch(relative, pattern) or
                                        fnmatch.fnmatch(path.name, pattern)
                                        for pattern in spec.include):
                continue
            if any(fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(path.name, pattern)
                   for pattern in spec.exclude):
                continue
            shown = printable(relative)
            if shown != relative:
                # SQLite, JSON and the terminal take text; such a name is not.
                found.rejections.append(Rejection(
                    shown, "", "file name is not valid UTF-8: rename it"))
                continue
            try:
                target = path.resolve()
            except RuntimeError:  # Python before 3.13 on a loop of links
                found.rejections.append(Rejection(relative, "", "a loop of symbolic links"))
                continue
            except OSError as error:
                found.rejections.append(Rejection(
                    relative, "", f"cannot follow: {error.strerror or error}"))
                continue
            # A link to nowhere keeps its own name, so that its rejection names it.
            resolved = str(target if target.exists() else path.absolute())
            if resolved not in depth_of or depth_of[resolved] < depth:
                depth_of[resolved] = depth
                tasks[resolved] = FileTask(resolved, spec.format, spec.source, spec.fields)
        root = os.path.realpath(spec.path)
        if not pattern and os.path.islink(spec.path.rstrip(os.sep)):
            found.links[os.path.abspath(spec.path)] = root
        if pattern:
            folders = _pattern_folders(spec.path)
            depth_of_folders = {len(Path(folder).parts) for folder in folders}
            holding = {Path(folder).parts[:count] for folder in reached
                       for count in depth_of_folders}
            found.empty.extend(os.path.realpath(folder) for folder in folders
                               if os.path.realpath(folder) not in found.unlisted
                               and Path(folder).parts not in holding)
        elif not paths and Path(spec.path).is_dir() and root not in found.unlisted:
            found.empty.append(root)
    found.tasks = list(tasks.values())
    return found


def _depth(source_path: str) -> tuple[int, int, str]:
    """How specific a source path is: how deep it reaches before any wildcard, then how
    many parts it has (`data/bbc/*/00*.txt` is more specific than `data/bbc`), then the
    path itself, so that no tie is left to the order of the sources."""
    fixed = source_path.split("*", 1)[0].split("?", 1)[0].split("[", 1)[0]
    return (len(Path(os.path.realpath(fixed or ".")).parts), len(Path(source_path).parts),
            source_path)


def _pattern_folders(pattern: str) -> list[str]:
    """The folders a glob pattern reaches through its first wildcard
    (`disks/disk*/*.jsonl` -> disks/disk1, disks/disk2): each is to a glob what a source
    folder is to a folder path, so that one of them emptied (a disk not mounted) is
    refused, not deleted, as a source folder would be."""
    import glob

    parts = Path(pattern).parts
    first = next(i for i, part in enumerate(parts) if is_pattern(part))
    reach = str(Path(*parts[:first], parts[first].replace("**", "*")))
    return [os.path.abspath(folder) for folder in sorted(glob.glob(reach))
            if os.path.isdir(folder)]


def printable(path: str) -> str:
    """A path as text: bytes of a name that are not UTF-8 (Python keeps them as lone
    surrogates, which nothing can print or store) shown as \\xNN."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def is_pattern(path: str) -> bool:
    """Whether a source path is a glob pattern ("archive/2024-*/*.xml")."""
    return any(ch in path for ch in "*?[")


def glob_matches(pattern: str) -> list[str]:
    """What a glob source path names, in order; a UsageError when it names nothing."""
    import glob

    matches = sorted(glob.glob(pattern, recursive=True))
    if not matches:
        raise UsageError(f"no files match {pattern!r}")
    return matches


def _expand(pattern: str, unlisted: Callable[[OSError], None]) -> Iterator[Path]:
    yield from formats.walk(glob_matches(pattern) if is_pattern(pattern) else [pattern],
                            unlisted)


def _under(path: str, roots: list[str]) -> bool:
    """Whether `path` is one of `roots` or under one; a root that is a glob pattern covers
    the paths it matches that no longer exist (fnmatch's `*` also matches a `/`, which
    glob's does not, so an existing file there may be another path's)."""
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep)
               or (is_pattern(root) and fnmatch.fnmatchcase(path, root)
                   and not os.path.exists(path))
               for root in roots)


class Ingester:
    """One run of indexing against one index folder. The caller holds the writer lock."""

    def __init__(self, index_dir: IndexDir, jobs: int | None = None,
                 progress: Callable[[dict], None] | None = None):
        self.index_dir = index_dir
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self.progress = progress
        self.batch_articles = int(os.environ.get("WIRESEARCH_BATCH_ARTICLES") or
                                  BATCH_ARTICLES)

    def run(self, specs: list[SourceSpec], *, full: bool = False, dry_run: bool = False,
            delete_scope: list[str] | None = None, engine: str | None = None) -> IndexReport:
        """Bring the index in line with the files the specs name.

        `delete_scope`: catalog files under these folders that no longer exist are
        deleted from the index; None means every file the catalog knows (the sources
        are the whole truth, as in the nightly job)."""
        try:
            return self._run_all(specs, full, dry_run, delete_scope, engine)
        except PermissionError as error:
            # Sources this user may not read are rejected file by file; a file of the
            # index (a generation a run as another user made, say) is this.
            if not (error.filename and _under(os.path.abspath(error.filename),
                                              [str(self.index_dir.path.absolute())])):
                raise
            raise not_writable(error.filename, error) from None

    def _run_all(self, specs: list[SourceSpec], full: bool, dry_run: bool,
                 delete_scope: list[str] | None, engine: str | None) -> IndexReport:
        started = time.monotonic()
        found = discover(specs)
        # An index folder inside a source is not an archive of stories.
        own = [str(self.index_dir.path.resolve())]
        tasks = [task for task in found.tasks if not _under(task.path, own)]
        report = IndexReport(full=full, dry_run=dry_run)
        report.rejected.extend(found.rejections)
        if not self.index_dir.exists():
            if dry_run:
                report.files_new = [task.path for task in tasks]
                report.engine = engine or "whoosh"
                return report
            self.index_dir.create(engine)
            full = True
        report.engine = self.index_dir.engine_name
        if engine and engine != report.engine:
            raise UsageError(f"{self.index_dir.path} is a {report.engine} index; to use "
                             f"{engine}, index into a new folder")
        engine_type = engine_class(report.engine)
        live = self.index_dir.current_name()
        if full and live is not None and found.unlisted:
            # A rebuild is made from what it can see: it would drop those stories.
            folder, reason = next(iter(found.unlisted.items()))
            raise UsageError(f"cannot list folder {printable(folder)} ({reason}): a full "
                             "rebuild would leave out what was indexed from under it; "
                             "nothing was changed")
        if full or live is None:
            report.full = True
            if live is not None:
                # A rebuild keeps only the files it finds: the others' articles go.
                gone = self._not_found(self.index_dir.path / live, tasks)
                report.files_removed = sorted(gone)
                if dry_run:
                    report.deleted = sum(entry.articles for entry in gone.values())
            if dry_run:
                report.files_new = [task.path for task in tasks]
                return report
            # Numbered before pruning, so a number is never used twice.
            generation = self.index_dir.new_generation()
            self.index_dir.prune(keep_previous=True, keep=(generation.name,))
            backend = engine_type.create(generation)
            fresh = True
        else:
            generation = self.index_dir.path / live
            if not (generation / Catalog.FILE_NAME).is_file():
                # A new, empty one would know no article: every one would be added again.
                raise damaged(f"the index in {generation}", "its catalog is missing")
            backend = engine_type.open(generation)
            fresh = False
            if not dry_run:
                # A rebuild killed before its switch left its generation behind: a
                # copy of the index's size, until now kept until the next rebuild.
                self.index_dir.prune(keep_previous=True)
        catalog = Catalog(generation)
        try:
            self._run(report, tasks, backend, catalog, generation, fresh, dry_run,
                      delete_scope, found)
            report.documents = catalog.doc_count()
            previous = self.index_dir.path / live / Catalog.FILE_NAME if live else None
            if fresh and previous is not None and previous.exists():
                # A rebuild drops what its sources no longer hold: say so (a damaged
                # catalog, which a rebuild mends, cannot say).
                with contextlib.suppress(sqlite3.Error):
                    report.deleted = catalog.articles_not_in(previous)
        finally:
            catalog.close()
            backend.close()
        if report.full and not dry_run:
            _fault("generation-built")
            self.index_dir.switch_to(generation)
            self.index_dir.prune(keep_previous=True)
        report.generation = generation.name
        report.duration = time.monotonic() - started
        return report

    @staticmethod
    def _not_found(generation: Path, tasks: list[FileTask]) -> dict[str, FileEntry]:
        """The files of `generation`'s catalog that are not among `tasks`; none when its
        catalog is missing or damaged, which is what a rebuild is run to mend."""
        if not (generation / Catalog.FILE_NAME).is_file():
            return {}
        found = {task.path for task in tasks}
        try:
            previous = Catalog(generation, readonly=True)
            try:
                return {path: entry for path, entry in previous.files().items()
                        if path not in found}
            finally:
                previous.close()
        except (sqlite3.Error, IndexNotFoundError):  # damaged (Catalog says so)
            return {}

    def _run(self, report: IndexReport, tasks: list[FileTask], backend: Engine,
             catalog: Catalog, generation: Path, fresh: bool, dry_run: bool,
             delete_scope: list[str] | None, found: Discovery) -> None:
        journal_path = generation / JOURNAL_FILE
        recovering = set(self._read_journal(journal_path))
        manifest = catalog.files()
        seen = {task.path for task in tasks}
        todo: list[FileTask] = []
        waiting: list[FileTask] = []  # unchanged files whose stories others hold
        # Unchanged files of a catalog made before it kept their settings: recorded now,
        # so that a later change of them is seen.
        unrecorded: list[FileEntry] = []
        for task in tasks:
            entry = manifest.get(task.path)
            if entry is None:
                report.files_new.append(task.path)
                todo.append(task)
                continue
            try:
                stat = os.stat(task.path)
            except OSError:
                todo.append(task)
                continue
            if (task.path not in recovering and entry.status in ("ok", "conflict")
                    and entry.size == stat.st_size and entry.mtime_ns == stat.st_mtime_ns
                    and entry.read_with(task.reading)):
                if entry.reading is None:
                    unrecorded.append(replace(entry, reading=task.reading))
                if entry.status == "conflict":
                    waiting.append(task)
                    continue
                report.files_unchanged += 1
                report.unchanged += entry.articles
            else:
                todo.append(task)
        # Files of an interrupted run that this run's paths do not cover (`index` of
        # another folder) and that still exist wait in the journal for a run that does:
        # deleting them would lose articles of files that are still there.
        carried = {path for path in recovering
                   if path not in seen and delete_scope is not None
                   and not _under(path, delete_scope) and os.path.exists(path)}
        removed = [path for path in manifest if path not in seen and path not in carried and
                   (delete_scope is None or _under(path, delete_scope) or path in recovering)]
        removed += [path for path in recovering
                    if path not in manifest and path not in seen and path not in carried]
        report.recovered = sorted(recovering - carried)
        # A file whose stories another file holds is read again, after the others, when
        # that file no longer holds them (a story moved, an archive reorganised), is
        # about to go or is read again: its copies then take their place. Otherwise it
        # is unchanged.
        going = set(removed)
        # A file read again may no longer hold the story: whether it does is known once
        # it is read, and a file waiting on it is read after it.
        going.update(task.path for task in todo)
        for task in waiting:
            owners = catalog.conflict_owners(task.path)
            if None in owners or owners & going:
                todo.append(task)
            else:
                report.files_unchanged += 1
                report.unchanged += manifest[task.path].articles
        # Files not seen because their folder could not be listed are kept as they are
        # (a rebuild has nothing to keep them from).
        folders = list(found.unlisted)
        for folder, reason in found.unlisted.items():
            report.rejected.append(Rejection(
                printable(folder), "", f"cannot list folder: {reason}" + (
                    "" if fresh else "; what was indexed from under it is kept")))
        hidden = [path for path in removed if _under(path, folders)]
        if hidden:
            removed = [path for path in removed if not _under(path, folders)]
            report.unchanged += sum(manifest[path].articles for path in hidden
                                    if path in manifest)
        if not fresh:
            self._refuse_emptied(found, removed, manifest, catalog)
        if dry_run:
            self._dry_run(report, todo, manifest, removed)
            return

        writer = backend.writer(fresh=fresh)
        batch_paths: list[str] = []
        batch_articles = 0
        batch_started = time.monotonic()
        # Files of the interrupted run that this run reads or deletes again: the engine
        # may hold their articles where the catalog does not, so they stay in the journal
        # until a commit of this run has them. Dropped from it sooner, a run stopped in
        # turn before reaching them left articles the next run took for new, and added a
        # second time.
        in_doubt = recovering - carried
        catalog.begin()

        def commit() -> None:
            nonlocal writer, batch_paths, batch_articles, batch_started
            _write_atomically(journal_path,
                              json.dumps(sorted(set(batch_paths) | carried | in_doubt)))
            _fault("journal-written")
            writer.commit()
            _fault("engine-committed")
            catalog.commit()
            _fault("catalog-committed")
            in_doubt.difference_update(batch_paths)
            if carried or in_doubt:
                _write_atomically(journal_path, json.dumps(sorted(carried | in_doubt)))
            else:
                journal_path.unlink(missing_ok=True)
            batch_paths, batch_articles = [], 0
            batch_started = time.monotonic()

        try:
            for link, target in found.links.items():
                catalog.set_meta(f"{LINK_META}{link}", target)
            for entry in unrecorded:
                catalog.put_file(entry)
            for path in removed:
                batch_paths.append(path)
                ids = catalog.delete_docs_of(path)
                writer.delete_path(path, catalog.files_named_like_members(path))
                catalog.forget_file(path)
                report.deleted += len(ids)
                report.files_removed.append(path)
            total_bytes = sum(_size(task.path) for task in todo)
            executor = self._executor(len(todo), total_bytes)
            try:
                read = partial(process_file, engine=backend.name)
                results = _ordered_map(executor, read, todo, window=2 * self.jobs)
                for result in results:
                    batch_paths.append(result.path)
                    entry = manifest.get(result.path)
                    forced = result.path in recovering or (
                        entry is not None and entry.status == "dirty")
                    batch_articles += self._apply(result, report, writer, catalog, entry,
                                                  forced)
                    report.files_read += 1
                    if self.progress:
                        self.progress(self._progress(report, len(todo)))
                    if not fresh and (batch_articles >= self.batch_articles or
                                      time.monotonic() - batch_started > BATCH_SECONDS):
                        commit()
                        writer = backend.writer(fresh=False)
                        catalog.begin()
            except BaseException:
                if executor is not None:
                    # Stopped (Ctrl-C, SIGTERM, an error): the readers stop now, not
                    # when each has read its file (minutes, for large ones).
                    _stop_readers(executor)
                raise
            finally:
                if executor is not None:
                    executor.shutdown(cancel_futures=True)
            commit()
        except BaseException:
            writer.cancel()
            catalog.rollback()
            raise

    @staticmethod
    def _refuse_emptied(found: Discovery, removed: list[str],
                        manifest: dict[str, FileEntry], catalog: Catalog) -> None:
        """A source folder that held indexed files and now holds none is far more often
        a disk not mounted than an archive deleted: refuse to delete it all. Reached
        through a link that pointed elsewhere at the last run, its files were indexed
        under the folder it pointed to then."""
        before = {target: catalog.get_meta(f"{LINK_META}{link}")
                  for link, target in found.links.items()}
        for folder in found.empty:
            earlier = [before[folder]] if before.get(folder) not in (None, folder) else []
            gone = [path for path in removed if _under(path, [folder, *earlier])]
            if gone:
                articles = sum(manifest[path].articles for path in gone if path in manifest)
                raise UsageError(
                    f"{folder} holds no files, but {len(gone):,} files ({articles:,} "
                    "articles) were indexed from it: is it mounted? Nothing was changed; "
                    "if they are gone for good, run with --full")

    def _executor(self, files: int, total_bytes: int) -> Executor | None:
        if self.jobs <= 1 or files < 2 or total_bytes < PARALLEL_MIN_BYTES:
            return None
        # spawn, not fork: the parent may hold engine threads (tantivy) and locks.
        return ProcessPoolExecutor(max_workers=min(self.jobs, files),
                                   mp_context=get_context("spawn"),
                                   initializer=_leave_interrupts_to_the_run)

    @staticmethod
    def _read_journal(path: Path) -> list[str]:
        try:
            return list(json.loads(path.read_text("utf-8")))
        except FileNotFoundError:
            return []
        except ValueError:
            # A journal is written atomically; a damaged one means a damaged disk.
            return []

    def _apply(self, result: FileResult, report: IndexReport, writer, catalog: Catalog,
               entry: FileEntry | None, forced: bool) -> int:
        """Write one file's articles; returns how many were written."""
        report.warnings.extend(r for r in result.rejections if r.severity == "warning")
        report.rejected.extend(r for r in result.rejections if r.severity != "warning")
        if result.error is not None:
            report.rejected.append(Rejection(result.path, "", result.error))
            if entry is not None and entry.articles:
                # It was good before: keep its last good articles, flag it.
                report.files_stale.append(result.path)
                report.unchanged += entry.articles
                catalog.put_file(FileEntry(result.path, entry.size, entry.mtime_ns,
                                           entry.hash, "stale", result.error, entry.articles,
                                           entry.reading))
            else:
                # "failed" is not "ok": a file the system would not let us read is read
                # again next time, however unchanged its size and time.
                catalog.put_file(FileEntry(result.path, result.size, result.mtime_ns,
                                           result.hash, "failed" if result.retry else "ok",
                                           result.error, 0, result.reading))
            return 0
        same_reading = entry is not None and entry.read_with(result.reading)
        if (entry is not None and entry.hash == result.hash and not forced
                and entry.status != "conflict" and same_reading):
            # Touched but not changed: remember the new mtime, read nothing again.
            report.files_unchanged += 1
            report.unchanged += entry.articles
            # Its "no story could be read" stands; a stale, dirty or failed file's
            # error does not (it reads as before again).
            catalog.put_file(FileEntry(result.path, result.size, result.mtime_ns,
                                       result.hash, "ok",
                                       entry.error if entry.status == "ok" else None,
                                       entry.articles, entry.reading))
            return 0
        if entry is not None and entry.status == "failed":
            report.files_new.append(result.path)  # read for the first time
        elif entry is not None and (entry.hash != result.hash or not same_reading):
            report.files_changed.append(result.path)
        elif entry is not None:  # a file in conflict, read again as it was
            report.files_unchanged += 1
        old = catalog.checksums(result.path)
        if forced:
            # The engine may hold anything from the interrupted batch: replace it all.
            writer.delete_path(result.path, catalog.files_named_like_members(result.path))
        written = 0
        conflicts: dict[str, str] = {}
        new_ids = set()
        prepared = result.prepared or [None] * len(result.articles)
        stored = catalog.docs(article.id for article in result.articles)
        for article, ahead in zip(result.articles, prepared, strict=True):
            if article.id in new_ids:
                report.rejected.append(Rejection(result.path, article.position,
                                                 f"duplicate id {article.id} in one file"))
                continue
            known = stored.get(article.id)
            owner = known.path if known else None
            if (owner is not None and owner != result.path
                    and article.id in result.ids_from_file):
                # An id made from a file's name that a file of the same name in another
                # folder holds (each month's `export.jsonl`): the folder tells them apart.
                placed = _placed_id(article, result.path, catalog)
                if placed is not None and placed not in new_ids:
                    article, ahead = replace(article, id=placed), None
                    known = catalog.docs([placed]).get(placed)
                    owner = known.path if known else None
            if owner is not None and owner != result.path:
                report.rejected.append(Rejection(
                    result.path, article.position,
                    f"id {article.id} is already indexed from {owner}"))
                conflicts[article.id] = owner
                continue
            new_ids.add(article.id)
            previous = old.get(article.id)
            if previous == article.checksum and not forced:
                report.unchanged += 1
                continue
            cluster = catalog.cluster_for(article.id, article.signature, known)
            writer.add(article, cluster, replace=previous is not None or forced,
                       prepared=ahead)
            catalog.put_doc(article.id, result.path, article.checksum, article.signature,
                            cluster)
            if previous is None:
                report.added += 1
            else:
                report.updated += 1
            written += 1
        gone = [article_id for article_id in old if article_id not in new_ids]
        if gone:
            writer.delete(gone)
            catalog.delete_docs(gone)
            report.deleted += len(gone)
        catalog.add_vocabulary(result.vocabulary)
        # Remembered, so that when those files drop the stories this one's copies take
        # their place instead of being lost (see _run).
        catalog.put_conflicts(result.path, conflicts)
        rejected = sum(1 for r in result.rejections if r.severity != "warning")
        # A file none of whose stories could be read is a file with errors (stats): read
        # with the wrong --format, say.
        error = (f"no story could be read ({rejected:,} rejected)"
                 if rejected and not new_ids else None)
        catalog.put_file(FileEntry(result.path, result.size, result.mtime_ns, result.hash,
                                   "conflict" if conflicts else "ok", error, len(new_ids),
                                   result.reading))
        return written + len(gone)

    @staticmethod
    def _progress(report: IndexReport, files_total: int) -> dict:
        return {"files": report.files_read, "files_total": files_total,
                "articles": report.added + report.updated,
                "rejected": len(report.rejected)}

    def _dry_run(self, report: IndexReport, todo: list[FileTask],
                 manifest: dict[str, FileEntry], removed: list[str]) -> None:
        """What a run would change, by file: hashes decide whether touched files changed,
        and the settings a file is read with."""
        report.files_removed = list(removed)
        for task in todo:
            entry = manifest.get(task.path)
            if entry is None:
                continue
            if not entry.read_with(task.reading):
                report.files_changed.append(task.path)
                continue
            try:
                with open(task.path, "rb") as handle:
                    same = file_hash(handle.read()) == entry.hash
            except OSError:
                same = False
            if same:
                report.files_unchanged += 1
            else:
                report.files_changed.append(task.path)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
