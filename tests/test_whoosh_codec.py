"""The Whoosh engine's posting blocks (whoosh_codec.ArrayCodec) hold exactly what W3's
would: every document number, weight and value comes back, through Whoosh's matcher
interface, and indexes whose older segments hold W3's blocks answer as before."""

import itertools
import shutil
import tempfile
from array import array

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import formats
from whoosh.codec.whoosh3 import W3PerDocReader, W3TermInfo
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import HashReader, OrderedHashWriter

from tests.conftest import DATA
from wiresearch import Archive
from wiresearch.engine import whoosh_engine
from wiresearch.engine.whoosh_codec import (
    ArrayCodec,
    WireCodec,
    _block_ids,
    _LengthCachingReader,
    _TermsFileWriter,
)

WEIGHTS = st.one_of(
    st.just(1.0),
    st.integers(min_value=0, max_value=300).map(float),
    st.integers(min_value=0, max_value=100_000).map(float),
    # Past 2**24 whole numbers are not exact in the 32-bit floats Whoosh keeps.
    st.integers(min_value=0, max_value=10**9).map(float),
    st.floats(min_value=0.0, max_value=1e6, allow_nan=False),
)


@st.composite
def posting_lists(draw):
    gaps = draw(st.lists(st.one_of(st.integers(1, 3), st.integers(1, 300),
                                   st.integers(1, 200_000)), min_size=1, max_size=400))
    ids, docnum = [], -1
    for gap in gaps:
        docnum += gap
        ids.append(docnum)
    # One kind of weight per list, as a field's format gives: all 1, frequencies, or any.
    kind = draw(st.sampled_from(["ones", "frequencies", "any"]))
    if kind == "ones":
        weights = [1.0] * len(ids)
    elif kind == "frequencies":
        weights = draw(st.lists(WEIGHTS.filter(float.is_integer), min_size=len(ids),
                                max_size=len(ids)))
    else:
        weights = draw(st.lists(WEIGHTS, min_size=len(ids), max_size=len(ids)))
    return ids, weights


@settings(max_examples=60, deadline=None)
@given(postings=posting_lists(), with_values=st.booleans(), compression=st.sampled_from([0, 3]),
       data=st.data())
