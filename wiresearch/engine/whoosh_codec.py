"""How the Whoosh engine lays its segments out on disk: Whoosh's W3 codec, with posting
blocks that read without unpickling.

W3 writes each block of up to 128 postings as one pickled, compressed tuple (document
gaps, weights, encoded positions): reading a block's document numbers unpickles a Python
object for every posting, positions included, which was most of a search's time on
common words. ArrayCodec writes the same postings as packed arrays: the gaps and weights
in one compressed section, the positions in another that is read only when a phrase
asks for them. Block headers, term statistics and everything else are W3's, so Whoosh's
matchers, merging and segment handling work unchanged.

A segment records the codec that wrote it, so segments written by WireCodec (W3's
postings) still open, and merging them rewrites their postings as arrays.
"""

from __future__ import annotations

import gc
import shutil
import struct
import sys
import zlib
from array import array
from collections.abc import Sequence
from itertools import accumulate
from operator import sub
from typing import NamedTuple

from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PerDocReader,
    W3PostingsWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.compat import dumps
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.filedb.structfile import StructFile
from whoosh.system import _INT_SIZE, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from ..errors import damaged
from . import forked
from .whoosh_writing import POSTING_ITEMS


class _LengthCachingReader(W3PerDocReader):
    """While writing postings Whoosh asks, for each one, the length of the field in its
    document: a stat() to see whether the column exists, then a read from the column
    file. Reading each length column once per segment removes most of that cost.

    Every column file of the segment is opened with the reader, not at its first use:
    a merge by a later run deletes the files of the segments it merged, and a searcher
    opened before must still read their stored values and date keys (an open file
    stays readable once deleted; Whoosh would find the column gone and read every
    date as none)."""

    def __init__(self, storage, segment):
        super().__init__(storage, segment)
        prefix, suffix = W3Codec.column_filename(segment, "\0").split("\0")
        known = self.__dict__.setdefault("_known_columns", {})
        for name in storage.list():
            if name.startswith(prefix) and name.endswith(suffix):
                fieldname = name[len(prefix):len(name) - len(suffix)]
                # Deleted since the listing (a merge): FileNotFoundError, and the caller
                # opens the index again, as for any file of a segment merged away.
                self._colfiles[fieldname] = self._get_column_file(fieldname)
                known[fieldname] = True

    def has_column(self, fieldname):
        known = self.__dict__.setdefault("_known_columns", {})
        if fieldname not in known:
            known[fieldname] = super().has_column(fieldname)
        return known[fieldname]

    def doc_field_length(self, docnum, fieldname, default=0):
        table = self.field_lengths(fieldname)
        return default if table is None else table[docnum]

    def field_lengths(self, fieldname) -> list | None:
        """Every document's length of the field (None where it is 0), or None when the
        segment has no lengths for it."""
        tables = self.__dict__.setdefault("_length_tables", {})
        if fieldname not in tables:
            reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            # Read in one piece: a commit reads the whole table before its helper
            # starts, alone, and Whoosh's iteration seeks and reads each byte.
            tables[fieldname] = None if reader is None else [
                LENGTH_OF_BYTE[value] for value in read_column(reader)]
        return tables[fieldname]


def read_column(reader) -> list:
    """Every value of a Whoosh column. Fixed-size numeric columns are one read of the
    raw bytes (Whoosh's own iteration reads them value by value); others are iterated."""
    fixed = getattr(reader, "_fixedlen", None)
    typecode = getattr(reader, "_typecode", None)
    if fixed is None or typecode is None or not hasattr(reader, "_dbfile"):
        return list(reader)
    stored = reader._count
    values = array(typecode)
    values.frombytes(reader._dbfile.get(reader._basepos, stored * fixed))
    if sys.byteorder == "little" and values.itemsize > 1:
        values.byteswap()  # Whoosh packs numbers big-endian
    result = values.tolist()
    result.extend([reader._default] * (reader._doccount - stored))
    return result


# A length byte's length (None for 0, no length).
LENGTH_OF_BYTE = (None,) + tuple(byte_to_length(value) for value in range(1, 256))


class WireCodec(W3Codec):
    """W3 with the length-caching reader. Its postings are W3's: the segments it wrote
    name it, so it stays as it is."""

    def per_document_reader(self, storage, segment):
        return _LengthCachingReader(storage, segment)


