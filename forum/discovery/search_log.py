"""The search log: each search of the page and the API, without a member id, for the
platform team's figures of what members look for and do not find (docs/search.md).

Search-as-you-type asks for results at each pause in typing; a burst of them is one
search. The page's partial (htmx) requests are coalesced: a signed cookie names the row
the last one wrote, and a partial request whose words extend or shorten that row's
words, with the same filters, within `BURST_SECONDS`, updates the row instead of adding
one. Typing "j", "ja", "jap", "japan" leaves one row, "japan".
"""

from __future__ import annotations

import datetime as dt
import re

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from forum.core.config import Settings
from forum.core.db import best_effort, utcnow
from forum.discovery.models import SearchLogEntry
from forum.discovery.service import SearchOutcome
from forum.taxonomy.names import find_place

KEEP_DAYS = 180
BURST_SECONDS = 10
BURST_COOKIE = "search_burst"
# The cookie outlives the burst window a little; the window is checked on the row.
BURST_COOKIE_MAX_AGE = 60
BURST_SALT = "search-burst"
TEXT_MAX = 500

_SPACES = re.compile(r"\s+")


def normalised_text(text: str) -> str:
    """Lower-cased, whitespace collapsed: "  Japan   Food " and "japan food" are one query."""
    return _SPACES.sub(" ", text).strip().lower()[:TEXT_MAX]


def _country(code: str) -> str:
    if code.lower().startswith("g:"):
        return code.lower()
    if len(code) == 2 and code.isalpha():
        return code.upper()
    # A name typed after country: ("country:Japan") is logged as its code.
    return find_place(code) or code.lower()


def _joined(values: list[str] | tuple[str, ...], limit: int) -> str:
    return ",".join(sorted(set(values)))[:limit]


def entry_for(outcome: SearchOutcome, *, signed_in: bool, via: str) -> SearchLogEntry:
    """The row a successful search is logged as: the form's filters and the operators'
    together, the words without the operators."""
    params, parsed = outcome.params, outcome.parsed
    return SearchLogEntry(
        logged_at=utcnow(),
        text=normalised_text(parsed.text),
        countries=_joined([_country(c) for c in (*params.countries, *parsed.countries)], 200),
        sectors=_joined([s.lower() for s in (*params.sectors, *parsed.sectors)], 200),
        kinds=_joined([k.lower() for k in (*params.kinds, *parsed.kinds)], 100),
        result_count=outcome.results.total,
        signed_in=signed_in,
        via=via,
    )


def write_entry(factory: sessionmaker[Session], entry: SearchLogEntry) -> None:
    """Write a log row in a session of its own: a search of `GET /api/v1/search` logs one
    row each (an API caller does not type), after the
    answer has gone (a background task), so that the insert and its commit never add to
    what the caller waits for. Best effort, as in the request: a refused row is not kept."""
    with factory() as db:
        db.add(entry)
        best_effort(db)


def log_page_search(
    db: Session,
    settings: Settings,
    request: Request,
    response: Response,
    outcome: SearchOutcome,
    *,
    signed_in: bool,
    partial: bool,
) -> None:
    """Log a search of the `/search` page, coalescing a typing burst into one row (see
    the module docstring), and set the burst cookie naming the row on `response`."""
    entry = entry_for(outcome, signed_in=signed_in, via="page")
    previous = _burst_row(db, settings, request) if partial else None
    if previous is not None and _same_burst(previous, entry):
        previous.text = entry.text
        previous.result_count = entry.result_count
        previous.logged_at = entry.logged_at
        entry = previous
    else:
        db.add(entry)
    if not best_effort(db):
        return
    response.set_cookie(
        BURST_COOKIE,
        _serializer(settings).dumps(entry.id),
        max_age=BURST_COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=settings.https,
        path="/search",
    )


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key or "", salt=BURST_SALT)


def _burst_row(db: Session, settings: Settings, request: Request) -> SearchLogEntry | None:
    """The row the burst cookie names, if it was written within the burst window."""
    raw = request.cookies.get(BURST_COOKIE)
    if not raw:
        return None
    try:
        row_id = _serializer(settings).loads(raw)
    except BadSignature:
        return None
    if not isinstance(row_id, int):
        return None
    row = db.get(SearchLogEntry, row_id)
    if row is None or row.via != "page":
        return None
    if utcnow() - row.logged_at > dt.timedelta(seconds=BURST_SECONDS):
        return None
    return row


def _same_burst(previous: SearchLogEntry, entry: SearchLogEntry) -> bool:
    """The same filters, and words that extend or shorten the previous ones (typing on,
    or deleting back); going to another page of results keeps the words and is the same."""
    if (previous.countries, previous.sectors, previous.kinds) != (
        entry.countries,
        entry.sectors,
        entry.kinds,
    ):
        return False
    return entry.text.startswith(previous.text) or previous.text.startswith(entry.text)


def prune_search_log(db: Session, *, now: dt.datetime | None = None) -> int:
    """Delete the rows older than KEEP_DAYS days; answers how many."""
    cutoff = (now or utcnow()) - dt.timedelta(days=KEEP_DAYS)
    result = db.execute(delete(SearchLogEntry).where(SearchLogEntry.logged_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]