def test_blocks_give_back_every_posting(postings, with_values, compression, data):
    ids, weights = postings
    field_format = formats.Positions() if with_values else formats.Existence()
    if with_values:
        values = [field_format.encode(sorted(data.draw(st.sets(
            st.integers(0, 5000), min_size=1, max_size=8)))) for _ in ids]
    else:
        values = [b""] * len(ids)
    codec = ArrayCodec(blocklimit=16, compression=compression)
    with tempfile.TemporaryDirectory() as folder:
        storage = FileStorage(folder)
        postfile = storage.create_file("postings")
        writer = codec.postings_writer(postfile)
        writer.start_postings(field_format, W3TermInfo())
        for docnum, weight, value in zip(ids, weights, values, strict=True):
            writer.add_posting(docnum, weight, value, length=docnum % 50 or None)
        terminfo = writer.finish_postings()
        postfile.close()
        # A whole term at once (as the engine's pool gives it) writes the same bytes.
        bulkfile = storage.create_file("bulk")
        bulk = codec.postings_writer(bulkfile)
        bulk.start_postings(field_format, W3TermInfo())
        # (flat, as the pool holds them: document, weight, value, document...)
        flat = list(itertools.chain.from_iterable(zip(ids, weights, values, strict=True)))
        bulk.add_postings(flat,
                          [docnum % 50 or None for docnum in range(ids[-1] + 1)])
        bulk_info = bulk.finish_postings()
        bulkfile.close()
        assert storage.open_file("bulk").read() == storage.open_file("postings").read()
        assert bulk_info.to_bytes() == terminfo.to_bytes()

        readfile = storage.open_file("postings")
        read = []
        matcher = codec.postings_reader(readfile, terminfo, field_format)
        while matcher.is_active():
            read.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        expected_weights = list(array("f", weights))  # W3 keeps weights as 32-bit floats
        assert read == list(zip(ids, expected_weights,
                                values if with_values else [None] * len(ids), strict=True))
        # Skipping lands on the same postings.
        target = ids[len(ids) // 2]
        skipping = codec.postings_reader(readfile, terminfo, field_format)
        skipping.skip_to(target)
        assert skipping.id() == target
        assert terminfo.doc_frequency() == len(ids)
        readfile.close()


def _block_file_size(folder, ids) -> int:
    storage = FileStorage(folder)
    postfile = storage.create_file(f"block-{ids[0]}")
    writer = ArrayCodec(compression=0).postings_writer(postfile)
    writer.start_postings(formats.Existence(), W3TermInfo())
    for docnum in ids:
        writer.add_posting(docnum, 1.0, b"")
    writer.finish_postings()
    size = postfile.tell()
    postfile.close()
    return size


def test_a_dense_block_takes_narrow_gaps_wherever_it_lies_in_the_segment(tmp_path):
    # 128 neighbouring documents: one-byte gaps at the start of a segment and past its
    # 300,000th document alike (counted up from 0, the first gap would need four bytes).
    start = _block_file_size(tmp_path, list(range(128)))
    far = _block_file_size(tmp_path, list(range(300_000, 300_128)))
    assert far - start < 16  # the block info's larger numbers, pickled


@given(st.lists(st.integers(0, 2**31), min_size=1, max_size=200, unique=True))
def test_block_ids_read_from_either_layout(ids):
    ids.sort()
    up_from_zero = array("I", [ids[0]] + [b - a for a, b in itertools.pairwise(ids)])
    back_from_last = array("I", [ids[-1] - ids[0]]) + up_from_zero[1:]
    assert _block_ids(up_from_zero, None) == tuple(ids)
    assert _block_ids(back_from_last, ids[-1]) == tuple(ids)


def _answers(archive: Archive) -> list:
    queries = ["oil", '"oil prices"', "trade deficit japan", "cocoa OR coffee", "export*",
               "country:US oil", "-oil"]
    found = [sorted((hit.id, round(hit.score or 0, 9))
                    for hit in archive.search(text, limit=1000).hits) for text in queries]
    facets = archive.search("*", facets=["country", "topic", "year"]).to_dict()["facets"]
    return [found, facets]


def _codecs(archive: Archive) -> set[type]:
    reader = archive._reader()._reader
    return {type(leaf.segment().codec()) for leaf, _offset in reader.leaf_readers()}


def test_segments_of_w3_blocks_open_and_answer_as_before(tmp_path, monkeypatch):
    """An index whose first segment was written with W3's blocks (as every index was
    before ArrayCodec) takes new segments of arrays and answers as an index written with
    arrays alone."""
    source = tmp_path / "data"
    shutil.copytree(DATA, source)
    later = tmp_path / "later"
    shutil.move(source / "bbc", later)
    mixed = Archive(tmp_path / "mixed")
    monkeypatch.setattr(whoosh_engine, "ArrayCodec", WireCodec)
    mixed.index([source], engine="whoosh")
    monkeypatch.undo()
    assert _codecs(mixed) == {WireCodec}
    shutil.move(later, source / "bbc")
    mixed.index([source])
    assert ArrayCodec in _codecs(mixed)
    answers = _answers(mixed)
    mixed.close()

    fresh = Archive(tmp_path / "fresh")
    fresh.index([source], engine="whoosh")
    assert _codecs(fresh) == {ArrayCodec}
    assert answers == _answers(fresh)
    fresh.close()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=12), max_size=700, unique=True),
       st.binary(max_size=20))
def test_the_terms_file_holds_the_bytes_whooshs_writer_writes(keys, info):
    """The terms file's hash tables, written by _TermsFileWriter, are Whoosh's: any
    number of keys (none, a bucket's worth that collide, hundreds)."""
    keys.sort()
    written = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in (OrderedHashWriter, _TermsFileWriter):
            storage = FileStorage(folder)
            writer = OrderedHashWriter(storage.create_file(kind.__name__))
            writer.__class__ = kind  # as ArrayFieldWriter gets its own, once created
            for key in keys:
                writer.add(key, info + key)
            writer.close()
            written.append(storage.open_file(kind.__name__).read())
            reader = HashReader.open(storage, kind.__name__)
            assert all(reader[key] == info + key for key in keys)
            reader.close()
    assert written[0] == written[1]


def test_length_tables_read_whooshs_lengths(tmp_path):
    """A segment's field lengths, read in one piece, are those Whoosh reads one by one."""
    archive = Archive(tmp_path / "index")
    archive.index([DATA / "reuters21578"], engine="whoosh")
    reader = archive._reader()._reader
    for leaf, _offset in reader.leaf_readers():
        perdoc = leaf._perdoc
        assert isinstance(perdoc, _LengthCachingReader)
        stock = W3PerDocReader(leaf._storage, leaf.segment())
        for field in ("headline", "body", "dateline", "no such field"):
            table = perdoc.field_lengths(field)
            expected = [stock.doc_field_length(docnum, field, None) or None
                        for docnum in range(leaf.doc_count_all())]
            if field == "no such field":
                assert table is None
            else:
                assert table == expected and any(table)
        stock.close()
    archive.close()