class ArrayCodec(WireCodec):
    """WireCodec with posting blocks stored as arrays (module docstring)."""

    def field_writer(self, storage, segment):
        return ArrayFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        if byteids:  # term vectors, which the engine does not store: W3's blocks
            return super().postings_writer(dbfile, byteids)
        return ArrayPostingsWriter(dbfile, blocklimit=self._blocklimit,
                                   compression=self._compression,
                                   inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = terminfo.extent()
        try:
            return ArrayLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
        except Exception as error:
            # W3 finds no block where the term's info says one is (a cut postings file)
            # and raises a bare Exception: the index is damaged, not the search.
            if not str(error).startswith("Block tag error"):
                raise
            raise damaged(f"the Whoosh index's postings file {dbfile}", error) from None


# A segment's postings are written by two processes, this one and a forked helper, each
# taking a part of its terms, when they are this many or more (a fresh build's
# segments, not the few new stories of a nightly run, which a fork would only slow).
PARALLEL_POSTINGS = 500_000
# What a term costs to write, in postings: its term info, its key, the calls.
_TERM_COST = 4
# The share of that cost this process takes, a little under half: it also copies the
# helper's postings and adds its rows to the terms file (laid out by the helper). With
# it the two parts of a Reuters-21578 build's commit end within 0.01 s of each other.
PARENT_SHARE = 0.43
# Where a W3 term info that is not inlined keeps the offset of its postings, and how.
_OFFSET_AT = W3TermInfo._struct.size
_LONG = struct.Struct("!q")
# The lengths of a key and its value before them, in the terms file (filetables).
_ROW_LENGTHS = struct.Struct("!ii")


class ArrayFieldWriter(W3FieldWriter):
    def __init__(self, codec, storage, segment):
        super().__init__(codec, storage, segment)
        # W3's terms file, with its hash tables written faster (its header is already
        # written: a new writer would write it twice).
        self._tindex.__class__ = _TermsFileWriter

    def add_postings(self, schema, lengths, items):
        """Whoosh's add_postings, which takes postings one by one; postings that come
        grouped by term (`items.by_term()`, as the engine's pool gives them) are
        written a term at a time, the later terms of a large segment by a helper
        process (forked.Helper) while this one writes the earlier. `by_term()` gives
        a list of (fieldname, text, postings), in order."""
        by_term = getattr(items, "by_term", None)
        if by_term is None:
            return super().add_postings(schema, lengths, items)
        collecting = gc.isenabled()
        # A collection would walk every posting in the pool, and once the helper is
        # forked, write to each one's header, copying every page the two share.
        gc.disable()
        try:
            self._add_postings_by_term(schema, lengths, by_term())
        finally:
            if collecting:
                gc.enable()
        return None

    def _add_postings_by_term(self, schema, lengths, terms: list) -> None:
        # Field numbers as writing the terms in order gives them, fixed before the
        # helper starts so that both processes use the same.
        for fieldname, _btext, _postings in terms:
            self._fieldmap.setdefault(fieldname, len(self._fieldmap))
        # Each field's document lengths, read before the helper starts: a forked copy
        # shares its parent's open files, offsets included, and the two reading one
        # column file at once read each other's places.
        field_lengths = getattr(lengths, "field_lengths", None)
        tables = {fieldname: field_lengths(fieldname) if field_lengths else None
                  for fieldname in self._fieldmap}
        split = _helper_split(terms)
        helper = None
        if split is not None:
            earlier, later = terms[:split], terms[split:]
            helper = forked.Helper.start(
                lambda out: self._write_apart(schema, tables, later, out),
                getattr(self._storage, "folder", None))
        try:
            if helper is None:
                self._write_terms(schema, tables, terms)
                return
            self._write_terms(schema, tables, earlier)
            # Let go of the written postings while the helper still works: freeing the
            # pool's millions of small objects is otherwise done alone once the helper
            # is done (half a second of a Reuters-21578 build). The helper's part is
            # kept: should it fail, this process writes it.
            for _fieldname, _btext, postings in earlier:
                postings.clear()
            written = helper.result()
            if written is None:  # the helper failed: its part is written here
                self._write_terms(schema, tables, later)
            else:
                self._add_written(*written)
        except BaseException:
            if helper is not None:
                helper.stop()
            raise

    def _write_terms(self, schema, tables: dict[str, list | None], terms: list) -> None:
        """The terms' postings and rows; `tables` has each field's document lengths."""
        current = None
        for fieldname, btext, postings in terms:
            if fieldname != current:
                if current is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                table = tables[fieldname]
                current = fieldname
            postwriter = self._postwriter
            if len(postings) == POSTING_ITEMS:
                info = postwriter.inlined_term(self._format, postings, table)
            elif postwriter.fits_one_block(postings):
                info = postwriter.write_one_block_term(self._format, postings, table)
            else:
                self.start_term(btext)
                postwriter.add_postings(postings, table)
                self.finish_term()
                continue
            self._tindex.add(pack_ushort(self._fieldid) + btext, info)
        if current is not None:
            self.finish_field()

    def _write_apart(self, schema, tables: dict[str, list | None], terms: list,
                     out) -> _Records:
        """In the helper: the terms' postings to `out`, as if it were the postings file
        from its start; returns their rows for the terms file. It reads no file: what
        it needs is in memory."""
        rows: list[tuple[bytes, bytes]] = []
        # The segment's own files stay referenced: let go of, they would be flushed, and
        # what this process's copy of their buffers holds written into them again.
        self._segment_files = (self._postfile, self._tindex)
        hashed = self._tindex.hashfn
        self._postfile = StructFile(out)
        self._tindex = _Rows(rows)
        self._write_terms(schema, tables, terms)
        self._postfile.flush()
        return _Records.of(rows, hashed)

    def _add_written(self, postings, records: _Records) -> None:
        """The helper's postings appended to the postings file, and its rows, their
        postings' offsets moved by where they now begin, added to the terms file: the
        same bytes as writing the terms here, with what the terms file's add() does for
        each row done in bulk (the rows were laid out and their keys hashed by the
        helper)."""
        shift = self._postfile.tell()
        with postings:
            shutil.copyfileobj(postings, self._postfile, 1 << 20)
        laid_out = bytearray(records.laid_out)
        for at in records.offsets_at:
            offset, = _LONG.unpack_from(laid_out, at)
            _LONG.pack_into(laid_out, at, offset + shift)
        table = self._tindex  # an OrderedHashWriter
        start = table.dbfile.tell()
        table.dbfile.write(bytes(laid_out))
        buckets = table.buckets
        append_position = table.index.append
        for hashed, where in zip(records.hashes, records.starts, strict=True):
            position = start + where
            append_position(position)
            buckets[hashed & 255].append((hashed, position))
        if records.last_key is not None:
            table.lastkey = records.last_key


class _TermsFileWriter(OrderedHashWriter):
    """W3's terms file (filetables.OrderedHashWriter), with the same bytes written by a
    faster _write_hashes. Whoosh's checks each slot against a tuple and writes each
    slot on its own: for a Reuters-21578 segment a fifth of a second at the end of the
    commit, when nothing else runs."""

    def _write_hashes(self) -> None:
        dbfile = self.dbfile
        for entries in self.buckets:
            slots = 2 * len(entries)
            self.directory.append((dbfile.tell(), slots))
            hashes = [0] * slots
            # An empty slot is (0, 0): no row starts at 0, where the file's header is.
            positions = [0] * slots
            for hashed, position in entries:
                slot = (hashed >> 8) % slots
                while positions[slot]:
                    slot = (slot + 1) % slots
                hashes[slot] = hashed
                positions[slot] = position
            dbfile.write(b"".join(map(_POINTER.pack, hashes, positions)))


# A hash table's slot in the terms file (filetables' _pointer).
_POINTER = struct.Struct("!Iq")


class _Records(NamedTuple):
    """The helper's rows for the terms file, as its add() would write them one by one:
    laid out one after another (lengths, key, term info), where each starts, each
    key's hash, and where in them the postings offsets are that the parent moves."""

    laid_out: bytes
    starts: array
    hashes: array
    offsets_at: array
    last_key: bytes | None

    @classmethod
    def of(cls, rows: list[tuple[bytes, bytes]], hashed) -> _Records:
        parts = []
        starts = array("q")
        offsets_at = array("q")
        where = 0
        for key, info in rows:
            starts.append(where)
            if not info[0]:  # not inlined: the offset and length of its postings
                offsets_at.append(where + _ROW_LENGTHS.size + len(key) + _OFFSET_AT)
            parts.append(_ROW_LENGTHS.pack(len(key), len(info)))
            parts.append(key)
            parts.append(info)
            where += _ROW_LENGTHS.size + len(key) + len(info)
        return cls(b"".join(parts), starts, array("L", [hashed(key) for key, _ in rows]),
                   offsets_at, rows[-1][0] if rows else None)


class _Rows:
    """A stand-in for the terms file's writer in the helper: keeps its rows in a list."""

    def __init__(self, rows: list):
        self.add = lambda key, value: rows.append((key, value))


def _helper_split(terms: list) -> int | None:
    """Where to cut a segment's terms (in order) so that this process's part (the first,
    PARENT_SHARE of the cost) and the helper's take about as long, or None when the
    segment is too small for a helper to pay (or none can run)."""
    costs = [len(postings) // POSTING_ITEMS + _TERM_COST
             for _fieldname, _btext, postings in terms]
    total = sum(costs)
    if total - _TERM_COST * len(terms) < PARALLEL_POSTINGS or not forked.available():
        return None
    share = total * PARENT_SHARE
    for index, running in enumerate(accumulate(costs)):
        if running >= share:
            return index + 1 if index + 1 < len(terms) else None
    return None


# A block's data: a header (the gaps' array type, the weights' type, each with the
# _COMPRESSED flag of its section, then section A's length in 4 bytes), then section A,
# the document gaps (the first counted back from the block's last document, which its
# W3 block info holds) as the narrowest unsigned array type that holds them and the
# weights (nothing when all are 1, whole numbers as bytes or shorts when they are), then
# section B, each value's length and the values end to end (absent for formats without
# values). Arrays are little-endian.
_GAP_TYPES = "BHI"
_WEIGHT_TYPES = (None, "B", "H", "f")
_LENGTH_TYPE = "I"
_HEADER_SIZE = 1 + 1 + _INT_SIZE
# Set in a header byte when its section is compressed. Sections shorter than
# _COMPRESS_FROM bytes (the blocks of the many rare words) are not: zlib would cost
# more than it saves, writing and reading.
_COMPRESSED = 0x80
_COMPRESS_FROM = 64
# Set in the gap type's byte when the first gap counts back from the block's last
# document. Blocks written without it counted the first gap up from 0, which made it
# the block's document number itself: past document 255 of a segment every block took
# wider gaps than its own span needed. They still read.
_FROM_LAST = 0x40
_FLAGS = _COMPRESSED | _FROM_LAST


def _narrowest(largest: int) -> int:
    return 0 if largest < 1 << 8 else 1 if largest < 1 << 16 else 2


def _compressed(section: bytes, level: int) -> tuple[bytes, int]:
    if level and len(section) >= _COMPRESS_FROM:
        return zlib.compress(section, level), _COMPRESSED
    return section, 0


def _packed(values: array) -> bytes:
    if sys.byteorder != "little":
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _little_endian(typecode: str, numbers) -> bytes:
    """_packed(array(typecode, numbers)), without the array's per-item parsing of
    each number (for "B" and "H" several times slower than struct's loop)."""
    numbers = tuple(numbers)
    return struct.pack(f"<{len(numbers)}{typecode}", *numbers)


def _float32s(numbers: Sequence[float]) -> array:
    """array("f", numbers), rounded the same way: the array parses each item with a
    format string, ten times slower than struct, which packs them in one call."""
    try:
        packed = struct.pack(f"{len(numbers)}f", *numbers)
    except OverflowError:  # past float32's range, where the array gives infinity
        return array("f", numbers)
    values = array("f")
    values.frombytes(packed)
    return values


def _float32(number: float) -> float:
    """A weight as array("f") keeps it (_float32s of one number)."""
    try:
        return _FLOAT32.unpack(_FLOAT32.pack(number))[0]
    except OverflowError:
        return array("f", (number,))[0]


_FLOAT32 = struct.Struct("f")


def _largest_weight(weights: Sequence[float]) -> float:
    """A block's largest weight as W3's add_posting() keeps it (before rounding; 0 when
    none is above it) and as the block's pickled header holds it: a float where the
    weights are frequencies given as ints (whoosh_engine.postings), as Whoosh's own
    add_document makes them."""
    largest = max(0, max(weights))
    return float(largest) if largest else largest


def _unpacked(typecode: str, data: bytes) -> array:
    values = array(typecode)
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values


class ArrayPostingsWriter(W3PostingsWriter):
    def add_postings(self, postings: list, lengths: list | None) -> None:
        """A whole term's postings, in document order and flat as a pool holds them
        (whoosh_writing.TermPool: document, weight, value, document...), a block at a
        time instead of one add_posting() each. `lengths` gives each document's length
        of the field (None or 0 where unknown). The last block stays buffered for
        finish_postings(), as add_posting() leaves it."""
        step = self._blocklimit * POSTING_ITEMS
        for start in range(0, len(postings), step):
            self._buffer(postings[start:start + step], lengths)
            if start + step < len(postings):
                self._write_block()

    def _buffer(self, postings: list, lengths: list | None) -> None:
        """One block's postings (flat) into the buffer, with the statistics
        add_posting() keeps."""
        if len(postings) % POSTING_ITEMS:
            raise ValueError("a flat posting list whose length is not a multiple of "
                             f"{POSTING_ITEMS}")
        docnums, weights, values = (postings[item::POSTING_ITEMS]
                                    for item in range(POSTING_ITEMS))
        self._ids = array("I", docnums)
        self._weights = _float32s(weights)
        self._values = list(filter(None, values))
        self._maxweight = _largest_weight(weights)
        self._minlength, self._maxlength = None, 0
        if lengths is not None:
            known = list(filter(None, map(lengths.__getitem__, docnums)))
            if known:
                self._minlength, self._maxlength = min(known), max(known)

    def fits_one_block(self, postings: list) -> bool:
        """Whether a term's postings are written as one block (neither inlined in its
        term info nor spread over several)."""
        return self._inlinelimit <= len(postings) // POSTING_ITEMS <= self._blocklimit

    def write_one_block_term(self, format_, postings: list, lengths: list | None) -> bytes:
        """Writes a term whose postings fit one block (fits_one_block) and returns its
        term info's bytes: what start_postings(), add_postings() and finish_postings()
        write and return, without the TermInfo kept up block by block. Most terms of
        a segment are such, and that bookkeeping was most of their cost."""
        self._format = format_
        self._buffer(postings, lengths)
        postfile = self._postfile
        start = postfile.tell()
        postfile.write(WHOOSH3_HEADER_MAGIC)
        self._write_block_data(last=True)
        info = self._buffered_term_info()
        info.set_extent(start, postfile.tell() - start)
        return info.to_bytes()

    def inlined_term(self, format_, postings: list, lengths: list | None) -> bytes:
        """The term info's bytes of a term with one posting, which it holds itself
        (W3's inlined postings; Whoosh's own writer never inlines, its code for it
        calls a method that does not exist). Nothing goes to the postings file: a
        segment's many terms found in one story (ids, dates, rare words) cost no block,
        and reading them no seek. The term info is what _buffered_term_info() makes of
        a block of one posting, without the block."""
        self._format = format_
        docnum, weight, value = postings
        rounded = _float32(weight)
        length = lengths[docnum] if lengths is not None else None  # None or 0: unknown
        info = W3TermInfo(rounded, 1, length or None, length or 0, _largest_weight((weight,)),
                          docnum, docnum)
        # A format without values reads None as every posting's value.
        values = ((value,) if value else ()) if format_.fixed_value_size() != 0 else None
        info._inlined = ((docnum,), (rounded,), values)
        return info.to_bytes()

    def _buffered_term_info(self) -> W3TermInfo:
        """The term info of a term whose postings are the buffered block: what
        W3TermInfo.add_block() makes of that one block, from a fresh W3TermInfo."""
        ids = self._ids
        return W3TermInfo(sum(self._weights), len(ids), self._minlength,
                          max(0, self._maxlength), max(0, self._maxweight), ids[0], ids[-1])

    def _write_block(self, last=False):
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        self._write_block_data(last)
        self._blockcount += 1
        self._new_block()

    def _write_block_data(self, last: bool) -> None:
        """The buffered block's length, info and data (the header of this module)."""
        ids = self._ids
        gaps = array("I", [ids[-1] - ids[0]])
        gaps.extend(map(sub, ids[1:], ids[:-1]))
        gap_type = _narrowest(max(gaps))
        weights = self._weights
        if weights.count(1.0) == len(weights):
            weight_type = 0
        elif min(weights) >= 0 and all(map(float.is_integer, weights)):
            # Frequencies: bytes or shorts (type 3, past a short, keeps them as floats).
            weight_type = 1 + _narrowest(int(max(weights)))
        else:
            weight_type = 3
        section_a = _little_endian(_GAP_TYPES[gap_type], gaps)
        if weight_type == 3:
            section_a += _packed(weights)
        elif weight_type:
            section_a += _little_endian(_WEIGHT_TYPES[weight_type], map(int, weights))
        values = self._values
        if self._format.fixed_value_size() == 0 or not values:
            section_b = b""
        else:
            if len(values) != len(ids):
                raise ValueError("a posting block with some values missing")
            section_b = _little_endian(_LENGTH_TYPE, map(len, values)) + b"".join(values)
        comp = self._compression
        section_a, packed_a = _compressed(section_a, comp)
        section_b, packed_b = _compressed(section_b, comp)
        header = (bytes((gap_type | packed_a | _FROM_LAST, weight_type | packed_b))
                  + len(section_a).to_bytes(_INT_SIZE, "little"))
        databytes = header + section_a + section_b

        infobytes = self._info_bytes(comp)
        blocklength = len(infobytes) + len(databytes)
        postfile = self._postfile
        postfile.write_int(-blocklength if last else blocklength)
        postfile.write(infobytes)
        postfile.write(databytes)

    def _info_bytes(self, comp: int) -> bytes:
        """W3's block info, which matchers read to skip a block without its data."""
        ids = self._ids
        return dumps((len(ids), ids[-1], self._maxweight, comp,
                      length_to_byte(self._minlength), length_to_byte(self._maxlength)), 2)


class ArrayLeafMatcher(W3LeafMatcher):
    """W3's matcher over ArrayPostingsWriter's blocks: a block's document numbers and
    weights are decoded together, its values only when asked for."""

    def _read_data(self):
        self._data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)

    def _read_ids(self):
        if self._data is None:
            self._read_data()
        data = self._data
        gap_type, weight_type = data[0] & ~_FLAGS, data[1] & ~_FLAGS
        length = int.from_bytes(data[2:_HEADER_SIZE], "little")
        section = data[_HEADER_SIZE:_HEADER_SIZE + length]
        if data[0] & _COMPRESSED:
            section = zlib.decompress(section)
        count = self._blocklength
        gaps = array(_GAP_TYPES[gap_type])
        split = gaps.itemsize * count
        self._ids = _block_ids(_unpacked(gaps.typecode, section[:split]),
                               self._maxid if data[0] & _FROM_LAST else None)
        if weight_type == 0:
            self._weights = array("f", [1.0]) * count
        elif _WEIGHT_TYPES[weight_type] == "f":
            self._weights = _unpacked("f", section[split:])
        else:
            self._weights = array("f", _unpacked(_WEIGHT_TYPES[weight_type], section[split:]))

    def _read_weights(self):
        self._read_ids()

    def _read_values(self):
        if self._data is None:
            self._read_data()
        data = self._data
        length = int.from_bytes(data[2:_HEADER_SIZE], "little")
        section = data[_HEADER_SIZE + length:]
        count = self._blocklength
        if not section:
            self._values = (None,) * count
        else:
            self._values = _BlockValues(section, count, bool(data[1] & _COMPRESSED))


