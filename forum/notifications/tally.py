"""Counting what happens to email, week by week, without knowing to whom.

`count(db, figure)` adds one to this week's `email_tally` row for `figure`, inside the
caller's transaction: the count is committed with what it counts (an address marked
bouncing, a digest unsubscribed, an immediate email held back) and rolled back with it.
/admin/analytics reads the rows (`forum.insights.analytics_email`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forum.core.db import utcnow
from forum.core.weeks import monday_of
from forum.notifications.models import EmailTally

FIGURES = (
    "bounced",  # an address newly marked bouncing (SMTP 5xx or a delivery report)
    "unsubscribed",  # a digest turned off through its unsubscribe link
    "immediate_off",  # an immediate email not sent: the member turned that kind off
    "immediate_capped",  # not sent: the member's day's cap was reached
    "immediate_bouncing",  # not sent: the member's address is bouncing
)


def count(db: Session, figure: str, *, now: dt.datetime | None = None) -> None:
    """One more `figure` this week. Flushes, never commits."""
    assert figure in FIGURES, figure
    week = monday_of(now or utcnow())
    bump = (
        update(EmailTally)
        .where(EmailTally.week == week, EmailTally.figure == figure)
        .values(count=EmailTally.count + 1)
        .execution_options(synchronize_session=False)
    )
    if db.execute(bump).rowcount:  # type: ignore[attr-defined]
        return
    try:
        with db.begin_nested():
            db.execute(insert(EmailTally).values(week=week, figure=figure, count=1))
    except IntegrityError:  # another transaction wrote the week's first one meanwhile
        db.execute(bump)
