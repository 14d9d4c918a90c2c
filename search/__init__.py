"""Search engines behind one interface; knows nothing of the forum's models (docs/search.md)."""

from search.engine import (
    SearchDoc,
    SearchEngine,
    SearchError,
    SearchHit,
    SearchIndexOutdated,
    SearchQuery,
    SearchResults,
)

__all__ = [
    "SearchDoc",
    "SearchEngine",
    "SearchError",
    "SearchHit",
    "SearchIndexOutdated",
    "SearchQuery",
    "SearchResults",
]
