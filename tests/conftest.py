"""Shared fixtures: the shared corpora, small archives, and the engines every
behaviour is checked against."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wiresearch import Archive

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
CORPORA = REPO.parent / "shared" / "corpora"
# Every behaviour is checked on both engines (tantivy is in the test extra).
ENGINES = ["whoosh", "tantivy"]


def write_articles(folder: Path, articles) -> Path:
    """A new folder holding one JSON Lines file of (id, headline, body) stories, all
    dated 2024-03-01."""
    folder.mkdir()
    lines = [json.dumps({"id": key, "headline": headline, "body": body,
                         "date": "2024-03-01"}) for key, headline, body in articles]
    (folder / "wire.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def unprivileged(index: Path, *args, **run) -> subprocess.CompletedProcess:
    """`wiresearch --index INDEX ARGS` in its own process, without root's right to read
    and write anything (so that permissions are tested on machines that run tests as
    root); skips the test when root has no setpriv to drop it."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv to drop its privileges")
        prefix = [setpriv, "--inh-caps=-all", "--bounding-set=-all"]
    return subprocess.run([*prefix, sys.executable, "-m", "wiresearch.cli", "--index",
                           str(index), *map(str, args)], capture_output=True, text=True,
                          timeout=300, **run)


def corpus(*parts: str) -> Path:
    """A path in ../shared/corpora, or skip the test when the corpora are absent."""
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared corpora at {CORPORA} (not present on this machine)")
    return path


@pytest.fixture(params=ENGINES)
def engine_name(request) -> str:
    return request.param


@pytest.fixture(scope="session", params=ENGINES)
def sample_archive(request, tmp_path_factory) -> Archive:
    """The repository's data/ sample, indexed once per engine; read-only for tests."""
    folder = tmp_path_factory.mktemp(f"sample-{request.param}")
    archive = Archive(folder / "index")
    report = archive.index([DATA], engine=request.param)
    assert not report.rejected, report.rejected
    yield archive
    archive.close()


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of data/."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target
