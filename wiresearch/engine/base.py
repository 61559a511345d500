"""The engine interface: what the rest of wiresearch asks of a search backend.

An engine stores Articles, deletes them, and answers node trees (nodes.py) with totals,
ranked or date-sorted hits, and value counts for facets. Everything else (query parsing,
snippets, suggestions, duplicate collapse, reindexing) lives above it, so every engine
behaves the same.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar, NamedTuple

from ..model import Article
from ..nodes import Node

SORTS = ("relevance", "newest", "oldest")


class Stored(NamedTuple):
    """An article as the index returns it, with its score and duplicate cluster. (A
    named tuple: made for every hit, a frozen dataclass cost four times as much.)"""

    article: Article
    score: float | None
    cluster: str


class EngineWriter(ABC):
    @abstractmethod
    def add(self, article: Article, cluster: str, replace: bool = True,
            prepared: object = None) -> None:
        """Add an article; with `replace`, first remove any with the same id (callers
        pass False for ids they know are new, which saves engines a lookup).
        `prepared` is what the engine's prepare() made of this article, or None."""

    @abstractmethod
    def delete(self, ids: Iterable[str]) -> None: ...

    @abstractmethod
    def delete_path(self, path: str, others: Iterable[str] = ()) -> None:
        """Delete every article read from the source file `path`, members of a bundle
        (`day.zip!ap/1.xml`) too, except those of `others`: files whose names only look
        like members (`day.zip!notes`)."""

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def cancel(self) -> None: ...

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.cancel()


class EngineSearcher(ABC):
    @abstractmethod
    def doc_count(self) -> int: ...

    @abstractmethod
    def search(self, query: Node, sort: str = "relevance", offset: int = 0,
               limit: int = 10) -> tuple[int, list[Stored]]:
        """(total matches, hits offset..offset+limit) in `sort` order."""

    def search_faceted(self, query: Node, sort: str, offset: int, limit: int,
                       facets: Sequence[tuple[str, Node]]
                       ) -> tuple[int, list[Stored], list[dict[str, int]]]:
        """search() and facet_counts() for each (field, query) of `facets`, as one
        request, so an engine can share work between them (the same matches, mostly)."""
        total, hits = self.search(query, sort, offset, limit)
        return total, hits, [self.facet_counts(node, field) for field, node in facets]

    @abstractmethod
    def iter_hits(self, query: Node, sort: str = "relevance") -> Iterator[Stored]:
        """Every match in `sort` order, read lazily (for exports)."""

    @abstractmethod
    def count(self, query: Node) -> int: ...

    @abstractmethod
    def facet_counts(self, query: Node, field: str) -> dict[str, int]:
        """For each value of keyword field `field`, how many matching articles have it."""

    @abstractmethod
    def get(self, article_id: str) -> Stored | None: ...

    @abstractmethod
    def ids(self, query: Node) -> Iterator[str]:
        """Ids of every matching article, in no particular order."""

    @abstractmethod
    def doc_frequency(self, field: str, term: str) -> int: ...

    @abstractmethod
    def term_statistics(self, field: str, terms: Iterable[str]) -> dict[str, int]:
        """Document frequency of each term (0 when absent), for weighting."""

    @abstractmethod
    def values(self, field: str) -> list[str]:
        """Every value a keyword field holds in the index."""

    def close(self) -> None:  # noqa: B027 - engines without resources keep this
        """Release files and threads."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Engine(ABC):
    name: ClassVar[str]

    @classmethod
    @abstractmethod
    def create(cls, path: Path) -> Engine:
        """A new, empty index in the (empty or new) folder `path`."""

    @classmethod
    @abstractmethod
    def open(cls, path: Path) -> Engine: ...

    @staticmethod
    def prepare(article: Article) -> object:
        """The work of adding `article` that needs no index (text analysis, say), done
        in the reader processes so the one writing process does less. Handed back to
        EngineWriter.add; None when the engine has nothing to do ahead."""
        return None

    @abstractmethod
    def writer(self, fresh: bool = False) -> EngineWriter:
        """A writer; `fresh` promises the index is empty and nothing will be replaced,
        which lets engines skip per-document deletes."""

    @abstractmethod
    def searcher(self) -> EngineSearcher:
        """A view of the last commit; it does not see later commits."""

    def advice(self) -> list[str]:
        """What `wiresearch check` should tell about this index (an older layout, say)."""
        return []

    def close(self) -> None:  # noqa: B027 - engines without resources keep this
        """Release files and threads."""
