"""Who goes to an event: members and partnerships marking going or interested, what an
event page shows of them, and the partnerships going for joint-mission hints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.db import utcnow
from forum.core.errors import NotAllowed
from forum.core.i18n import _
from forum.core.outbox import queue_document
from forum.events.models import ATTENDANCE_STATUSES, Attendance, Event, EventPartnership
from forum.events.service import EventError, can_mark, with_details
from forum.partnerships.models import Partnership


def set_attendance(
    db: Session, actor: User | None, event: Event, *, status: str, for_partnership: bool = False
) -> Attendance | None:
    """Mark `actor` (or their partnership) going or interested; "none" clears the mark.
    A mark's `marked_at` is when it took its status (by this member, for a partnership).

    Answers the mark, or None once cleared. Raises NotAllowed for visitors, unconfirmed
    or suspended members, and for a partnership the member does not belong to;
    EventError for an unknown status.
    """
    if status not in (*ATTENDANCE_STATUSES, "none"):
        raise EventError(_("Status is going, interested or none."), "status")
    if actor is None:
        raise NotAllowed(_("Log in to say you are going."))
    if not can_mark(actor):
        raise NotAllowed(_("Confirm your email address first, and be a member in good standing."))
    holder: Any
    if for_partnership:
        partnership = actor.partnership
        if partnership is None:
            raise NotAllowed(
                _("You can mark attendance for a partnership only once you belong to it.")
            )
        holder = Attendance.partnership_id == partnership.id
    else:
        holder = Attendance.user_id == actor.id
    mark = db.scalar(select(Attendance).where(Attendance.event_id == event.id, holder))
    queue_document(db, f"event:{event.id}")
    if status == "none":
        if mark is not None:
            db.delete(mark)
            db.flush()
        return None
    if mark is None:
        mark = Attendance(event_id=event.id, status=status, marked_at=utcnow())
        if for_partnership:
            assert actor.partnership is not None
            mark.partnership_id = actor.partnership.id
            mark.marked_by_id = actor.id
        else:
            mark.user_id = actor.id
        db.add(mark)
    elif mark.status != status or (for_partnership and mark.marked_by_id != actor.id):
        # A new status, or the partnership's mark set again by another of its members:
        # marked now (`marked_at`, the time /admin/analytics counts "marked going" by).
        # The same mark set again by the same member changes nothing.
        mark.status = status
        mark.marked_at = utcnow()
        if for_partnership:
            mark.marked_by_id = actor.id
    db.flush()
    return mark


def attendance_of(db: Session, viewer: User | None, event: Event) -> dict[str, str | None]:
    """The viewer's own mark and their partnership's on `event` ("me", "partnership")."""
    out: dict[str, str | None] = {"me": None, "partnership": None}
    if viewer is None:
        return out
    partnership = viewer.partnership
    for mark in event.attendances:
        if mark.user_id == viewer.id:
            out["me"] = mark.status
        elif partnership is not None and mark.partnership_id == partnership.id:
            out["partnership"] = mark.status
    return out


@dataclass
class WhoIsGoing:
    """Who goes to an event. Partnerships listing the event count as going."""

    partnerships_going: list[Partnership]
    partnerships_interested: list[Partnership]
    members_going: list[User]
    members_interested: list[User]
    listed_by: list[EventPartnership]

    @property
    def partnership_count(self) -> int:
        return len(self.partnerships_going)


def who_is_going(event: Event) -> WhoIsGoing:
    """From an event loaded with its listings and attendances (see `get_event`)."""
    going: dict[int, Partnership] = {row.partnership.id: row.partnership for row in event.listings}
    interested: dict[int, Partnership] = {}
    members_going: list[User] = []
    members_interested: list[User] = []
    for mark in event.attendances:
        if mark.partnership is not None:
            target = going if mark.status == "going" else interested
            target.setdefault(mark.partnership.id, mark.partnership)
        elif mark.user is not None and not mark.user.is_suspended:
            (members_going if mark.status == "going" else members_interested).append(mark.user)
    for pid in going:
        interested.pop(pid, None)

    def by_name(rows: Iterable[Any]) -> list[Any]:
        return sorted(rows, key=lambda x: x.name.casefold())

    return WhoIsGoing(
        partnerships_going=by_name(going.values()),
        partnerships_interested=by_name(interested.values()),
        members_going=by_name(members_going),
        members_interested=by_name(members_interested),
        listed_by=sorted(event.listings, key=lambda r: r.partnership.name.casefold()),
    )


def partnerships_going(db: Session, event_ids: Sequence[int] | None = None) -> dict[int, set[int]]:
    """Event id → ids of the partnerships going (listing it, or marked "going").

    All events when `event_ids` is None. For joint-mission hints and insights.
    """
    out: dict[int, set[int]] = defaultdict(set)
    listed = select(EventPartnership.event_id, EventPartnership.partnership_id)
    marked = select(Attendance.event_id, Attendance.partnership_id).where(
        Attendance.partnership_id.is_not(None), Attendance.status == "going"
    )
    if event_ids is not None:
        listed = listed.where(EventPartnership.event_id.in_(list(event_ids)))
        marked = marked.where(Attendance.event_id.in_(list(event_ids)))
    for event_id, partnership_id in [*db.execute(listed), *db.execute(marked)]:
        if partnership_id is not None:
            out[event_id].add(partnership_id)
    return dict(out)


def attending_events(db: Session, user: User, *, limit: int = 1000) -> list[Event]:
    """The events a member marked going or interested, by first day (the private feed)."""
    stmt = (
        select(Event)
        .join(Attendance, Attendance.event_id == Event.id)
        .where(Attendance.user_id == user.id)
        .order_by(Event.starts_on.asc().nulls_last(), Event.id.asc())
        .limit(limit)
    )
    return list(db.scalars(with_details(stmt)))
