"""JSON routes of the intelligence repository: list with the list page's filters, read, add, edit.

Thin: parse, call the service, commit once. The service's errors rise to the app's
handlers (`forum.core.errors`): NotFound → 404, NotAllowed → 403 with its message,
IntelError → 422 in FastAPI's validation shape, naming the field. Attachments have their own routes (attachment_api.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from forum.accounts.deps import ApiOptionalUser, ApiUser
from forum.core.errors import Invalid
from forum.core.pagination import MAX_PAGE_SIZE
from forum.core.web import AppSettings, DbSession, IsoDate, QueryValue, RowId
from forum.intelligence import queries, writes
from forum.intelligence.models import IntelItem
from forum.intelligence.schemas import (
    IntelIn,
    IntelKind,
    IntelList,
    IntelOut,
    IntelPatch,
    IntelSort,
)
from forum.taxonomy.filters import parse_filters
from forum.taxonomy.regions import UnknownCountryError, expand_codes
from forum.taxonomy.service import UnknownSectorError, resolve_sectors

router = APIRouter(tags=["intelligence"])


class Message(BaseModel):
    detail: str


R401: dict[int | str, dict[str, Any]] = {
    401: {"model": Message, "description": "No valid bearer token"}
}
R403: dict[int | str, dict[str, Any]] = {
    403: {"model": Message, "description": "Not allowed (the message says why)"}
}
R404: dict[int | str, dict[str, Any]] = {
    404: {"model": Message, "description": "Missing, or not visible to you"}
}


def _moment(value: dt.datetime | dt.date | None) -> dt.datetime | None:
    """A date is midnight UTC; a datetime keeps its zone (the service refuses one without)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time.min, tzinfo=dt.UTC)


def _countries(values: list[str]) -> list[str]:
    try:
        return expand_codes(v for v in values if v.strip())
    except UnknownCountryError as exc:
        raise Invalid(str(exc), "countries") from exc


def _sectors(db: Session, values: list[str]) -> list[Any]:
    try:
        return resolve_sectors(db, values)
    except UnknownSectorError as exc:
        raise Invalid(str(exc), "sectors") from exc


