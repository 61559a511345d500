"""A fresh build adds documents with DocumentAdder instead of Whoosh's add_document: the
segments both write must be the same, byte for byte."""

import datetime as dt
import gc
import os
import signal
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from whoosh import formats
from whoosh import index as windex

from tests.conftest import DATA
from wiresearch import analysis
from wiresearch.engine import forked, whoosh_codec, whoosh_engine
from wiresearch.engine.whoosh_codec import ArrayCodec
from wiresearch.engine.whoosh_writing import DocumentAdder, TermPool
from wiresearch.ingest import FileTask, process_file
from wiresearch.model import Article


def _segment_files(folder: Path) -> dict[str, bytes]:
    """Each file of the index's one segment by its extension (the segment's name is
    random), without the table of contents, which names it."""
    files = [path for path in folder.iterdir()
             if not path.name.startswith("_") and "LOCK" not in path.name]
    segments = {path.name.split("_")[1].split(".")[0] for path in files
                if path.name.startswith(whoosh_engine.INDEX_NAME + "_")}
    assert len(segments) == 1
    return {path.name.split(".", 1)[1]: path.read_bytes() for path in files
            if "." in path.name}


class _OneByOnePool(TermPool):
    """A pool whose postings reach the codec one at a time, as Whoosh's own pool gives
    them: the codec then writes each term through W3's start_term, add and finish_term."""

    def iter_postings(self):
        return iter(list(super().iter_postings()))


def _build(folder: Path, articles, prepare: bool, stock: bool,
           pool: type = TermPool) -> dict[str, bytes]:
    folder.mkdir()
    index = windex.create_in(str(folder), whoosh_engine._schema(),
                             indexname=whoosh_engine.INDEX_NAME)
    writer = index.writer(codec=ArrayCodec(), compound=False)
    writer.pool = pool()
    adder = DocumentAdder(index.schema, whoosh_engine.Postings)
    for number, article in enumerate(articles):
        made = whoosh_engine.WhooshEngine.prepare(article) if prepare else None
        document = whoosh_engine.to_document(article, f"cluster-{number % 7}", made)
        if stock:
            writer.add_document(**document)
        else:
            adder.add(writer, document)
    writer.commit(merge=False)
    index.close()
    return _segment_files(folder)


@pytest.fixture(scope="module")
def articles():
    found = []
    for path in (DATA / "reuters21578").glob("*.sgm"):
        found += process_file(FileTask(str(path), None, None)).articles
    for path in sorted((DATA / "bbc").rglob("*.txt"))[:100]:
        found += process_file(FileTask(str(path), None, None)).articles
    return found


@pytest.mark.parametrize("prepare", [True, False])
def test_documentadder_writes_the_segment_add_document_writes(tmp_path, articles, prepare):
    theirs = _build(tmp_path / "stock", articles, prepare, stock=True)
    ours = _build(tmp_path / "ours", articles, prepare, stock=False)
    assert sorted(ours) == sorted(theirs)
    for extension in theirs:
        assert ours[extension] == theirs[extension], extension


# Values that differ only in case, spaces or accents, and any others.
def _read_back(folder: Path) -> dict:
    """Every term's statistics and postings (document, weight, value), as Whoosh's
    reader gives them."""
    index = windex.open_dir(str(folder), indexname=whoosh_engine.INDEX_NAME)
    found = {}
    with index.reader() as reader:
        for fieldname, text in reader.all_terms():
            info = reader.term_info(fieldname, text)
            matcher = reader.postings(fieldname, text)
            postings = []
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value() or None))
                matcher.next()
            found[(fieldname, text)] = (
                (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                 info.max_weight(), info.min_id(), info.max_id()), postings)
    index.close()
    return found


def test_terms_written_a_term_at_a_time_read_as_those_written_posting_by_posting(
        tmp_path, articles):
    """Terms with one posting are held in their term info, terms whose postings fit
    one block are written in one step, the others block by block; whatever Whoosh's
    way, posting by posting, writes, its reader must read the same from both."""
    whole = _build(tmp_path / "whole", articles, prepare=True, stock=False)
    one_by_one = _build(tmp_path / "one", articles, prepare=True, stock=False,
                        pool=_OneByOnePool)
    # Each file but the terms and the postings, where terms differ in where they are.
    for extension in whole.keys() - {"trm", "pst"}:
        assert whole[extension] == one_by_one[extension], extension
    assert len(whole["pst"]) < len(one_by_one["pst"])
    ours, theirs = _read_back(tmp_path / "whole"), _read_back(tmp_path / "one")
    assert ours.keys() == theirs.keys()
    for key, (info, postings) in theirs.items():
        assert ours[key] == (info, postings), key


