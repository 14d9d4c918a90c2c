"""JSON routes of the discussions: categories, threads and their post trees, replies
(flags are `forum.moderation.api`'s).

Thin: parse, call the service, commit once. The service's errors rise to the app's
handlers (`forum.core.errors`): NotFound → 404, NotAllowed → 403 with its message,
DiscussionError → 422 in FastAPI's validation shape, naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from forum.accounts.deps import ApiOptionalUser, ApiUser
from forum.accounts.models import User
from forum.core.errors import Invalid
from forum.core.pagination import MAX_PAGE_SIZE
from forum.core.web import MAX_ROW_ID, AppSettings, DbSession, QueryValue, RowId
from forum.discussions import listing as thread_lists
from forum.discussions import service, writes
from forum.discussions.models import THREAD_KINDS, GoodPractice, Thread
from forum.discussions.schemas import (
    CategoryOut,
    PostEdit,
    PostIn,
    PostOut,
    ThreadDetail,
    ThreadIn,
    ThreadKind,
    ThreadList,
    ThreadOut,
)
from forum.discussions.thread_page import thread_page
from forum.partnerships import service as partnerships
from forum.taxonomy.filters import parse_filters
from forum.taxonomy.regions import UnknownCountryError, expand_codes
from forum.taxonomy.service import UnknownSectorError, resolve_sectors

router = APIRouter(tags=["discussions"])


class Message(BaseModel):
    detail: str


class CategoryList(BaseModel):
    items: list[CategoryOut]
    next: str | None = None


R401: dict[int | str, dict[str, Any]] = {
    401: {"model": Message, "description": "No valid bearer token"}
}
R403: dict[int | str, dict[str, Any]] = {
    403: {"model": Message, "description": "Not allowed (the message says why)"}
}
R404: dict[int | str, dict[str, Any]] = {
    404: {"model": Message, "description": "Missing, or not visible to you"}
}


def load_good_practices(db: Session, threads: Sequence[Thread]) -> None:
    """Attach the good-practice sections of a list of threads in one query."""
    wanted = [t.id for t in threads if t.kind == "good_practice"]
    found = {}
    if wanted:
        found = {
            gp.thread_id: gp
            for gp in db.scalars(select(GoodPractice).where(GoodPractice.thread_id.in_(wanted)))
        }
    for thread in threads:
        set_committed_value(thread, "good_practice", found.get(thread.id))


def thread_filter(
    db: Session,
    viewer: User | None,
    *,
    category: str | None,
    kind: str | None,
    country: Sequence[str],
    sector: Sequence[str],
    partnership: str | None,
) -> thread_lists.ThreadFilter:
    """The list filters of the API and the feeds; 422 naming an unknown value."""
    countries, sectors = parse_filters(db, country, sector)
    found_category = None
    if category:
        found_category = service.find_category(db, viewer, category.strip().lower())
        if found_category is None:
            raise Invalid(f"unknown category: {category!r}", "category", where="query")
    if kind and kind not in THREAD_KINDS:
        raise Invalid(
            f"unknown kind {kind!r}: use one of {', '.join(THREAD_KINDS)}", "kind", where="query"
        )
    partnership_id = None
    if partnership:
        value = partnership.strip()
        found = (
            partnerships.get_partnership(db, int(value))
            if value.isdigit()
            else partnerships.get_partnership_by_slug(db, value.lower())
        )
        if found is None:
            raise Invalid(f"unknown partnership: {partnership!r}", "partnership", where="query")
        partnership_id = found.id
    return thread_lists.ThreadFilter(
        category=found_category,
        kind=kind or None,
        countries=countries,
        sectors=sectors,
        partnership_id=partnership_id,
    )


@router.get("/categories", response_model=CategoryList)
def list_categories(db: DbSession, settings: AppSettings, viewer: ApiOptionalUser) -> CategoryList:
    """Every category this reader may see (anonymous readers: the public ones), in order."""
    return CategoryList(
        items=[CategoryOut.of(c, settings.base_url) for c in service.list_categories(db, viewer)]
    )


@router.get("/threads", response_model=ThreadList)
def list_threads(
    db: DbSession,
    settings: AppSettings,
    viewer: ApiOptionalUser,
    category: Annotated[
        str | None, Query(min_length=1, max_length=60, description="category slug")
    ] = None,
    kind: Annotated[ThreadKind | None, Query()] = None,
    country: Annotated[
        list[QueryValue],
        Query(description="ISO 3166-1 alpha-2 code or region group (g:eu27); repeatable"),
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    sector: Annotated[list[QueryValue], Query(description="sector slug; repeatable")] = [],  # noqa: B006
    partnership: Annotated[
        str | None, Query(min_length=1, max_length=100, description="partnership id or slug")
    ] = None,
    cursor: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> ThreadList:
    """Threads by latest activity, newest first; filters combine (a country OR another, AND ...)."""
    flt = thread_filter(
        db,
        viewer,
        category=category,
        kind=kind,
        country=country,
        sector=sector,
        partnership=partnership,
    )
    rows, next_cursor = thread_lists.list_threads(db, viewer, flt, cursor=cursor, limit=limit)
    load_good_practices(db, rows)
    return ThreadList(items=[ThreadOut.of(t, settings.base_url) for t in rows], next=next_cursor)


@router.post(
    "/threads",
    response_model=ThreadOut,
    status_code=201,
    responses={**R401, **R403},
)
def create_thread(data: ThreadIn, db: DbSession, settings: AppSettings, user: ApiUser) -> ThreadOut:
    """Start a thread. Good practices also need `approach`, `results`, countries and sectors."""
    category = service.find_category(db, user, data.category.strip().lower())
    if category is None:
        raise Invalid(f"unknown category: {data.category!r}", "category")
    try:
        countries = expand_codes(c for c in data.countries if c.strip())
    except UnknownCountryError as exc:
        raise Invalid(str(exc), "countries") from exc
    try:
        sectors = resolve_sectors(db, data.sectors)
    except UnknownSectorError as exc:
        raise Invalid(str(exc), "sectors") from exc
    thread_input = writes.ThreadInput(
        title=data.title,
        body=data.body,
        category=category,
        kind=data.kind,
        countries=countries,
        sectors=sectors,
        good_practice=writes.GoodPracticeInput(
            approach=data.approach,
            results=data.results,
            challenge=data.challenge,
            lessons=data.lessons,
            contact=data.contact,
        ),
        language=data.language,
    )
    thread = writes.create_thread(db, user, thread_input)
    db.commit()
    return ThreadOut.of(thread, settings.base_url)


@router.get("/threads/{thread_id}", response_model=ThreadDetail, responses={**R404})
def get_thread(
    thread_id: RowId,
    db: DbSession,
    settings: AppSettings,
    viewer: ApiOptionalUser,
    page: Annotated[int, Query(ge=1, le=10_000, description="page of top-level replies")] = 1,
    flat: Annotated[bool, Query(description="the page's posts in time order")] = False,
    root: Annotated[
        int | None,
        Query(
            ge=1, le=MAX_ROW_ID, description="one top-level post's whole subtree instead of a page"
        ),
    ] = None,
) -> ThreadDetail:
    """A thread with one page of its reply tree: 50 top-level replies and their answers."""
    thread = service.get_thread(db, viewer, thread_id)
    shown = thread_page(db, viewer, thread, page=page, flat=flat, root=root, source=True)
    return ThreadDetail.of_page(shown, settings.base_url)


@router.post(
    "/threads/{thread_id}/posts",
    response_model=PostOut,
    status_code=201,
    responses={**R401, **R403, **R404},
)
def create_post(
    thread_id: RowId, data: PostIn, db: DbSession, settings: AppSettings, user: ApiUser
) -> PostOut:
    """Reply in a thread, at the top level or under `parent_id` (a post of the same thread)."""
    thread = service.get_thread(db, user, thread_id)
    post = writes.reply(
        db, user, thread, body=data.body, parent_id=data.parent_id, language=data.language
    )
    db.commit()
    return PostOut.of(post, settings.base_url)


@router.patch("/posts/{post_id}", response_model=PostOut, responses={**R401, **R403, **R404})
def edit_post(
    post_id: RowId, data: PostEdit, db: DbSession, settings: AppSettings, user: ApiUser
) -> PostOut:
    """Replace your post's text (moderators: any post's); the previous text is kept."""
    post = service.get_post(db, user, post_id)
    writes.edit_post(db, user, post, body=data.body, language=data.language)
    db.commit()
    return PostOut.of(post, settings.base_url)


@router.delete("/posts/{post_id}", status_code=204, responses={**R401, **R403, **R404})
def delete_post(post_id: RowId, db: DbSession, user: ApiUser) -> Response:
    """Delete your post: it stays in the tree as "post deleted"."""
    post = service.get_post(db, user, post_id)
    writes.delete_post(db, user, post)
    db.commit()
    return Response(status_code=204)
