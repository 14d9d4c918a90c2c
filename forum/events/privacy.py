"""What events add to "download my data" and "delete my account".

The download holds the events the member added, their own "going"/"interested" marks,
the marks they set for their partnership, their private calendar feed (when it was
made and last read; never its secret), and the weeks they marked going in (`going_weeks`,
kept equal to the marks by triggers). Marks, their weeks and the feed are personal: they
go with the account whatever happens to the content (a partnership's mark stays, without
who set it, and so without their week). The events the member added are content:
kept under "Former member", or deleted with the account, and so gone from their pages,
from search (the outbox queues their removal), from the iCal feeds and from digests.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from forum.accounts.models import User
from forum.core.outbox import queue_document
from forum.core.privacy import register_eraser, register_exporter
from forum.discussions.models import Flag
from forum.events.models import Attendance, CalendarToken, Event, GoingWeek


def _mark(mark: Attendance) -> dict[str, Any]:
    return {
        "id": mark.id,
        "event_id": mark.event_id,
        "event": mark.event.name,
        "url": mark.event.url_path,
        "status": mark.status,
        "partnership": mark.partnership.name if mark.partnership else None,
        "created_at": mark.created_at,
        "marked_at": mark.marked_at,
    }


def export_events(db: Session, user: User) -> dict[str, Any]:
    """The member's events, attendance marks and calendar feed."""
    created = db.scalars(
        select(Event)
        .where(Event.created_by_id == user.id)
        .order_by(Event.id)
        .options(selectinload(Event.sectors), selectinload(Event.listings))
    )
    own = db.scalars(
        select(Attendance)
        .where(Attendance.user_id == user.id)
        .order_by(Attendance.id)
        .options(selectinload(Attendance.event))
    )
    for_partnership = db.scalars(
        select(Attendance)
        .where(Attendance.marked_by_id == user.id)
        .order_by(Attendance.id)
        .options(selectinload(Attendance.event), selectinload(Attendance.partnership))
    )
    feed = db.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id))
    return {
        "created": [
            {
                "id": event.id,
                "url": event.url_path,
                "name": event.name,
                "description": event.description,
                "website": event.url,
                "organiser": event.organiser,
                "city": event.city,
                "country": event.country_code,
                "place": event.location_text,
                "starts_on": event.starts_on,
                "ends_on": event.ends_on,
                "date_text": event.date_text,
                "sectors": [s.slug for s in event.sectors],
                "partnerships": [listing.partnership_id for listing in event.listings],
                "created_at": event.created_at,
                "updated_at": event.updated_at,
            }
            for event in created
        ],
        "attendance": [_mark(mark) for mark in own],
        "partnership_marks": [_mark(mark) for mark in for_partnership],
        "calendar_feed": None
        if feed is None
        else {"id": feed.id, "created_at": feed.created_at, "last_used_at": feed.last_used_at},
        # The Mondays of the weeks they marked going (the analytics' members taking part).
        "going_weeks": [
            {"week": week}
            for week in db.scalars(
                select(GoingWeek.week).where(GoingWeek.user_id == user.id).order_by(GoingWeek.week)
            )
        ],
    }


def erase_events(db: Session, user: User, *, keep_content: bool) -> bool:
    """Marks and the calendar feed go; the events the member added stay or go with the
    content. Answers whether kept content still points at the user row."""
    created = list(db.scalars(select(Event).where(Event.created_by_id == user.id)))
    if not keep_content:
        event_ids = [event.id for event in created]
        for event in created:
            queue_document(db, f"event:{event.id}", "delete")
            db.delete(event)  # with its listings and everyone's marks
        if event_ids:
            db.execute(
                delete(Flag).where(Flag.object_type == "event", Flag.object_id.in_(event_ids))
            )
        db.flush()
    for stmt in (
        delete(Attendance).where(Attendance.user_id == user.id),
        # A partnership's mark is the partnership's: it stays, without who set it.
        update(Attendance).where(Attendance.marked_by_id == user.id).values(marked_by_id=None),
        delete(CalendarToken).where(CalendarToken.user_id == user.id),
    ):
        db.execute(stmt.execution_options(synchronize_session="fetch"))
    return keep_content and bool(created)


def register() -> None:
    """Add events to the privacy registries (`forum.plugins` calls it once)."""
    register_exporter(
        "events",
        export_events,
        covers={
            "event.created_by_id": "created",
            "event_attendance.user_id": "attendance",
            "event_attendance.marked_by_id": "partnership_marks",
            "calendar_token.user_id": "calendar_feed",
            "member_going_week.user_id": "going_weeks",
        },
    )
    register_eraser("events", erase_events, keeps={"event.created_by_id"})
