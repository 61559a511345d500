"""The readers of the formats the archive was first built for."""

import gzip
import os
import re
import shutil
import sys
import tempfile
from html.entities import codepoint2name
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import DATA, corpus
from wiresearch import formats
from wiresearch.formats import SourceFile, read_source, reuters, walk
from wiresearch.model import RawRecord, Rejection
from wiresearch.normalize import normalize


def read(path, name=None):
    return list(read_source(SourceFile(str(name or path), path.read_bytes())))


def records(items):
    return [item for item in items if isinstance(item, RawRecord)]


def rejections(items):
    return [item for item in items if isinstance(item, Rejection)]


def test_reuters_file_gives_its_1000_records_with_ids_and_fields():
    items = read(DATA / "reuters21578" / "reut2-000.sgm")
    found = records(items)
    assert len(found) == 1000
    assert [r.native_id for r in found] == [str(n) for n in range(1, 1001)]
    first = normalize(found[0]).article
    assert first.id == "reuters21578:1"
    assert first.headline == "BAHIA COCOA REVIEW"
    assert first.dateline == "SALVADOR"
    assert first.countries == ("SV", "US", "UY")
    assert first.topics == ("cocoa",)
    assert first.body.startswith("Showers continued throughout the week")
    assert "Reuter" not in first.body.split()[-1]
    assert found[0].attributes["lewissplit"] == "TRAIN"


def test_reuters_brief_keeps_headline_without_filler():
    found = records(read(DATA / "reuters21578" / "reut2-000.sgm"))
    brief = normalize(next(r for r in found if r.native_id == "31")).article
    assert brief.headline.startswith("U.S. TAX WRITERS SEEK ESTATE TAX CURBS")
    assert brief.body == ""


def test_truncated_reuters_record_is_reported_and_the_rest_read(tmp_path):
    text = (DATA / "reuters21578" / "reut2-000.sgm").read_bytes()
    cut = text[: text.index(b'NEWID="3"') + 400]
    path = tmp_path / "cut.sgm"
    path.write_bytes(cut)
    items = read(path)
    assert [r.native_id for r in records(items)] == ["1", "2"]
    assert any("truncated" in r.reason and r.position == "record 3" for r in rejections(items))


REUTERS_BY_ANOTHER_TOOL = """<reuters newid="7" lewissplit="TEST">
<date> 3-MAR-1987 10:00:00.00&#5;&#5;&#5;F</date>
<places><d>usa</d><D>uk</D></places><topics><d>trade</d></topics>
<text><title>AT&T SELLS CAF&Eacute; &amp; BAR</title>
<dateline>NEW YORK, March 3 - </dateline>
<body>Sales rose&#3; 5&#x25; at &lt;Parlux Inc> &foo; said. Reuter&#3;</body></text>
</reuters>"""


def test_a_file_read_as_reuters_that_holds_no_record_is_rejected():
    # With --format reuters-sgml, a BBC story gave nothing and said nothing.
    source = SourceFile("business/001.txt", (DATA / "bbc" / "business" / "001.txt").read_bytes())
    items = list(read_source(source, "reuters-sgml"))
    assert [(r.severity, r.reason) for r in items] == [("error", "no <REUTERS> record")]


def test_reuters_record_written_by_another_tool_keeps_its_text(tmp_path):
    # Lower-case tags, HTML's named entities, a bare ampersand, control references: none
    # of them XML, all of them SGML that archives hold.
    path = tmp_path / "other.sgm"
    path.write_text(REUTERS_BY_ANOTHER_TOOL, encoding="utf-8")
    [record] = records(read(path))
    assert record.attributes == {"newid": "7", "lewissplit": "TEST"}
    article = normalize(record).article
    assert article.id == "reuters21578:7"
    assert article.headline == "AT&T SELLS CAF\u00c9 & BAR"
    assert article.body == "Sales rose 5% at <Parlux Inc> &foo; said."
    assert article.dateline == "NEW YORK"
    assert article.countries == ("US", "GB")
    assert article.date.isoformat().startswith("1987-03-03T10:00")


def test_reuters_markup_that_xml_forbids_is_read_in_full(tmp_path):
    # Unquoted attribute values, a raw "<" in text, "]]>", Windows-1252 character numbers
    # and an upper-case hexadecimal reference: SGML that XML parsers would drop text of.
    path = tmp_path / "loose.sgm"
    path.write_text(
        '<REUTERS NEWID=8 LEWISSPLIT=TRAIN><DATE>26-FEB-1987 15:01:01.79</DATE>'
        "<TEXT><TITLE>BANK SAYS &#145;NO&#146; &#150; CUT &#X2014; &copy 1987</TITLE>"
        "<BODY>Rates rose <5 pct, a < b, x[a[1]]> 0.</BODY></TEXT></REUTERS>"
        '<REUTERS NEWID="9"><TEXT><TITLE>SECOND</TITLE><BODY>Fine.</BODY></TEXT></REUTERS>',
        encoding="utf-8")
    loose, fine = records(read(path))
    assert loose.attributes == {"newid": "8", "lewissplit": "TRAIN"}
    article = normalize(loose).article
    assert article.headline == "BANK SAYS \u2018NO\u2019 \u2013 CUT \u2014 \u00a9 1987"
    assert article.body == "Rates rose <5 pct, a < b, x[a[1]]> 0."
    assert article.date.isoformat().startswith("1987-02-26T15:01")
    assert normalize(fine).article.body == "Fine."


