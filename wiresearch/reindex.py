"""The nightly job and its operations: reindex from a configuration, roll back to the
previous generation, and check an index against its catalog.

Exit codes (README, "The nightly job"): 0 clean, 4 done but some input was rejected,
1 failed, 2 bad configuration or options, 75 another run holds the lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import nodes
from .catalog import Catalog, FileEntry
from .config import Config
from .engine import engine_class
from .errors import (
    IndexNotFoundError,
    NotWritableError,
    Terminated,
    UsageError,
    WiresearchError,
    damaged,
)
from .indexdir import IndexDir
from .ingest import JOURNAL_FILE, IndexReport, Ingester

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REJECTED = 4
EXIT_LOCKED = 75


def exit_code(report: IndexReport) -> int:
    return EXIT_OK if report.clean else EXIT_REJECTED


def run(config: Config, *, full: bool = False, dry_run: bool = False, wait: float = 0,
        jobs: int | None = None, progress: Callable[[dict], None] | None = None
        ) -> IndexReport:
    """Bring the configured index in line with the configured sources. Files gone from
    the sources are deleted from the index."""
    index_dir = IndexDir(config.index)
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with index_dir.run_lock(wait, dry_run):
        try:
            # The configured engine is the one a new index gets; an index keeps its own.
            report = Ingester(index_dir, jobs=jobs, progress=progress).run(
                list(config.sources), full=full, dry_run=dry_run, delete_scope=None,
                engine=None if index_dir.exists() else config.engine)
        except BaseException as error:
            if index_dir.path.is_dir():
                interrupted = isinstance(error, (KeyboardInterrupt, SystemExit, Terminated))
                index_dir.append_run_log({
                    "started": started, "status": "interrupted" if interrupted else "failed",
                    "error": str(error) or repr(error), "config": os.path.abspath(config.file)})
            raise
        if not dry_run:
            data = report.to_dict()
            # Counts, not the lists of files: a first run over a large archive would
            # write one line of megabytes.
            data["files"] = {key: len(value) if isinstance(value, list) else value
                             for key, value in data["files"].items()}
            data["recovered"] = len(data["recovered"])
            index_dir.append_run_log({
                "started": started, "status": "clean" if report.clean else "rejected",
                "config": os.path.abspath(config.file),
                **{key: value for key, value in data.items() if key not in ("warnings",)},
                "rejected": len(report.rejected), "warnings": len(report.warnings),
            })
    return report


def rollback(index_dir: IndexDir, wait: float = 0) -> tuple[str, str]:
    """Make the previous generation live again; returns (from, to)."""
    index_dir.meta()  # no index here: say so, and make no folder
    with index_dir.lock(wait):
        current = index_dir.current_name()
        previous = index_dir.previous_name()
        if current is None or previous is None:
            raise UsageError(f"{index_dir.path} has no previous generation to roll back to "
                             "(one is kept after each full rebuild)")
        index_dir.switch_to(index_dir.path / previous)
        index_dir.append_run_log({
            "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "status": "rollback", "from": current, "to": previous})
    return current, previous


@dataclass
class CheckReport:
    generation: str
    engine: str
    documents: int
    catalog_documents: int
    missing: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)
    # Ids the engine holds more than once (each should be one article).
    duplicated: list[str] = field(default_factory=list)
    files_gone: list[str] = field(default_factory=list)
    files_stale: list[str] = field(default_factory=list)
    interrupted: list[str] = field(default_factory=list)
    repaired: bool = False
    engine_advice: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.orphaned or self.duplicated or self.interrupted)

    def advice(self) -> list[str]:
        lines = []
        if self.interrupted:
            lines.append("an interrupted run left work behind: the next `wiresearch reindex`, "
                         "or `index` of the folders of the files listed, finishes it")
        if (self.missing or self.orphaned or self.duplicated) and not self.repaired:
            lines.append("run `wiresearch check --repair`: it deletes orphaned and duplicated "
                         "articles and queues the files of missing and duplicated ones for "
                         "the next reindex")
        if self.files_gone:
            lines.append("source files are gone from disk: the next `wiresearch reindex` "
                         "deletes their articles")
        if self.files_stale:
            lines.append("some files were unreadable at the last run; their last good "
                         "articles are kept until they can be read again")
        return lines + self.engine_advice

    def to_dict(self) -> dict:
        return {"ok": self.ok, "generation": self.generation, "engine": self.engine,
                "documents": self.documents, "catalog_documents": self.catalog_documents,
                "missing": self.missing, "orphaned": self.orphaned,
                "duplicated": self.duplicated,
                "files_gone": self.files_gone, "files_stale": self.files_stale,
                "interrupted": self.interrupted, "repaired": self.repaired,
                "advice": self.advice()}


def check(index_dir: IndexDir, repair: bool = False, wait: float = 0) -> CheckReport:
    """Compare the engine's articles with the catalog's, between runs (it waits `wait`
    seconds for one to end); with `repair`, delete orphans and queue their files and
    those of missing articles to be read again."""
    if not index_dir.exists():
        raise IndexNotFoundError(f"no index at {index_dir.path}")
    with contextlib.ExitStack() as held:
        try:
            # Between runs: a run in progress holds articles its catalog has not
            # committed yet, which would look like orphans.
            held.enter_context(index_dir.lock(wait))
        except NotWritableError:
            if repair:
                raise
            # A reader who may not take the lock checks the index as it stands.
        return _check(index_dir, repair=repair)


def _check(index_dir: IndexDir, repair: bool) -> CheckReport:
    generation = index_dir.current()
    if not (generation / Catalog.FILE_NAME).is_file():
        # Opening it to write would make an empty one, and every article an orphan.
        raise WiresearchError(
            f"the catalog of {generation} is missing, so nothing can be checked or repaired "
            "against it: `wiresearch reindex --full` (or `index PATH --full`) rebuilds the "
            "index from its files; nothing was changed")
    try:  # a check holds the writer lock (or, by a reader, runs between runs)
        engine = engine_class(index_dir.engine_name).open(generation)
        opened = engine.searcher()
    except FileNotFoundError as error:
        raise damaged(f"the index in {generation}", error) from None
    try:
        catalog = Catalog(generation, readonly=not repair)
    except BaseException:
        opened.close()
        engine.close()
        raise
    try:
        with opened as searcher:
            counted = Counter(searcher.ids(nodes.MatchAll()))
            documents = searcher.doc_count()
        indexed = set(counted)
        known = catalog.doc_ids()
        files = catalog.files()
        journal = generation / JOURNAL_FILE
        report = CheckReport(
            generation=generation.name, engine=index_dir.engine_name, documents=documents,
            catalog_documents=len(known), missing=sorted(known - indexed),
            orphaned=sorted(indexed - known),
            duplicated=sorted(article_id for article_id, copies in counted.items()
                              if copies > 1),
            files_gone=sorted(path for path in files if not Path(path).exists()),
            files_stale=sorted(path for path, entry in files.items()
                               if entry.status == "stale"),
            interrupted=json.loads(journal.read_text("utf-8")) if journal.exists() else [],
            engine_advice=engine.advice())
        if repair and (report.missing or report.orphaned or report.duplicated):
            _repair(engine, catalog, report)
        return report
    finally:
        catalog.close()
        engine.close()


def _catalog_file(catalog: Catalog, path: str) -> str | None:
    """The file the catalog lists for an article's path: for a member of a bundle
    (`day.zip!ap/0001.xml`), the bundle."""
    while path:
        if catalog.file(path) is not None:
            return path
        if "!" not in path:
            return None
        path = path.rsplit("!", 1)[0]
    return None


def _repair(engine, catalog: Catalog, report: CheckReport) -> None:
    owners = {}
    # A duplicated article is deleted, every copy of it, and read again from its file.
    for article_id in report.missing + report.duplicated:
        owner = catalog.owner(article_id)
        if owner:
            owners.setdefault(owner, []).append(article_id)
    # An orphan's file is read again too: the run that added it may have stopped before
    # the catalog heard of it, and the story is still in the file.
    with engine.searcher() as searcher:
        for article_id in report.orphaned:
            stored = searcher.get(article_id)
            path = _catalog_file(catalog, stored.article.path) if stored is not None else None
            if path is not None:
                owners.setdefault(path, []).append(article_id)
    catalog.begin()
    try:
        with engine.writer() as writer:
            if report.orphaned or report.duplicated:
                writer.delete(report.orphaned + report.duplicated)
        catalog.delete_docs(report.missing + report.duplicated)
        for path in owners:
            entry = catalog.file(path)
            if entry is not None:
                # "dirty" is not "ok": the next run reads the file again.
                catalog.put_file(FileEntry(path, entry.size, entry.mtime_ns, entry.hash,
                                           "dirty", "queued by check --repair",
                                           entry.articles, entry.reading))
        catalog.commit()
    except BaseException:
        catalog.rollback()
        raise
    report.repaired = True
