"""The catalog: what an index generation holds, kept beside the engine in SQLite.

Per source file: size, modification time, content hash and status (the manifest the
incremental run compares with the disk). Per article: its file, checksum, duplicate
signature and cluster. Plus the vocabulary that spelling suggestions draw from.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from operator import add
from pathlib import Path

from . import duplicates
from .errors import damaged

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, hash TEXT,
    status TEXT NOT NULL DEFAULT 'ok', error TEXT, articles INTEGER DEFAULT 0,
    reading TEXT);
CREATE TABLE IF NOT EXISTS docs (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, checksum TEXT, signature INTEGER,
    cluster TEXT);
CREATE INDEX IF NOT EXISTS docs_path ON docs(path);
CREATE INDEX IF NOT EXISTS docs_cluster ON docs(cluster);
CREATE TABLE IF NOT EXISTS vocabulary (word TEXT PRIMARY KEY, df INTEGER NOT NULL);
-- Stories a file holds whose id another file (owner) held when it was read.
CREATE TABLE IF NOT EXISTS conflicts (
    path TEXT NOT NULL, id TEXT NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (path, id));
"""


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    mtime_ns: int
    hash: str
    # "ok"; "stale": unreadable now, last good articles kept; "failed": never read (the
    # file system refused); "dirty": queued by check --repair; these three are read
    # again at every run. "conflict": some of its stories are indexed from another file
    # (the conflicts table), read again when that file no longer holds them.
    status: str
    error: str | None
    articles: int
    # The settings the file was read with (FileTask.reading); None in catalogs made
    # before they were kept, which count as read with today's.
    reading: str | None = None

    def read_with(self, reading: str) -> bool:
        """Whether the file was read with these settings (as far as the catalog knows)."""
        return self.reading is None or self.reading == reading


@dataclass(frozen=True)
class DocEntry:
    path: str
    signature: int
    cluster: str | None


# Ids per SELECT ... IN (...): under SQLite's oldest default limit of 999 parameters.
_IDS_PER_QUERY = 900


