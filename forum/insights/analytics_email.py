"""The email section of /admin/analytics: digests and mail received, week by week.

Digests: deliveries sent (by when they were sent), skipped because there was nothing new
and failed after their retries (by when they were due to go); a digest goes to one
member, so a count from 1 to 4 is withheld. Mail received: posts and threads that came
in by email, and messages refused. Opens are not measured; bounces are not recorded yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.digests.models import DigestDelivery
from forum.inbound.models import InboundMessage
from forum.insights.analytics import Period, count_by_week, withhold_small


@dataclass(frozen=True)
class EmailWeek:
    week: dt.date
    digests_sent: int | None
    digests_skipped: int | None
    digests_failed: int | None
    posted_by_email: int
    refused: int


EMAIL_FIGURES = ("digests_sent", "digests_skipped", "digests_failed", "posted_by_email", "refused")


def weeks(db: Session, period: Period) -> list[EmailWeek]:
    start, end = period.bounds()

    def by_week(column: Any, *where: Any) -> dict[dt.date, int]:
        return count_by_week(
            db.scalars(select(column).where(column >= start, column < end, *where))
        )

    sent = by_week(DigestDelivery.sent_at, DigestDelivery.status == "sent")
    skipped = by_week(DigestDelivery.window_end, DigestDelivery.status == "skipped")
    failed = by_week(DigestDelivery.window_end, DigestDelivery.status == "failed")
    posted = by_week(InboundMessage.received_at, InboundMessage.status.in_(("posted", "thread")))
    refused = by_week(InboundMessage.received_at, InboundMessage.status == "refused")
    return [
        EmailWeek(
            w,
            withhold_small(sent.get(w, 0)),
            withhold_small(skipped.get(w, 0)),
            withhold_small(failed.get(w, 0)),
            posted.get(w, 0),
            refused.get(w, 0),
        )
        for w in period.weeks
    ]
