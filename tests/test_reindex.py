"""The nightly job: configuration, generations, the lock, crash safety, bad input."""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import DATA, corpus, unprivileged
from wiresearch import Archive, reindex
from wiresearch.cli import cli
from wiresearch.config import load_config
from wiresearch.errors import ConfigError, LockedError, WiresearchError
from wiresearch.indexdir import IndexDir

REUTERS = DATA / "reuters21578" / "reut2-000.sgm"


def write_config(folder: Path, sources=("src",), engine=None) -> Path:
    lines = ['index = "index"']
    if engine:
        lines.append(f'engine = "{engine}"')
    for source in sources:
        lines += ["[[sources]]", f'path = "{source}"']
    path = folder / "wiresearch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def wiresearch(*args, env=None, cwd=None):
    """The real program in its own process."""
    return subprocess.run([sys.executable, "-m", "wiresearch.cli", *map(str, args)],
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          cwd=cwd, timeout=600)


@pytest.fixture
def site(tmp_path, engine_name):
    """A folder with a config and a copy of data/ as its source."""
    shutil.copytree(DATA, tmp_path / "src")
    write_config(tmp_path, engine=engine_name)
    return tmp_path


def test_config_minimal_form_and_errors(tmp_path):
    path = write_config(tmp_path)
    config = load_config(str(path))
    assert config.index == tmp_path / "index"
    assert config.sources[0].path == str(tmp_path / "src")
    (tmp_path / "bad.toml").write_text("index = 'x'\n[[sources]]\nfolder = 'y'\n")
    with pytest.raises(ConfigError, match="needs a path"):
        load_config(str(tmp_path / "bad.toml"))
    # Settings that only reading a file would use are checked with the rest.
    (tmp_path / "bad.toml").write_text(
        "index = 'x'\n[[sources]]\npath = 'y'\nformat = 'reuters-sgml '\n")
    with pytest.raises(ConfigError, match="sources #1: unknown format 'reuters-sgml '"):
        load_config(str(tmp_path / "bad.toml"))
    (tmp_path / "bad.toml").write_text(
        "index = 'x'\n[[sources]]\npath = 'y'\nfields = { title = 'headline' }\n")
    with pytest.raises(ConfigError, match="'title' is not one of ours"):
        load_config(str(tmp_path / "bad.toml"))
    (tmp_path / "empty.toml").write_text("index = 'x'\n[[sources]]\npath = ''\n")
    with pytest.raises(ConfigError, match="needs a path"):  # not the config's own folder
        load_config(str(tmp_path / "empty.toml"))
    (tmp_path / "broken.toml").write_text("index = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(str(tmp_path / "broken.toml"))


def test_config_is_found_in_the_folder_or_the_environment(tmp_path, monkeypatch):
    path = write_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert load_config().file == Path("wiresearch.toml")
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    with pytest.raises(ConfigError, match="no wiresearch.toml"):
        load_config()
    monkeypatch.setenv("WIRESEARCH_CONFIG", str(path))
    assert load_config().file == path


def test_reindex_runs_incrementally_and_logs(site):
    config = load_config(str(site / "wiresearch.toml"))
    first = reindex.run(config)
    assert first.added == 1021 and first.full and first.generation == "gen-000001"
    second = reindex.run(config)
    assert (second.added, second.updated, second.deleted, second.files_read) == (0, 0, 0, 0)
    shutil.rmtree(site / "src" / "bbc" / "tech")
    third = reindex.run(config)
    assert third.deleted == 4 and third.documents == 1017
    log = [json.loads(line) for line in (site / "index" / "runs.log").read_text().splitlines()]
    assert [entry["status"] for entry in log] == ["clean", "clean", "clean"]
    assert log[-1]["deleted"] == 4 and "duration_seconds" in log[-1]
    # Counts of files, not their lists (a first run over a large archive was one line
    # of megabytes).
    assert log[0]["files"]["new"] == 22 and log[-1]["files"]["removed"] == 4
    # The configuration as a path from anywhere, whatever the folder the run began in.
    relative = load_config(os.path.relpath(site / "wiresearch.toml"))
    reindex.run(relative)
    last = json.loads((site / "index" / "runs.log").read_text().splitlines()[-1])
    assert last["config"] == str(site / "wiresearch.toml")


def test_the_configured_engine_is_for_a_new_index_only(site, engine_name):
    reindex.run(load_config(str(site / "wiresearch.toml")))
    other = "tantivy" if engine_name == "whoosh" else "whoosh"
    write_config(site, engine=other)
    report = reindex.run(load_config(str(site / "wiresearch.toml")))
    assert report.engine == engine_name and report.unchanged == 1021


def test_full_rebuild_switches_generation_and_rollback_returns(site):
    config = load_config(str(site / "wiresearch.toml"))
    reindex.run(config)
    (site / "src" / "bbc" / "tech" / "001.txt").unlink()
    rebuilt = reindex.run(config, full=True)
    assert rebuilt.generation == "gen-000002" and rebuilt.documents == 1020
    index_dir = IndexDir(site / "index")
    assert index_dir.current_name() == "gen-000002"
    assert index_dir.previous_name() == "gen-000001"
    with Archive(site / "index") as archive:
        assert archive.search("*").total == 1020
    assert reindex.rollback(index_dir) == ("gen-000002", "gen-000001")
    with Archive(site / "index") as archive:
        assert archive.search("*").total == 1021
    third = reindex.run(config, full=True)
    assert third.generation == "gen-000003"
    assert index_dir.generations() == ["gen-000001", "gen-000003"]


def test_exit_codes_and_json_report(site):
    result = CliRunner().invoke(cli, ["reindex", "--config", str(site / "wiresearch.toml"),
                                      "--json"])
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert {"added", "updated", "deleted", "unchanged", "rejected", "duration_seconds",
            "documents", "generation"} <= set(report)
    (site / "src" / "empty.txt").write_bytes(b"")
    result = CliRunner().invoke(cli, ["reindex", "--config", str(site / "wiresearch.toml")])
    assert result.exit_code == reindex.EXIT_REJECTED == 4
    assert "empty.txt: empty file" in result.output
    missing = CliRunner().invoke(cli, ["reindex", "--config", str(site / "nope.toml")])
    assert missing.exit_code == 2 and "no configuration file" in missing.stderr


def test_dry_run_shows_changes_without_making_them(site):
    config = load_config(str(site / "wiresearch.toml"))
    reindex.run(config)
    (site / "src" / "bbc" / "tech" / "001.txt").write_text("New headline\n\nNew body.\n")
    plan = reindex.run(config, dry_run=True)
    assert plan.files_changed == [str(site / "src" / "bbc" / "tech" / "001.txt")]
    with Archive(site / "index") as archive:
        assert archive.get("bbc:tech/001").headline != "New headline"


def test_a_dry_run_before_the_first_run_creates_nothing(site):
    config = load_config(str(site / "wiresearch.toml"))
    plan = reindex.run(config, dry_run=True)
    assert len(plan.files_new) == 22 and plan.added == 0
    assert not (site / "index").exists()


def test_a_first_run_that_failed_does_not_block_the_next(tmp_path, engine_name):
    # The source was not there on the first night: that run fails, the next one works.
    write_config(tmp_path, engine=engine_name)
    failed = CliRunner().invoke(cli, ["reindex", "--config", str(tmp_path / "wiresearch.toml")])
    assert failed.exit_code == 2 and "no such file or folder" in failed.stderr
    shutil.copytree(DATA, tmp_path / "src")
    result = CliRunner().invoke(cli, ["reindex", "--config", str(tmp_path / "wiresearch.toml")])
    assert result.exit_code == 0, result.output
    with Archive(tmp_path / "index") as archive:
        assert archive.search("*").total == 1021


def test_rolling_back_a_missing_index_says_so_and_makes_nothing(tmp_path):
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "nope"), "rollback"])
    assert result.exit_code == 3 and "no index at" in result.stderr
    assert not (tmp_path / "nope").exists()


