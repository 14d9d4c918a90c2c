"""The one activity record of a member (forum/accounts/sessions.py, `touch`): last seen,
written at most every 5 minutes, and the end of the previous visit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event
from sqlalchemy.orm import Session

from forum.accounts import sessions
from forum.accounts.models import User
from forum.core.db import utcnow
from tests.conftest import Client, sign_in


def test_last_seen_is_written_at_most_every_five_minutes(member: User) -> None:
    start = utcnow()
    assert sessions.touch(member, start)
    assert not sessions.touch(member, start + dt.timedelta(minutes=4))
    assert member.last_seen_at == start
    assert sessions.touch(member, start + dt.timedelta(minutes=6))
    assert member.last_seen_at == start + dt.timedelta(minutes=6)


def test_a_visit_after_thirty_minutes_away_keeps_the_previous_one_as_its_boundary(
    member: User,
) -> None:
    first = utcnow() - dt.timedelta(hours=5)
    member.last_seen_at = member.previous_seen_at = None
    sessions.touch(member, first)
    assert member.previous_seen_at is None, "a first visit has nothing before it"
    sessions.touch(member, first + dt.timedelta(minutes=20))
    assert member.previous_seen_at is None, "20 minutes later: the same visit"
    later = first + dt.timedelta(hours=3)
    sessions.touch(member, later)
    assert member.previous_seen_at == first + dt.timedelta(minutes=20)
    sessions.touch(member, later + dt.timedelta(minutes=10))
    assert member.previous_seen_at == first + dt.timedelta(minutes=20), "stable in a visit"


def test_page_views_write_the_member_row_once_in_five_minutes(
    client: Client, db: Session, member: User
) -> None:
    sign_in(client, db, member)
    writes: list[str] = []

    def spy(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE USER_ACCOUNT"):
            writes.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", spy)
    try:
        for _ in range(3):
            assert client.get("/discussions").status_code == 200
        assert writes == [], "signed in just now: nothing to write"
        member.last_seen_at = utcnow() - dt.timedelta(minutes=6)
        db.flush()
        writes.clear()
        for _ in range(3):
            assert client.get("/discussions").status_code == 200
        assert len(writes) == 1
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    db.refresh(member)
    assert member.last_seen_at is not None
    assert utcnow() - member.last_seen_at < dt.timedelta(minutes=1)
