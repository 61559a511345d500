"""What a run does when the sources themselves misbehave: folders that cannot be listed,
an emptied mount point, names that are not text, loops of links, stories that move from
one file to another, the index folder inside a source. Nothing indexed is lost for a
file the run could not see, and every such file is reported."""

import json
import os
import re
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from tests.conftest import DATA, unprivileged
from wiresearch import Archive
from wiresearch.cli import cli
from wiresearch.errors import UsageError

REUTERS = DATA / "reuters21578" / "reut2-000.sgm"


def reuters_records(count: int) -> list[bytes]:
    return re.findall(rb"<REUTERS\b.*?</REUTERS>", REUTERS.read_bytes(), re.S)[:count]


def test_a_file_name_that_is_not_utf8_is_rejected_and_the_rest_goes_on(tmp_path, data_copy):
    archive = Archive(tmp_path / "index")
    archive.index([data_copy])
    tech = data_copy / "bbc" / "tech"
    (tech / "001.txt").write_text((tech / "001.txt").read_text() + "\nmore\n")
    odd = os.path.join(os.fsencode(tech), b"caf\xe9.txt")
    shutil.copyfile(tech / "002.txt", odd)
    report = archive.index([data_copy])
    assert [(r.path, r.reason) for r in report.rejected] == [
        (str(tech) + "/caf\\xe9.txt", "file name is not valid UTF-8: rename it")]
    assert report.updated == 1 and report.files_changed == [str(tech / "001.txt")]
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "index"), "index",
                                      str(data_copy)])
    assert result.exit_code == 4 and "caf\\xe9.txt" in result.output


def test_a_loop_of_links_is_rejected_and_the_rest_goes_on(tmp_path):
    folder = tmp_path / "wire"
    folder.mkdir()
    shutil.copy(DATA / "countrywire" / "000_3e0ea549a971dbf5.txt", folder / "cw.txt")
    (folder / "one").symlink_to(folder / "two")
    (folder / "two").symlink_to(folder / "one")
    report = Archive(tmp_path / "index").index([folder])
    assert report.added == 1
    assert sorted(os.path.basename(r.path) for r in report.rejected) == ["one", "two"]


def test_a_link_to_nowhere_is_reported_under_its_own_name(tmp_path):
    folder = tmp_path / "wire"
    folder.mkdir()
    (folder / "story.txt").symlink_to(tmp_path / "moved-away.txt")
    report = Archive(tmp_path / "index").index([folder])
    assert [r.path for r in report.rejected] == [str(folder / "story.txt")]


def test_an_emptied_source_folder_is_refused_not_deleted(tmp_path, data_copy):
    archive = Archive(tmp_path / "index")
    archive.index([data_copy])
    mounted = tmp_path / "data.away"
    data_copy.rename(mounted)
    data_copy.mkdir()  # what an unmounted mount point looks like
    with pytest.raises(UsageError, match=r"holds no files, but 22 files \(1,021 articles\)"):
        archive.index([data_copy])
    assert archive.search("*").total == 1021
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "index"), "index",
                                      str(data_copy)])
    assert result.exit_code == 2 and "is it mounted?" in result.stderr
    # A rebuild is the way to say the stories are gone for good.
    report = archive.index([data_copy], full=True)
    assert (report.deleted, archive.search("*").total) == (1021, 0)


def test_the_index_folder_inside_a_source_is_not_indexed(tmp_path, monkeypatch):
    shutil.copytree(DATA / "bbc" / "tech", tmp_path / "tech")
    monkeypatch.chdir(tmp_path)
    for _run in range(2):
        result = CliRunner().invoke(cli, ["index", "."])
        assert result.exit_code == 0, result.output
    with Archive(tmp_path / "index") as archive:
        assert archive.search("*").total == 4


