"""The command line: a thin layer over the library, one-line errors, exit codes."""

import csv
import io
import json
import os
import re
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from tests.conftest import DATA
from wiresearch import Archive
from wiresearch.cli import cli


def run(*args, index=None):
    runner = CliRunner()
    prefix = ["--index", str(index)] if index else []
    return runner.invoke(cli, [*prefix, *map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli") / "index"
    result = run("index", DATA, "--json", index=folder)
    assert result.exit_code == 0, result.output
    return folder


def test_index_reports_json(tmp_path):
    result = run("index", DATA / "countrywire", "--json", index=tmp_path / "ix")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["added"] == 1 and report["documents"] == 1 and report["rejected"] == []


def test_search_json_is_the_library_results(index, sample_archive):
    result = run("search", "oil", "--country", "usa", "--facet", "country", "--facet", "year",
                 "--limit", "3", "--json", index=index)
    assert result.exit_code == 0
    from wiresearch import Archive

    with Archive(index) as archive:
        expected = archive.search("oil", countries=["usa"], facets=["country", "year"],
                                  limit=3).to_dict()
    assert json.loads(result.output) == expected


def test_human_output_reads_well_and_has_no_colour_when_piped(index):
    result = run("search", "cocoa", index=index)
    assert result.exit_code == 0
    out = result.output
    assert "  1. BAHIA COCOA REVIEW" in out
    assert "1987-02-26 15:01 UTC · Reuters · SALVADOR · El Salvador" in out
    assert "\x1b[" not in out and "<mark>" not in out
    assert "2 articles" in out and "Country:" in out and "Year: 1987" in out


def test_human_output_colours_matches_on_a_terminal(index):
    runner = CliRunner()
    result = runner.invoke(cli, ["--index", str(index), "search", "cocoa"], color=True)
    assert "\x1b[" in result.output


def test_multi_word_queries_need_no_quotes(index):
    joined = json.loads(run("search", "cocoa", "Bahia", "--json", index=index).output)
    quoted = json.loads(run("search", "cocoa Bahia", "--json", index=index).output)
    assert joined["total"] == quoted["total"] == 1


def test_a_word_after_a_dash_is_a_not_and_not_an_option(index):
    def total(*args):
        result = run("search", "--json", *args, index=index)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["total"]

    assert total("coffee", "-cocoa") == total("coffee -cocoa") < total("coffee")
    assert total("-rain") == total("*") - total("rain")
    # Not help (-h) with more letters; after --, a word with two dashes is a word.
    assert total("coffee", "-hurricane") == total("coffee -hurricane")
    assert total("--", "--oil") == total("-oil")  # the query language reads --oil as -oil
    assert "timeline [OPTIONS] [QUERY]" in run("timeline", "-h", index=index).output
    timeline = run("timeline", "coffee", "-cocoa", "--by", "year", "--json", index=index)
    assert json.loads(timeline.output)["total"] == total("coffee -cocoa")


@pytest.mark.parametrize("args, message", [
    (["search", '"oil prices'], "unbalanced quote"),
    (["search", "oil", "--facet", "colour"], "unknown facet"),
    (["search", "oil", "--from", "1987-13"], "bad date"),
    (["search", "date:[x TO y]"], "bad date"),
    (["search", "oil", "--limit", "zero"], "zero"),
    (["search", "oil", "--sort", "random"], "unknown sort"),
    (["show", "reuters21578:999999"], "no article"),
    (["search", "x" * 10000], "limit is"),
    (["search", "oil\x01"], "control character"),
    (["timeline", "oil", "--by", "fortnight"], "unknown --by"),
    (["search", '"oil prices"~99999999999999999999'], "proximity is at most"),
    (["search", "--limt", "5", "oil"], "no such option: --limt"),
    (["search", "oil", "--page", "99999999999999999999"], "--page must be between"),
    (["search", "oil", "--page", "1000001", "--format", "csv"], "--page must be between"),
])
def test_bad_input_is_one_line_on_stderr_and_non_zero(index, args, message):
    result = run(*args, index=index)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_missing_index_says_how_to_build_one(tmp_path):
    result = run("search", "oil", index=tmp_path / "nowhere")
    assert result.exit_code == 3
    assert "wiresearch --index" in result.stderr


def test_show_stats_timeline_similar(index):
    shown = json.loads(run("show", "reuters21578:1", "--json", index=index).output)
    assert shown["headline"] == "BAHIA COCOA REVIEW" and shown["body"].startswith("Showers")
    stats = json.loads(run("stats", "--json", index=index).output)
    assert stats["documents"] == 1021 and stats["engine"] == "whoosh"
    series = json.loads(run("timeline", "oil", "--by", "day", "--json", index=index).output)
    total = json.loads(run("search", "oil", "--json", index=index).output)["total"]
    assert sum(b["count"] for b in series["buckets"]) + series["undated"] == total
    chart = run("timeline", "oil", "--by", "day", index=index).output
    assert "1987-02-26" in chart and "█" in chart
    csv_text = run("timeline", "oil", "--csv", index=index).output.splitlines()
    assert csv_text[0] == "month,start,count" and csv_text[1].startswith("1987-02,")
    similar = json.loads(run("similar", "reuters21578:1", "--json", index=index).output)
    assert similar["hits"][0]["id"] == "reuters21578:275"


def test_export_streams_all_matches(index):
    total = json.loads(run("search", "oil", "--json", index=index).output)["total"]
    lines = run("search", "oil", "--format", "jsonl", "--all", "--fields", "id,headline",
                index=index).output.splitlines()
    assert len(lines) == total > 10
    assert set(json.loads(lines[0])) == {"id", "headline"}
    text = run("search", "oil", "--format", "csv", "--all", index=index).output
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == total and rows[0]["id"].startswith("reuters21578:")
    assert "\n" in "".join(row["body"] for row in rows)  # paragraphs survive, quoted
    page = run("search", "oil", "--format", "jsonl", index=index).output.splitlines()
    assert len(page) == 10


@pytest.mark.parametrize("args", [("--fields", "id,nope"), ("--from", "1987-13"),
                                  ("--country", "Atlantis")])
def test_a_bad_export_writes_nothing_before_its_error(index, args):
    result = run("search", "oil", "--format", "csv", "--all", *args, index=index)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_an_export_page_may_be_longer_than_a_search_page(index):
    # --limit's cap of 1000 is for result pages; an export's page is rows.
    rows = run("search", "*", "--format", "csv", "--fields", "id", "--limit", "2000",
               index=index)
    assert rows.exit_code == 0 and len(rows.output.splitlines()) == 1 + 1021


def test_collapse_is_on_for_people_and_off_for_json(index):
    human = run("search", '"export licensing reform"', index=index).output
    assert "copy" in human and "reuters21578:55" in human
    data = json.loads(run("search", '"export licensing reform"', "--json", index=index).output)
    assert not data["collapsed"]
    folded = json.loads(run("search", '"export licensing reform"', "--json", "--collapse",
                            index=index).output)
    assert len(folded["hits"]) == len(data["hits"]) - 1


def test_command_line_program_starts_and_pipes(index):
    env = {**os.environ, "WIRESEARCH_INDEX": str(index)}
    done = subprocess.run([sys.executable, "-m", "wiresearch.cli", "search", "cocoa"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and "BAHIA COCOA REVIEW" in done.stdout
    assert done.stderr == ""


def test_the_program_alone_prints_its_help_as_laid_out():
    done = subprocess.run([sys.executable, "-m", "wiresearch.cli"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode in (0, 2)  # click 8.1 exits 0, 8.2 and later 2
    assert done.stdout.startswith("Usage: wiresearch")
    assert "\nCommands:\n" in done.stdout and "error" not in done.stderr


def test_indexing_shows_progress_on_a_terminal_only(tmp_path):
    import pty

    controller, terminal = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "wiresearch.cli", "--index",
                           str(tmp_path / "tty"), "index", str(DATA)], stdout=subprocess.PIPE,
                          stderr=terminal, timeout=120)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert done.returncode == 0
    assert b"files" in shown and b"articles" in shown and b"/s" in shown
    piped = subprocess.run([sys.executable, "-m", "wiresearch.cli", "--index",
                            str(tmp_path / "pipe"), "index", str(DATA)], capture_output=True,
                           timeout=120)
    assert piped.returncode == 0 and piped.stderr == b""


def test_page_counts_are_grouped_like_totals(index):
    output = run("search", "*", "--limit", "1", "--page", "1000", index=index).output
    assert "page 1,000 of 1,021" in output


def test_matches_are_bold_yellow_on_a_terminal_and_plain_when_piped(index):
    from wiresearch.render import marked

    assert marked("Bahia <mark>cocoa</mark> &amp; <mark>Cocoa&#x27;s</mark> zone") == (
        "Bahia " + click.style("cocoa", fg="yellow", bold=True) + " & "
        + click.style("Cocoa's", fg="yellow", bold=True) + " zone")
    piped = run("search", "cocoa", index=index).output
    assert "Bahia cocoa zone" in piped
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", piped)


def test_an_export_page_is_the_search_page_with_recency_too(index):
    shown = json.loads(run("search", "oil", "--recent", "30d", "--limit", "5", "--json",
                           index=index).output)
    exported = run("search", "oil", "--recent", "30d", "--limit", "5", "--format", "csv",
                   "--fields", "id", index=index).output.splitlines()
    assert exported[1:] == [hit["id"] for hit in shown["hits"]]
    plain = run("search", "oil", "--limit", "5", "--format", "csv", "--fields", "id",
                index=index).output.splitlines()
    assert plain != exported


@pytest.mark.parametrize("args, message", [
    (("--recent", "30d", "--sort", "newest"), "cannot be combined"),
    (("--facet", "bogus"), "unknown facet"),
    (("--limit", "-3"), "--limit must be at least 1"),
    (("--limit", "0"), "--limit must be at least 1"),
    (("--json",), "--json and --format csv each choose the output"),
])
def test_an_export_refuses_what_search_refuses(index, args, message):
    result = run("search", "oil", "--format", "csv", *args, index=index)
    assert result.exit_code == 2 and message in result.stderr and result.stdout == ""


def test_an_export_read_by_head_ends_quietly(index):
    # A reader that stops early (head) is not a failure: exit 0, nothing on stderr.
    env = {**os.environ, "WIRESEARCH_INDEX": str(index)}
    process = subprocess.Popen([sys.executable, "-m", "wiresearch.cli", "search", "*",
                                "--format", "jsonl", "--all"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    assert process.stdout.readline().startswith(b"{")
    process.stdout.close()
    assert process.wait(timeout=60) == 0
    assert process.stderr.read() == b""


@pytest.mark.parametrize("args", [("search", "caf\udce9"), ("show", "x\udcff"),
                                  ("search", "oil", "--source", "\udcff")])
def test_an_argument_that_is_not_utf8_is_a_usage_error(index, args):
    result = CliRunner().invoke(cli, ["--index", str(index), *args])
    assert result.exit_code == 2 and "is not valid UTF-8" in result.stderr


def test_a_timeline_takes_one_output(index):
    result = run("timeline", "oil", "--json", "--csv", index=index)
    assert result.exit_code == 2 and "--json and --csv" in result.stderr
    assert result.stdout == ""


def test_the_summary_names_pages_one_can_go_to(index):
    related = run("similar", "reuters21578:1", "--limit", "3", index=index).output
    assert "sorted by relevance" in related and "page" not in related.splitlines()[-1]
    beyond = run("search", "cocoa", "--page", "50", index=index).output
    total = json.loads(run("search", "cocoa", "--json", index=index).output)["total"]
    last = -(-total // 10)
    assert f"No articles on page 50: the last is page {last}." in beyond
    assert "page 50 of" not in beyond


@pytest.mark.parametrize("name", ["_MAIN_*.toc", "*.trm", "*.pst"])
@pytest.mark.parametrize("size", [0, 100])
def test_a_cut_whoosh_file_is_said_to_be_damaged(tmp_path, name, size):
    index = tmp_path / "index"
    Archive(index).index([DATA / "bbc"])
    [generation] = index.glob("gen-*")
    with open(next(generation.glob(name)), "r+b") as cut:
        cut.truncate(size)
    result = run("search", "oil", index=index)
    assert result.exit_code == 3, result.stderr
    assert "damaged" in result.stderr and "rebuild it (index --full" in result.stderr
    assert "unexpected" not in result.stderr


@pytest.mark.parametrize("engine, stored, segment", [
    ("whoosh", "*._stored.col", "*.pst"), ("tantivy", "*.store", "*.idx")])
@pytest.mark.parametrize("damage", ["emptied store", "segment file gone"])
def test_a_damaged_index_is_said_to_be_damaged(tmp_path, engine, stored, segment, damage):
    if engine == "tantivy":
        pytest.importorskip("tantivy")
    index = tmp_path / "index"
    Archive(index).index([DATA / "bbc"], engine=engine)
    [generation] = index.glob("gen-*")
    if damage == "emptied store":
        next(generation.glob(stored)).write_bytes(b"")
    else:
        next(generation.glob(segment)).unlink()
    for args in (("search", "oil"), ("check",)):
        result = run(*args, index=index)
        assert result.exit_code == 3 and "damaged" in result.stderr, result.stderr
        assert "rebuild it (index --full" in result.stderr
        assert "unexpected" not in result.stderr
