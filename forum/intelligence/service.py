"""Rules of the intelligence repository: who sees and writes items, and how lists filter.

Published items are public; drafts are their author's; items in review and withdrawn
items are for moderators (and their author). Functions take the session first, check
permissions themselves, flush but never commit, and queue search documents.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    event,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.core.audit import record
from forum.core.db import utcnow
from forum.core.outbox import queue_document
from forum.core.pagination import InvalidCursorError, Page, decode_cursor, encode_cursor
from forum.core.text import MAX_BODY, clean_line, render_markdown
from forum.discussions.models import Flag
from forum.discussions.moderation import can_flag
from forum.intelligence.models import (
    INTEL_KINDS,
    STATUSES,
    IntelCountry,
    IntelItem,
    IntelRevision,
    intel_sector,
)
from forum.taxonomy.models import Sector

TITLE_MAX = 300
SUMMARY_MAX = 2_000
CLOSING_SOON = dt.timedelta(days=14)
TRACKING_PARAMETERS = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ref)$", re.I)


class IntelError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(Exception):
    """The viewer may not do this (403)."""


class NotFound(Exception):
    """Missing or not visible to this viewer (404)."""


def canonical_url(url: str | None) -> str | None:
    """`url` without fragment, tracking parameters, default port or host case, for dedup."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query) if not TRACKING_PARAMETERS.match(k))
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https", host, path, query, ""))


def _http_url(value: str | None, field_name: str) -> str | None:
    if not value or not value.strip():
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > 1000:
        raise IntelError("Give a web address starting with http:// or https://.", field_name)
    return value


# --- who may do what -------------------------------------------------------------------------


def can_see(viewer: User | None, item: IntelItem) -> bool:
    if item.status == "published":
        return True
    if viewer is None:
        return False
    return viewer.is_moderator or item.author_id == viewer.id


def can_edit(viewer: User | None, item: IntelItem) -> bool:
    if viewer is None or viewer.is_suspended:
        return False
    return viewer.is_moderator or (item.author_id == viewer.id and item.status != "withdrawn")


# --- writing --------------------------------------------------------------------------------


@dataclass
class ItemInput:
    title: str
    kind: str = "news"
    summary: str = ""
    body: str = ""
    countries: Sequence[str] = ()
    sectors: Sequence[Sector] = ()
    is_global: bool = False
    url: str | None = None
    source_name: str | None = None
    source_url: str | None = None
    language: str | None = None
    published_at: dt.datetime | None = None
    deadline: dt.datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)


def _apply(item: IntelItem, data: ItemInput) -> None:
    title = clean_line(data.title)
    if not title:
        raise IntelError("Give the item a title.", "title")
    if len(title) > TITLE_MAX:
        raise IntelError(f"Keep the title under {TITLE_MAX} characters.", "title")
    if data.kind not in INTEL_KINDS:
        raise IntelError(
            f"Unknown kind {data.kind!r}: use one of {', '.join(INTEL_KINDS)}.", "kind"
        )
    if len(data.summary) > SUMMARY_MAX:
        raise IntelError(f"Keep the summary under {SUMMARY_MAX:,} characters.", "summary")
    if len(data.body) > MAX_BODY:
        raise IntelError(f"Keep the text under {MAX_BODY:,} characters.", "body")
    if data.deadline is not None and data.kind not in ("funding_call", "tender"):
        raise IntelError("Only calls and tenders have a deadline.", "deadline")
    for moment, name in ((data.published_at, "published_at"), (data.deadline, "deadline")):
        if moment is not None and moment.tzinfo is None:
            raise IntelError("Give the date with its time zone.", name)
    item.title = title
    item.kind = data.kind
    item.summary = data.summary.strip()
    item.body = data.body
    item.body_html = render_markdown(data.body) if data.body.strip() else ""
    item.url = _http_url(data.url, "url")
    item.canonical_url = canonical_url(item.url)
    item.source_name = clean_line(data.source_name or "")[:200] or None
    item.source_url = _http_url(data.source_url, "source_url")
    item.language = (data.language or "").strip().lower()[:8] or None
    item.published_at = data.published_at
    item.deadline = data.deadline
    item.is_global = data.is_global
    item.set_countries(list(data.countries))
    item.sectors = list(data.sectors)