def test_a_story_moved_to_another_file_is_not_lost(tmp_path):
    """Copied into a new file one night (its id is taken: rejected), removed from the
    old one the next: the copy then takes its place."""
    folder = tmp_path / "wire"
    folder.mkdir()
    records = reuters_records(10)
    (folder / "c.sgm").write_bytes(b"\n".join(records))
    archive = Archive(tmp_path / "index")
    archive.index([folder])
    (folder / "b.sgm").write_bytes(b"\n".join(records[:2]))
    night = archive.index([folder])
    assert len([r for r in night.rejected if "already indexed from" in r.reason]) == 2
    assert archive.index([folder]).files_read == 0  # c.sgm still holds them
    (folder / "c.sgm").write_bytes(b"\n".join(records[2:]))
    # The run that reads c.sgm again finds the stories it dropped free, and reads b.sgm
    # after it: no run goes without them.
    night = archive.index([folder])
    assert (night.deleted, night.added, night.files_read, night.rejected) == (2, 2, 2, [])
    assert archive.search("*").total == 10
    assert archive.get("reuters21578:1").path == str(folder / "b.sgm")
    assert archive.index([folder]).files_read == 0  # settled


def test_a_copy_takes_the_place_of_a_story_whose_file_is_removed(tmp_path):
    folder = tmp_path / "wire"
    (folder / "old").mkdir(parents=True)
    records = reuters_records(10)
    (folder / "old" / "c.sgm").write_bytes(b"\n".join(records))
    archive = Archive(tmp_path / "index")
    archive.index([folder])
    (folder / "new").mkdir()
    (folder / "new" / "c.sgm").write_bytes(b"\n".join(records))  # an archive reorganised
    assert len(archive.index([folder]).rejected) == 10
    shutil.rmtree(folder / "old")
    night = archive.index([folder])
    assert (night.added, night.deleted, night.rejected) == (10, 10, [])
    assert archive.get("reuters21578:1").path == str(folder / "new" / "c.sgm")


def test_a_glob_deletes_the_articles_of_its_files_that_are_gone(tmp_path, data_copy):
    # A file one folder deeper, which glob's * does not reach (fnmatch's does).
    deeper = data_copy / "bbc" / "sport" / "extra" / "001.txt"
    deeper.parent.mkdir()
    deeper.write_text("Deeper story\n\nIndexed with the whole folder.\n")
    archive = Archive(tmp_path / "index")
    archive.index([data_copy])
    pattern = str(data_copy / "bbc" / "*" / "00[12].txt")
    archive.index([pattern])
    (data_copy / "bbc" / "tech" / "001.txt").unlink()
    report = archive.index([pattern])
    assert report.files_removed == [str(data_copy / "bbc" / "tech" / "001.txt")]
    assert report.deleted == 1
    assert archive.get("sport:extra/001")  # still there: another path's file
    assert archive.search("*").total == 1021


def test_a_rebuild_of_fewer_paths_says_what_it_dropped(tmp_path, data_copy):
    archive = Archive(tmp_path / "index")
    archive.index([data_copy / "bbc"])
    archive.index([data_copy / "reuters21578"])
    reuters = [str(path) for path in sorted((data_copy / "reuters21578").iterdir())]
    # A dry run says what the rebuild would drop, and the rebuild says it too.
    planned = archive.index([data_copy / "bbc"], full=True, dry_run=True)
    assert (planned.deleted, planned.files_removed) == (1000, reuters)
    report = archive.index([data_copy / "bbc"], full=True)
    assert (report.added, report.deleted) == (20, 1000)
    assert report.files_removed == reuters


def test_the_catalog_is_left_readable_without_write_access(tmp_path):
    # A WAL database needs its shared-memory file even to be read, which a reader who
    # may not write to the index folder cannot create.
    Archive(tmp_path / "index").index([DATA / "bbc"])
    catalog = next((tmp_path / "index").glob("gen-*/catalog.sqlite"))
    assert not list(catalog.parent.glob("catalog.sqlite-*"))
    with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)


@pytest.mark.parametrize("mode", [0, 0o644], ids=["unreadable", "listed-not-entered"])
def test_a_folder_that_cannot_be_listed_keeps_its_articles(tmp_path, data_copy, mode):
    archive = Archive(tmp_path / "index")
    archive.index([data_copy])
    locked = data_copy / "reuters21578"
    locked.chmod(mode)
    try:
        done = unprivileged(tmp_path / "index", "index", data_copy, "--json")
        report = json.loads(done.stdout)
        assert done.returncode == 4  # rejected
        assert report["deleted"] == 0 and report["files"]["removed"] == []
        assert [(r["path"], r["reason"]) for r in report["rejected"]] == [
            (str(locked), "cannot list folder: Permission denied; what was indexed from "
                          "under it is kept")]
        # A rebuild would leave them out: refused, nothing changed.
        rebuilt = unprivileged(tmp_path / "index", "index", data_copy, "--full")
        assert rebuilt.returncode == 2 and "cannot list folder" in rebuilt.stderr
    finally:
        locked.chmod(0o755)
    archive.refresh()
    assert archive.search("*").total == 1021


