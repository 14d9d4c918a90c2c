"""The search API: `GET /api/v1/search`, one page of hits with snippets and facet counts.

Thin: parse, call the service. Unknown countries, sectors or kinds answer 422 naming
the value; an engine that cannot answer, 503 with a JSON error.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import TypeAdapter
from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask

from forum.accounts.deps import ApiOptionalUser
from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.light_route import LightRoute
from forum.core.web import DbSession, IsoDate, QueryValue
from forum.discovery import search_log, service
from forum.discovery.models import SearchLogEntry
from forum.discovery.schemas import SearchHitOut, SearchOut

log = logging.getLogger(__name__)
# Anonymous and bearer calls alike skip FastAPI's dependency solving (its own path stays
# for anything unusual: forum.core.light_route).
router = APIRouter(tags=["search"], route_class=LightRoute)

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
    db: DbSession,
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
    # JSON, then the search-log row) in one thread hop: a sync route would cost FastAPI a
    # second hop to validate the returned model. The bytes are the ones it would write
    # (tests pin them).
    params = service.build_params(
        q=q, countries=country, sectors=sector, kinds=kind, subkinds=subkind,
        categories=category, date_from=date_from, date_to=date_to, sort=sort, page=page,
    )  # fmt: skip
    state = request.app.state
    settings: Settings = state.settings
    loop = asyncio.get_running_loop()
    answered: asyncio.Future[bytes] = loop.create_future()
    work = contextvars.copy_context().run
    done = loop.run_in_executor(
        _pool(settings.request_slots), work, _answer_then_log,
        loop, answered, db, settings, viewer, params, state.read_session_factory,
    )  # fmt: skip
    body = await answered
    # The thread goes on to write the search-log row, in a session of its own, once the
    # answer is handed over: its insert and commit are not the caller's wait. The
    # response's background task waits for it (a test client sees the row at once).
    return Response(
        content=body, media_type="application/json", background=BackgroundTask(_wait, done)
    )


# The threads the search API answers on: asyncio's executor, lighter per call than
# anyio's worker threads (no capacity limiter or cancel scope of its own), sized like
# them to the requests a process admits at once (forum.core.admission).
@functools.cache
def _pool(slots: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(slots, thread_name_prefix="search-api")


async def _wait(done: asyncio.Future[None]) -> None:
    await done


def _answer_then_log(
    loop: asyncio.AbstractEventLoop,
    answered: asyncio.Future[bytes],
    db: Session,
    settings: Settings,
    viewer: User | None,
    params: service.SearchParams,
    log_sessions: sessionmaker[Session],
) -> None:
    """Answer (hand the JSON to the event loop), then write the search-log row."""
    try:
        body, entry = _answer(db, settings, viewer, params)
    except BaseException as exc:  # the route raises it: a 503, or what failed
        loop.call_soon_threadsafe(_settle, answered, None, exc)
        return
    loop.call_soon_threadsafe(_settle, answered, body, None)
    search_log.write_entry(log_sessions, entry)


def _settle(answered: asyncio.Future[bytes], body: bytes | None, exc: BaseException | None) -> None:
    if answered.done():  # the request was cancelled (the caller went away)
        return
    if exc is not None:
        answered.set_exception(exc)
    else:
        assert body is not None
        answered.set_result(body)


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
