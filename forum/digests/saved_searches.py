"""A saved search in a digest: the search page's own query, run through the search engine
(typos, stems and operators as the page finds them), narrowed to the dates of what is new
in the digest's window. The builder keeps the window's candidates among what it finds."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy.orm import Session

from forum.discovery.saved import params_of
from forum.discovery.service import SearchInputError, build_query
from forum.discussions.service import DIGEST_READER
from search.engine import SearchEngine, SearchQuery

# The kinds of document a digest shows as saved-search matches.
DIGEST_KINDS = ("intel", "thread", "post", "event")
PER_PAGE = 100
# Past this many documents in a window, a saved search's count in the digest stops.
MAX_HITS = 1000


def saved_search_query(db: Session, query_string: str) -> SearchQuery | None:
    """The engine query the search page runs for `query_string`, as a digest's reader may
    see it; None when the search is no longer valid (a sector since removed) or names no
    words nor filters (dates alone would match every new document)."""
    try:
        query, _ = build_query(db, DIGEST_READER, params_of(query_string))
    except SearchInputError:
        return None
    narrows = (query.text.strip() or query.kinds or query.subkinds or query.countries
               or query.sectors or query.categories)  # fmt: skip
    return query if narrows else None


def matching_documents(
    engine: SearchEngine, query: SearchQuery, *, date_from: dt.datetime, date_to: dt.datetime
) -> set[str]:
    """The ids ("intel:42") of the documents `query` finds among DIGEST_KINDS dated within
    [date_from, date_to) and within the search's own dates; raises SearchError when the
    engine cannot answer."""
    kinds = [kind for kind in (query.kinds or DIGEST_KINDS) if kind in DIGEST_KINDS]
    start = max(date_from, query.date_from) if query.date_from else date_from
    end = min(date_to, query.date_to) if query.date_to else date_to
    if not kinds or start >= end:
        return set()
    page = replace(
        query, kinds=kinds, date_from=start, date_to=end, sort="newest", page=1, per_page=PER_PAGE
    )
    found: set[str] = set()
    while True:
        results = engine.search(page)
        found.update(hit.id for hit in results.hits)
        if len(results.hits) < PER_PAGE or page.page * PER_PAGE >= min(results.total, MAX_HITS):
            return found
        page = replace(page, page=page.page + 1)