def test_a_file_that_could_not_be_read_is_read_when_it_can(tmp_path):
    folder = tmp_path / "wire"
    folder.mkdir()
    story = folder / "cw.txt"
    shutil.copy(DATA / "countrywire" / "000_3e0ea549a971dbf5.txt", story)
    story.chmod(0)
    first = json.loads(unprivileged(tmp_path / "index", "index", folder, "--json").stdout)
    assert first["added"] == 0 and "cannot read" in first["rejected"][0]["reason"]
    story.chmod(0o644)  # a change of mode leaves size and time as they were
    archive = Archive(tmp_path / "index")
    second = archive.index([folder])
    assert second.added == 1 and second.files_new == [str(story)]


def test_a_folder_a_glob_reaches_emptied_is_refused_not_deleted(tmp_path):
    disks = tmp_path / "disks"
    for disk, count in (("disk1", 3), ("disk2", 2)):
        (disks / disk).mkdir(parents=True)
        for number in range(count):
            shutil.copy(DATA / "bbc" / "tech" / f"00{number + 1}.txt",
                        disks / disk / f"{number}.txt")
    pattern = str(disks / "disk*" / "*.txt")
    archive = Archive(tmp_path / "index")
    assert archive.index([pattern]).added == 5
    shutil.rmtree(disks / "disk2")
    (disks / "disk2").mkdir()  # an unmounted mount point
    (disks / "disk2" / ".not-mounted").write_text("")  # a marker some admins leave
    with pytest.raises(UsageError, match=r"disk2 holds no files, but 2 files \(2 articles\)"):
        archive.index([pattern])
    assert archive.search("*").total == 5
    # The same reached through a pattern that names the folders themselves.
    with pytest.raises(UsageError, match="is it mounted"):
        archive.index([str(disks / "*")])
    # A folder that is gone, not emptied, is taken as deleted, as are files gone from
    # a folder that still holds others.
    shutil.rmtree(disks / "disk2")
    (disks / "disk1" / "0.txt").unlink()
    assert archive.index([pattern]).deleted == 3
    assert archive.search("*").total == 2


def test_a_file_named_like_a_member_of_another_keeps_its_stories(tmp_path, engine_name):
    """Members of a bundle are stored as `bundle!member`; a file of its own named so
    (`news!update` beside `news`) is not one of `news`'s members."""
    folder = tmp_path / "wire"
    folder.mkdir()
    (folder / "news").write_text("Alpha story\n\nAlpha body about markets.\n")
    (folder / "news!update").write_text("Beta story\n\nBeta body about oil.\n")
    archive = Archive(tmp_path / "index")
    assert archive.index([folder], engine=engine_name).added == 2
    (folder / "news").write_text("Alpha story\n\nAlpha body about bonds.\n")
    assert archive.index([folder]).updated == 1
    assert archive.search("beta").total == 1
    (folder / "news").unlink()
    assert archive.index([folder]).deleted == 1
    assert [hit.headline for hit in archive.search("*").hits] == ["Beta story"]
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "index"), "check"])
    assert result.exit_code == 0, result.output


def test_a_folder_moved_away_and_linked_back_keeps_its_stories(tmp_path, data_copy):
    archive = Archive(tmp_path / "index")
    archive.index([data_copy])
    moved = tmp_path / "disk2" / "sport"
    moved.parent.mkdir()
    (data_copy / "bbc" / "sport").rename(moved)
    (data_copy / "bbc" / "sport").symlink_to(moved)
    report = archive.index([data_copy])
    assert (report.added, report.deleted) == (4, 4)  # read under their new path
    assert archive.search("*").total == 1021


def test_a_link_to_a_folder_above_is_followed_once(tmp_path):
    folder = tmp_path / "wire"
    (folder / "inner").mkdir(parents=True)
    shutil.copy(DATA / "bbc" / "tech" / "001.txt", folder / "inner" / "001.txt")
    (folder / "inner" / "up").symlink_to(folder)
    report = Archive(tmp_path / "index").index([folder])
    assert (report.added, report.rejected) == (1, [])


