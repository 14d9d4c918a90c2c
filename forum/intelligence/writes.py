"""Writing intelligence items: members' items, imported and harvested ones, their edits,
status moves (review, publishing, withdrawing) and the review queue's bulk publishing.

Each function checks its rule in `service.py`, validates the input, flushes but never
commits, and queues the item's search document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import content_language
from forum.core.audit import record
from forum.core.db import utcnow
from forum.core.formats import format_number
from forum.core.i18n import _
from forum.core.outbox import queue_document
from forum.core.text import MAX_BODY, clean_line, render_markdown
from forum.discussions.models import Flag
from forum.intelligence.dedup import canonical_url
from forum.intelligence.models import INTEL_KINDS, STATUSES, IntelItem
from forum.intelligence.service import (
    TRANSITIONS,
    IntelError,
    require_can_create,
    require_can_edit,
    require_can_move,
    require_moderator,
)
from forum.taxonomy.models import Sector

TITLE_MAX = 300
SUMMARY_MAX = 2_000
REASON_MAX = 1_000
BULK_MAX = 100
STATUS_ACTIONS = {"published": "publish", "review": "review", "withdrawn": "withdraw"}


def _too_long(field_name: str, limit: int) -> str:
    """The sentence for a summary, notes or reason over `limit` characters."""
    most = format_number(limit)
    if field_name == "summary":
        return _("Keep the summary to %(max)s characters.", max=most)
    if field_name == "reason":
        return _("Keep the reason to %(max)s characters.", max=most)
    return _("Keep the text to %(max)s characters.", max=most)


def _http_url(value: str | None, field_name: str) -> str | None:
    if not value or not value.strip():
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > 1000:
        raise IntelError(_("Give a web address starting with http:// or https://."), field_name)
    return value


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
        raise IntelError(_("Give the item a title."), "title")
    if len(title) > TITLE_MAX:
        raise IntelError(
            _("Keep the title to %(max)s characters.", max=format_number(TITLE_MAX)), "title"
        )
    if data.kind not in INTEL_KINDS:
        raise IntelError(
            _(
                "Unknown kind %(value)r: use one of %(known)s.",
                value=data.kind,
                known=", ".join(INTEL_KINDS),
            ),
            "kind",
        )
    if len(data.summary) > SUMMARY_MAX:
        raise IntelError(_too_long("summary", SUMMARY_MAX), "summary")
    if len(data.body) > MAX_BODY:
        raise IntelError(_too_long("body", MAX_BODY), "body")
    if data.deadline is not None and data.kind not in ("funding_call", "tender"):
        raise IntelError(_("Only calls and tenders have a deadline."), "deadline")
    for moment, name in ((data.published_at, "published_at"), (data.deadline, "deadline")):
        if moment is not None and moment.tzinfo is None:
            raise IntelError(_("Give the date with its time zone."), name)
    item.title = title
    item.kind = data.kind
    item.summary = data.summary.strip()
    item.body = data.body
    item.body_html = render_markdown(data.body) if data.body.strip() else ""
    item.url = _http_url(data.url, "url")
    item.canonical_url = canonical_url(item.url)
    item.source_name = clean_line(data.source_name or "")[:200] or None
    item.source_url = _http_url(data.source_url, "source_url")
    # Chosen (a bad code is refused, except the one the item already has: older rows may
    # hold what a feed declared), else detected; an unsure detection keeps what was.
    kept = data.language is not None and data.language == item.language
    item.language = (
        (item.language if kept else content_language.chosen(data.language, IntelError))
        or content_language.detect("\n\n".join((title, data.summary, data.body)))
        or item.language
    )
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
    author = require_can_create(author, status)
    if status not in STATUSES:
        raise IntelError(_("Unknown status %(value)r.", value=status), "status")
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
        raise IntelError(_("Unknown status %(value)r.", value=status), "status")
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


def delete_imported_item(db: Session, item: IntelItem) -> None:
    """Remove an item no member wrote, that its source no longer gives (a demo run that
    stopped loading it): its flags with it, and its search document. Only trusted callers
    (the demo loader) use this; a member's item is never deleted so (ValueError)."""
    if item.author_id is not None:
        raise ValueError("only imported items are deleted this way")
    for flag in db.scalars(
        select(Flag).where(Flag.object_type == "intel", Flag.object_id == item.id)
    ):
        db.delete(flag)
    queue_document(db, f"intel:{item.id}", "delete")
    db.delete(item)
    db.flush()


def update_item(db: Session, editor: User | None, item: IntelItem, data: ItemInput) -> IntelItem:
    require_can_edit(editor, item)
    _apply(item, data)
    queue_document(db, f"intel:{item.id}")
    db.flush()
    return item


def set_status(
    db: Session, actor: User | None, item: IntelItem, status: str, *, reason: str = ""
) -> bool:
    """Move the item along TRANSITIONS; False when it already has `status` (nothing recorded).

    Who may make which move is `service.require_can_move`'s rule. Withdrawing
    needs a reason, kept on the item and in the audit log, and closes the item's open
    flags. Every move that needed a moderator is audited. Raises NotAllowed or IntelError.
    """
    if status not in STATUSES:
        raise IntelError(
            _(
                "Unknown status %(value)r: use one of %(known)s.",
                value=status,
                known=", ".join(STATUSES),
            ),
            "status",
        )
    actor = require_can_move(actor, item, status)
    own = item.author_id is not None and item.author_id == actor.id
    rule = TRANSITIONS.get((item.status, status))
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise IntelError(_too_long("reason", REASON_MAX), "reason")
    if status == item.status:
        return False
    if rule is None:
        raise IntelError(
            _(
                "An item that is %(before)s cannot become %(after)s.",
                before=item.status,
                after=status,
            ),
            "status",
        )
    if status == "withdrawn" and not reason:
        raise IntelError(_("Say why the item is withdrawn."), "reason")
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


def publish_many(db: Session, actor: User | None, item_ids: Sequence[int]) -> int:
    """Publish those of `item_ids` still in review (each audited); answers how many.

    Items another moderator handled meanwhile are skipped. Raises NotAllowed or IntelError.
    """
    actor = require_moderator(actor)
    if not item_ids:
        raise IntelError(_("Select the items to publish first."), "ids")
    if len(item_ids) > BULK_MAX:
        raise IntelError(_("Publish at most %(max)s items at a time.", max=BULK_MAX), "ids")
    items = db.scalars(
        select(IntelItem)
        .where(IntelItem.id.in_(list(item_ids)), IntelItem.status == "review")
        .order_by(IntelItem.id)
    )
    return sum(set_status(db, actor, item, "published") for item in list(items))


def preview_body(body: str) -> str:
    """The item's notes as they will be shown: the same rendering and sanitizing as on save."""
    if len(body) > MAX_BODY:
        raise IntelError(_too_long("body", MAX_BODY), "body")
    return render_markdown(body) if body.strip() else ""
