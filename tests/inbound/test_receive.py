"""A reply by email becomes a post through the web's rules; every refusal posts nothing,
is recorded with its reason, and tells the member (never an unverified From) at most once
an hour; automatic mail and bounces cause no email at all."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.jobs import Job
from forum.core.outbox import SearchOutbox
from forum.discussions.models import Post, Thread
from forum.inbound.models import InboundMessage, PendingThread
from forum.inbound.service import receive, revoke_reply_addresses
from forum.notifications.models import EmailSettings, Notification
from forum.notifications.reply_address import TOKEN_LIFETIME
from tests.conftest import Outbox, Threads
from tests.inbound.conftest import AUTHSERV, DOMAIN, address_for, mail


def _opening(db: Session, thread: Thread) -> Post:
    return db.scalars(select(Post).where(Post.thread_id == thread.id, Post.is_opening)).one()


def _posts(db: Session, thread: Thread) -> int:
    return db.scalar(select(func.count()).where(Post.thread_id == thread.id)) or 0


def _emails(db: Session) -> int:
    return db.scalar(select(func.count()).where(Job.kind == "send-email")) or 0


@pytest.fixture
def thread(threads: Threads, member: User) -> Thread:
    return threads.start(member)


def test_a_reply_by_email_is_posted_under_the_post_with_notification_and_search(
    db: Session, settings: Settings, member: User, other_member: User, thread: Thread
) -> None:
    opening = _opening(db, thread)
    raw = mail(other_member.email, address_for(other_member.id, opening.id),
               "FOODEX Japan, in March. @nobody\n\nOn Mon, 7 Dec 2026 at 10:15, A <a@b.c> wrote:\n> old")  # fmt: skip
    outcome = receive(db, settings, raw, via="inbox")
    assert outcome.status == "posted"
    post = db.get(Post, outcome.post_id)
    assert post is not None
    assert post.author_id == other_member.id and post.thread_id == thread.id
    assert post.body == "FOODEX Japan, in March. @nobody"
    note = db.scalar(select(Notification).where(Notification.post_id == post.id))
    assert note is not None and note.user_id == member.id and note.kind == "reply"
    assert db.scalar(select(SearchOutbox).where(SearchOutbox.doc_id == f"post:{post.id}"))
    record = db.scalar(select(InboundMessage).where(InboundMessage.post_id == post.id))
    assert record is not None and record.status == "posted"


def test_a_message_id_seen_before_is_ignored(
    db: Session, settings: Settings, other_member: User, thread: Thread
) -> None:
    raw = mail(other_member.email, address_for(other_member.id, _opening(db, thread).id))
    assert receive(db, settings, raw, via="inbox").status == "posted"
    assert receive(db, settings, raw, via="lmtp").status == "duplicate"
    assert _posts(db, thread) == 2


def _refused(db: Session, settings: Settings, raw: bytes, reason: str, **kw: object) -> None:
    outcome = receive(db, settings, raw, via="inbox", **kw)  # type: ignore[arg-type]
    assert (outcome.status, outcome.reason) == ("refused", reason)
    record = db.scalar(select(InboundMessage).order_by(InboundMessage.id.desc()))
    assert record is not None and record.reason == reason


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
    ],
)
def test_automatic_answers_post_nothing_and_cause_no_email(
    db: Session, settings: Settings, other_member: User, thread: Thread, headers: dict[str, str]
) -> None:
    raw = mail(other_member.email, address_for(other_member.id, _opening(db, thread).id),
               headers=headers)  # fmt: skip
    _refused(db, settings, raw, "auto-reply")
    assert _posts(db, thread) == 1 and _emails(db) == 0


@pytest.mark.parametrize(
    "subject", ["Out of Office: back on Monday", "Abwesenheitsnotiz", "Réponse automatique"]
)
def test_out_of_office_subjects_are_automatic_answers(
    db: Session, settings: Settings, other_member: User, thread: Thread, subject: str
) -> None:
    raw = mail(other_member.email, address_for(other_member.id, _opening(db, thread).id),
               subject=subject)  # fmt: skip
    _refused(db, settings, raw, "auto-reply")
    assert _emails(db) == 0


DSN = """From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: reply+x@{domain}
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn1@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system. Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; {address}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B--
"""


def test_a_bounce_marks_the_address_bouncing_and_causes_no_email(
    db: Session, settings: Settings, member: User
) -> None:
    raw = DSN.format(domain=DOMAIN, address=member.email).replace("\n", "\r\n").encode()
    _refused(db, settings, raw, "bounce")
    row = db.get(EmailSettings, member.id)
    assert row is not None and row.bouncing_at is not None
    assert _emails(db) == 0


def test_our_own_mail_coming_back_is_a_loop(
    db: Session, settings: Settings, other_member: User, thread: Thread
) -> None:
    to = address_for(other_member.id, _opening(db, thread).id)
    _refused(db, settings, mail(other_member.email, to, message_id="<abc@testserver>"), "loop")
    _refused(db, settings, mail(settings.mail_from, to), "loop")
    assert _emails(db) == 0


def test_a_forged_token_posts_nothing_and_tells_nobody(
    db: Session, settings: Settings, other_member: User, thread: Thread
) -> None:
    good = address_for(other_member.id, _opening(db, thread).id)
    forged = good.replace(good[good.index("@") - 3 : good.index("@")], "000")
    _refused(db, settings, mail(other_member.email, forged), "bad-token")
    other_secret = address_for(other_member.id, _opening(db, thread).id, secret="not-ours")
    _refused(db, settings, mail(other_member.email, other_secret), "bad-token")
    _refused(db, settings, mail(other_member.email, f"someone@{DOMAIN}"), "unknown-address")
    assert _posts(db, thread) == 1 and _emails(db) == 0


def test_an_expired_token_is_refused_and_the_member_told(
    db: Session, settings: Settings, other_member: User, thread: Thread, outbox: Outbox
) -> None:
    raw = mail(other_member.email, address_for(other_member.id, _opening(db, thread).id))
    later = utcnow() + TOKEN_LIFETIME + dt.timedelta(days=1)
    _refused(db, settings, raw, "expired-token", now=later)
    db.commit()
    told = outbox.to(other_member.email)
    assert len(told) == 1 and told[0]["Auto-Submitted"] == "auto-replied"
    assert "expired" in told[0].get_body(("plain",)).get_content()


def test_a_revoked_token_is_refused(
    db: Session, settings: Settings, other_member: User, thread: Thread
) -> None:
    raw = mail(other_member.email, address_for(other_member.id, _opening(db, thread).id))
    revoke_reply_addresses(db, other_member.id, now=utcnow() + dt.timedelta(minutes=1))
    _refused(db, settings, raw, "revoked-token")
    assert _posts(db, thread) == 1


def test_a_from_that_is_not_the_token_owners_address_is_refused_and_only_the_owner_told(
    db: Session, settings: Settings, other_member: User, thread: Thread, outbox: Outbox
) -> None:
    raw = mail("intruder@example.net", address_for(other_member.id, _opening(db, thread).id))
    _refused(db, settings, raw, "wrong-sender")
    db.commit()
    assert [m["To"] for m in outbox.messages()] == [other_member.email]


def test_dmarc_failing_at_our_mta_is_refused(
    db: Session, settings: Settings, other_member: User, thread: Thread
) -> None:
    raw = mail(other_member.email, address_for(other_member.id, _opening(db, thread).id),
               headers={"Authentication-Results": f"{AUTHSERV}; dmarc=fail header.from=example.eu"})  # fmt: skip
    _refused(db, settings, raw, "dmarc-fail")
    assert _posts(db, thread) == 1


def test_an_oversize_message_is_refused(
    db: Session, settings: Settings, other_member: User, thread: Thread
) -> None:
    small = settings.model_copy(update={"inbound_max_bytes": 2048})
    raw = mail(other_member.email, address_for(other_member.id, _opening(db, thread).id),
               "word " * 1000)  # fmt: skip
    _refused(db, small, raw, "too-large")
    assert _posts(db, thread) == 1


def test_a_locked_thread_takes_no_reply_by_email(
    db: Session, settings: Settings, other_member: User, thread: Thread
) -> None:
    thread.locked = True
    db.flush()
    raw = mail(other_member.email, address_for(other_member.id, _opening(db, thread).id))
    _refused(db, settings, raw, "not-allowed")
    assert _posts(db, thread) == 1


def test_a_hidden_thread_or_a_removed_post_takes_no_reply_by_email(
    db: Session, settings: Settings, other_member: User, member: User, threads: Threads,
    thread: Thread,
) -> None:  # fmt: skip
    answered = threads.reply(member, thread, "A reply to answer.")
    answered.deleted_at = utcnow()
    db.flush()
    _refused(db, settings, mail(other_member.email, address_for(other_member.id, answered.id)),
             "gone")  # fmt: skip
    thread.hidden_at = utcnow()
    db.flush()
    raw = mail(other_member.email, address_for(other_member.id, _opening(db, thread).id))
    _refused(db, settings, raw, "gone")
    assert _posts(db, thread) == 2


def test_a_suspended_member_cannot_reply_by_email(
    db: Session, settings: Settings, other_member: User, thread: Thread
) -> None:
    other_member.suspended_at = utcnow()
    db.flush()
    raw = mail(other_member.email, address_for(other_member.id, _opening(db, thread).id))
    _refused(db, settings, raw, "not-allowed")


def test_the_member_is_told_at_most_once_an_hour(
    db: Session, settings: Settings, other_member: User, thread: Thread, outbox: Outbox
) -> None:
    to = address_for(other_member.id, _opening(db, thread).id)
    for _ in range(3):
        _refused(db, settings, mail("intruder@example.net", to), "wrong-sender")
    db.commit()
    assert len(outbox.to(other_member.email)) == 1


def test_refused_attachments_are_named_to_the_member(
    db: Session, settings: Settings, other_member: User, thread: Thread, outbox: Outbox
) -> None:
    from email import message_from_bytes, policy

    raw = mail(other_member.email, address_for(other_member.id, _opening(db, thread).id))
    message = message_from_bytes(raw, policy=policy.default)
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf",
                           filename="brochure.pdf")  # fmt: skip
    outcome = receive(db, settings, bytes(message), via="inbox")
    assert outcome.status == "posted"
    db.commit()
    told = outbox.to(other_member.email)
    assert len(told) == 1 and "brochure.pdf" in told[0].get_body(("plain",)).get_content()


# --- starting a thread by email ------------------------------------------------------------------


def _category_mail(user: User, auth: list[str]) -> bytes:
    headers = {}
    raw = mail(user.email, f"category+market-intelligence@{DOMAIN}", "Who goes to FOODEX?",
               subject="FOODEX Japan 2027", headers=headers)  # fmt: skip
    # Authentication-Results headers as MTAs prepend them: the first one is the topmost.
    lines = "".join(f"Authentication-Results: {a}\r\n" for a in auth).encode()
    return lines + raw


def test_a_category_mail_with_dkim_passing_at_our_mta_opens_a_thread(
    db: Session, settings: Settings, member: User, categories: object
) -> None:
    raw = _category_mail(member, [f"{AUTHSERV}; dkim=pass header.d={member.email.split('@')[1]}"])
    outcome = receive(db, settings, raw, via="lmtp")
    assert outcome.status == "thread"
    thread = db.scalar(select(Thread).where(Thread.title == "FOODEX Japan 2027"))
    assert thread is not None and thread.author_id == member.id


@pytest.mark.parametrize(
    "auth",
    [
        [],
        ["mx.attacker.example; dmarc=pass header.from=example.eu"],
        [f"{AUTHSERV}; dmarc=none", f"{AUTHSERV}; dmarc=pass header.from=example.eu"],
        [f"{AUTHSERV}; dkim=pass header.d=attacker.example"],
    ],
)
def test_a_forged_or_missing_authentication_result_does_not_open_a_thread(
    db: Session, settings: Settings, member: User, categories: object, outbox: Outbox,
    auth: list[str],
) -> None:  # fmt: skip
    outcome = receive(db, settings, _category_mail(member, auth), via="lmtp")
    assert outcome.status == "pending"
    assert db.scalar(select(Thread).where(Thread.title == "FOODEX Japan 2027")) is None
    db.commit()
    link = outbox.last_link(member.email, "/inbound/confirm/")
    assert link.startswith("/inbound/confirm/")


def test_a_category_mail_from_no_member_answers_nobody(
    db: Session, settings: Settings, categories: object
) -> None:
    raw = mail("stranger@example.net", f"category+market-intelligence@{DOMAIN}")
    _refused(db, settings, raw, "unknown-sender")
    assert _emails(db) == 0
    assert db.scalar(select(func.count()).select_from(PendingThread)) == 0