def _signed(value: int) -> int:
    """SQLite integers are signed 64-bit; signatures are unsigned."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


class Catalog:
    FILE_NAME = "catalog.sqlite"

    def __init__(self, folder: Path, readonly: bool = False):
        self.path = folder / self.FILE_NAME
        existed = self.path.is_file()
        if readonly:
            # As a URI, the path percent-encoded: a folder named `a#b` or `a?b` is a path.
            uri = f"{self.path.absolute().as_uri()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, isolation_level=None,
                                       check_same_thread=False)
        else:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        if readonly or existed:
            # Before anything is made in it: an emptied catalog given its tables again
            # would know no article, and the next run add every one a second time.
            self._verify()
        if not readonly:
            # WAL lets searches read while a run writes. A reader in the middle of a read
            # can keep the switch from happening: then the run writes without it.
            with contextlib.suppress(sqlite3.OperationalError):
                self._db.execute("PRAGMA journal_mode=WAL")
            # The crash-safety order (journal, engine commit, catalog commit) needs each
            # catalog commit on disk before the next step.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
            if not self._has_reading():  # a catalog made before the column
                self._db.execute("ALTER TABLE files ADD COLUMN reading TEXT")
        self._readonly = readonly
        self._file_columns = ("path, size, mtime_ns, hash, status, error, articles, "
                              + ("reading" if self._has_reading() else "NULL"))
        self._in_transaction = False
        # Loaded at the first cluster_for() of a run, kept in step by put_doc().
        self._signatures: duplicates.SignatureIndex | None = None
        # Rows held back so that many go in one statement: a file's articles, a batch's
        # vocabulary. Written before anything reads or deletes, and before a commit.
        self._pending_docs: list[tuple] = []
        self._pending_vocabulary: dict[str, int] = {}

    def _verify(self) -> None:
        """Raises `damaged` unless the file is a catalog: SQLite that holds its tables."""
        try:
            tables = {name for name, in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError):  # locked, unreadable: no harm
                raise
            self._db.close()
            raise damaged(f"the catalog {self.path}", error) from None
        if not {"files", "docs"} <= tables:
            self._db.close()
            raise damaged(f"the catalog {self.path}", "it holds no catalog")

    def _has_reading(self) -> bool:
        return any(row[1] == "reading"
                   for row in self._db.execute("PRAGMA table_info(files)"))

    def _flush(self) -> None:
        """Write the held-back articles (before anything reads or deletes them)."""
        if self._pending_docs:
            self._db.executemany(
                "INSERT OR REPLACE INTO docs (id, path, checksum, signature, cluster) "
                "VALUES (?, ?, ?, ?, ?)", self._pending_docs)
            self._pending_docs = []

    def _flush_vocabulary(self) -> None:
        if self._pending_vocabulary:
            self._db.executemany(
                "INSERT INTO vocabulary VALUES (?, ?) "
                "ON CONFLICT(word) DO UPDATE SET df = df + excluded.df",
                self._pending_vocabulary.items())
            self._pending_vocabulary = {}

    def close(self) -> None:
        if not self._readonly:
            # Out of WAL when done: opening a WAL database, even read-only, needs its
            # shared-memory file, which a reader who may not write to the index folder
            # cannot create (while a writer holds it, the file is there). When a reader
            # has it open the switch fails, and the next writer's close makes it.
            with contextlib.suppress(sqlite3.OperationalError):
                self._db.execute("PRAGMA journal_mode=DELETE")
        self._db.close()

    def articles_not_in(self, other: Path) -> int:
        """How many articles of the catalog at `other` (a previous generation's) this one
        does not hold."""
        self._flush()
        self._db.execute("ATTACH DATABASE ? AS previous", (str(other),))
        try:
            return self._db.execute(
                "SELECT count(*) FROM previous.docs WHERE id NOT IN (SELECT id FROM docs)"
            ).fetchone()[0]
        finally:
            self._db.execute("DETACH DATABASE previous")

    # Transactions: the ingest groups a batch of files into one.
    def begin(self) -> None:
        if not self._in_transaction:
            self._db.execute("BEGIN IMMEDIATE")
            self._in_transaction = True

    def commit(self) -> None:
        self._flush()
        self._flush_vocabulary()
        if self._in_transaction:
            self._db.execute("COMMIT")
            self._in_transaction = False

    def rollback(self) -> None:
        if self._in_transaction:
            self._db.execute("ROLLBACK")
            self._in_transaction = False
            self._signatures = None
        self._pending_docs = []
        self._pending_vocabulary = {}

    # Meta
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # Files
    def files(self) -> dict[str, FileEntry]:
        rows = self._db.execute(f"SELECT {self._file_columns} FROM files")
        return {row[0]: FileEntry(*row) for row in rows}

    def file(self, path: str) -> FileEntry | None:
        row = self._db.execute(
            f"SELECT {self._file_columns} FROM files WHERE path=?", (path,)).fetchone()
        return FileEntry(*row) if row else None

    def files_named_like_members(self, path: str) -> list[str]:
        """The files whose names start as a member of a bundle at `path` would
        (`news!update` beside `news`): files of their own, which deleting the bundle's
        members must not touch."""
        prefix = path + "!"
        rows = self._db.execute("SELECT path FROM files WHERE path >= ? AND path < ?",
                                (prefix, prefix + "\U0010ffff"))
        return [row[0] for row in rows]

    def put_file(self, entry: FileEntry) -> None:
        self._db.execute("INSERT OR REPLACE INTO files (path, size, mtime_ns, hash, status, "
                         "error, articles, reading) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (entry.path, entry.size, entry.mtime_ns, entry.hash, entry.status,
                          entry.error, entry.articles, entry.reading))

    def forget_file(self, path: str) -> None:
        self._db.execute("DELETE FROM files WHERE path=?", (path,))
        self._db.execute("DELETE FROM conflicts WHERE path=?", (path,))

    def put_conflicts(self, path: str, owners: dict[str, str]) -> None:
        """The ids of `path`'s stories that other files hold, with those files."""
        self._db.execute("DELETE FROM conflicts WHERE path=?", (path,))
        self._db.executemany("INSERT INTO conflicts VALUES (?, ?, ?)",
                             [(path, article_id, owner) for article_id, owner in owners.items()])

    def conflict_owners(self, path: str) -> set[str | None]:
        """For each story of `path` in conflict, the file that holds its id now (None when
        none does, or when it is not the file that held it when `path` was read)."""
        self._flush()
        rows = self._db.execute(
            "SELECT CASE WHEN docs.path = conflicts.owner THEN docs.path END "
            "FROM conflicts LEFT JOIN docs ON docs.id = conflicts.id "
            "WHERE conflicts.path=?", (path,))
        return {row[0] for row in rows}

    # Articles
    def checksums(self, path: str) -> dict[str, str]:
        self._flush()
        rows = self._db.execute("SELECT id, checksum FROM docs WHERE path=?", (path,))
        return dict(rows.fetchall())

    def owner(self, article_id: str) -> str | None:
        """The file an article was read from."""
        entry = self.docs([article_id]).get(article_id)
        return entry.path if entry else None

    def docs(self, ids: Iterable[str]) -> dict[str, DocEntry]:
        """The entries of those of `ids` the catalog holds: one query per many ids."""
        self._flush()
        ids = list(ids)
        found: dict[str, DocEntry] = {}
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start:start + _IDS_PER_QUERY]
            rows = self._db.execute(
                "SELECT id, path, signature, cluster FROM docs WHERE id IN "
                f"({', '.join('?' * len(chunk))})", chunk)
            found.update((row[0], DocEntry(row[1], _unsigned(row[2]), row[3]))
                         for row in rows)
        return found

    def doc_count(self) -> int:
        self._flush()
        return self._db.execute("SELECT count(*) FROM docs").fetchone()[0]

    def doc_ids(self) -> set[str]:
        self._flush()
        return {row[0] for row in self._db.execute("SELECT id FROM docs")}

    def cluster_for(self, article_id: str, signature: int, stored: DocEntry | None
                    ) -> str:
        """The duplicate cluster of an article about to be stored (`stored` is its entry
        from docs(), if any): the cluster of the closest earlier copy, else its own id.
        Earlier assignments never change, so clusters are stable across runs, and an
        edited story still close to its earlier text keeps its cluster."""
        if stored and stored.signature == signature and stored.cluster:
            return stored.cluster
        if self._signatures is None:
            self._flush()
            self._signatures = duplicates.SignatureIndex()
            for stored_signature, cluster in self._db.execute(
                    "SELECT signature, cluster FROM docs ORDER BY rowid"):
                self._signatures.add(_unsigned(stored_signature), cluster)
        return self._signatures.closest(signature) or article_id

    def put_doc(self, article_id: str, path: str, checksum: str, signature: int,
                cluster: str) -> None:
        self._pending_docs.append((article_id, path, checksum, _signed(signature), cluster))
        if self._signatures is not None:
            self._signatures.add(signature, cluster)

    def delete_docs(self, ids: Iterable[str]) -> None:
        self._flush()
        self._db.executemany("DELETE FROM docs WHERE id=?", ((i,) for i in ids))

    def delete_docs_of(self, path: str) -> list[str]:
        ids = list(self.checksums(path))  # which writes the held-back articles first
        self._db.execute("DELETE FROM docs WHERE path=?", (path,))
        return ids

    def cluster_members(self, cluster: str) -> list[str]:
        self._flush()
        rows = self._db.execute("SELECT id FROM docs WHERE cluster=? ORDER BY rowid",
                                (cluster,))
        return [row[0] for row in rows]

    def cluster_sizes(self) -> dict[str, int]:
        self._flush()
        rows = self._db.execute(
            "SELECT cluster, count(*) FROM docs GROUP BY cluster HAVING count(*) > 1")
        return dict(rows.fetchall())

    # Vocabulary
    def add_vocabulary(self, counts: dict[str, int]) -> None:
        # Summed by loops in C (map, zip, dict.update): a build merges millions of
        # per-file counts, and a Python loop over them was a tenth of the writer's time.
        pending = self._pending_vocabulary
        pending.update(zip(counts, map(add, counts.values(),
                                       map(pending.get, counts, repeat(0))), strict=True))

    def words_starting(self, prefix: str, limit: int = 2000) -> list[str]:
        """Up to `limit` words of the vocabulary that start with `prefix`, commonest
        first."""
        return [row[0] for row in self._db.execute(
            "SELECT word FROM vocabulary WHERE word >= ? AND word < ? "
            "ORDER BY df DESC LIMIT ?", (prefix, prefix + "\U0010ffff", limit))]

    def vocabulary(self) -> dict[str, int]:
        self._flush_vocabulary()
        return dict(self._db.execute("SELECT word, df FROM vocabulary").fetchall())
