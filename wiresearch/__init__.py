"""wiresearch: full-text search over news-wire archives.

    from wiresearch import Archive
    with Archive("index") as archive:
        results = archive.search("cocoa", countries=["US"], facets=["country"])

Names are imported on first use, so `wiresearch` on the command line starts fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

_EXPORTS = {
    "Archive": "wiresearch.archive",
    "Article": "wiresearch.model",
    "Hit": "wiresearch.model",
    "Results": "wiresearch.model",
    "FacetBucket": "wiresearch.model",
    "Timeline": "wiresearch.model",
    "SearchRequest": "wiresearch.query",
    "IndexReport": "wiresearch.ingest",
    "WiresearchError": "wiresearch.errors",
    "QueryError": "wiresearch.errors",
    "UsageError": "wiresearch.errors",
    "LockedError": "wiresearch.errors",
    "IndexNotFoundError": "wiresearch.errors",
    "ArticleNotFoundError": "wiresearch.errors",
    "EngineUnavailableError": "wiresearch.errors",
    "NotWritableError": "wiresearch.errors",
    "ConfigError": "wiresearch.errors",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        from importlib import import_module

        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'wiresearch' has no attribute {name!r}")
