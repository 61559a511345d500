"""Indexing through the library: bad files are reported, never fatal; runs are
incremental; nothing indexed is lost."""

import json
import os
import shutil
import sqlite3
import struct
import threading

import pytest
from click.testing import CliRunner

from tests.conftest import DATA
from wiresearch import Archive, ingest
from wiresearch.cli import cli
from wiresearch.errors import UsageError
from wiresearch.indexdir import IndexDir

REUTERS = DATA / "reuters21578" / "reut2-000.sgm"


def write_mixed_folder(folder):
    folder.mkdir()
    shutil.copytree(DATA / "bbc" / "business", folder / "bbc" / "business")
    shutil.copy(DATA / "countrywire" / "000_3e0ea549a971dbf5.txt", folder / "cw.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.dat").write_bytes(bytes(range(256)) * 64)
    text = REUTERS.read_bytes()
    (folder / "broken.sgm").write_bytes(text[: len(text) // 3])


def test_bad_files_are_reported_and_good_ones_indexed(tmp_path, engine_name):
    folder = tmp_path / "in"
    write_mixed_folder(folder)
    with Archive(tmp_path / "index") as archive:
        report = archive.index([folder], engine=engine_name)
        reasons = {os.path.basename(r.path): r.reason for r in report.rejected}
        assert reasons["empty.txt"] == "empty file"
        assert reasons["binary.dat"].startswith("binary file")
        assert "truncated" in reasons["broken.sgm"]
        good_reuters = sum(1 for r in report.rejected if r.path.endswith("broken.sgm"))
        assert good_reuters == 1
        assert archive.search("*", sources=["BBC"]).total == 4
        assert archive.search("*", sources=["CountryWatch"]).total == 1
        reuters = archive.search("*", sources=["Reuters"]).total
        assert 300 < reuters < 340  # the whole records of the first third


def test_an_index_of_only_rejected_files_answers_with_nothing(tmp_path, engine_name):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    with Archive(tmp_path / "index") as archive:
        report = archive.index([folder], engine=engine_name)
        assert (report.added, len(report.rejected)) == (0, 1)
        results = archive.search("fire", facets=["country"])
        assert (results.total, results.hits, results.facets["country"]) == (0, [], [])
        assert archive.search("").total == 0
        assert list(archive.export("")) == []
        assert archive.timeline("").total == 0
        assert archive.stats()["documents"] == 0
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "index"), "search", "fire"])
    assert result.exit_code == 0 and "No articles match" in result.output


def test_index_command_exits_4_when_input_was_rejected(tmp_path):
    folder = tmp_path / "in"
    write_mixed_folder(folder)
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "ix"), "index", str(folder)])
    assert result.exit_code == 4
    assert "rejected" in result.output and "empty.txt: empty file" in result.output


def test_second_run_reads_nothing_and_changes_nothing(tmp_path, data_copy, engine_name):
    with Archive(tmp_path / "index") as archive:
        first = archive.index([data_copy], engine=engine_name)
        again = archive.index([data_copy])
    assert first.added == 1021 and first.full
    assert (again.added, again.updated, again.deleted, again.files_read) == (0, 0, 0, 0)
    assert again.unchanged == 1021 and again.files_unchanged == 22


def test_changed_and_removed_files_are_applied_by_article(tmp_path, data_copy, engine_name):
    archive = Archive(tmp_path / "index")
    archive.index([data_copy], engine=engine_name)
    sgm = data_copy / "reuters21578" / "reut2-000.sgm"
    sgm.write_bytes(sgm.read_bytes().replace(b"Showers continued throughout the week",
                                             b"Heavy showers continued throughout the week"))
    os.remove(data_copy / "bbc" / "tech" / "001.txt")
    report = archive.index([data_copy])
    assert (report.added, report.updated, report.deleted) == (0, 1, 1)
    assert report.unchanged == 1021 - 2
    assert report.files_changed == [str(sgm)]
    assert archive.get("reuters21578:1").body.startswith("Heavy showers")
    assert archive.search("*").total == 1020
    assert archive.search('"heavy showers"').total == 1
    archive.close()


def test_touched_but_identical_file_is_not_reindexed(tmp_path, data_copy):
    archive = Archive(tmp_path / "index")
    archive.index([data_copy])
    target = data_copy / "countrywire" / "000_3e0ea549a971dbf5.txt"
    os.utime(target, (1, 1))
    report = archive.index([data_copy])
    assert report.files_read == 1 and report.updated == 0 and report.files_unchanged == 22
    third = archive.index([data_copy])
    assert third.files_read == 0