@pytest.fixture
def helpers(monkeypatch):
    """Every segment's postings are written with a helper process (however small), and
    the helpers started are counted: a test of the helper must see one run."""
    if not forked.available():
        pytest.skip("a helper process needs Linux and a second core")
    monkeypatch.setattr(whoosh_codec, "PARALLEL_POSTINGS", 1)
    started = []
    start = forked.Helper.start.__func__

    def counted(cls, work, folder):
        helper = start(cls, work, folder)
        started.append(helper and helper._pid)
        return helper

    monkeypatch.setattr(forked.Helper, "start", classmethod(counted))
    return started


@pytest.mark.parametrize("share", [0.02, 0.4, 0.75, 0.98])
def test_a_segment_written_with_a_helper_is_the_one_written_alone(
        tmp_path, articles, helpers, monkeypatch, share):
    """Cut anywhere (inside the body field's many-block terms, in a later field, near
    the end), the helper's part of the postings and terms must land where writing
    them here would have put them, byte for byte."""
    monkeypatch.setattr(whoosh_codec, "PARENT_SHARE", share)
    together = _build(tmp_path / "helped", articles, prepare=True, stock=False)
    assert len(helpers) == 1 and helpers[0]
    assert gc.isenabled()
    monkeypatch.setattr(whoosh_codec, "PARALLEL_POSTINGS", 10**12)
    alone = _build(tmp_path / "alone", articles, prepare=True, stock=False)
    assert len(helpers) == 1
    assert sorted(together) == sorted(alone)
    for extension in alone:
        assert together[extension] == alone[extension], extension


def test_a_helper_reads_no_file_of_the_segment(tmp_path, articles, helpers, monkeypatch):
    """The helper shares its parent's open files, offsets included: were both to read a
    length column at once, each would read from where the other had moved (a 200,000-
    article build failed so, at random). The lengths are read before it starts."""
    callers = tmp_path / "callers"
    field_lengths = whoosh_codec._LengthCachingReader.field_lengths

    def noted(self, fieldname):
        with open(callers, "a") as noting:  # the helper's calls are noted too
            noting.write(f"{os.getpid()}\n")
        return field_lengths(self, fieldname)

    monkeypatch.setattr(whoosh_codec._LengthCachingReader, "field_lengths", noted)
    _build(tmp_path / "helped", articles, prepare=True, stock=False)
    assert len(helpers) == 1 and helpers[0]
    assert set(callers.read_text().split()) == {str(os.getpid())}


@pytest.mark.parametrize("how", ["raises", "killed"])
def test_a_helper_that_fails_leaves_its_part_to_the_writer(
        tmp_path, articles, helpers, monkeypatch, how):
    alone = _build(tmp_path / "alone", articles, prepare=True, stock=False)
    assert len(helpers) == 1

    def failing(self, schema, lengths, terms, out):
        if how == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(whoosh_codec.ArrayFieldWriter, "_write_apart", failing)
    failed = _build(tmp_path / "failed", articles, prepare=True, stock=False)
    assert len(helpers) == 2
    assert failed == alone
    assert not [path for path in (tmp_path / "failed").iterdir() if "tmp" in path.name]


def test_a_writer_stopped_midway_ends_its_helper(tmp_path, articles, helpers, monkeypatch):
    """Ctrl-C (or any error) while this process writes its part: the helper is ended
    and waited for, not left writing (or a zombie) after the run has stopped."""
    writer_pid = os.getpid()
    write_terms = whoosh_codec.ArrayFieldWriter._write_terms

    def interrupted(self, schema, lengths, terms):
        if os.getpid() == writer_pid:
            raise KeyboardInterrupt
        return write_terms(self, schema, lengths, terms)

    monkeypatch.setattr(whoosh_codec.ArrayFieldWriter, "_write_terms", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _build(tmp_path / "stopped", articles, prepare=True, stock=False)
    assert len(helpers) == 1
    with pytest.raises(ChildProcessError):  # waited for: no longer a child of this process
        os.waitpid(helpers[0], os.WNOHANG)


_value = st.one_of(st.sampled_from(["us", "US", " us", "us ", "", " ", "gb", "a b", "é", "É"]),
                   st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.lists(_value, max_size=3), st.lists(_value, max_size=3),
                               _value, st.booleans()), min_size=1, max_size=6))
