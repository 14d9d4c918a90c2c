"""Going and interested marks: for oneself, or for one's own partnership only."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.errors import NotAllowed
from forum.events import attendance as event_attendance
from forum.events import service
from forum.events.models import Attendance
from tests.conftest import Client, People, sign_in
from tests.events.conftest import Events, join, make_partnership


def _marks(db: Session) -> list[tuple[int | None, int | None, str]]:
    rows = db.scalars(select(Attendance).order_by(Attendance.id))
    return [(m.user_id, m.partnership_id, m.status) for m in rows]


def test_a_member_marks_going_changes_to_interested_and_clears(
    db: Session, member: User, events: Events
) -> None:
    event = events.make()
    event_attendance.set_attendance(db, member, event, status="going")
    event_attendance.set_attendance(db, member, event, status="interested")
    assert _marks(db) == [(member.id, None, "interested")]
    event_attendance.set_attendance(db, member, event, status="none")
    event_attendance.set_attendance(db, member, event, status="none")  # clearing twice is harmless
    assert _marks(db) == []


def test_a_member_marks_for_their_partnership_and_is_recorded_as_marker(
    db: Session, member: User, other_member: User, events: Events
) -> None:
    event = events.make()
    alpha = make_partnership(db, "Alpha")
    join(db, member, alpha)
    join(db, other_member, alpha)
    event_attendance.set_attendance(db, member, event, status="interested", for_partnership=True)
    mark = event_attendance.set_attendance(
        db, other_member, event, status="going", for_partnership=True
    )
    assert mark is not None and mark.marked_by_id == other_member.id
    assert _marks(db) == [(None, alpha.id, "going")]  # one mark per partnership
    db.expire_all()
    going = event_attendance.who_is_going(service.get_event(db, event.id))
    assert [p.name for p in going.partnerships_going] == ["Alpha"]


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_no_mark_for_a_partnership_one_does_not_belong_to(
    db: Session, member: User, events: Events, status: str
) -> None:
    event = events.make()
    join(db, member, make_partnership(db, "Alpha"), status=status)
    with pytest.raises(NotAllowed, match="belong"):
        event_attendance.set_attendance(db, member, event, status="going", for_partnership=True)
    assert not service.can_mark_for_partnership(member)
    assert _marks(db) == []


def test_visitors_unconfirmed_and_suspended_members_cannot_mark(
    db: Session, people: People, events: Events
) -> None:
    event = events.make()
    unconfirmed = people.make(verified=False)
    suspended = people.make()
    suspended.suspended_at = dt.datetime.now(dt.UTC)
    for who in (None, unconfirmed, suspended):
        with pytest.raises(NotAllowed):
            event_attendance.set_attendance(db, who, event, status="going")
    assert _marks(db) == []


def test_an_unknown_status_is_refused(db: Session, member: User, events: Events) -> None:
    with pytest.raises(service.EventError):
        event_attendance.set_attendance(db, member, events.make(), status="maybe")


def test_the_database_holds_one_mark_per_member_and_event(
    db: Session, member: User, events: Events
) -> None:
    event = events.make()
    db.add(Attendance(event_id=event.id, user_id=member.id, status="going"))
    db.flush()
    twice = Attendance(event_id=event.id, user_id=member.id, status="interested")
    nobody = Attendance(event_id=event.id, status="going")  # neither member nor partnership
    for bad in (twice, nobody):
        with db.begin_nested():
            db.add(bad)
            with pytest.raises(IntegrityError):
                db.flush()
    assert db.scalar(select(func.count()).select_from(Attendance)) == 1


def test_the_event_page_buttons_post_with_csrf_and_mark(
    client: Client, db: Session, member: User, events: Events
) -> None:
    event = events.make()
    alpha = make_partnership(db, "Alpha")
    join(db, member, alpha)
    sign_in(client, db, member)
    page = client.get(f"/events/{event.id}")
    assert page.text.count('name="csrf_token"') >= 5  # logout + 4 attendance forms
    assert "Alpha is going" in page.text
    done = client.post_form(
        f"/events/{event.id}/attendance", {"status": "going", "for": "partnership"}
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    client.post_form(f"/events/{event.id}/attendance", {"status": "interested", "for": "me"})
    assert sorted(_marks(db), key=str) == sorted(
        [(None, alpha.id, "going"), (member.id, None, "interested")], key=str
    )
    shown = client.get(f"/events/{event.id}")
    assert "Alpha is going ✓" in shown.text
    assert 'aria-pressed="true"' in shown.text


def test_pages_refuse_a_partnership_mark_from_a_non_member_and_visitors_are_sent_to_log_in(
    client: Client, db: Session, member: User, events: Events
) -> None:
    event = events.make()
    anonymous = client.post_form(f"/events/{event.id}/attendance", {"status": "going"})
    assert anonymous.status_code == 303  # type: ignore[attr-defined]
    assert anonymous.headers["location"].startswith("/login")  # type: ignore[attr-defined]
    sign_in(client, db, member)
    refused = client.post_form(
        f"/events/{event.id}/attendance", {"status": "going", "for": "partnership"}
    )
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "belong" in refused.text  # type: ignore[attr-defined]
    bad = client.post_form(f"/events/{event.id}/attendance", {"status": "maybe"})
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert client.post_form("/events/999999/attendance", {"status": "going"}).status_code == 404  # type: ignore[attr-defined]
    assert _marks(db) == []


def test_without_a_csrf_token_nothing_is_marked(
    client: Client, db: Session, member: User, events: Events
) -> None:
    event = events.make()
    sign_in(client, db, member)
    client.csrf_token()
    refused = client.post(f"/events/{event.id}/attendance", data={"status": "going"})
    assert refused.status_code == 403
    assert _marks(db) == []
