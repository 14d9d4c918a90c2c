"""The email section of /admin/analytics: digests and mail received, week by week.

Digests: deliveries sent (by when they were sent), skipped because there was nothing new
and failed after their retries (by when they were due to go); a digest goes to one
member, so a count from 1 to 4 is withheld. Mail received: posts and threads that came
in by email, and messages refused. Opens are not measured; bounces are not recorded yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from forum.digests.models import DigestDelivery
from forum.inbound.models import InboundMessage
from forum.insights.analytics import Period, withhold_small
from forum.insights.weekly import count_weeks, figures, rollup


@dataclass(frozen=True)
class EmailWeek:
    week: dt.date
    digests_sent: int | None
    digests_skipped: int | None
    digests_failed: int | None
    posted_by_email: int
    refused: int


EMAIL_FIGURES = ("digests_sent", "digests_skipped", "digests_failed", "posted_by_email", "refused")


@rollup("digest_delivery", ("digests_sent", "digests_skipped", "digests_failed"))
def _digests_live(
    db: Session, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[dt.date, int]]:
    status = DigestDelivery.status
    return {
        "digests_sent": count_weeks(db, DigestDelivery.sent_at, start, end, status == "sent"),
        "digests_skipped": count_weeks(
            db, DigestDelivery.window_end, start, end, status == "skipped"
        ),
        "digests_failed": count_weeks(
            db, DigestDelivery.window_end, start, end, status == "failed"
        ),
    }


@rollup("inbound_message", ("posted_by_email", "refused"))
def _inbound_live(
    db: Session, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[dt.date, int]]:
    received, status = InboundMessage.received_at, InboundMessage.status
    return {
        "posted_by_email": count_weeks(db, received, start, end, status.in_(("posted", "thread"))),
        "refused": count_weeks(db, received, start, end, status == "refused"),
    }


def weeks(db: Session, period: Period) -> list[EmailWeek]:
    """Counted in the database; closed weeks read from the weekly rollup when stored."""
    found = {
        **figures(db, "digest_delivery", period.start, period.end),
        **figures(db, "inbound_message", period.start, period.end),
    }
    return [
        EmailWeek(
            w,
            withhold_small(found["digests_sent"].get(w, 0)),
            withhold_small(found["digests_skipped"].get(w, 0)),
            withhold_small(found["digests_failed"].get(w, 0)),
            found["posted_by_email"].get(w, 0),
            found["refused"].get(w, 0),
        )
        for w in period.weeks
    ]
