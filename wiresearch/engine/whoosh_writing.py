"""How the Whoosh engine adds documents to a new segment: an in-memory posting pool
grouped by term, and a lean add_document for the documents the engine makes.

Whoosh's SegmentWriter.add_document is general: it sorts the document's field names,
checks them, looks up boosts, runs every value through the field's analyzer, and hands
each posting to the pool through a method call. For the engine's own documents most of
that is known ahead: text fields arrive as postings made in the reader processes, and
keyword values (sources, countries, regions, topics, years, months, days) repeat from
one story to the next. `DocumentAdder` writes the same postings, stored values, lengths
and columns as add_document (tests compare the segments both write), in about two
thirds of its time.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from whoosh import fields as wf
from whoosh import formats
from whoosh.analysis import IDTokenizer

# Keyword values remembered with their postings; past this many the memory starts over.
KNOWN_VALUES = 50_000


class TermPool:
    """Whoosh's posting pool, kept in memory and grouped by term.

    Whoosh's own pool pickles every posting to a temporary run file and merge-sorts
    the runs back at commit: a third of the time of a build. Here postings are
    appended to their term's list as documents arrive (so each list is already in
    document order) and only the terms are sorted at commit. The writer starts a new
    segment before the pool outgrows its memory budget (see WhooshWriter).

    Terms are kept by field, then by text: a lookup builds and hashes no (field, text)
    key, and sorting a field's texts compares bytes, not tuples (sorting and listing a
    Reuters-21578 segment's terms, which the commit does alone before its helper
    starts, takes about half the time).

    A term's postings are one flat list, the document number, weight and value of each
    posting in turn (POSTING_ITEMS items a posting), not a tuple for each: a pool holds
    millions of postings, and their tuples were 64 bytes each, made one by one and
    freed one by one at the commit's end, when nothing else runs."""

    def __init__(self):
        self.terms: dict[str, dict[bytes, list[int | float | bytes | None]]] = {}
        self.postings = 0
        self._ordered = True
        self._last_docnum = -1

    def field_terms(self, fieldname: str) -> dict[bytes, list]:
        """The field's postings lists by term text, for adding to them."""
        field_terms = self.terms.get(fieldname)
        if field_terms is None:
            field_terms = self.terms[fieldname] = {}
        return field_terms

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, text, docnum, weight, value = item
        field_terms = self.field_terms(fieldname)
        postings = field_terms.get(text)
        if postings is None:
            field_terms[text] = postings = []
        postings += docnum, weight, value
        self.postings += 1
        self.note_docnum(docnum)

    def note_docnum(self, docnum: int) -> None:
        """Called for each posting added, by add() or by whoever adds to `terms` directly
        (DocumentAdder): postings copied from merged segments may arrive out of document
        order, and then each term's list is sorted at commit."""
        if docnum < self._last_docnum:
            self._ordered = False
        self._last_docnum = docnum

    def iter_postings(self) -> _PooledPostings:
        return _PooledPostings(self)

    def by_term(self) -> list[tuple[str, bytes, list[int | float | bytes | None]]]:
        """(fieldname, text, [docnum, weight, value, docnum, ...]) for each term, in
        order, each term's postings in document order."""
        terms = []
        for fieldname in sorted(self.terms):
            field_terms = self.terms[fieldname]
            terms += [(fieldname, text, field_terms[text]) for text in sorted(field_terms)]
        if not self._ordered:
            for _fieldname, _text, postings in terms:
                postings[:] = chain.from_iterable(sorted(each_posting(postings),
                                                         key=_docnum_of))
        return terms

    def cleanup(self) -> None:
        self.terms = {}
        self.postings = 0


class _PooledPostings:
    """A pool's postings in term order: one (fieldname, text, docnum, weight, value) at
    a time, as Whoosh's field writers take them, or a whole term at a time through
    by_term(), as ArrayCodec's field writer takes them."""

    def __init__(self, pool: TermPool):
        self.by_term = pool.by_term

    def __iter__(self):
        for fieldname, text, postings in self.by_term():
            for docnum, weight, value in each_posting(postings):
                yield fieldname, text, docnum, weight, value


# The items a posting takes in a pool's flat list of a term's postings.
POSTING_ITEMS = 3


def each_posting(postings: list) -> Iterator[tuple[int, float, bytes | None]]:
    """(docnum, weight, value) of each posting of a pool's flat list."""
    items = iter(postings)
    return zip(items, items, items, strict=True)


def _docnum_of(posting: tuple[int, float, bytes | None]) -> int:
    return posting[0]


class DocumentAdder:
    """add_document for a SegmentWriter whose pool is a TermPool. Text fields' values may
    be their postings already (of the type `made_ahead`, whose items() are (term,
    frequency, weight, encoded positions)); other values are indexed by their field,
    keyword values once per distinct value."""

    def __init__(self, schema: wf.Schema, made_ahead: type):
        if any(field.vector or field.separate_spelling() for _name, field in schema.items()):
            raise ValueError("DocumentAdder writes neither term vectors nor spelling words")
        self._made_ahead = made_ahead
        self._known: dict[tuple[str, str], list] = {}
        # Per field: (field, indexed, scorable, stored, column, how its values index).
        self._fields = {name: (field, field.indexed, field.scorable, field.stored,
                               field.column_type, self._indexing(field))
                        for name, field in schema.items()}

    @staticmethod
    def _indexing(field) -> str:
        if not field.indexed:
            return ""
        if type(field) is wf.ID and type(field.analyzer) is IDTokenizer \
                and type(field.format) is formats.Existence:
            return "whole"  # the value itself is the one term
        if isinstance(field, (wf.ID, wf.KEYWORD)):
            return "known"  # values repeat: index each distinct one once
        return "field"

    def _items(self, name: str, field, how: str, value) -> list:
        if type(value) is self._made_ahead:
            return list(value.items())
        if how == "whole" and type(value) is str:
            return [(value.encode("utf-8"), 1, field.format.field_boost, b"")]
        if how == "known" and type(value) is str:
            items = self._known.get((name, value))
            if items is None:
                if len(self._known) >= KNOWN_VALUES:
                    self._known.clear()
                items = self._known[(name, value)] = list(field.index(value))
            return items
        return list(field.index(value))

    def add(self, writer, document: dict) -> None:
        """What writer.add_document(**document) does, for documents without boosts."""
        writer._check_state()
        perdoc = writer.perdocwriter
        docnum = writer.docnum
        pool = writer.pool
        added = 0
        perdoc.start_doc(docnum)
        try:
            # In add_document's order (sorted names), so stored values are the same.
            for name in sorted(document):
                if name[0] == "_":
                    continue
                value = document[name]
                if value is None:
                    continue
                field, indexed, scorable, stored, column, how = self._fields[name]
                length = 0
                if indexed:
                    items = self._items(name, field, how, value)
                    field_terms = pool.field_terms(name)
                    for text, frequency, weight, encoded in items:
                        if scorable:
                            length += frequency
                        postings = field_terms.get(text)
                        if postings is None:
                            field_terms[text] = postings = []
                        postings += docnum, weight, encoded
                    added += len(items)
                shown = document.get("_stored_" + name, value)
                perdoc.add_field(name, field, shown if stored else None, length)
                if column and shown is not None:
                    perdoc.add_column_value(name, column, field.to_column_value(shown))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        pool.postings += added
        pool.note_docnum(docnum)
        writer._added = True
        writer.docnum += 1