_PRINTABLE = st.characters(blacklist_categories=("Cs", "Cc"))


def _sgml_escaped(text: str, choices: list[int]) -> str:
    """`text` as an SGML writer may put it: each character as itself (`<` and `&` must be
    escaped), as a numeric reference, or as a named entity."""
    out = []
    for character, choice in zip(text, choices[:len(text)], strict=True):
        name = codepoint2name.get(ord(character))
        if choice == 2 and name:
            out.append(f"&{name};")
        elif choice >= 1 or character in "<&":
            out.append(f"&#{ord(character)};")
        else:
            out.append(character)
    return "".join(out)


_RECORD_PIECES = st.sampled_from([
    "<REUTERS>", '<REUTERS NEWID="2">', "<reuters a='x'>", "</REUTERS>", "</reuters>",
    "</REUTERS >", "<REUTERSX>", "<REUTERS", "</REUTERS", "<", ">", "/", "x", "\n", "<BODY>",
    "\u212a", "\u017f"])


@given(st.lists(_RECORD_PIECES, max_size=25).map("".join))
def test_records_are_cut_where_a_lazy_pattern_cuts_them(text):
    """Records are cut out with a pattern written for speed: the same records as the
    plain lazy one, which tries each of a record's three ends at every character."""
    lazy = re.compile(r"<REUTERS\b[^>]*>.*?(?:</REUTERS>|(?=<REUTERS\b)|\Z)", re.S | re.I)
    assert ([match.span() for match in reuters._RECORD.finditer(text)]
            == [match.span() for match in lazy.finditer(text)])


@settings(max_examples=200, deadline=None)
@given(st.text(_PRINTABLE, min_size=1, max_size=60), st.text(_PRINTABLE, max_size=200),
       st.lists(st.integers(0, 2), min_size=260, max_size=260))
@example("0", "0\ufdd0", [1] * 260)  # a noncharacter as a reference: html.unescape drops it
def test_reuters_reader_gives_back_any_escaped_text(headline, body, choices):
    chunk = (f'<REUTERS NEWID="1"><TEXT><TITLE>{_sgml_escaped(headline, choices)}</TITLE>'
             f"<BODY>{_sgml_escaped(body, choices[60:])}</BODY></TEXT></REUTERS>")
    [record] = [item for item in read_source(SourceFile("x.sgm", chunk.encode()))
                if isinstance(item, RawRecord)]
    assert (record.headline, record.body) == (headline, body)


def test_countrywire_sample():
    items = read(DATA / "countrywire" / "000_3e0ea549a971dbf5.txt")
    [article] = [normalize(r).article for r in records(items)]
    assert article.id == "countrywire:000_3e0ea549a971dbf5"
    assert article.headline == "Trump-Putin meeting dominates G20 in Germany"
    assert article.countries == ("US", "RU")
    assert article.regions == ("Americas", "Europe")
    assert article.date is None
    assert article.source == "CountryWatch"
    assert "Copyright" not in article.body and "No portion" not in article.body
    assert article.body.startswith("The 2017 meeting of the G20")


def test_countrywire_file_with_two_stories_gives_two_articles(tmp_path):
    path = tmp_path / "cw.txt"
    path.write_text(
        "Country Wire\n\n    First story; Second story\n\n    Europe: France\n\n"
        "    First story\n\n    Paragraph one.\n\n    Second story\n\n    Paragraph two.\n\n"
        "    Copyright 2019 CountryWatch, Inc. All Rights Reserved.\n", encoding="utf-8")
    articles = [normalize(r).article for r in records(read(path))]
    assert [(a.id, a.headline, a.body) for a in articles] == [
        ("countrywire:cw", "First story", "Paragraph one."),
        ("countrywire:cw/2", "Second story", "Paragraph two.")]
    assert all(a.countries == ("FR",) for a in articles)


def test_countrywire_headline_with_a_colon_is_a_story_not_a_region(tmp_path):
    path = tmp_path / "cw.txt"
    path.write_text(
        "Country Wire\n\n    Venezuela: Maduro tightens grip\n\n    Americas: Venezuela\n\n"
        "    Venezuela: Maduro tightens grip\n\n    Maduro moved on Monday.\n\n"
        "    The opposition said no.\n", encoding="utf-8")
    (article,) = [normalize(r).article for r in records(read(path))]
    assert article.headline == "Venezuela: Maduro tightens grip"
    assert article.body == "Maduro moved on Monday.\n\nThe opposition said no."
    assert article.countries == ("VE",)