def create_item(
    db: Session,
    author: User | None,
    data: ItemInput,
    *,
    status: str = "published",
    added_at: dt.datetime | None = None,
    source_note: str | None = None,
) -> IntelItem:
    """A new item by a confirmed member (published or draft). Raises NotAllowed or IntelError."""
    if author is None or author.is_suspended or not author.is_verified:
        raise NotAllowed("Confirm your email address to add intelligence.")
    if status not in ("published", "draft") and not author.is_moderator:
        raise NotAllowed("Members publish or keep drafts; review is for moderators.")
    if status not in STATUSES:
        raise IntelError(f"Unknown status {status!r}.", "status")
    item = IntelItem(author_id=author.id, status=status, added_at=added_at or utcnow(),
                     source_note=source_note)  # fmt: skip
    _apply(item, data)
    db.add(item)
    db.flush()
    queue_document(db, f"intel:{item.id}")
    return item


def new_imported_item(
    data: ItemInput,
    *,
    status: str = "review",
    feed_id: int | None = None,
    entry_id: str | None = None,
    added_at: dt.datetime | None = None,
    source_note: str | None = None,
) -> IntelItem:
    """A validated item that no member wrote, not yet added to a session (IntelError if
    `data` is invalid). The harvester adds a feed's new items this way and flushes once."""
    if status not in STATUSES:
        raise IntelError(f"Unknown status {status!r}.", "status")
    item = IntelItem(author_id=None, status=status, added_at=added_at or utcnow(), also_from=[],
                     feed_id=feed_id, entry_id=entry_id, source_note=source_note)  # fmt: skip
    _apply(item, data)
    return item


def create_imported_item(
    db: Session,
    data: ItemInput,
    *,
    status: str = "review",
    feed_id: int | None = None,
    entry_id: str | None = None,
    added_at: dt.datetime | None = None,
    source_note: str | None = None,
) -> IntelItem:
    """An item that no member wrote: harvested from a feed or loaded by an operator's import.

    Only trusted callers (the worker, the `forum import` commands) use this; items from
    feeds that are not auto-published wait in review for a moderator.
    """
    item = new_imported_item(data, status=status, feed_id=feed_id, entry_id=entry_id,
                             added_at=added_at, source_note=source_note)  # fmt: skip
    db.add(item)
    db.flush()
    if status == "published":
        queue_document(db, f"intel:{item.id}")
    return item


def refresh_imported_item(db: Session, item: IntelItem, data: ItemInput) -> IntelItem:
    """Rewrite an imported item from its source again (a demo or import run repeated)."""
    _apply(item, data)
    queue_document(db, f"intel:{item.id}")
    db.flush()
    return item


def update_item(db: Session, editor: User | None, item: IntelItem, data: ItemInput) -> IntelItem:
    if not can_edit(editor, item):
        raise NotAllowed("Only the author or a moderator can edit this item.")
    _apply(item, data)
    queue_document(db, f"intel:{item.id}")
    db.flush()
    return item


# (from, to) -> who may make the move: "author" (the author or a moderator) or "moderator".
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "published"): "author",
    ("review", "published"): "moderator",
    ("published", "review"): "moderator",
    ("draft", "withdrawn"): "moderator",
    ("review", "withdrawn"): "moderator",
    ("published", "withdrawn"): "moderator",
    ("withdrawn", "published"): "moderator",
    ("withdrawn", "review"): "moderator",
}
REASON_MAX = 1_000


