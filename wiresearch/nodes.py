"""The engine-neutral query tree. The query layer builds it from what users type and
flags they give; each engine compiles it to its own query objects. Text terms in the tree
are already analyzed (see analysis.py), so engines never analyze query text themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

# Free-text fields, searched by words.
TEXT_FIELDS = ("headline", "body", "dateline")
# Exact-value fields: facets and filters.
KEYWORD_FIELDS = ("country", "region", "source", "topic", "year", "month", "day",
                  "id", "cluster", "path")
DATE_FIELD = "date"


@dataclass(frozen=True)
class Node:
    pass


@dataclass(frozen=True)
class MatchAll(Node):
    pass


@dataclass(frozen=True)
class MatchNone(Node):
    pass


@dataclass(frozen=True)
class Term(Node):
    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase(Node):
    """Terms in order; `slop` is how many other words may stand between two neighbours."""

    field: str
    terms: tuple[str, ...]
    slop: int = 0
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix(Node):
    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Fuzzy(Node):
    """Terms within `distance` edits (Levenshtein: insert, delete, substitute)."""

    field: str
    text: str
    distance: int = 2
    boost: float = 1.0


@dataclass(frozen=True)
class DateRange(Node):
    """Articles dated in [start, end), as Unix seconds; None leaves a side open.
    Undated articles never match."""

    start: int | None
    end: int | None


@dataclass(frozen=True)
class And(Node):
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    """Everything the child does not match (only meaningful inside an And)."""

    child: Node


@dataclass(frozen=True)
class Bonus(Node):
    """Matches what `base` matches; a match also scores each extra it matches. Engines
    may score the extras on their best matches only (ranking.RESCORE_WINDOW)."""

    base: Node
    extras: tuple[Node, ...]


def conjoin(*nodes: Node) -> Node:
    """AND of nodes, flattening nested Ands and dropping MatchAll."""
    children: list[Node] = []
    for node in nodes:
        if isinstance(node, MatchAll):
            continue
        if isinstance(node, And):
            children.extend(node.children)
        else:
            children.append(node)
    if not children:
        return MatchAll()
    if len(children) == 1 and not isinstance(children[0], Not):
        return children[0]
    return And(tuple(children))


def walk(node: Node):
    """Every node of a tree, depth first."""
    yield node
    if isinstance(node, (And, Or)):
        for child in node.children:
            yield from walk(child)
    elif isinstance(node, Not):
        yield from walk(node.child)
    elif isinstance(node, Bonus):
        yield from walk(node.base)
        for extra in node.extras:
            yield from walk(extra)
