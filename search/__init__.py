"""Search engines behind one interface; knows nothing of the forum's models."""

from search.engine import SearchDoc, SearchEngine, SearchHit, SearchQuery, SearchResults

__all__ = ["SearchDoc", "SearchEngine", "SearchHit", "SearchQuery", "SearchResults"]