def test_a_source_link_repointed_at_an_empty_folder_is_refused(tmp_path):
    """Its stories were indexed under the folder it pointed to before."""
    shutil.copytree(DATA / "bbc", tmp_path / "bbc.real")
    (tmp_path / "empty").mkdir()
    link = tmp_path / "bbc"
    link.symlink_to(tmp_path / "bbc.real")
    config = tmp_path / "wiresearch.toml"
    config.write_text(f'index = "index"\n[[sources]]\npath = "{link}"\n')
    night = CliRunner().invoke(cli, ["reindex", "--config", str(config)])
    assert night.exit_code == 0, night.output
    link.unlink()
    link.symlink_to(tmp_path / "empty")
    night = CliRunner().invoke(cli, ["reindex", "--config", str(config)])
    assert night.exit_code == 2 and "is it mounted?" in night.stderr
    with Archive(tmp_path / "index") as archive:
        assert archive.search("*").total == 20
        # `index PATH` deletes only what lies under PATH as it is now: nothing.
        assert archive.index([link]).deleted == 0


def test_stories_without_ids_in_files_of_one_name_are_all_kept(tmp_path, engine_name):
    """Their ids come from the file's name, which each month's export shares: the
    folder tells them apart. A story with an id of its own still meets the id rule."""
    archive = Archive(tmp_path / "index")
    for month, text in (("2024-01", "Oil rose."), ("2024-02", "Oil fell.")):
        (tmp_path / "wire" / month).mkdir(parents=True)
        (tmp_path / "wire" / month / "export.jsonl").write_text(json.dumps(
            {"title": f"Story of {month}", "body": text, "date": f"{month}-05"}) + "\n")
    report = archive.index([tmp_path / "wire"], engine=engine_name)
    assert (report.added, report.rejected) == (2, [])
    assert sorted(hit.id for hit in archive.search("oil").hits) == [
        "json:2024-02/export/1", "json:export/1"]
    (tmp_path / "wire" / "2024-02" / "export.jsonl").write_text(json.dumps(
        {"title": "Story of 2024-02", "body": "Oil fell further.", "date": "2024-02-05"}))
    assert archive.index([tmp_path / "wire"]).updated == 1
    assert archive.get("json:2024-02/export/1").body == "Oil fell further."
    stated = {"id": "x1", "title": "Stated", "body": "Gold.", "date": "2024-03-01"}
    for month in ("2024-01", "2024-02"):
        (tmp_path / "wire" / month / "stated.jsonl").write_text(json.dumps(stated) + "\n")
    assert [r.reason for r in archive.index([tmp_path / "wire"]).rejected] == [
        f"id json:x1 is already indexed from {tmp_path / 'wire' / '2024-01' / 'stated.jsonl'}"]
    archive.close()


def test_a_source_behind_a_folder_that_cannot_be_entered_is_named(tmp_path):
    source = tmp_path / "locked" / "wire"
    shutil.copytree(DATA / "bbc" / "tech", source)
    (tmp_path / "locked").chmod(0)
    try:
        result = unprivileged(tmp_path / "index", "index", source)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert "cannot reach" in result.stderr and "unexpected" not in result.stderr


def test_an_empty_source_behind_a_link_does_not_keep_a_retired_feed(tmp_path):
    """A link to an empty inbox, and a feed taken out of the configuration: the feed's
    stories go, as they would beside an empty folder that is no link."""
    shutil.copytree(DATA / "bbc" / "tech", tmp_path / "feed")
    (tmp_path / "dropbox.d").mkdir()
    (tmp_path / "incoming").symlink_to(tmp_path / "dropbox.d")
    config = tmp_path / "wiresearch.toml"
    both = 'index = "index"\n[[sources]]\npath = "feed"\n[[sources]]\npath = "incoming"\n'
    config.write_text(both)
    assert CliRunner().invoke(cli, ["reindex", "--config", str(config)]).exit_code == 0
    config.write_text('index = "index"\n[[sources]]\npath = "incoming"\n')
    night = CliRunner().invoke(cli, ["reindex", "--config", str(config), "--json"])
    assert night.exit_code == 0, night.output
    assert json.loads(night.stdout)["deleted"] == 4