def _block_ids(gaps: array, last: int | None) -> tuple[int, ...]:
    """A block's document numbers from its gaps; `last` is the block's last document
    when the first gap counts back from it, None when it counts up from 0."""
    if last is None:
        return tuple(accumulate(gaps))
    return tuple(accumulate(gaps[1:], initial=last - gaps[0]))


class _BlockValues(Sequence):
    """A block's values (encoded positions), decompressed when one is first read and cut
    out one by one as they are read: a phrase reads few of a common word's."""

    __slots__ = ("_section", "_count", "_compressed", "_values", "_ends")

    def __init__(self, section: bytes, count: int, compressed: bool):
        self._section = section
        self._count = count
        self._compressed = compressed
        self._values = b""
        self._ends: list[int] | None = None

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[number] for number in range(*index.indices(self._count)))
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("block value index out of range")
        if self._ends is None:
            section = self._section
            if self._compressed:
                section = zlib.decompress(section)
            split = array(_LENGTH_TYPE).itemsize * self._count
            self._ends = list(accumulate(_unpacked(_LENGTH_TYPE, section[:split])))
            self._values = section[split:]
            self._section = b""  # decoded: the compressed copy is not needed again
        ends = self._ends
        return self._values[ends[index - 1] if index else 0:ends[index]]