def set_status(
    db: Session, actor: User | None, item: IntelItem, status: str, *, reason: str = ""
) -> bool:
    """Move the item along TRANSITIONS; False when it already has `status` (nothing recorded).

    A draft is published by its author or a moderator; everything else (publishing from
    review, sending back to review, withdrawing, restoring) is for moderators. Withdrawing
    needs a reason, kept on the item and in the audit log, and closes the item's open
    flags. Every move that needed a moderator is audited. Raises NotAllowed or IntelError.
    """
    if status not in STATUSES:
        raise IntelError(f"Unknown status {status!r}: use one of {', '.join(STATUSES)}.", "status")
    if actor is None:
        raise NotAllowed("Log in first.")
    if actor.is_suspended:
        raise NotAllowed("Your account is suspended.")
    own = item.author_id is not None and item.author_id == actor.id
    rule = TRANSITIONS.get((item.status, status))
    if rule == "moderator" or (rule is None and item.status in ("review", "withdrawn")):
        if not actor.is_moderator:
            raise NotAllowed("Only moderators review, withdraw and restore items.")
    elif not (own or actor.is_moderator):
        raise NotAllowed("Only the author or a moderator can change this item.")
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise IntelError(f"Keep the reason under {REASON_MAX:,} characters.", "reason")
    if status == item.status:
        return False
    if rule is None:
        raise IntelError(f"An item that is {item.status} cannot become {status}.", "status")
    if status == "withdrawn" and not reason:
        raise IntelError("Say why the item is withdrawn.", "reason")
    before = item.status
    item.status = status
    item.withdrawn_reason = reason if status == "withdrawn" else None
    queue_document(db, f"intel:{item.id}", "upsert" if status == "published" else "delete")
    closed = _close_flags(db, actor, item) if status == "withdrawn" else 0
    if rule == "moderator" or not own:
        action = "restore" if before == "withdrawn" else STATUS_ACTIONS[status]
        details: dict[str, object] = {"status": {"from": before, "to": status}}
        if closed:
            details["flags_closed"] = closed
        record(db, actor=actor, action=f"intel.{action}", object_type="intel", object_id=item.id,
               object_label=item.title, reason=reason, details=details)  # fmt: skip
    db.flush()
    return True


STATUS_ACTIONS = {"published": "publish", "review": "review", "withdrawn": "withdraw"}


def _close_flags(db: Session, actor: User, item: IntelItem) -> int:
    """Close the open flags on an item a moderator just withdrew; answers how many."""
    flags = list(
        db.scalars(
            select(Flag).where(
                Flag.object_type == "intel", Flag.object_id == item.id, Flag.resolved_at.is_(None)
            )
        )
    )
    for flag in flags:
        flag.resolved_at = utcnow()
        flag.resolved_by_id = actor.id
        flag.resolution = "withdrawn"
    return len(flags)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntelFilter:
    countries: Sequence[str] = ()
    sectors: Sequence[str] = ()
    kinds: Sequence[str] = ()
    sources: Sequence[str] = ()
    published_from: dt.datetime | None = None
    published_to: dt.datetime | None = None
    open_deadlines: bool = False
    include_global: bool = True
    # "My drafts": one author's items with these statuses (still within what the viewer sees).
    author_id: int | None = None
    statuses: Sequence[str] = ()


SORTS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "added": (IntelItem.added_at.desc(), IntelItem.id.desc()),
    "published": (IntelItem.published_at.desc().nulls_last(), IntelItem.id.desc()),
    "deadline": (IntelItem.deadline.asc().nulls_last(), IntelItem.id.desc()),
}


def _visible(viewer: User | None) -> Select[IntelItem]:
    stmt = select(IntelItem)
    if viewer is None:
        return stmt.where(IntelItem.status == "published")
    if viewer.is_moderator:
        return stmt
    return stmt.where(or_(IntelItem.status == "published", IntelItem.author_id == viewer.id))


def _filtered(
    viewer: User | None, flt: IntelFilter, *, now: dt.datetime | None = None
) -> Select[IntelItem]:
    stmt = _visible(viewer)
    if flt.countries:
        tagged = IntelItem.id.in_(
            select(IntelCountry.item_id).where(IntelCountry.country_code.in_(list(flt.countries)))
        )
        stmt = stmt.where(or_(tagged, IntelItem.is_global) if flt.include_global else tagged)
    if flt.sectors:
        stmt = stmt.where(
            IntelItem.id.in_(
                select(intel_sector.c.item_id)
                .join(Sector, Sector.id == intel_sector.c.sector_id)
                .where(Sector.slug.in_(list(flt.sectors)))
            )
        )
    if flt.kinds:
        stmt = stmt.where(IntelItem.kind.in_(list(flt.kinds)))
    if flt.sources:
        stmt = stmt.where(IntelItem.source_name.in_(list(flt.sources)))
    if flt.published_from is not None:
        stmt = stmt.where(IntelItem.published_at >= flt.published_from)
    if flt.published_to is not None:
        stmt = stmt.where(IntelItem.published_at <= flt.published_to)
    if flt.open_deadlines:
        stmt = stmt.where(IntelItem.deadline >= (now or utcnow()))
    if flt.author_id is not None:
        stmt = stmt.where(IntelItem.author_id == flt.author_id)
    if flt.statuses:
        stmt = stmt.where(IntelItem.status.in_(list(flt.statuses)))
    return stmt


