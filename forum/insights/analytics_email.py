"""The email section of /admin/analytics: digests, mail received and immediate emails,
week by week.

Digests: deliveries sent (by when they were sent), skipped because there was nothing new
and failed after their retries (by when they were due to go); addresses newly marked
bouncing; digests unsubscribed through their link, and that count's share of the members
sent a digest that week. A digest, a bounce and an unsubscription concern one member, so a
count from 1 to 4 is withheld (and the share with it).

Posting: posts written on the web and received by email, mail refused (and, for the
period, refused by reason). Immediate emails: sent, and held back (the member turned that
kind off, the day's cap was reached, or the address is bouncing), each concerning one
member. Opens are not measured. Bounces, unsubscriptions and held-back emails come from
`email_tally` (`forum.notifications.tally`), counted as they happen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.digests.models import DigestDelivery
from forum.inbound.models import InboundMessage
from forum.insights.analytics import Period, withhold_small
from forum.insights.weekly import Counted, as_monday, count_weeks, figures, rollup, week_in
from forum.notifications.models import EmailTally, Notification

RECEIVED = ("posted", "thread")  # inbound statuses that made a post


@dataclass(frozen=True)
class EmailWeek:
    week: dt.date
    digests_sent: int | None
    digests_skipped: int | None
    digests_failed: int | None
    bounced: int | None
    unsubscribed: int | None
    unsubscribe_share: float | None  # unsubscribed / members sent a digest; None if withheld
    posted_on_web: int
    posted_by_email: int
    refused: int
    immediate_sent: int | None
    immediate_held: int | None


DIGEST_FIGURES = (
    "digests_sent",
    "digests_skipped",
    "digests_failed",
    "bounced",
    "unsubscribed",
    "unsubscribe_share",
)
POSTING_FIGURES = (
    "posted_on_web",
    "posted_by_email",
    "refused",
    "immediate_sent",
    "immediate_held",
)
EMAIL_FIGURES = DIGEST_FIGURES + POSTING_FIGURES
HELD = ("immediate_off", "immediate_capped", "immediate_bouncing")


def _tallies(db: Session, period: Period) -> dict[tuple[dt.date, str], int]:
    weeks = period.weeks
    rows = db.execute(
        select(EmailTally.week, EmailTally.figure, EmailTally.count).where(
            EmailTally.week >= weeks[0], EmailTally.week <= weeks[-1]
        )
    )
    return {(week, figure): n for week, figure, n in rows}


def _share(unsubscribed: int | None, recipients: int) -> float | None:
    """Unsubscriptions per member sent a digest; None when withheld or nobody was sent one."""
    if unsubscribed is None or not recipients:
        return None
    return unsubscribed / recipients


# Not additive: the members sent a digest are distinct people (the unsubscribe share's base).
@rollup(
    "digest_delivery",
    ("digests_sent", "digests_skipped", "digests_failed", "digest_recipients"),
    additive=False,
)
def _digests_live(
    db: Session, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[dt.date, int]]:
    """Two statements: those sent and their members by when sent, the skipped and the
    failed by when due (each from its index by time)."""
    status = DigestDelivery.status
    sent_week = week_in(DigestDelivery.sent_at, start, end)
    due_week = week_in(DigestDelivery.window_end, start, end)
    out: dict[str, dict[dt.date, int]] = {
        "digests_sent": {},
        "digests_skipped": {},
        "digests_failed": {},
        "digest_recipients": {},
    }
    for week, sent, people in db.execute(
        select(sent_week, func.count(), func.count(DigestDelivery.user_id.distinct()))
        .where(DigestDelivery.sent_at >= start, DigestDelivery.sent_at < end, status == "sent")
        .group_by(sent_week)
    ):
        out["digests_sent"][as_monday(week)] = int(sent)
        out["digest_recipients"][as_monday(week)] = int(people)
    for week, kind, n in db.execute(
        select(due_week, status, func.count())
        .where(
            DigestDelivery.window_end >= start,
            DigestDelivery.window_end < end,
            status.in_(("skipped", "failed")),
        )
        .group_by(due_week, status)
    ):
        out[f"digests_{kind}"][as_monday(week)] = int(n)
    return out


@rollup("inbound_message", ("posted_by_email", "refused"))
def _inbound_live(
    db: Session, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[dt.date, int]]:
    received, status = InboundMessage.received_at, InboundMessage.status
    return {
        "posted_by_email": count_weeks(db, received, start, end, status.in_(RECEIVED)),
        "refused": count_weeks(db, received, start, end, status == "refused"),
    }


def weeks(db: Session, period: Period, counted: Counted | None = None) -> list[EmailWeek]:
    """Counted in the database; closed weeks read from the weekly rollup when stored.
    Posts written on the web are every post of the week (a reply, or a thread's opening
    post) less those made from a received message. `counted`: the sources the request
    counted already (`weekly.figures`)."""
    start, end = period.bounds()
    found = {}
    for source in ("digest_delivery", "inbound_message", "thread", "post"):
        found.update(figures(db, source, period.start, period.end, counted=counted))
    recipients = found["digest_recipients"]
    immediate = count_weeks(db, Notification.emailed_at, start, end)
    tallies = _tallies(db, period)
    out = []
    for w in period.weeks:
        unsubscribed = withhold_small(tallies.get((w, "unsubscribed"), 0))
        posts = sum(found[f].get(w, 0) for f in ("threads", "good_practices", "replies"))
        by_email = found["posted_by_email"].get(w, 0)
        out.append(
            EmailWeek(
                w,
                withhold_small(found["digests_sent"].get(w, 0)),
                withhold_small(found["digests_skipped"].get(w, 0)),
                withhold_small(found["digests_failed"].get(w, 0)),
                withhold_small(tallies.get((w, "bounced"), 0)),
                unsubscribed,
                _share(unsubscribed, recipients.get(w, 0)),
                max(posts - by_email, 0),
                by_email,
                found["refused"].get(w, 0),
                withhold_small(immediate.get(w, 0)),
                withhold_small(sum(tallies.get((w, held), 0) for held in HELD)),
            )
        )
    return out


def refusals(db: Session, period: Period) -> list[tuple[str, int]]:
    """(reason code, messages refused for it) over the period, the most frequent first."""
    start, end = period.bounds()
    n = func.count().label("n")
    rows = db.execute(
        select(InboundMessage.reason, n)
        .where(
            InboundMessage.status == "refused",
            InboundMessage.received_at >= start,
            InboundMessage.received_at < end,
        )
        .group_by(InboundMessage.reason)
        .order_by(n.desc(), InboundMessage.reason)
    )
    return [(reason or "", count) for reason, count in rows]
