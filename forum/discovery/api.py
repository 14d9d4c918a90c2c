"""The search API: `GET /api/v1/search`, one page of hits with snippets and facet counts.

Thin: parse, call the service. Unknown countries, sectors or kinds answer 422 naming
the value; an engine that cannot answer, 503 with a JSON error.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from forum.accounts.deps import ApiOptionalUser
from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.web import AppSettings, DbSession, IsoDate, QueryValue
from forum.discovery import search_log, service
from forum.discovery.models import SearchLogEntry
from forum.discovery.schemas import SearchHitOut, SearchOut

log = logging.getLogger(__name__)
router = APIRouter(tags=["search"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"description": "An unknown country, sector or kind, or invalid input"},
    503: {"description": "The search engine cannot answer now; content is not affected"},
}


# What FastAPI would write for a returned SearchOut (its response_model path: pydantic's
# serializer, by alias); the route writes it itself, in its one thread hop.
_SEARCH_OUT = TypeAdapter(SearchOut)


@router.get("/search", response_model=SearchOut, responses=RESPONSES)
async def search(
    request: Request,
    background: BackgroundTasks,
    db: DbSession,
    settings: AppSettings,
    viewer: ApiOptionalUser,
    q: Annotated[
        str,
        Query(
            max_length=service.MAX_QUERY_CHARS,
            description="Words (all must match; typos and a prefix on the last word are "
            'forgiven), "phrases" and operators: country:JP, sector:food, kind:intel, '
            "type:funding_call, category:SLUG, after:2019-01-01, before:2019-06-30, in:title",
        ),
    ] = "",
    country: Annotated[
        list[QueryValue],
        Query(description="ISO 3166-1 alpha-2 code or region group (g:eu27); repeatable"),
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    sector: Annotated[list[QueryValue], Query(description="sector slug; repeatable")] = [],  # noqa: B006
    kind: Annotated[
        list[QueryValue], Query(description="thread, post, intel, event or partnership; repeatable")
    ] = [],  # noqa: B006
    subkind: Annotated[
        list[QueryValue], Query(description="good_practice, funding_call, ...; repeatable")
    ] = [],  # noqa: B006
    category: Annotated[
        list[QueryValue], Query(description="discussion category slug; repeatable")
    ] = [],  # noqa: B006
    date_from: Annotated[
        IsoDate | None, Query(alias="from", description="on or after this day")
    ] = None,
    date_to: Annotated[
        IsoDate | None, Query(alias="to", description="on or before this day")
    ] = None,
    sort: Annotated[str, Query(description="relevance or newest")] = "relevance",
    page: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 1,
) -> Response:
    """Search threads, replies, intelligence, events and partnerships, as the caller may
    see them (anonymous callers find public content only). Paged by `page`, 10 hits a page."""
    # Async, with everything that blocks (the sector check, the engine, the answer's
    # JSON) in one thread hop: a sync route would cost FastAPI a second hop to validate
    # the returned model. The bytes are the ones it would write (tests pin them).
    params = service.build_params(
        q=q, countries=country, sectors=sector, kinds=kind, subkinds=subkind,
        categories=category, date_from=date_from, date_to=date_to, sort=sort, page=page,
    )  # fmt: skip
    body, entry = await run_in_threadpool(_answer, db, settings, viewer, params)
    # Logged once the answer has gone, in a session of its own: its insert and commit are
    # not the caller's wait.
    background.add_task(search_log.write_entry, request.app.state.read_session_factory, entry)
    return Response(content=body, media_type="application/json")


def _answer(
    db: Session, settings: Settings, viewer: User | None, params: service.SearchParams
) -> tuple[bytes, SearchLogEntry]:
    """The answer's JSON and the search-log row to write after it (on a thread)."""
    try:
        outcome = service.search(db, settings, viewer, params)
    except service.SearchUnavailable as exc:
        log.warning("search unavailable: %s", exc)
        raise HTTPException(
            503, "Search is unavailable right now; please try again shortly."
        ) from exc
    finally:
        # This request's read ends here: the session holds no connection afterwards,
        # so closing it costs the event loop nothing (forum.core.web.get_db).
        db.rollback()
    entry = search_log.entry_for(outcome, signed_in=viewer is not None, via="api")
    answer = SearchOut(
        hits=[SearchHitOut.of(hit, settings.base_url) for hit in outcome.results.hits],
        total=outcome.results.total,
        total_exact=outcome.results.total_exact,
        page=params.page,
        pages=outcome.pages,
        facets=outcome.facets,
    )
    return _SEARCH_OUT.dump_json(answer, by_alias=True), entry
