"""The filters of the events lists as a request gives them (pages, iCal feeds and the API),
validated into an EventFilter; an unknown value answers 422."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated

from fastapi import HTTPException, Query
from sqlalchemy.orm import Session

from forum.core.i18n import _
from forum.events.listing import EventFilter
from forum.events.service import EventError
from forum.partnerships import service as partnerships
from forum.partnerships.models import Partnership
from forum.taxonomy.filters import parse_filters

Multi = Annotated[list[str], Query()]


def parse_day(value: str, field_name: str) -> dt.date | None:
    """A YYYY-MM-DD day, None when empty; raises EventError naming the field."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise EventError(
            _("Give %(field)s as YYYY-MM-DD.", field=repr(field_name)), field_name
        ) from exc


def find_partnership(db: Session, value: str) -> Partnership | None:
    value = value.strip()
    if value.isdigit():
        return partnerships.get_partnership(db, int(value))
    return partnerships.get_partnership_by_slug(db, value.lower())


def list_filter(
    db: Session,
    *,
    country: Sequence[str],
    sector: Sequence[str],
    partnership: Sequence[str],
    date_from: str,
    date_to: str,
    when: str,
    match: str = "",
) -> EventFilter:
    """The filters of every list and feed, validated; 422 naming an unknown value.
    `match="any"` keeps events of any of the countries, sectors and partnerships given."""
    countries, sectors = parse_filters(db, country, sector)
    ids = []
    for value in partnership:
        if not value.strip():
            continue
        found = find_partnership(db, value)
        if found is None:
            raise HTTPException(422, f"unknown partnership: {value!r}")
        ids.append(found.id)
    try:
        start, end = parse_day(date_from, "from"), parse_day(date_to, "to")
    except EventError as exc:
        raise HTTPException(422, str(exc)) from exc
    if start and end and end < start:
        # Worded as /search and /intel word it.
        raise HTTPException(
            422, _("'from' (%(start)s) is after 'to' (%(end)s)", start=start, end=end)
        )
    return EventFilter(
        countries=countries, sectors=sectors, partnership_ids=ids, date_from=start,
        date_to=end, when=when, match_any=match == "any",
    )  # fmt: skip