@router.get("/intel", response_model=IntelList)
def list_intel(
    db: DbSession,
    settings: AppSettings,
    viewer: ApiOptionalUser,
    country: Annotated[
        list[QueryValue],
        Query(description="ISO 3166-1 alpha-2 code or region group (g:eu27); repeatable"),
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    sector: Annotated[list[QueryValue], Query(description="sector slug; repeatable")] = [],  # noqa: B006
    kind: Annotated[list[IntelKind], Query(description="repeatable")] = [],  # noqa: B006
    source: Annotated[list[QueryValue], Query(description="source name; repeatable")] = [],  # noqa: B006
    published_from: Annotated[
        IsoDate | None, Query(alias="from", description="published on or after (YYYY-MM-DD)")
    ] = None,
    published_to: Annotated[
        IsoDate | None, Query(alias="to", description="published on or before (YYYY-MM-DD)")
    ] = None,
    open_deadlines: Annotated[
        bool, Query(alias="open", description="only calls and tenders still open")
    ] = False,
    sort: Annotated[IntelSort, Query()] = "added",
    cursor: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> IntelList:
    """Items newest first (or by publication date, or by deadline with the soonest first).
    With a country or sector filter, the two date orders list specific items (at most 5
    countries and 5 sectors, not global) before broader ones.

    Filters combine like the list page's: any of the countries (items marked global
    included), any of the sectors, kinds and sources, AND between them. Anonymous
    readers get published items; members also their own drafts; moderators everything.
    """
    countries, sectors = parse_filters(db, country, sector)
    flt = queries.IntelFilter(
        countries=countries,
        sectors=sectors,
        kinds=kind,
        sources=[s for s in source if s.strip()],
        published_from=_moment(published_from),
        published_to=(
            dt.datetime.combine(published_to, dt.time.max, tzinfo=dt.UTC) if published_to else None
        ),
        open_deadlines=open_deadlines,
    )
    rows, next_cursor = queries.list_items(db, viewer, flt, sort=sort, cursor=cursor, limit=limit)
    now = dt.datetime.now(dt.UTC)
    return IntelList(
        items=[IntelOut.of(i, settings.base_url, now=now) for i in rows], next=next_cursor
    )


@router.post("/intel", response_model=IntelOut, status_code=201, responses={**R401, **R403})
def create_intel(data: IntelIn, db: DbSession, settings: AppSettings, user: ApiUser) -> IntelOut:
    """Add an item (published, or a draft only you see). Confirmed members only."""
    item_input = writes.ItemInput(
        title=data.title,
        kind=data.kind,
        summary=data.summary,
        body=data.body,
        countries=_countries(data.countries),
        sectors=_sectors(db, data.sectors),
        is_global=data.is_global,
        url=data.url,
        source_name=data.source_name,
        source_url=data.source_url,
        language=data.language,
        published_at=_moment(data.published_at),
        deadline=_moment(data.deadline),
    )
    item = writes.create_item(db, user, item_input, status=data.status)
    db.commit()
    return IntelOut.of(item, settings.base_url)


@router.get("/intel/{item_id}", response_model=IntelOut, responses={**R404})
def get_intel(
    item_id: RowId, db: DbSession, settings: AppSettings, viewer: ApiOptionalUser
) -> IntelOut:
    """One item with its attachments (drafts, review and withdrawn items only for those who may)."""
    item = queries.get_item(db, viewer, item_id)
    return IntelOut.of(item, settings.base_url)


# Fields that may not be cleared with null.
_REQUIRED = ("title", "kind", "is_global")


def _patched(db: Session, item: IntelItem, data: IntelPatch) -> writes.ItemInput:
    """The item's current fields with those sent in `data` replaced."""
    sent = data.model_fields_set - {"status", "reason"}
    for name in _REQUIRED:
        if name in sent and getattr(data, name) is None:
            raise Invalid(f"`{name}` cannot be null: leave it out to keep it.", name)
    current = writes.ItemInput(
        title=item.title,
        kind=item.kind,
        summary=item.summary,
        body=item.body,
        countries=item.country_codes,
        sectors=list(item.sectors),
        is_global=item.is_global,
        url=item.url,
        source_name=item.source_name,
        source_url=item.source_url,
        language=item.language,
        published_at=item.published_at,
        deadline=item.deadline,
    )
    if "title" in sent:
        current.title = str(data.title)
    if "kind" in sent:
        current.kind = str(data.kind)
    if "is_global" in sent:
        current.is_global = bool(data.is_global)
    if "summary" in sent:
        current.summary = data.summary or ""
    if "body" in sent:
        current.body = data.body or ""
    if "countries" in sent:
        current.countries = _countries(data.countries or [])
    if "sectors" in sent:
        current.sectors = _sectors(db, data.sectors or [])
    for name in ("url", "source_name", "source_url", "language"):
        if name in sent:
            setattr(current, name, getattr(data, name))
    if "language" not in sent and sent & {"title", "summary", "body"}:
        current.language = None  # detected again from the new text (kept when unsure)
    if "published_at" in sent:
        current.published_at = _moment(data.published_at)
    if "deadline" in sent:
        current.deadline = _moment(data.deadline)
    return current


@router.patch("/intel/{item_id}", response_model=IntelOut, responses={**R401, **R403, **R404})
def edit_intel(
    item_id: RowId, data: IntelPatch, db: DbSession, settings: AppSettings, user: ApiUser
) -> IntelOut:
    """Change some fields of your item (moderators: any item's), and/or its status.

    Editing is for the author (until the item is withdrawn) and moderators. `status`
    publishes your draft; reviewing, withdrawing (with `reason`) and restoring are for
    moderators. Nothing is saved unless everything asked for is allowed and valid.
    """
    item = queries.get_item(db, user, item_id)
    if data.model_fields_set - {"status", "reason"}:
        writes.update_item(db, user, item, _patched(db, item, data))
    if data.status is not None:
        writes.set_status(db, user, item, data.status, reason=data.reason)
    db.commit()
    return IntelOut.of(item, settings.base_url)
