"""A forked helper process: its part comes back whole, or not at all, and it never
outlives the process that started it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wiresearch.engine import forked

pytestmark = pytest.mark.skipif(not forked.available(),
                                reason="a helper process needs Linux and a second core")


def _gone(pid: int) -> bool:
    """Whether `pid` has been waited for (is no longer a child of this process)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_a_helper_gives_back_its_file_and_what_it_returned(tmp_path):
    def work(out):
        out.write(b"postings" * 100_000)
        return [(b"key", os.getpid())]

    helper = forked.Helper.start(work, str(tmp_path))
    pid = helper._pid
    out, returned = helper.result()
    with out:
        assert out.read() == b"postings" * 100_000
    assert returned == [(b"key", pid)] and pid != os.getpid()
    assert _gone(pid)
    assert list(tmp_path.iterdir()) == []  # its files have no names to leave behind


@pytest.mark.parametrize("how", ["raises", "exits", "killed"])
def test_a_helper_that_fails_gives_back_nothing(tmp_path, how):
    def work(out):
        out.write(b"half of it")
        if how == "raises":
            raise MemoryError
        if how == "exits":
            raise SystemExit(0)  # not a success: the work did not return
        os.kill(os.getpid(), signal.SIGKILL)

    helper = forked.Helper.start(work, str(tmp_path))
    assert helper.result() is None


def test_a_helper_is_ended_when_its_wait_is_interrupted(tmp_path):
    """Ctrl-C (or a run's SIGTERM handler) while the writer waits for its helper: the
    helper is killed and waited for, not left running after the run has stopped."""
    def work(out):
        time.sleep(60)

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    helper = forked.Helper.start(work, str(tmp_path))
    pid = helper._pid
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(KeyboardInterrupt):
            helper.result()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    helper.stop()
    assert _gone(pid)


def test_a_helper_dies_with_a_parent_killed_outright(tmp_path):
    """A writer killed with SIGKILL (the OOM killer, a stop timeout) takes its helper
    with it: alive, the helper would hold the index's lock files open."""
    script = ("import sys, time\n"
              "from wiresearch.engine import forked\n"
              "helper = forked.Helper.start(lambda out: time.sleep(120), sys.argv[1])\n"
              "print(helper._pid, flush=True)\n"
              "time.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    helper = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    for _ in range(100):  # a guard against a hung suite, not a speed target
        status = Path(f"/proc/{helper}/status")
        if not status.exists() or "zombie" in status.read_text():
            break
        time.sleep(0.1)
    else:
        os.kill(helper, signal.SIGKILL)
        pytest.fail("the helper outlived its parent")