def test_a_second_writer_is_refused_at_once_or_waits(site):
    index_dir = IndexDir(site / "index")
    config = load_config(str(site / "wiresearch.toml"))
    with index_dir.lock():
        started = time.monotonic()
        with pytest.raises(LockedError, match="locked by pid"):
            reindex.run(config)
        assert time.monotonic() - started < 2
        result = CliRunner().invoke(cli, ["reindex", "--config", str(site / "wiresearch.toml")])
        assert result.exit_code == reindex.EXIT_LOCKED == 75
        with pytest.raises(LockedError):
            reindex.run(config, wait=0.5)
    assert reindex.run(config, wait=1).added == 1021


def test_two_runs_started_together_exactly_one_proceeds(site):
    config = site / "wiresearch.toml"
    runs = [subprocess.Popen([sys.executable, "-m", "wiresearch.cli", "reindex", "--config",
                              str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    codes = sorted(run.wait(timeout=300) for run in runs)
    assert codes == [0, 75]
    loser = next(run for run in runs if run.returncode == 75)
    # "locked by pid N ..." once the winner has written its note, "locked by another
    # process" in the instant before.
    assert "is locked by" in loser.stderr.read()


def _holding_the_lock(index: Path) -> subprocess.Popen:
    """Another process that holds `index`'s writer lock (until it is killed)."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import time\nfrom wiresearch.indexdir import IndexDir\n"
        f"with IndexDir({str(index)!r}).lock():\n"
        "    print('held', flush=True)\n    time.sleep(600)\n")], stdout=subprocess.PIPE,
        text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_run_that_finds_an_index_being_made_is_told_it_is_locked(site):
    """Two first runs started together: the one that did not take the lock found the
    other's first files in the index folder, before the file that says it is an index,
    and was told to choose another folder (exit 2) instead of that it is locked."""
    config = site / "wiresearch.toml"
    holder = _holding_the_lock(site / "index")
    try:
        (site / "index" / "gen-000001").mkdir()  # what a first run makes before the rest
        blocked = wiresearch("reindex", "--config", config)
        assert blocked.returncode == 75, blocked.stderr
        assert "is locked by" in blocked.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # A run that finds such a folder unlocked (the first run died) still refuses it,
    # and leaves the lock as it found it.
    note = (site / "index" / "writer.lock").read_text()
    refused = wiresearch("reindex", "--config", config)
    assert refused.returncode == 2
    assert "not a wiresearch index" in refused.stderr
    assert (site / "index" / "writer.lock").read_text() == note


def test_a_lock_left_by_a_killed_run_is_taken_over(site):
    config = site / "wiresearch.toml"
    holder = _holding_the_lock(site / "index")
    assert wiresearch("reindex", "--config", config).returncode == 75
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert "pid" in (site / "index" / "writer.lock").read_text()
    done = wiresearch("reindex", "--config", config)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("point", ["journal-written", "engine-committed",
                                   "catalog-committed"])
def test_a_crash_at_each_commit_step_loses_nothing(site, point):
    config = site / "wiresearch.toml"
    assert wiresearch("reindex", "--config", config).returncode == 0
    extra = site / "src" / "more"
    extra.mkdir()
    shutil.copytree(DATA / "bbc", extra / "bbc2")
    sgm = site / "src" / "reuters21578" / "reut2-000.sgm"
    sgm.write_bytes(sgm.read_bytes().replace(b"BAHIA COCOA REVIEW", b"BAHIA COCOA REPORT"))
    crashed = wiresearch("reindex", "--config", config, env={"WIRESEARCH_FAULT": point})
    assert crashed.returncode == -signal.SIGKILL
    with Archive(site / "index") as archive:
        assert archive.search("*").total >= 1021  # openable, nothing lost
    finished = wiresearch("reindex", "--config", config)
    assert finished.returncode == 0, finished.stderr
    with Archive(site / "index") as archive:
        assert archive.search("*").total == 1041
        assert archive.get("reuters21578:1").headline == "BAHIA COCOA REPORT"
    check = reindex.check(IndexDir(site / "index"))
    assert check.ok and not check.missing and not check.orphaned


def test_a_run_stopped_before_it_reread_an_interrupted_runs_files_adds_nothing_twice(
        tmp_path, engine_name):
    """The first run is killed once its engine holds a file's articles and its catalog
    does not; the second, which would read that file again after a new one, is killed
    after its first commit. The third must still know the file's articles are there."""
    reuters = corpus("reuters21578")
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(reuters / "reut2-000.sgm", source / "reut2-000.sgm")
    config = write_config(tmp_path, engine=engine_name)
    assert wiresearch("reindex", "--config", config).returncode == 0
    shutil.copy(reuters / "reut2-001.sgm", source / "b.sgm")
    shutil.copy(reuters / "reut2-002.sgm", source / "c.sgm")
    batches = {"WIRESEARCH_BATCH_ARTICLES": "300"}
    first = wiresearch("reindex", "--config", config,
                       env={**batches, "WIRESEARCH_FAULT": "engine-committed"})
    assert first.returncode == -signal.SIGKILL
    shutil.copy(reuters / "reut2-003.sgm", source / "a.sgm")  # read before b.sgm
    second = wiresearch("reindex", "--config", config,
                        env={**batches, "WIRESEARCH_FAULT": "catalog-committed"})
    assert second.returncode == -signal.SIGKILL
    finished = wiresearch("reindex", "--config", config)
    assert finished.returncode == 0, finished.stderr
    with Archive(tmp_path / "index") as archive:
        ids = [row["id"] for row in archive.export(fields=["id"])]
    assert len(ids) == len(set(ids)) == 4000
    check = reindex.check(IndexDir(tmp_path / "index"))
    assert check.duplicated == [] and check.ok
    assert check.documents == check.catalog_documents == 4000


def test_a_terminated_run_is_logged_lets_go_of_its_lock_and_loses_nothing(site):
    # SIGTERM is what cron's and systemd's timeouts send.
    config = site / "wiresearch.toml"
    assert wiresearch("reindex", "--config", config).returncode == 0
    shutil.copytree(DATA / "bbc", site / "src" / "bbc2")
    stopped = wiresearch("reindex", "--config", config,
                         env={"WIRESEARCH_FAULT": "engine-committed:SIGTERM"})
    assert stopped.returncode == 128 + signal.SIGTERM
    assert stopped.stderr.strip() == "wiresearch: error: terminated"
    logged = [json.loads(line) for line in
              (site / "index" / "runs.log").read_text().splitlines()]
    assert logged[-1]["status"] == "interrupted"
    finished = wiresearch("reindex", "--config", config, "--wait", "0")
    assert finished.returncode == 0, finished.stderr
    with Archive(site / "index") as archive:
        assert archive.search("*").total == 1041


def _rebuild_killed_before_its_switch(site) -> Path:
    """The site indexed, then a `--full` killed before it switched; its configuration."""
    config = site / "wiresearch.toml"
    assert wiresearch("reindex", "--config", config).returncode == 0
    crashed = wiresearch("reindex", "--config", config, "--full",
                         env={"WIRESEARCH_FAULT": "generation-built"})
    assert crashed.returncode == -signal.SIGKILL
    return config


def test_a_crash_before_the_switch_leaves_the_live_generation(site):
    config = _rebuild_killed_before_its_switch(site)
    assert IndexDir(site / "index").current_name() == "gen-000001"
    again = wiresearch("reindex", "--config", config, "--full", "--json")
    assert json.loads(again.stdout)["generation"] == "gen-000003"
    assert IndexDir(site / "index").generations() == ["gen-000001", "gen-000003"]


def test_the_next_run_deletes_what_a_killed_rebuild_left(site):
    config = _rebuild_killed_before_its_switch(site)
    assert IndexDir(site / "index").generations() == ["gen-000001", "gen-000002"]
    assert wiresearch("reindex", "--config", config, "--dry-run").returncode == 0
    assert IndexDir(site / "index").generations() == ["gen-000001", "gen-000002"]
    assert wiresearch("reindex", "--config", config).returncode == 0
    assert IndexDir(site / "index").generations() == ["gen-000001"]


def test_an_archive_whose_generation_was_deleted_says_to_refresh(site):
    config = site / "wiresearch.toml"
    assert wiresearch("reindex", "--config", config).returncode == 0
    with Archive(site / "index") as opened:
        assert opened.search("").total == 1021
        for _ in range(2):  # two rebuilds: the first generation is deleted
            assert wiresearch("reindex", "--config", config, "--full").returncode == 0
        with pytest.raises(WiresearchError, match="refresh"):
            opened.stats()
        opened.refresh()
        assert opened.stats()["generation"] == "gen-000003"


def test_a_generation_number_is_never_used_twice(site):
    # Rolled back from, then deleted by the next run: the next rebuild takes a new name,
    # so that an Archive that had opened the deleted one cannot take it for its own.
    config = site / "wiresearch.toml"
    assert wiresearch("reindex", "--config", config).returncode == 0
    assert wiresearch("reindex", "--config", config, "--full").returncode == 0
    assert wiresearch("--index", site / "index", "rollback").returncode == 0
    assert wiresearch("reindex", "--config", config).returncode == 0
    assert IndexDir(site / "index").generations() == ["gen-000001"]
    rebuilt = wiresearch("reindex", "--config", config, "--full", "--json")
    assert json.loads(rebuilt.stdout)["generation"] == "gen-000003"


@pytest.mark.slow
def test_sigkill_at_random_moments_never_loses_or_breaks_the_index(tmp_path, engine_name):
    reuters = corpus("reuters21578")
    source = tmp_path / "src"
    source.mkdir()
    for name in ("reut2-000.sgm", "reut2-001.sgm"):
        shutil.copy(reuters / name, source / name)
    config = write_config(tmp_path, engine=engine_name)
    assert wiresearch("reindex", "--config", config).returncode == 0
    for name in ("reut2-002.sgm", "reut2-003.sgm", "reut2-004.sgm"):
        shutil.copy(reuters / name, source / name)
    with Archive(tmp_path / "index") as archive:
        baseline = {row["id"] for row in archive.export(fields=["id"])}
    assert len(baseline) == 2000
    random.seed(1987)
    env = {"WIRESEARCH_BATCH_ARTICLES": "300"}
    for attempt in range(20):
        run = subprocess.Popen([sys.executable, "-m", "wiresearch.cli", "reindex", "--config",
                                str(config)], env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0.3, 4.0))
        run.send_signal(signal.SIGKILL)
        run.wait()
        with Archive(tmp_path / "index") as archive:
            present = {row["id"] for row in archive.export(fields=["id"])}
            assert baseline <= present, f"attempt {attempt} lost articles"
            assert archive.search("oil").total > 0
        if attempt % 5 == 4:
            # Edit a story between crashes so recoveries also replace changed articles.
            sgm = source / "reut2-003.sgm"
            sgm.write_bytes(sgm.read_bytes().replace(b"<TITLE>", b"<TITLE>X", 1))
    finished = wiresearch("reindex", "--config", config)
    assert finished.returncode == 0, finished.stderr
    with Archive(tmp_path / "index") as archive:
        ids = {row["id"] for row in archive.export(fields=["id"])}
        assert ids == {f"reuters21578:{n}" for n in range(1, 5001)}
        assert archive.get("reuters21578:3001").headline.startswith("X" * 4)
    assert reindex.check(IndexDir(tmp_path / "index")).ok


def test_searches_never_fail_during_a_full_rebuild(site):
    config = site / "wiresearch.toml"
    assert wiresearch("reindex", "--config", config).returncode == 0
    reader = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom wiresearch import Archive\n"
        f"path = {str(site / 'index')!r}\n"
        "failures = searches = 0\nend = time.monotonic() + 600\n"
        "while time.monotonic() < end:\n"
        "    try:\n"
        "        with Archive(path) as archive:\n"
        "            total = archive.search('oil', facets=['country']).total\n"
        "            assert total > 0, total\n"
        "        searches += 1\n"
        "    except Exception as error:\n"
        "        failures += 1\n        print(repr(error), file=sys.stderr)\n"
        "    if searches >= 5 and sys.stdin.closed is False:\n"
        "        import select\n"
        "        if select.select([sys.stdin], [], [], 0)[0]:\n"
        "            break\n"
        "print(searches, failures)\n")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    for _ in range(3):
        rebuilt = wiresearch("reindex", "--config", config, "--full")
        assert rebuilt.returncode == 0, rebuilt.stderr
    out, err = reader.communicate("stop\n", timeout=120)
    searches, failures = map(int, out.split())
    assert failures == 0, err
    assert searches >= 5


def test_bad_input_is_listed_and_everything_else_indexed(tmp_path, engine_name):
    source = tmp_path / "src"
    (source / "feed" / "world").mkdir(parents=True)
    shutil.copy(REUTERS, source / "good.sgm")
    text = REUTERS.read_bytes()
    truncated = text[: len(text) // 2].replace(b'NEWID="', b'NEWID="50000')
    (source / "truncated.sgm").write_bytes(truncated)
    (source / "binary.bin").write_bytes(os.urandom(4096))
    (source / "empty.txt").write_bytes(b"")
    (source / "feed" / "world" / "latin1.txt").write_bytes(
        "Café in São Paulo\n\nPreços do café sobem à noite.\n".encode("latin-1"))
    (source / "feed" / "world" / "cp1252.txt").write_bytes(
        "Dealers \u201cexpect\u201d gains \u2013 again\n\nThe euro \u20ac rose.\n"
        .encode("cp1252"))
    (source / "oneline.txt").write_bytes(b"word " * (10 * 2**20))  # 50 MiB, one line
    (source / "nodate.sgm").write_bytes(
        b'<REUTERS NEWID="77777"><DATE>31-DEC-2987 10:00:00.00</DATE><TEXT><TITLE>FUTURE'
        b'</TITLE><BODY>Odd date.</BODY></TEXT></REUTERS>\n<REUTERS NEWID="77778"><TEXT>'
        b'</TEXT></REUTERS>')
    write_config(tmp_path, engine=engine_name)
    report = reindex.run(load_config(str(tmp_path / "wiresearch.toml")))
    named = {Path(r.path).name: r.reason for r in report.rejected}
    assert len(report.rejected) == 4, report.rejected
    assert named["binary.bin"].startswith("binary file")
    assert named["empty.txt"] == "empty file"
    assert named["oneline.txt"] == "unrecognised format"
    assert "truncated" in named["truncated.sgm"]
    warned = {(Path(r.path).name, r.position): r.reason for r in report.warnings}
    assert any("decoded as" in reason for (name, _), reason in warned.items()
               if name == "latin1.txt")
    assert any("decoded as" in reason for (name, _), reason in warned.items()
               if name == "cp1252.txt")
    assert "outside" in warned[("nodate.sgm", "record 1")]
    assert "no text" in warned[("nodate.sgm", "record 2")]
    with Archive(tmp_path / "index") as archive:
        whole_records = truncated.count(b"</REUTERS>")
        assert archive.search("*", sources=["Reuters"]).total == 1000 + whole_records + 2
        assert archive.search("café").total == 1
        headline = archive.get("feed:world/cp1252").headline
        assert headline == "Dealers \u201cexpect\u201d gains \u2013 again"
        assert archive.get("reuters21578:77777").date is None


def test_check_finds_and_repairs_damage(site):
    config = load_config(str(site / "wiresearch.toml"))
    reindex.run(config)
    index_dir = IndexDir(site / "index")
    assert reindex.check(index_dir).ok
    # Damage: an article removed behind the catalog's back.
    from wiresearch.engine import engine_class

    engine = engine_class(index_dir.engine_name).open(index_dir.current())
    with engine.writer() as writer:
        writer.delete(["reuters21578:7"])
    engine.close()
    damaged = reindex.check(index_dir)
    assert damaged.missing == ["reuters21578:7"] and not damaged.ok
    assert any("--repair" in line for line in damaged.advice())
    repaired = reindex.check(index_dir, repair=True)
    assert repaired.repaired
    reindex.run(config)
    assert reindex.check(index_dir).ok
    with Archive(site / "index") as archive:
        assert archive.get("reuters21578:7")


def test_repairing_an_orphan_reads_its_file_again(site):
    # An article the engine holds and the catalog does not (a run stopped between its
    # commits): repair takes it out and the next run puts it back from its file.
    config = load_config(str(site / "wiresearch.toml"))
    reindex.run(config)
    index_dir = IndexDir(site / "index")
    catalog = sqlite3.connect(index_dir.current() / "catalog.sqlite")
    with catalog:
        catalog.execute("DELETE FROM docs WHERE id = 'bbc:sport/002'")
    catalog.close()
    damaged = reindex.check(index_dir)
    assert damaged.orphaned == ["bbc:sport/002"]
    assert reindex.check(index_dir, repair=True).repaired
    report = reindex.run(config)
    assert report.added == 1
    assert reindex.check(index_dir).ok
    with Archive(site / "index") as archive:
        assert archive.get("bbc:sport/002")
        assert archive.search("*").total == 1021


def test_repairing_an_orphan_from_a_bundle_reads_the_bundle_again(tmp_path):
    import zipfile

    folder = tmp_path / "src"
    folder.mkdir()
    with zipfile.ZipFile(folder / "day.zip", "w") as bundle:
        bundle.writestr("wire/b.jsonl", json.dumps({"id": "z1", "headline": "Zipped",
                                                     "body": "From the bundle."}) + "\n")
    archive = Archive(tmp_path / "index")
    archive.index([folder])
    assert archive.get("json:z1").path.endswith("day.zip!wire/b.jsonl")
    index_dir = IndexDir(tmp_path / "index")
    catalog = sqlite3.connect(index_dir.current() / "catalog.sqlite")
    with catalog:
        catalog.execute("DELETE FROM docs WHERE id = 'json:z1'")
    catalog.close()
    assert reindex.check(index_dir).orphaned == ["json:z1"]
    assert reindex.check(index_dir, repair=True).repaired
    assert archive.index([folder]).added == 1
    archive.refresh()
    assert archive.get("json:z1").headline == "Zipped"


def test_check_refuses_to_repair_without_a_catalog(site):
    config = load_config(str(site / "wiresearch.toml"))
    reindex.run(config)
    index_dir = IndexDir(site / "index")
    (index_dir.current() / "catalog.sqlite").unlink()
    for repair in (False, True):
        with pytest.raises(WiresearchError, match="catalog .* is missing"):
            reindex.check(index_dir, repair=repair)
    assert not (index_dir.current() / "catalog.sqlite").exists()
    with Archive(site / "index") as archive:
        assert archive.search("*").total == 1021
    # What check advises mends it.
    rebuilt = reindex.run(config, full=True)
    assert rebuilt.added == 1021 and reindex.check(index_dir).ok


def test_a_run_without_its_catalog_is_refused_instead_of_adding_every_article_again(site):
    config = load_config(str(site / "wiresearch.toml"))
    reindex.run(config)
    index_dir = IndexDir(site / "index")
    (index_dir.current() / "catalog.sqlite").unlink()
    result = wiresearch("--index", site / "index", "index", site / "src")
    assert result.returncode == 3, result.stderr
    assert "catalog is missing; rebuild it" in result.stderr
    with pytest.raises(WiresearchError, match="catalog is missing"):
        reindex.run(config)
    with Archive(site / "index") as archive:
        assert archive.search("*", collapse=False).total == 1021
    assert reindex.run(config, full=True).added == 1021
    assert reindex.check(index_dir).ok


@pytest.mark.parametrize("content", [b"", b"not a database " * 400])
def test_an_emptied_or_overwritten_catalog_is_damage_not_an_empty_catalog(site, content):
    config = load_config(str(site / "wiresearch.toml"))
    reindex.run(config)
    index = str(site / "index")
    (IndexDir(site / "index").current() / "catalog.sqlite").write_bytes(content)
    for command in (("index", str(site / "src")), ("stats",), ("check",),
                    ("check", "--repair"), ("search", "cocoa")):
        result = wiresearch("--index", index, *command)
        assert result.returncode == 3, (command, result.stderr)
        assert "catalog" in result.stderr and "rebuild it" in result.stderr, command
    with Archive(site / "index") as archive:
        assert archive.search("*", collapse=False).total == 1021
    assert reindex.run(config, full=True).added == 1021


def test_check_finds_articles_held_twice_and_repair_leaves_one_of_each(site):
    config = load_config(str(site / "wiresearch.toml"))
    reindex.run(config)
    index_dir = IndexDir(site / "index")
    from wiresearch.engine import engine_class

    with Archive(site / "index") as archive:
        article = archive.get("reuters21578:7")
    engine = engine_class(index_dir.engine_name).open(index_dir.current())
    with engine.writer() as writer:
        writer.add(article, "reuters21578:7", replace=False)
    engine.close()
    found = reindex.check(index_dir)
    assert found.duplicated == ["reuters21578:7"] and not found.ok
    assert found.documents == 1022 and found.catalog_documents == 1021
    assert found.to_dict()["duplicated"] == ["reuters21578:7"]
    result = wiresearch("--index", site / "index", "check")
    assert result.returncode == 1
    assert "1 in the index more than once: reuters21578:7" in result.stdout
    assert reindex.check(index_dir, repair=True).repaired
    reindex.run(config)
    assert reindex.check(index_dir).ok
    with Archive(site / "index") as archive:
        assert archive.search("*", collapse=False).total == 1021
        assert archive.get("reuters21578:7").headline == article.headline


def test_an_index_folder_named_with_uri_characters_is_a_path(tmp_path):
    archive = Archive(tmp_path / "a#b?c")
    archive.index([DATA / "bbc"])
    report = archive.index([DATA / "bbc" / "tech"], full=True)
    assert (len(report.files_removed), report.deleted) == (16, 16)
    assert archive.stats()["files"] == 4


def test_check_waits_for_a_run_in_progress_instead_of_seeing_orphans(site):
    config = load_config(str(site / "wiresearch.toml"))
    reindex.run(config)
    index_dir = IndexDir(site / "index")
    with index_dir.lock():
        with pytest.raises(LockedError):
            reindex.check(index_dir)
        held = wiresearch("--index", site / "index", "check")
        assert held.returncode == 75 and "locked" in held.stderr
    assert reindex.check(index_dir).ok


def test_an_index_folder_its_user_may_not_write_says_so(site, engine_name):
    config = load_config(str(site / "wiresearch.toml"))
    reindex.run(config)
    index = site / "index"
    subprocess.run(["chmod", "-R", "a-w", index], check=True)
    try:
        def run(*args):
            return unprivileged(index, *args)

        changed = run("index", site / "src")
        assert changed.returncode == 1
        assert changed.stderr.startswith("wiresearch: error: cannot write to")
        assert run("check", "--repair").returncode == 1
        searched = run("search", "cocoa")
        if engine_name == "whoosh":
            assert searched.returncode == 0 and "cocoa" in searched.stdout.lower()
            assert run("check").returncode == 0  # a reader checks it as it stands
        else:  # tantivy writes a lock file to read
            assert searched.returncode == 1
            assert "tantivy needs to write a lock file" in searched.stderr
    finally:
        subprocess.run(["chmod", "-R", "u+w", index], check=True)


@pytest.mark.parametrize("specific_first", [False, True])
@pytest.mark.parametrize("broad_path, specific_path", [
    ("src", "src/bbc"),
    ("src/bbc", "src/bbc/*/0*.txt"),  # a glob within the folder: the same fixed depth
])
def test_the_more_specific_of_two_sources_naming_a_file_wins(tmp_path, specific_first,
                                                             broad_path, specific_path):
    shutil.copytree(DATA, tmp_path / "src")
    broad = f'[[sources]]\npath = "{broad_path}"\n'
    specific = f'[[sources]]\npath = "{specific_path}"\nsource = "BBC World Service"\n'
    sources = specific + broad if specific_first else broad + specific
    (tmp_path / "wiresearch.toml").write_text('index = "index"\n' + sources)
    report = reindex.run(load_config(str(tmp_path / "wiresearch.toml")))
    assert report.added == (1021 if broad_path == "src" else 20)
    with Archive(tmp_path / "index") as archive:
        assert archive.search("*", sources=["BBC World Service"]).total == 20


def test_an_interrupted_file_outside_the_next_runs_paths_waits_for_its_own(tmp_path):
    """A run killed while indexing data/bbc, then `index` of another folder: the bbc
    file is not deleted (it is still there), and the next run over bbc re-reads it."""
    shutil.copytree(DATA, tmp_path / "src")
    index, bbc = tmp_path / "index", tmp_path / "src" / "bbc"
    assert wiresearch("--index", index, "index", bbc).returncode == 0
    assert wiresearch("--index", index, "index", tmp_path / "src" / "reuters21578",
                      "--jobs", "1").returncode == 0
    story = bbc / "tech" / "001.txt"
    story.write_text(story.read_text() + "\nOne more line.\n")
    crashed = wiresearch("--index", index, "index", bbc,
                         env={"WIRESEARCH_FAULT": "engine-committed"})
    assert crashed.returncode == -signal.SIGKILL
    other = wiresearch("--index", index, "index", tmp_path / "src" / "countrywire", "--json")
    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout)["deleted"] == 0
    with Archive(index) as archive:
        assert archive.get("bbc:tech/001")
    own = wiresearch("--index", index, "index", bbc, "--json")
    assert json.loads(own.stdout)["recovered"] == [str(story)]
    with Archive(index) as archive:
        assert "One more line." in archive.get("bbc:tech/001").body
    assert reindex.check(IndexDir(index)).ok


def _ctrl_c_as_a_terminal_gives_it() -> None:
    # A shell that runs these tests in the background ignores Ctrl-C for them, and the
    # programs they start inherit that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_a_run_and_its_readers_without_a_traceback(site):
    config = site / "wiresearch.toml"
    assert wiresearch("reindex", "--config", config).returncode == 0
    # Enough new input for reader processes, and a first commit after 3,000 articles:
    # Ctrl-C comes then, when the readers have read every file and wait for more.
    records = (DATA / "reuters21578" / "reut2-000.sgm").read_bytes()
    for copy in range(1, 5):
        (site / "src" / f"copy{copy}.sgm").write_bytes(
            records.replace(b'NEWID="', f'NEWID="{copy}0000'.encode()))
    stopped = subprocess.run(
        [sys.executable, "-m", "wiresearch.cli", "reindex", "--config", str(config),
         "--jobs", "2"], capture_output=True, text=True, timeout=600,
        start_new_session=True,  # its own process group, as a terminal gives a command
        preexec_fn=_ctrl_c_as_a_terminal_gives_it,
        env={**os.environ, "WIRESEARCH_FAULT": "journal-written:SIGINT",
             "WIRESEARCH_BATCH_ARTICLES": "3000"})
    assert stopped.returncode == 130
    assert "Traceback" not in stopped.stderr, stopped.stderr
    finished = wiresearch("reindex", "--config", config, "--wait", "0")
    assert finished.returncode == 0, finished.stderr
    with Archive(site / "index") as archive:
        assert archive.search("*").total == 1021 + 4 * 1000


def test_check_and_rollback_work_on_the_configured_index(tmp_path):
    shutil.copytree(DATA / "bbc", tmp_path / "src")
    config = tmp_path / "wiresearch.toml"
    config.write_text('index = "nightly"\n[[sources]]\npath = "src"\n')
    for args in ((), ("--full",)):
        assert wiresearch("reindex", *args, cwd=tmp_path).returncode == 0
    env = {"WIRESEARCH_INDEX": "", "WIRESEARCH_CONFIG": ""}
    checked = wiresearch("check", cwd=tmp_path, env=env)  # ./wiresearch.toml's index
    assert checked.returncode == 0 and "nightly (whoosh, gen-000002): ok" in checked.stdout
    rolled = wiresearch("rollback", "--config", config, env=env)  # from elsewhere
    assert rolled.returncode == 0, rolled.stderr
    assert (tmp_path / "nightly" / "CURRENT").read_text().strip() == "gen-000001"
    both = wiresearch("--index", tmp_path / "nightly", "check", "--config", config, env=env)
    assert both.returncode == 2 and "use one of them" in both.stderr
    # reindex works on its configuration's index: one typed beside it is refused, not
    # left unused while another index changes.
    for args in (("--config", config), ()):
        typed = wiresearch("--index", tmp_path / "other", "reindex", *args, cwd=tmp_path,
                           env=env)
        assert typed.returncode == 2 and "leave --index out" in typed.stderr
    assert not (tmp_path / "other").exists()
    # $WIRESEARCH_INDEX (a shell's default for searching) gives way to --config.
    named = wiresearch("check", "--config", config,
                       env={**env, "WIRESEARCH_INDEX": str(tmp_path / "elsewhere")})
    assert named.returncode == 0, named.stderr
    # --index names the index even where a configuration is.
    other = wiresearch("--index", tmp_path / "none", "check", cwd=tmp_path, env=env)
    assert other.returncode == 3


def test_a_generation_its_user_may_not_write_says_so(site):
    """The index folder is the user's, the generation in it another user's (made by a
    run as root, say)."""
    config = load_config(str(site / "wiresearch.toml"))
    reindex.run(config)
    story = site / "src" / "bbc" / "tech" / "001.txt"
    story.write_text(story.read_text() + "\nOne more line.\n")
    [generation] = (site / "index").glob("gen-*")
    subprocess.run(["chmod", "-R", "a-w", generation], check=True)
    try:
        changed = unprivileged(site / "index", "index", site / "src")
        assert changed.returncode == 1, changed.stderr
        assert ("cannot write to" in changed.stderr  # (tantivy: its own words)
                or "this user may not write there" in changed.stderr)
        assert "unexpected" not in changed.stderr
    finally:
        subprocess.run(["chmod", "-R", "u+w", generation], check=True)