def test_countrywire_in_a_detected_encoding_says_so(tmp_path):
    text = (DATA / "countrywire" / "000_3e0ea549a971dbf5.txt").read_text("utf-8")
    path = tmp_path / "cw.txt"
    path.write_bytes(text.replace("G20", "G20 \u2013 Hamburg’s").encode("cp1252"))
    items = read(path)
    [warning] = rejections(items)
    assert (warning.severity, warning.reason) == (
        "warning", "not UTF-8; decoded as cp1252 (detected)")
    [article] = [normalize(r).article for r in records(items)]
    assert "G20 \u2013 Hamburg’s" in article.body


def test_bbc_layout_gives_section_topic_and_id():
    path = DATA / "bbc" / "business" / "001.txt"
    [article] = [normalize(r).article for r in records(read(path, path.resolve()))]
    assert article.id == "bbc:business/001"
    assert article.source == "BBC"
    assert article.topics == ("business",)
    assert article.headline == "Ad sales boost Time Warner profit"
    assert article.date is None


def test_latin1_text_is_decoded_by_detection_and_reported():
    path = corpus("bbc", "sport", "199.txt")
    items = read(path, path)
    [article] = [normalize(r).article for r in records(items)]
    assert "\ufffd" not in article.body
    assert any(r.severity == "warning" and "detected" in r.reason for r in rejections(items))


def test_empty_binary_and_unknown_files_are_rejected_with_reasons(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"  \n\n ")
    (tmp_path / "image.bin").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "notes.txt").write_text("no blank line\nafter the first line\n")
    reasons = {path.name: rejections(read(path))[0].reason for path in tmp_path.iterdir()}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blank.txt"] == "empty file"
    assert reasons["image.bin"].startswith("binary file")
    assert reasons["notes.txt"] == "unrecognised format"


def test_walk_is_recursive_sorted_and_skips_readmes_and_hidden(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("x")
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "README.txt").write_text("x")
    for name in ("README.rst", "LICENSE.md", "logo.svg", "photo.webp", "scan.TIF"):
        (tmp_path / "b" / name).write_text("x")
    (tmp_path / "b" / "readme-corrections.txt").write_text("x")  # a story, so named
    assert [p.relative_to(tmp_path).as_posix() for p in walk([tmp_path])] == [
        "a.txt", "b/2.txt", "b/readme-corrections.txt"]


def test_walk_takes_a_tree_deeper_than_pythons_recursion_limit(tmp_path):
    deep = tmp_path
    for _level in range(300):
        deep = deep / "d"
        deep.mkdir()
    (deep / "story.txt").write_text("x")
    (tmp_path / "top.txt").write_text("x")
    # A limit the tree is deeper than (Python's own, about a thousand, would leave a tree
    # that shutil.rmtree, which cleans tmp_path up, cannot delete before Python 3.12).
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(250)
    try:
        found = list(walk([tmp_path]))
    finally:
        sys.setrecursionlimit(limit)
    assert found == [tmp_path / "top.txt", deep / "story.txt"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c.txt", "d.txt"]), min_size=1,
                         max_size=4), max_size=8))
def test_folders_are_those_of_os_walk_in_its_order(paths):
    with tempfile.TemporaryDirectory() as top:
        for parts in paths:
            *folders, last = parts
            folder = Path(top, *folders)
            if any(parent.is_file() for parent in (folder, *folder.parents)):
                continue
            folder.mkdir(parents=True, exist_ok=True)
            if last.endswith(".txt") and not Path(folder, last).is_dir():
                Path(folder, last).write_text("x")
            elif not Path(folder, last).exists():
                Path(folder, last).mkdir()
        assert list(formats._folders(top, None)) == list(os.walk(top, followlinks=True))


def test_reader_uses_content_not_the_name(tmp_path):
    renamed = tmp_path / "reuters-copy.data"
    shutil.copy(DATA / "reuters21578" / "reut2-000.sgm", renamed)
    assert len(records(read(renamed))) == 1000
    zipped = tmp_path / "x.txt"
    zipped.write_bytes(gzip.compress(b"hello"))
    assert rejections(read(zipped))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_readers_take_any_bytes(data):
    for prefix in (b"", b"<REUTERS NEWID=\"1\">", b"Country Wire\n\n", b"Headline\n\n"):
        for item in read_source(SourceFile("fuzz/section/x.txt", prefix + data)):
            assert isinstance(item, (RawRecord, Rejection))
            if isinstance(item, RawRecord):
                normalize(item)
