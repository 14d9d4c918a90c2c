"""The email figures of /admin/analytics from scripted activity: members unsubscribe through
their digest's link, addresses bounce (a delivery report), immediate emails are sent or held
back, mail is refused; each figure on the page, in the CSV and in the API equals a count the
test takes from the database (or from what it scripted)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.digests.models import DigestDelivery
from forum.digests.tokens import unsubscribe_token
from forum.discussions.models import Post
from forum.inbound import service as inbound
from forum.inbound.models import InboundMessage
from forum.insights import analytics_email as email
from forum.notifications import tally
from forum.notifications.models import EmailSettings, EmailTally, Notification
from tests.conftest import TEST_SECRET, Client, Outbox, People, Threads, sign_in
from tests.inbound.test_receive import DSN
from tests.insights.test_insights import table

FEWER = "fewer than 5"
DOMAIN = "in.forum.example"


@pytest.fixture
def cookieless(app: FastAPI) -> Iterator[TestClient]:
    """A mail provider's one-click POST: no cookies, no session."""
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def _bounce(db: Session, settings: Settings, user: User, n: int) -> None:
    report = DSN.format(domain=DOMAIN, address=user.email).replace("<dsn1@", f"<dsn-{n}@")
    raw = report.replace("\n", "\r\n").encode()
    inbound_settings = settings.model_copy(update={"inbound_domain": DOMAIN})
    assert inbound.receive(db, inbound_settings, raw, via="inbox").reason == "bounce"


def _this_week(db: Session, column: object, *where: object) -> int:
    now = utcnow()
    monday = dt.datetime.combine(now.date() - dt.timedelta(days=now.weekday()), dt.time(), dt.UTC)
    return int(
        db.scalar(
            select(func.count()).where(column >= monday, column <= now, *where)  # type: ignore[operator]
        )
        or 0
    )


def _shown(n: int) -> str:
    return FEWER if 0 < n < 5 else str(n)


def test_email_figures_from_scripted_activity(
    client: Client,
    cookieless: TestClient,
    db: Session,
    admin: User,
    people: People,
    threads: Threads,
    settings: Settings,
    outbox: Outbox,
) -> None:
    now = utcnow()
    readers = [people.make(name=f"Reader {i}", email=f"reader{i}@example.eu") for i in range(6)]
    for i, reader in enumerate(readers):
        reader.digest_frequency = "weekly"
        db.add(
            DigestDelivery(
                user_id=reader.id, period=now.date(), frequency="weekly", status="sent",
                window_start=now - dt.timedelta(days=7), window_end=now,
                message_id=f"<digest-{i}@example.eu>", sent_at=now,
            )
        )  # fmt: skip
    db.commit()
    # Five of the six unsubscribe by their digest's one-click link; one clicks twice.
    for reader in readers[:5]:
        token = unsubscribe_token(TEST_SECRET, reader.id)
        assert (
            cookieless.post(
                f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
            ).status_code
            == 200
        )
    token = unsubscribe_token(TEST_SECRET, readers[0].id)
    assert (
        cookieless.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}).status_code
        == 200
    )
    db.expire_all()
    # Two addresses bounce (one reported twice: counted once).
    _bounce(db, settings, readers[4], 1)
    _bounce(db, settings, readers[5], 2)
    _bounce(db, settings, readers[5], 3)
    # Immediate emails: the author of a thread turned replies off; another wants them.
    quiet, keen, replier = (
        people.make(name="Quinn Quiet"),
        people.make(name="Kim Keen"),
        people.make(),
    )
    db.add(EmailSettings(user_id=quiet.id, notify_replies=False))
    quiet_thread, keen_thread = (
        threads.start(quiet, title="Quiet"),
        threads.start(keen, title="Keen"),
    )
    for i in range(5):
        threads.reply(replier, quiet_thread, f"Reply {i} for the quiet one.")
        threads.reply(replier, keen_thread, f"Reply {i} for the keen one.")
    db.commit()
    outbox.deliver()
    db.expire_all()

    sign_in(client, db, admin)
    page = client.get("/admin/analytics")
    assert page.status_code == 200
    digests = dict(
        zip(["week", *email.DIGEST_FIGURES], table(page.text, "email-table")[-1], strict=True)
    )
    posting = dict(
        zip(["week", *email.POSTING_FIGURES], table(page.text, "posting-table")[-1], strict=True)
    )

    unsubscribed = _this_week(db, EmailSettings.unsubscribed_at)
    bounced = _this_week(db, EmailSettings.bouncing_at)
    recipients = len(readers)
    assert (unsubscribed, bounced) == (5, 2)
    assert digests["unsubscribed"] == "5"
    assert digests["unsubscribe_share"] == f"{round(100 * unsubscribed / recipients)}%"
    assert digests["bounced"] == _shown(bounced) == FEWER
    sent = _this_week(db, Notification.emailed_at)
    held = len(
        db.scalars(
            select(Notification.id).where(
                Notification.user_id == quiet.id, Notification.emailed_at.is_(None)
            )
        ).all()
    )
    assert (sent, held) == (5, 5)
    assert posting["immediate_sent"] == "5" and posting["immediate_held"] == "5"
    emailed_posts = select(InboundMessage.post_id).where(InboundMessage.post_id.is_not(None))
    assert posting["posted_on_web"] == str(
        _this_week(db, Post.created_at, Post.id.not_in(emailed_posts))
    )
    refused = _this_week(db, InboundMessage.received_at, InboundMessage.status == "refused")
    assert posting["refused"] == str(refused) == "3"
    # By reason: the three delivery reports.
    assert table(page.text, "refusals-table") == [
        ["Delivery report: the address was marked bouncing", "3"]
    ]

    rows = list(csv.reader(io.StringIO(client.get("/admin/analytics/email.csv").text)))
    assert rows[0] == ["week", *email.EMAIL_FIGURES]
    last = dict(zip(rows[0], rows[-1], strict=True))
    assert last["unsubscribed"] == "5" and last["bounced"] == FEWER
    assert float(last["unsubscribe_share"]) == pytest.approx(5 / 6, abs=1e-4)
    assert last["immediate_held"] == "5"
    reasons = list(csv.reader(io.StringIO(client.get("/admin/analytics/refusals.csv").text)))
    assert reasons == [
        ["reason", "label", "refused"],
        ["bounce", "Delivery report: the address was marked bouncing", "3"],
    ]

    token, _ = create_api_token(db, admin, name="analytics")
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    api = client.get("/api/v1/admin/analytics/email", headers=headers).json()["rows"][-1]
    assert (api["unsubscribed"], api["bounced"], api["immediate_held"]) == (5, None, 5)
    api_reasons = client.get("/api/v1/admin/analytics/refusals", headers=headers).json()["rows"]
    assert api_reasons == [{"reason": "bounce", "refused": 3}]


def test_the_tally_counts_per_week_without_a_member(db: Session) -> None:
    monday = dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC)
    for moment in (monday, monday + dt.timedelta(days=6, hours=14), monday + dt.timedelta(days=7)):
        tally.count(db, "bounced", now=moment)
    db.flush()
    rows = {(r.week, r.figure): r.count for r in db.scalars(select(EmailTally))}
    assert rows == {
        (dt.date(2026, 11, 30), "bounced"): 2,
        (dt.date(2026, 12, 7), "bounced"): 1,
    }
    assert {c.name for c in EmailTally.__table__.columns} == {"week", "figure", "count"}
