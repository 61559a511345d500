"""Part of a job done by a forked copy of this process, on the machine's other core.

Writing a segment's postings at a commit is pure Python work over data already in the
writing process's memory (the term pool): a copy made by fork() reads it where it lies,
where another kind of worker process would need it all pickled over. The helper writes
its part to an unnamed temporary file and ends; its parent takes the file and a small
picklable result, or, should the helper fail for any reason, does the part itself. A
helper is only ever a speed-up: what is written is the same either way.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import tempfile
import warnings
from collections.abc import Callable
from functools import cache
from typing import IO, Any

_STOPPING = {signal.SIGINT, signal.SIGTERM}
_PR_SET_PDEATHSIG = 1


@cache
def _prctl() -> Callable[..., int] | None:
    # Looked up in the parent, before a fork: the copy makes no call that may take a
    # lock (loading a library does). Imported here: searches never fork.
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def available() -> bool:
    """Whether a helper can run beside this process: Linux (fork() is not safe on macOS
    once system libraries are loaded, and Windows has none) with a second core to use."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return len(os.sched_getaffinity(0)) > 1
    except OSError:
        return False


class Helper:
    """`work(out)` run in a forked copy of this process: it writes what it makes to the
    binary file `out` and returns something picklable. start() returns None when no
    copy could be made (the caller does the work itself).

    The copy shares the parent's open files, their offsets included: `work` must read
    none that the parent may read meanwhile. It ends without running finalizers, but an
    object `work` lets go of is finalized at once: `work` must keep a reference to any
    buffered file it replaces, or the copy's buffer is flushed into the parent's file."""

    def __init__(self, pid: int, out: IO[bytes], returned: IO[bytes]):
        self._pid: int | None = pid
        self._out = out
        self._returned = returned

    @classmethod
    def start(cls, work: Callable[[IO[bytes]], Any], folder: str) -> Helper | None:
        # Unnamed (O_TMPFILE), next to the index: nothing is left behind by a run that
        # is killed, and the helper's part takes room where the index's does. They are
        # the Helper's, closed by close().
        try:
            out = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115
        except OSError:
            return None
        try:
            returned = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115
        except OSError:
            out.close()
            return None
        # Signals that stop a run wait until the copy is in _run_helper's hands and the
        # parent holds the Helper: a Ctrl-C in between would have the copy unwind
        # through the run's own code (flushing its copies of the segment's buffers,
        # letting go of the index's lock), or the parent lose track of the copy.
        prctl = _prctl()
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
        try:
            with warnings.catch_warnings():
                # Python 3.12 warns that a fork while other threads run (the reader
                # pool's manager) may deadlock in the child: the helper takes no lock
                # another thread could hold (no imports, no logging, only its own files).
                warnings.simplefilter("ignore", DeprecationWarning)
                parent = os.getpid()
                pid = os.fork()
            if pid == 0:
                try:
                    _run_helper(work, out, returned, parent, prctl, blocked)
                finally:
                    os._exit(1)
            return cls(pid, out, returned)
        except OSError:
            out.close()
            returned.close()
            return None
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def result(self) -> tuple[IO[bytes], Any] | None:
        """Waits for the helper: its file (at its start) and what `work` returned, or None
        when it failed. The file is the caller's to close."""
        # Interrupted here (Ctrl-C), the helper is still this one's to stop().
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if os.waitstatus_to_exitcode(status) != 0:
            self.close()
            return None
        try:
            self._returned.seek(0)
            returned = pickle.load(self._returned)
            self._out.seek(0)
        except Exception:  # an incomplete result: the part is done again
            self.close()
            return None
        self._returned.close()
        return self._out, returned

    def stop(self) -> None:
        """Ends the helper at once (the caller is stopping: an error, Ctrl-C)."""
        try:
            if self._pid is not None:
                pid, self._pid = self._pid, None
                with contextlib.suppress(OSError):  # ended already
                    os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):  # waited for already
                    os.waitpid(pid, 0)
        finally:
            self.close()

    def close(self) -> None:
        self._out.close()
        self._returned.close()


def _run_helper(work: Callable[[IO[bytes]], Any], out: IO[bytes], returned: IO[bytes],
                parent: int, prctl: Callable[..., int] | None,
                signals: set[signal.Signals]) -> None:
    """The forked copy's whole life: never returns, never runs the parent's exit code."""
    status = 1
    try:
        # A parent killed outright (SIGKILL, the OOM killer) takes its copy with it:
        # alive, the copy would hold the index's lock files open.
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            return
        signal.pthread_sigmask(signal.SIG_SETMASK, signals)
        # A collection would touch every object and copy the parent's memory page by
        # page; the helper lives seconds and makes little garbage.
        gc.disable()
        result = work(out)
        out.flush()
        pickle.dump(result, returned, pickle.HIGHEST_PROTOCOL)
        returned.flush()
        status = 0
    except BaseException:  # noqa: BLE001 - any failure: the parent does the part itself
        pass
    finally:
        os._exit(status)
