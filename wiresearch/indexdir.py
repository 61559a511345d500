"""The index folder: generations, the pointer to the live one, and the writer lock.

    index/
      wiresearch.json   which engine built this index (fixed when it is created)
      CURRENT           name of the live generation, replaced atomically
      gen-000002/       the live generation: engine files + catalog.sqlite
      gen-000001/       the previous one, kept for `wiresearch rollback`
      writer.lock       held (flock) by the one process allowed to write
      runs.log          one JSON line per reindex run
      LAST              the newest generation's name ever made: numbers are not reused

Readers read CURRENT once when they open, so a rebuild that switches CURRENT never
shows them a half-built generation.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from .engine import DEFAULT_ENGINE, engine_class
from .errors import IndexNotFoundError, LockedError, UsageError, not_writable

META_FILE = "wiresearch.json"
CURRENT_FILE = "CURRENT"
LAST_FILE = "LAST"
LOCK_FILE = "writer.lock"
RUN_LOG = "runs.log"
FORMAT_VERSION = 1
_GENERATION = re.compile(r"^gen-(\d{6})$")


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file, flush it to disk, then rename over `path`."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class IndexDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    # What is here
    def exists(self) -> bool:
        return (self.path / META_FILE).is_file() and (self.path / CURRENT_FILE).is_file()

    def meta(self) -> dict:
        try:
            return json.loads((self.path / META_FILE).read_text("utf-8"))
        except FileNotFoundError:
            raise IndexNotFoundError(
                f"no index at {self.path}: build one with `wiresearch --index {self.path} "
                f"index PATH`") from None
        except NotADirectoryError:
            raise IndexNotFoundError(f"{self.path} is a file, not an index folder") from None
        except ValueError:
            raise IndexNotFoundError(f"{self.path / META_FILE} is damaged") from None

    @property
    def engine_name(self) -> str:
        return self.meta().get("engine", DEFAULT_ENGINE)

    def create(self, engine: str | None = None) -> None:
        """Make an empty index folder for `engine` (checked to be installed)."""
        engine = engine or DEFAULT_ENGINE
        engine_class(engine)
        self._check_folder()
        self.path.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT_VERSION, "engine": engine,
                "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        _write_atomically(self.path / META_FILE, json.dumps(meta, indent=2) + "\n")

    def generations(self) -> list[str]:
        if not self.path.is_dir():
            return []
        return sorted(p.name for p in self.path.iterdir()
                      if p.is_dir() and _GENERATION.match(p.name))

    def current_name(self) -> str | None:
        try:
            name = (self.path / CURRENT_FILE).read_text("utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return name if _GENERATION.match(name) and (self.path / name).is_dir() else None

    def current(self) -> Path:
        name = self.current_name()
        if name is None:
            self.meta()  # says "no index here" when that is the problem
            raise IndexNotFoundError(
                f"{self.path} holds no finished index yet: its first indexing run is still "
                "going, or stopped before the end (run it again; with a configuration, "
                "`wiresearch reindex --full`)")
        return self.path / name

    def previous_name(self) -> str | None:
        current = self.current_name()
        older = [name for name in self.generations() if current is None or name < current]
        return older[-1] if older else None

    # Changing generations (only under the writer lock)
    def new_generation(self) -> Path:
        # A number is never used twice, though its generation may be deleted (rolled back
        # from, or left by a killed rebuild): a reader that opened it must not take
        # another generation of that name for the one it has.
        names = [*self.generations(), self._last_made()]
        existing = [int(match.group(1)) for name in names if (match := _GENERATION.match(name))]
        name = f"gen-{(max(existing, default=0) + 1):06d}"
        folder = self.path / name
        folder.mkdir()
        _write_atomically(self.path / LAST_FILE, name + "\n")
        return folder

    def _last_made(self) -> str:
        try:
            return (self.path / LAST_FILE).read_text("utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return ""

    def switch_to(self, generation: Path) -> None:
        _write_atomically(self.path / CURRENT_FILE, generation.name + "\n")

    def prune(self, keep_previous: bool = True, keep: tuple[str, ...] = ()) -> list[str]:
        """Delete generations other than the live one (and the one before it, and
        `keep`): leftovers of interrupted rebuilds and of generations rolled back from."""
        current = self.current_name()
        keep = {current, *keep}
        if keep_previous:
            keep.add(self.previous_name())
        removed = []
        for name in self.generations():
            if name not in keep:
                shutil.rmtree(self.path / name, ignore_errors=True)
                removed.append(name)
        return removed

    def append_run_log(self, record: dict) -> None:
        with open(self.path / RUN_LOG, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")

    def lock(self, wait: float = 0) -> WriterLock:
        # Checked before the lock is taken, so that nothing is written into a folder of
        # other things. A folder with the lock file may be an index another run is making
        # this instant (its first files come before its META_FILE): that run's lock
        # decides, and the folder is checked again once the lock is held, when no run is
        # making it.
        if not (self.path / LOCK_FILE).exists():
            self._check_folder()
        return WriterLock(self.path / LOCK_FILE, wait, check=self._check_folder)

    def run_lock(self, wait: float = 0, dry_run: bool = False):
        """The lock an indexing run takes: none for a dry run against a folder not made
        yet, which has nothing to guard and must not be made for its lock."""
        if dry_run and not self.path.exists():
            return contextlib.nullcontext()
        return self.lock(wait)

    def _check_folder(self) -> None:
        """Refuse, before anything is written there, a path that is not a folder, cannot
        become one, or is a folder of other things than an index."""
        if self.path.exists() and not self.path.is_dir():
            raise UsageError(f"{self.path} exists and is not a folder")
        if not self.path.exists():
            above = next((parent for parent in self.path.absolute().parents
                          if parent.exists()), None)
            if above is not None and not above.is_dir():
                raise UsageError(f"{self.path} cannot be made: {above} is a file, not a "
                                 "folder")
            return
        # A first run that failed leaves its lock and its line in the run log.
        leftovers = [p for p in self.path.iterdir()
                     if p.name not in (".gitkeep", LOCK_FILE, META_FILE, RUN_LOG)]
        if leftovers and not (self.path / META_FILE).exists():
            raise UsageError(f"{self.path} is not empty and is not a wiresearch index; "
                             "choose another index folder (--index, or `index` in the "
                             "configuration)")


class WriterLock:
    """One writer per index. flock() is released by the kernel when its holder dies, so a
    lock left by a killed run is simply free; the file only says who holds it."""

    def __init__(self, path: Path, wait: float = 0,
                 check: Callable[[], None] | None = None):
        self.path = path
        self.wait = wait
        # Run once the lock is held; what it raises lets the lock go and is raised.
        self._check = check
        self._handle = None

    def __enter__(self) -> WriterLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")
        except OSError as error:
            if error.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            raise not_writable(self.path.parent, error) from None
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    handle.close()
                    raise LockedError(f"index {self.path.parent} is locked by {holder}; "
                                      "try again later or pass --wait SECONDS") from None
                time.sleep(0.2)
        if self._check is not None:
            try:
                self._check()
            except BaseException:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
                handle.close()
                raise
        handle.seek(0)
        handle.truncate()
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()} on {os.uname().nodename} since {started}\n")
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