def _loaded(stmt: Select[IntelItem]) -> Select[IntelItem]:
    return stmt.options(
        selectinload(IntelItem.sectors),
        selectinload(IntelItem.country_rows),
        selectinload(IntelItem.attachments),
    )


def page_items(
    db: Session, viewer: User | None, flt: IntelFilter, *, page: int, per_page: int = 20,
    sort: str = "added", base_path: str = "/intel", params: dict[str, object] | None = None,
) -> Page[IntelItem]:  # fmt: skip
    if sort not in SORTS:
        raise IntelError(f"Sort by one of {', '.join(SORTS)}.", "sort")
    stmt = _filtered(viewer, flt)
    total = cached_counts(
        db, viewer, ("total", _filter_key(flt)),
        lambda: db.scalar(stmt.with_only_columns(func.count(IntelItem.id)).order_by(None)) or 0,
    )  # fmt: skip
    rows = db.scalars(
        _loaded(stmt).order_by(*SORTS[sort]).offset((page - 1) * per_page).limit(per_page)
    )
    return Page(list(rows), page, per_page, total, base_path, params or {})


def facet_counts(db: Session, viewer: User | None, flt: IntelFilter) -> dict[str, dict[str, int]]:
    """Counts by country, sector, kind and source among the items the filter keeps."""
    return cached_counts(
        db, viewer, ("facets", _filter_key(flt)), lambda: _facet_counts(db, viewer, flt)
    )


def _facet_counts(db: Session, viewer: User | None, flt: IntelFilter) -> dict[str, dict[str, int]]:
    ids = _filtered(viewer, flt).with_only_columns(IntelItem.id).subquery()
    countries = db.execute(
        select(IntelCountry.country_code, func.count())
        .where(IntelCountry.item_id.in_(select(ids.c.id)))
        .group_by(IntelCountry.country_code)
    )
    sectors = db.execute(
        select(Sector.slug, func.count())
        .join(intel_sector, intel_sector.c.sector_id == Sector.id)
        .where(intel_sector.c.item_id.in_(select(ids.c.id)))
        .group_by(Sector.slug)
    )
    kinds = db.execute(
        select(IntelItem.kind, func.count())
        .where(IntelItem.id.in_(select(ids.c.id)))
        .group_by(IntelItem.kind)
    )
    sources = db.execute(
        select(IntelItem.source_name, func.count())
        .where(IntelItem.id.in_(select(ids.c.id)), IntelItem.source_name.is_not(None))
        .group_by(IntelItem.source_name)
    )
    return {
        "country": {str(k): int(v) for k, v in countries.all()},
        "sector": {str(k): int(v) for k, v in sectors.all()},
        "kind": {str(k): int(v) for k, v in kinds.all()},
        "source": {str(k): int(v) for k, v in sources.all() if k},
    }


def get_item(db: Session, viewer: User | None, item_id: int) -> IntelItem:
    item = db.scalar(_loaded(select(IntelItem).where(IntelItem.id == item_id)))
    if item is None or not can_see(viewer, item):
        raise NotFound(str(item_id))
    return item


def deadline_state(item: IntelItem, *, now: dt.datetime | None = None) -> str | None:
    """ "closing soon" within 14 days, "closed" once past, else None (no deadline or later)."""
    if item.deadline is None:
        return None
    now = now or utcnow()
    if item.deadline < now:
        return "closed"
    if item.deadline - now <= CLOSING_SOON:
        return "closing soon"
    return None