@example(rows=[(["us"], ["Trade"], "", True), (["US"], ["trade "], " ", False)])
def test_any_keyword_values_index_as_add_document_indexes_them(tmp_path_factory, rows):
    """Keyword values with spaces, repeats, empty strings or any character: each distinct
    value is indexed once and remembered; what is written must not change."""
    articles = [
        Article(id=f"{number}:{source}", source=source, headline=f"story {number}",
                body="some words " + " ".join(countries), countries=tuple(countries),
                topics=tuple(topics), path=source,
                date=dt.datetime(1987, 3, 1 + number, tzinfo=dt.UTC) if dated else None)
        for number, (countries, topics, source, dated) in enumerate(rows)]
    folder = tmp_path_factory.mktemp("keywords")
    theirs = _build(folder / "stock", articles, prepare=False, stock=True)
    ours = _build(folder / "ours", articles, prepare=False, stock=False)
    assert ours == theirs


def test_documentadder_refuses_a_schema_it_cannot_write(tmp_path):
    from whoosh import fields as wf

    with pytest.raises(ValueError):
        DocumentAdder(wf.Schema(text=wf.TEXT(vector=True)), list)


@settings(max_examples=60, deadline=None)
@given(words=st.lists(st.sampled_from(["oil", "Oil", "prices", "rose", "opec", "é", "x" * 41,
                                          "\uff9e"]),  # a word that folds to ""
                      max_size=40),
       start=st.sampled_from([0, 4090, 5000]))
def test_postings_encode_positions_as_the_format_does(words, start):
    """Postings reuse the encoding of a lone position; whatever the words and however
    far into the text, each term's value must be what Whoosh's format encodes."""
    text = "filler " * start + " ".join(words)
    expected = defaultdict(list)
    for position, term in enumerate(analysis.positioned_terms(text)):
        if term is not None:
            expected[term].append(position)
    encode = formats.Positions().encode
    assert list(whoosh_engine.postings(text).items()) == [
        (term.encode("utf-8"), len(found), float(len(found)), encode(found))
        for term, found in expected.items()]


def test_a_fields_postings_weigh_by_frequency_in_ints_a_pool_need_not_hold_per_posting():
    """Without a field boost a weight is the frequency: as an int, the value Python
    shares, where a float was an object the pool held for each of its postings."""
    made = list(whoosh_engine.postings("Oil prices: oil rose, prices fell, oil").items())
    assert sorted((term, weight) for term, _frequency, weight, _value in made) == [
        (b"fell", 1), (b"oil", 3), (b"price", 2), (b"rose", 1)]
    assert {type(weight) for _term, _frequency, weight, _value in made} == {int}
    boosted = whoosh_engine.postings("oil oil", formats.Positions(field_boost=1.5)).items()
    assert [weight for _term, _frequency, weight, _value in boosted] == [3.0]


@given(st.lists(st.tuples(st.sampled_from(["body", "headline"]), st.sampled_from([b"a", b"b"]),
                          st.integers(0, 50), st.integers(1, 9)), max_size=40))
def test_a_pool_gives_each_terms_postings_in_term_and_document_order(added):
    """Postings may reach the pool out of document order (copied from merged segments):
    each term's come back in document order all the same, the terms in order."""
    pool = TermPool()
    for fieldname, text, docnum, weight in added:
        pool.add((fieldname, text, docnum, weight, None))
    expected = defaultdict(list)
    for fieldname, text, docnum, weight in added:
        expected[(fieldname, text)].append((docnum, weight, None))
    given_back = list(pool.iter_postings())
    assert given_back == [(fieldname, text, *posting) for (fieldname, text), postings
                          in sorted(expected.items())
                          for posting in sorted(postings, key=lambda each: each[0])]