def test_indexing_a_subfolder_does_not_delete_the_rest(tmp_path, data_copy):
    archive = Archive(tmp_path / "index")
    archive.index([data_copy])
    report = archive.index([data_copy / "bbc"])
    assert report.deleted == 0
    assert archive.search("*").total == 1021


@pytest.mark.parametrize("as_given", [str, os.fspath, lambda path: path])
def test_one_folder_may_be_given_alone(tmp_path, as_given):
    # Not as a sequence of one-letter paths, "/" first: the whole file system.
    folder = tmp_path / "wire"
    folder.mkdir()
    shutil.copy(DATA / "countrywire" / "000_3e0ea549a971dbf5.txt", folder / "cw.txt")
    archive = Archive(tmp_path / "index")
    report = archive.index(as_given(folder))
    assert (report.files_read, report.added) == (1, 1)
    assert archive.search("*").total == 1


def test_a_path_that_names_nothing_is_refused_and_leaves_nothing(tmp_path):
    # An empty path would be the working folder, indexed whole.
    for args, message in (([""], "empty path"), ([tmp_path / "nope"], "no such file or folder"),
                          ([tmp_path / "nope" / "*.sgm"], "no files match"),
                          ([DATA / "countrywire", "--engine", "nope"], "unknown engine")):
        result = CliRunner().invoke(cli, ["--index", str(tmp_path / "ix"), "index",
                                          *map(str, args)])
        assert result.exit_code == 2 and message in result.stderr
        assert not (tmp_path / "ix").exists()


def test_a_dry_run_or_an_unknown_format_leaves_no_index_folder(tmp_path):
    archive = Archive(tmp_path / "index")
    report = archive.index([DATA / "bbc"], dry_run=True)
    assert len(report.files_new) == 20
    with pytest.raises(UsageError, match="unknown format"):
        archive.index([DATA / "bbc"], format="bogus")
    assert not (tmp_path / "index").exists()


def test_a_named_pipe_in_a_folder_is_passed_over(tmp_path):
    # Opening it would wait for a writer that never comes.
    folder = tmp_path / "wire"
    folder.mkdir()
    os.mkfifo(folder / "pipe.txt")
    shutil.copy(DATA / "countrywire" / "000_3e0ea549a971dbf5.txt", folder / "cw.txt")
    report = Archive(tmp_path / "index").index([folder], jobs=1)
    assert (report.files_read, report.added, report.rejected) == (1, 1, [])
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "ix"), "index",
                                      str(folder / "pipe.txt")])
    assert result.exit_code == 2 and "neither a file nor a folder" in result.stderr
    assert not (tmp_path / "ix").exists()


def test_an_index_path_that_is_a_file_is_a_one_line_error(tmp_path):
    (tmp_path / "afile").write_text("hi\n")
    for command in (["search", "cocoa"], ["stats"], ["index", str(DATA / "countrywire")]):
        result = CliRunner().invoke(cli, ["--index", str(tmp_path / "afile"), *command])
        assert result.exit_code in (2, 3), (command, result.output)
        assert "not an index folder" in result.stderr or "not a folder" in result.stderr
        assert "unexpected" not in result.stderr
    # Under a file: no folder can be made there.
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "afile" / "sub"), "index",
                                      str(DATA / "countrywire")])
    assert result.exit_code == 2 and "is a file, not a folder" in result.stderr


def test_a_folder_of_other_things_is_refused_and_left_as_it_was(tmp_path):
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine\n")
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "foreign"), "index",
                                      str(DATA / "countrywire")])
    assert result.exit_code == 2 and "is not a wiresearch index" in result.stderr
    for command in (["check"], ["rollback"]):  # no index there
        result = CliRunner().invoke(cli, ["--index", str(tmp_path / "foreign"), *command])
        assert result.exit_code == 3, result.output
    assert [p.name for p in (tmp_path / "foreign").iterdir()] == ["notes.txt"]


def test_a_file_that_turns_unreadable_keeps_its_last_articles(tmp_path, data_copy):
    archive = Archive(tmp_path / "index")
    archive.index([data_copy])
    target = data_copy / "bbc" / "sport" / "001.txt"
    good = target.read_bytes()
    target.write_bytes(b"\x00\x01\x02" * 100)
    report = archive.index([data_copy])
    assert report.files_stale == [str(target)]
    assert any(r.path == str(target) for r in report.rejected)
    assert archive.get("bbc:sport/001").headline
    assert archive.search("*").total == 1021
    assert archive.stats()["files_with_errors"] == 1
    target.write_bytes(good)  # put back as it was: no error left
    assert archive.index([data_copy]).rejected == []
    assert archive.stats()["files_with_errors"] == 0