def find_duplicate(
    db: Session, *, url: str | None, title: str, day: dt.date | None
) -> IntelItem | None:
    """An item with the same canonical URL, or a near-identical title on the same day."""
    canonical = canonical_url(url)
    if canonical:
        found = db.scalar(select(IntelItem).where(IntelItem.canonical_url == canonical))
        if found is not None:
            return found
    if day is None:
        return None
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    wanted = _title_key(title)
    for candidate in db.scalars(
        select(IntelItem).where(
            IntelItem.published_at >= start,
            IntelItem.published_at < start + dt.timedelta(days=1),
        )
        if wanted
        else select(IntelItem).where(false())
    ):
        if _title_key(candidate.title) == wanted:
            return candidate
    return None


def _title_key(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", title.lower()))


# --- review and moderation -------------------------------------------------------------------

REVIEW_PER_PAGE = 20
BULK_MAX = 100


def status_transitions(viewer: User | None, item: IntelItem) -> list[str]:
    """The statuses `viewer` may move `item` to (what the item page offers as buttons)."""
    if viewer is None or viewer.is_suspended:
        return []
    own = item.author_id is not None and item.author_id == viewer.id
    return [
        to
        for (before, to), rule in TRANSITIONS.items()
        if before == item.status and (viewer.is_moderator or (rule == "author" and own))
    ]


def can_report(viewer: User | None, item: IntelItem) -> bool:
    """Whether the item page offers `viewer` the form to flag it (moderators act instead)."""
    return can_flag(viewer, item.author_id) and can_see(viewer, item)


def count_in_review(db: Session) -> int:
    stmt = select(func.count()).select_from(IntelItem).where(IntelItem.status == "review")
    return db.scalar(stmt) or 0


def page_review_queue(
    db: Session, viewer: User | None, *, page: int, per_page: int = REVIEW_PER_PAGE
) -> Page[IntelItem]:
    """The items waiting for a moderator, oldest first. Raises NotAllowed for anyone else."""
    if viewer is None or not viewer.is_moderator:
        raise NotAllowed("Only moderators review items.")
    stmt = select(IntelItem).where(IntelItem.status == "review")
    rows = db.scalars(
        _loaded(stmt)
        .options(selectinload(IntelItem.feed), selectinload(IntelItem.author))
        .order_by(IntelItem.added_at, IntelItem.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return Page(list(rows), page, per_page, count_in_review(db), "/intel/review", {})


def publish_many(db: Session, actor: User | None, item_ids: Sequence[int]) -> int:
    """Publish those of `item_ids` still in review (each audited); answers how many.

    Items another moderator handled meanwhile are skipped. Raises NotAllowed or IntelError.
    """
    if actor is None or not actor.is_moderator:
        raise NotAllowed("Only moderators review items.")
    if not item_ids:
        raise IntelError("Select the items to publish first.", "ids")
    if len(item_ids) > BULK_MAX:
        raise IntelError(f"Publish at most {BULK_MAX} items at a time.", "ids")
    items = db.scalars(
        select(IntelItem)
        .where(IntelItem.id.in_(list(item_ids)), IntelItem.status == "review")
        .order_by(IntelItem.id)
    )
    return sum(set_status(db, actor, item, "published") for item in list(items))


def preview_body(body: str) -> str:
    """The item's notes as they will be shown: the same rendering and sanitizing as on save."""
    if len(body) > MAX_BODY:
        raise IntelError(f"Keep the text under {MAX_BODY:,} characters.", "body")
    return render_markdown(body) if body.strip() else ""


# --- the API's cursor pages, and the country and sector pages --------------------------------

# The column each sort walks; `added` is never null, the others sort their nulls last.
_SORT_COLUMNS = {
    "added": IntelItem.added_at,
    "published": IntelItem.published_at,
    "deadline": IntelItem.deadline,
}


def _after_cursor(sort: str, cursor: str) -> ColumnElement[bool]:
    """The rows after `cursor` in SORTS[sort] order; InvalidCursorError for a foreign cursor."""
    name, when, last_id = decode_cursor(cursor, arity=3)
    if name != sort or not isinstance(when, str) or not isinstance(last_id, int):
        raise InvalidCursorError
    column = _SORT_COLUMNS[sort]
    if when == "":
        if sort == "added":
            raise InvalidCursorError
        return and_(column.is_(None), IntelItem.id < last_id)
    try:
        moment = dt.datetime.fromisoformat(when)
    except ValueError as exc:
        raise InvalidCursorError from exc
    if moment.tzinfo is None:
        raise InvalidCursorError
    beyond = column > moment if sort == "deadline" else column < moment
    after = or_(beyond, and_(column == moment, IntelItem.id < last_id))
    return after if sort == "added" else or_(after, column.is_(None))


def list_items(
    db: Session, viewer: User | None, flt: IntelFilter, *, sort: str = "added",
    cursor: str | None = None, limit: int = 20,
) -> tuple[list[IntelItem], str | None]:  # fmt: skip
    """One page of the items `viewer` may see, in SORTS[sort] order, by keyset cursor.

    Answers the rows and the cursor of the next page (None on the last page). Raises
    IntelError for an unknown sort, InvalidCursorError for a cursor this function did not
    make for the same sort.
    """
    if sort not in SORTS:
        raise IntelError(f"Sort by one of {', '.join(SORTS)}.", "sort")
    stmt = _filtered(viewer, flt)
    if cursor:
        stmt = stmt.where(_after_cursor(sort, cursor))
    rows = list(
        db.scalars(
            _loaded(stmt)
            .options(selectinload(IntelItem.author))
            .order_by(*SORTS[sort])
            .limit(limit + 1)
        )
    )
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    moment = getattr(last, _SORT_COLUMNS[sort].key)
    return rows, encode_cursor([sort, moment.isoformat() if moment else "", last.id])


# Tag pages count a busy country's items up to here and then say "1,000+": an exact count
# needs every tagged item's status, a lookup per item, which grows with the repository.
COUNT_CAP = 1_000


@dataclass(frozen=True)
class Recent:
    """The newest published items with a tag (their sectors loaded), and how many there are
    (at most COUNT_CAP + 1)."""

    items: list[IntelItem]
    total: int

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP


def _recent(db: Session, tags: Table, tagged: ColumnElement[bool], limit: int) -> Recent:
    """`tags` is an item-tag table (`item_id` and the tag); `tagged` picks the tag's rows."""
    # `status || ''` keeps SQLite from using the status index here, so both queries start
    # from the tag's own rows: at most COUNT_CAP + 1 lookups whatever the repository's size.
    unindexed_published = (IntelItem.status + "") == "published"
    from_tag = select(IntelItem).join(tags, tags.c.item_id == IntelItem.id)
    capped = (
        select(IntelItem.id)
        .join(tags, tags.c.item_id == IntelItem.id)
        .where(tagged, unindexed_published)
        .limit(COUNT_CAP + 1)
        .subquery()
    )
    total = db.scalar(select(func.count()).select_from(capped)) or 0
    if total <= COUNT_CAP:
        # A quiet tag: sort its few published items.
        stmt = from_tag.where(tagged, unindexed_published)
    else:
        # A busy tag: walk the newest published items until `limit` of them carry it.
        stmt = select(IntelItem).where(
            IntelItem.status == "published",
            exists().where(tagged, tags.c.item_id == IntelItem.id),
        )
    rows = db.scalars(
        stmt.options(selectinload(IntelItem.sectors))
        .order_by(IntelItem.added_at.desc(), IntelItem.id.desc())
        .limit(limit)
    )
    return Recent(list(rows), total)


def recent_for_country(db: Session, code: str, *, limit: int = 10) -> Recent:
    """Published items tagged with the ISO country `code`, newest added first.

    Global items are left out: they concern every country, so no country page lists them.
    """
    tags = IntelCountry.__table__
    return _recent(db, tags, tags.c.country_code == code, limit)  # type: ignore[arg-type]


def recent_for_sector(db: Session, sector: Sector, *, limit: int = 10) -> Recent:
    """Published items tagged with `sector`, newest added first."""
    return _recent(db, intel_sector, intel_sector.c.sector_id == sector.id, limit)


def _unpublished_ids() -> Select[int]:
    # Written as `item_id IN (...)` so that SQLite walks the (few) unpublished items on the
    # status index and probes each one's tags, rather than every tag row of a country.
    return select(IntelItem.id).where(
        IntelItem.status.in_([s for s in STATUSES if s != "published"])
    )


def count_by_country(db: Session) -> dict[str, int]:
    """ISO code -> published items tagged with it (codes without any are left out).

    Two GROUP BYs that each stay on an index: all tags, minus the tags of unpublished
    items (a join per tag row would look every item up).
    """
    tagged = db.execute(
        select(IntelCountry.country_code, func.count()).group_by(IntelCountry.country_code)
    )
    hidden = dict(
        db.execute(
            select(IntelCountry.country_code, func.count())
            .where(IntelCountry.item_id.in_(_unpublished_ids()))
            .group_by(IntelCountry.country_code)
        ).all()
    )
    counts = {str(code): int(n) - int(hidden.get(code, 0)) for code, n in tagged.all()}
    return {code: n for code, n in counts.items() if n > 0}


def count_for_country(db: Session, code: str) -> int:
    """Exactly how many published items are tagged with `code` (for the API)."""
    tagged = select(func.count()).where(IntelCountry.country_code == code)
    hidden = select(func.count()).where(
        IntelCountry.country_code == code, IntelCountry.item_id.in_(_unpublished_ids())
    )
    return (db.scalar(tagged) or 0) - (db.scalar(hidden) or 0)


def count_for_sector(db: Session, sector: Sector) -> int:
    """Exactly how many published items are tagged with `sector` (for the API)."""
    tagged = select(func.count()).where(intel_sector.c.sector_id == sector.id)
    hidden = select(func.count()).where(
        intel_sector.c.sector_id == sector.id, intel_sector.c.item_id.in_(_unpublished_ids())
    )
    return (db.scalar(tagged) or 0) - (db.scalar(hidden) or 0)


# --- cached counts ---------------------------------------------------------------------------
#
# The public list's totals and facet counts read the whole repository (about half a second
# at 100,000 items on SQLite); its page of rows reads 20. Counts are kept per process,
# keyed by the filter and by the repository's revision, which every flush that changes
# an item moves on in the same transaction: a change is visible in the counts of the next
# request of every process. Only the anonymous view (published items) is cached; a
# member's own drafts or a moderator's view are counted each time.

COUNT_CACHE_SIZE = 512
_count_cache: OrderedDict[tuple[object, ...], object] = OrderedDict()
_count_lock = threading.Lock()
_REVISED = (IntelItem, IntelCountry)


def _filter_key(flt: IntelFilter) -> tuple[object, ...]:
    return (
        tuple(sorted(flt.countries)), tuple(sorted(flt.sectors)), tuple(sorted(flt.kinds)),
        tuple(sorted(flt.sources)), flt.published_from, flt.published_to,
        # Open deadlines depend on the time: keyed by the minute.
        utcnow().replace(second=0, microsecond=0) if flt.open_deadlines else None,
        flt.include_global, flt.author_id, tuple(flt.statuses),
    )  # fmt: skip


def revision(db: Session) -> int:
    return db.scalar(select(IntelRevision.value).where(IntelRevision.id == 1)) or 0


T = TypeVar("T")


def cached_counts(
    db: Session, viewer: User | None, key: tuple[object, ...], compute: Callable[[], T]
) -> T:
    """`compute()`, remembered for the anonymous view until the repository changes."""
    if viewer is not None:
        return compute()
    full = (revision(db), *key)
    with _count_lock:
        if full in _count_cache:
            _count_cache.move_to_end(full)
            return _count_cache[full]  # type: ignore[return-value]
    value = compute()
    with _count_lock:
        _count_cache[full] = value
        while len(_count_cache) > COUNT_CACHE_SIZE:
            _count_cache.popitem(last=False)
    return value


@event.listens_for(Session, "before_flush")
def _move_revision_on(session: Session, _context: object, _instances: object) -> None:
    """Every flush that adds, changes or deletes an item or its countries moves the
    revision on (sector and status changes mark the item itself as changed)."""
    changed = (*session.new, *session.dirty, *session.deleted)
    if not any(isinstance(obj, _REVISED) for obj in changed):
        return
    # A random value rather than a counter: a rolled-back change must never leave a
    # revision number that another change later reuses for different content.
    value = secrets.randbits(62)
    connection = session.connection()
    moved = connection.execute(
        update(IntelRevision).where(IntelRevision.id == 1).values(value=value)
    )
    if moved.rowcount == 0:
        connection.execute(insert(IntelRevision).values(id=1, value=value))