def test_same_id_from_two_files_is_reported_once(tmp_path):
    folder = tmp_path / "in"
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    shutil.copy(REUTERS, folder / "a" / "reut2-000.sgm")
    shutil.copy(REUTERS, folder / "b" / "reut2-000.sgm")
    with Archive(tmp_path / "index") as archive:
        report = archive.index([folder])
        assert report.added == 1000
        assert len([r for r in report.rejected if "already indexed from" in r.reason]) == 1000
        assert archive.search("*").total == 1000
        # Reported once: while the first file holds the stories, the copy is not read
        # again (a nightly job would otherwise fail every night).
        again = archive.index([folder])
        assert (again.files_read, again.rejected, again.unchanged) == (0, [], 1000)


def test_dry_run_changes_nothing(tmp_path, data_copy):
    archive = Archive(tmp_path / "index")
    archive.index([data_copy])
    (data_copy / "bbc" / "tech" / "001.txt").unlink()
    shutil.copy(DATA / "bbc" / "tech" / "002.txt", data_copy / "bbc" / "tech" / "009.txt")
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "index"), "index",
                                      str(data_copy), "--dry-run", "--json"])
    plan = json.loads(result.output)
    assert plan["dry_run"] and len(plan["files"]["new"]) == 1
    assert len(plan["files"]["removed"]) == 1
    assert archive.search("*").total == 1021


def test_a_script_without_a_main_guard_still_indexes_everything(tmp_path):
    """Reader processes are spawned, and a spawned process re-runs a script that has no
    `if __name__ == "__main__":` guard, which makes it die; the run goes on in-process."""
    import subprocess
    import sys

    folder = tmp_path / "wire"
    folder.mkdir()
    filler = "Grain shipments from the northern ports were slower than expected. " * 40
    for number in range(3):  # enough bytes for the reader processes to be used
        lines = [json.dumps({"id": f"{number}-{row}", "headline": f"Story {row}",
                             "body": filler, "date": "2024-03-01"}) for row in range(700)]
        (folder / f"part{number}.jsonl").write_text("\n".join(lines) + "\n")
    script = tmp_path / "build.py"
    script.write_text(
        "from wiresearch import Archive\n"
        f"report = Archive({str(tmp_path / 'index')!r}).index([{str(folder)!r}], jobs=2)\n"
        "print('added', report.added)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "added 2100"


def _dies_in_a_reader(number):
    import multiprocessing
    import time

    if number == 3 and multiprocessing.parent_process() is not None:
        time.sleep(0.3)
        os._exit(1)  # as a reader killed or out of memory
    return number


@pytest.mark.parametrize("writer_pause", [0.0, 0.5])
def test_a_reader_that_dies_loses_nothing_and_keeps_the_order(writer_pause):
    """Whether the pool breaks while the writer waits for a result or while it is busy
    with one, every item comes back once, in order."""
    import time
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from wiresearch.ingest import _ordered_map

    executor = ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn"))
    got = []
    try:
        for result in _ordered_map(executor, _dies_in_a_reader, range(10), window=4):
            got.append(result)
            time.sleep(writer_pause)
    finally:
        executor.shutdown(cancel_futures=True)
    assert got == list(range(10))


def _dies_sending_its_result_in_a_reader(number):
    import gc
    import multiprocessing
    from multiprocessing.queues import SimpleQueue

    if number == 3 and multiprocessing.parent_process() is not None:
        # As a reader killed (out of memory) while it sends its result: the length of
        # a message, then only its first bytes, and no more from this process.
        [results] = [queue for queue in gc.get_objects() if isinstance(queue, SimpleQueue)]
        os.write(results._writer.fileno(), struct.pack("!i", 1 << 30) + b"x" * 10)
        os._exit(1)
    return number


def test_a_reader_that_dies_sending_its_result_does_not_hold_the_run():
    """The pool's thread waits for the rest of the dead reader's message for ever (the
    other reader still holds the pipe open) and never sees the pool broken: the run
    finds the reader gone, stops the pool, and reads what is left itself."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from wiresearch.ingest import _ordered_map

    executor = ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn"))
    got = []

    def run():
        got.extend(_ordered_map(executor, _dies_sending_its_result_in_a_reader, range(10),
                                window=4))

    running = threading.Thread(target=run, daemon=True)
    running.start()
    running.join(120)  # a guard against hanging the suite, not a speed target
    stopping = threading.Thread(target=executor.shutdown, kwargs={"cancel_futures": True},
                                daemon=True)
    stopping.start()
    stopping.join(60)
    assert not running.is_alive() and not stopping.is_alive()
    assert got == list(range(10))


def test_words_of_every_script_are_found_as_typed_and_without_accents(tmp_path, engine_name):
    folder = tmp_path / "wire"
    folder.mkdir()
    stories = [{"id": "capitals", "headline": "Capitals", "date": "2024-03-01",
                "body": "Αθήνα, Москва, Київ, 서울 and İSTANBUL; ½ of ΟΔΟΣ"},
               {"id": "other", "headline": "Athens and Kyiv", "date": "2024-03-02",
                "body": "Nothing else."}]
    (folder / "wire.jsonl").write_text(
        "\n".join(json.dumps(story, ensure_ascii=False) for story in stories) + "\n",
        encoding="utf-8")
    with Archive(tmp_path / "index") as archive:
        archive.index([folder], engine=engine_name)
        for query in ("Αθήνα", "αθηνα", "Москва", "Київ", "киів", "서울", "istanbul",
                      "İstanbul", "½", "οδος", '"Москва Київ"', '"Київ 서울 and istanbul"'):
            assert [hit.id for hit in archive.search(query).hits] == ["json:capitals"], query
        # Folding keeps every word at its place: these words are not neighbours.
        for query in ('"Αθήνα Київ"', '"Москва 서울"', "Αθήνα -Київ"):
            assert archive.search(query).total == 0, query


def test_a_file_read_with_other_settings_is_read_again(tmp_path):
    folder = tmp_path / "business"
    shutil.copytree(DATA / "bbc" / "business", folder)
    archive = Archive(tmp_path / "index")
    wrong = archive.index([folder], format="nitf")
    assert (wrong.added, len(wrong.rejected)) == (0, 4)
    assert archive.stats()["files_with_errors"] == 4  # none of their stories was read
    right = archive.index([folder], format="plaintext")
    assert (right.added, len(right.files_changed)) == (4, 4)
    assert archive.stats()["files_with_errors"] == 0
    assert archive.index([folder], format="plaintext").files_unchanged == 4
    preview = archive.index([folder], format="plaintext", source="BBC Business",
                            dry_run=True)
    assert (len(preview.files_changed), preview.files_unchanged) == (4, 0)
    renamed = archive.index([folder], format="plaintext", source="BBC Business")
    assert (renamed.updated, len(renamed.files_changed)) == (4, 4)
    assert archive.search("*", sources=["BBC Business"]).total == 4


def test_a_catalog_made_before_reading_settings_were_kept_records_them(tmp_path):
    folder = tmp_path / "business"
    shutil.copytree(DATA / "bbc" / "business", folder)
    archive = Archive(tmp_path / "index")
    archive.index([folder])
    archive.close()
    [catalog] = (tmp_path / "index").glob("gen-*/catalog.sqlite")
    with sqlite3.connect(catalog) as db:
        db.execute("ALTER TABLE files DROP COLUMN reading")
    with Archive(tmp_path / "index") as reader:  # read-only, as it is
        assert reader.stats()["files"] == 4
    report = Archive(tmp_path / "index").index([folder])
    assert (report.files_unchanged, report.updated) == (4, 0)
    # The settings are recorded then: a change of them is seen from the next run.
    report = Archive(tmp_path / "index").index([folder], source="BBC Business")
    assert (len(report.files_changed), report.updated) == (4, 4)


def test_readers_stopped_mid_result_do_not_hold_the_run(tmp_path):
    """A reader stopped (Ctrl-C, an error) while it sent its result leaves half a
    message in the pool's result pipe: shutting the pool down, and the run's exit,
    waited for the rest of it for ever."""
    executor = ingest.Ingester(IndexDir(tmp_path / "index"), jobs=2)._executor(2, 1 << 30)
    assert executor.submit(os.getpid).result() != os.getpid()  # a reader, and the pool's thread
    # What a reader ended mid-send leaves: a message's length, then only its first bytes.
    os.write(executor._result_queue._writer.fileno(), struct.pack("!i", 1000) + b"x" * 10)
    ingest._stop_readers(executor)
    stopping = threading.Thread(target=executor.shutdown, kwargs={"cancel_futures": True},
                                daemon=True)
    stopping.start()
    stopping.join(30)  # a guard against hanging the suite, not a speed target
    assert not stopping.is_alive()
