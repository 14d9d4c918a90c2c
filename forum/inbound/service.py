"""Receiving one message: the one code path behind `forum mail receive`, `forum mail
serve` and the inbox folder. A reply becomes a post through the discussions' own
`writes.reply` (the web's rules: permissions, lock, hidden thread, suspension, new-member
limits, sanitising, mentions, notifications, search outbox); a new thread goes through
`writes.create_thread`. Whatever happens is recorded (`InboundMessage`), once per
Message-ID. Services flush; the caller commits."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.accounts.service import get_user_by_email
from forum.core import i18n
from forum.core.config import Settings
from forum.core.db import transaction, utcnow
from forum.core.errors import Invalid, NotAllowed, NotFound
from forum.core.mail import queue_email
from forum.core.pagination import Page
from forum.core.text import clean_line
from forum.discussions import writes
from forum.discussions.models import Category
from forum.discussions.service import can_see_category, find_post, get_thread
from forum.inbound import checks
from forum.inbound.models import InboundMember, InboundMessage, PendingThread
from forum.inbound.parse import message_text, new_text
from forum.notifications import tally
from forum.notifications.models import EmailSettings
from forum.notifications.reply_address import ReplyToken, is_expired, read_reply_token

log = logging.getLogger("forum.inbound")
EXPLAIN_EVERY = dt.timedelta(hours=1)
PER_PAGE = 50
# Reasons the member is told about (in their language, by templates/email/inbound_refused);
# the others (automatic mail, bounces, loops, unknown senders) answer nobody.
EXPLAINED = {
    "expired-token", "revoked-token", "wrong-sender", "dmarc-fail", "too-large", "empty",
    "gone", "not-allowed", "invalid",
}  # fmt: skip


@dataclass
class Outcome:
    """What became of a message: `status` is posted, thread, pending, refused or duplicate."""

    status: str
    reason: str = ""
    detail: str = ""
    post_id: int | None = None

    @property
    def accepted(self) -> bool:
        return self.status != "refused"


def message_key(message_id: str, raw: bytes, recipient: str) -> str:
    """One delivery: a Message-ID to one of our addresses (a message sent to two of them
    is two deliveries; an MTA's retry of one is the same)."""
    seen = message_id.encode() if message_id else hashlib.sha256(raw).hexdigest().encode()
    return hashlib.sha256(seen + b"\n" + recipient.encode()).hexdigest()


def read_message(raw: bytes, *, headers_only: bool = False) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(raw, headersonly=headers_only)
    assert isinstance(parsed, EmailMessage)
    return parsed


def receive(
    db: Session,
    settings: Settings,
    raw: bytes,
    *,
    via: str,
    recipients: list[str] | None = None,
    now: dt.datetime | None = None,
) -> Outcome:
    """Handle one received message (`recipients`: the envelope's, when the transport
    knows them; else the headers'). A Message-ID seen before answers `duplicate` and
    changes nothing."""
    now = now or utcnow()
    oversize = len(raw) > settings.inbound_max_bytes
    message = read_message(raw, headers_only=oversize)
    message_id = str(message.get("Message-ID", "")).strip()
    addresses = [a.lower() for a in (recipients or [])] or checks.recipients(message)
    ours = _our_address(settings, addresses)[:320]
    key = message_key(message_id, raw, ours)
    if db.scalar(select(InboundMessage.id).where(InboundMessage.message_key == key)):
        return Outcome("duplicate")
    record = InboundMessage(
        message_key=key, message_id=message_id[:998], via=via, received_at=now,
        sender=checks.sender_address(message)[:320], recipient=ours,
        subject=clean_line(str(message.get("Subject", "")))[:300], status="refused",
    )  # fmt: skip
    db.add(record)
    db.flush()
    outcome = _handle(db, settings, message, record, oversize=oversize, now=now)
    record.status, record.reason, record.detail = outcome.status, outcome.reason, outcome.detail
    record.post_id = outcome.post_id
    if outcome.status == "refused":
        log.info("inbound %s refused: %s %s", message_id or key, outcome.reason, outcome.detail)
    db.flush()
    return outcome


def _our_address(settings: Settings, addresses: list[str]) -> str:
    domain = (settings.inbound_domain or "").lower()
    for address in addresses:
        local, _, host = address.rpartition("@")
        if domain and host == domain and local.split("+", 1)[0] in ("reply", "category"):
            return address
    return ""


def _handle(
    db: Session,
    settings: Settings,
    message: EmailMessage,
    record: InboundMessage,
    *,
    oversize: bool,
    now: dt.datetime,
) -> Outcome:
    if checks.is_bounce(message):
        return _bounce(db, message, now)
    if checks.is_automatic(message):
        return Outcome("refused", "auto-reply")
    if _is_loop(settings, message):
        return Outcome("refused", "loop")
    if not record.recipient:
        return Outcome("refused", "unknown-address")
    local = record.recipient.rpartition("@")[0]
    kind, _, tag = local.partition("+")
    if kind == "category":
        return _new_thread(db, settings, message, record, tag, oversize=oversize, now=now)
    token = read_reply_token(settings.secret_key or "", tag)
    user = db.get(User, token.user_id) if token else None
    if token is None or user is None:
        return Outcome("refused", "bad-token")
    outcome = _reply(db, settings, message, record, user, token, oversize, now)
    if outcome.status == "refused" and outcome.reason in EXPLAINED:
        _explain(db, settings, user, message, outcome, now)
    elif outcome.status == "posted":
        _name_refused_files(db, settings, user, message, now)
    return outcome


def _reply(
    db: Session, settings: Settings, message: EmailMessage, record: InboundMessage,
    user: User, token: ReplyToken, oversize: bool, now: dt.datetime,
) -> Outcome:  # fmt: skip
    post_id = token.post_id
    record.user_id = user.id
    if is_expired(token, now=now):
        return Outcome("refused", "expired-token")
    state = db.get(InboundMember, user.id)
    if state is not None and state.revoked_before and token.issued_at <= state.revoked_before:
        return Outcome("refused", "revoked-token")
    if record.sender != user.email.lower() or not user.is_verified:
        return Outcome("refused", "wrong-sender")
    if checks.authentication(message, settings.inbound_authserv_id) == "fail":
        return Outcome("refused", "dmarc-fail")
    if oversize:
        return Outcome("refused", "too-large")
    text = new_text(message_text(message)[0])
    if not text:
        return Outcome("refused", "empty")
    with i18n.using(user.language, user.timezone):
        post = find_post(db, user, post_id)
        if post is None or post.deleted_at is not None:
            return Outcome("refused", "gone")
        try:
            with db.begin_nested():
                thread = get_thread(db, user, post.thread_id)
                created = writes.reply(db, user, thread, body=text, parent_id=post.id)
        except NotFound:
            return Outcome("refused", "gone")
        except NotAllowed as exc:
            return Outcome("refused", "not-allowed", str(exc))
        except Invalid as exc:
            return Outcome("refused", "invalid", str(exc))
    return Outcome("posted", post_id=created.id)


def _new_thread(
    db: Session, settings: Settings, message: EmailMessage, record: InboundMessage, slug: str,
    *, oversize: bool, now: dt.datetime,
) -> Outcome:  # fmt: skip
    user = get_user_by_email(db, record.sender) if record.sender else None
    if user is None or not user.is_verified:
        # Never answer an address that is no verified member's: it may be forged.
        return Outcome("refused", "unknown-sender")
    record.user_id = user.id
    category = db.scalar(select(Category).where(Category.slug == slug))
    verdict = checks.authentication(message, settings.inbound_authserv_id)
    outcome: Outcome
    if category is None or not can_see_category(user, category):
        outcome = Outcome("refused", "gone")
    elif verdict == "fail":
        outcome = Outcome("refused", "dmarc-fail")
    elif oversize:
        outcome = Outcome("refused", "too-large")
    else:
        title = _title(str(message.get("Subject", "")))
        body = new_text(message_text(message)[0])
        if verdict == "pass":
            outcome = _open_thread(db, user, category, title, body)
        else:
            outcome = _ask_confirmation(db, settings, user, category, title, body)
    if outcome.status == "refused":
        _explain(db, settings, user, message, outcome, now)
    return outcome


def _title(subject: str) -> str:
    return clean_line(subject).strip()


def _open_thread(db: Session, user: User, category: Category, title: str, body: str) -> Outcome:
    with i18n.using(user.language, user.timezone):
        try:
            with db.begin_nested():
                thread = writes.create_thread(
                    db, user, writes.ThreadInput(title=title, body=body, category=category)
                )
        except NotFound:
            return Outcome("refused", "gone")
        except NotAllowed as exc:
            return Outcome("refused", "not-allowed", str(exc))
        except Invalid as exc:
            return Outcome("refused", "invalid", str(exc))
    opening = thread_opening_id(db, thread.id)
    return Outcome("thread", post_id=opening)


def thread_opening_id(db: Session, thread_id: int) -> int | None:
    from forum.discussions.models import Post

    return db.scalar(select(Post.id).where(Post.thread_id == thread_id, Post.is_opening))


def _ask_confirmation(
    db: Session, settings: Settings, user: User, category: Category, title: str, body: str
) -> Outcome:
    raw = secrets.token_urlsafe(32)
    db.add(
        PendingThread(
            token_hash=hashlib.sha256(raw.encode()).hexdigest(), user_id=user.id,
            category_id=category.id, title=title[:300], body=body,
        )
    )  # fmt: skip
    queue_email(
        db, settings, "inbound_confirm", to=user.email, language=user.language,
        timezone=user.timezone,
        context={"name": user.name, "title": title, "category": category.name,
                 "link": f"{settings.base_url}/inbound/confirm/{raw}"},
        headers={"Auto-Submitted": "auto-replied"},
    )  # fmt: skip
    return Outcome("pending")


def _bounce(db: Session, message: EmailMessage, now: dt.datetime) -> Outcome:
    """A delivery report: the member whose address failed is marked bouncing, as the
    digest sender marks one (docs/email.md, "Bounces"). Nothing answers it."""
    failed = checks.bounced_addresses(message)
    for address in sorted(failed):
        user = get_user_by_email(db, address)
        if user is None:
            continue
        row = db.get(EmailSettings, user.id)
        if row is None:
            row = EmailSettings(user_id=user.id)
            db.add(row)
        if row.bouncing_at is None:
            tally.count(db, "bounced", now=now)
        row.bouncing_at = now
        row.bounce_reason = "delivery report received by email"
    return Outcome("refused", "bounce", ", ".join(sorted(failed))[:500])


def _is_loop(settings: Settings, message: EmailMessage) -> bool:
    ours = parseaddr(settings.mail_from)[1].lower()
    if checks.sender_address(message) == ours:
        return True
    host = (urlsplit(settings.base_url).hostname or "localhost").lower()
    message_id = str(message.get("Message-ID", "")).strip().lower().rstrip(">")
    return message_id.endswith("@" + host)


def _explain(
    db: Session, settings: Settings, user: User, message: EmailMessage, outcome: Outcome,
    now: dt.datetime,
) -> None:  # fmt: skip
    """At most one short explanation an hour, to the member's own address, marked
    auto-replied (so no well-behaved responder answers it)."""
    if not user.is_verified:
        return
    state = db.get(InboundMember, user.id)
    if state is None:
        state = InboundMember(user_id=user.id)
        db.add(state)
    if state.explained_at is not None and now - state.explained_at < EXPLAIN_EVERY:
        return
    state.explained_at = now
    headers = {"Auto-Submitted": "auto-replied"}
    message_id = str(message.get("Message-ID", "")).strip()
    if message_id:
        headers["In-Reply-To"] = message_id
    queue_email(
        db, settings, "inbound_refused", to=user.email, language=user.language,
        timezone=user.timezone, headers=headers,
        context={"name": user.name, "reason": outcome.reason, "detail": outcome.detail,
                 "subject": clean_line(str(message.get("Subject", "")))[:200], "files": []},
    )  # fmt: skip


def _name_refused_files(
    db: Session, settings: Settings, user: User, message: EmailMessage, now: dt.datetime
) -> None:
    """Replies take no files (as on the web): name the attachments left out."""
    names = [part.get_filename() or part.get_content_type() for part in message.iter_attachments()]
    if names:
        _explain(db, settings, user, message, Outcome("posted", "files", ", ".join(names)), now)


def revoke_reply_addresses(db: Session, user_id: int, *, now: dt.datetime | None = None) -> None:
    """Every reply address made for the member until now stops working."""
    state = db.get(InboundMember, user_id)
    if state is None:
        state = InboundMember(user_id=user_id)
        db.add(state)
    state.revoked_before = now or utcnow()
    db.flush()


# How a refusal is answered to the MTA: most are accepted (recorded, the member told when
# there is one to tell, automatic mail never bounced); an address that is no one's is
# refused, so the sending MTA tells its sender.
MTA_REFUSALS = {
    "unknown-address": (67, "550 5.1.1 No such address here"),
    "bad-token": (67, "550 5.1.1 No such address here"),
    "unknown-sender": (77, "550 5.7.1 Only members may write to this address"),
}


def deliver(
    factory: sessionmaker[Session], settings: Settings, raw: bytes, *, via: str,
    recipients: list[str] | None = None,
) -> Outcome:  # fmt: skip
    """`receive` in a transaction of its own, committed. Two deliveries of one
    Message-ID racing: the second's insert fails, and it answers `duplicate`. Database
    errors rise (the caller answers a temporary failure: the MTA retries)."""
    try:
        with transaction(factory) as db:
            return receive(db, settings, raw, via=via, recipients=recipients)
    except IntegrityError:
        return Outcome("duplicate")


# --- confirming a thread sent without a DKIM or DMARC pass, and the refusals page ----------

PENDING_LIFETIME = dt.timedelta(days=7)
REFUSALS_SHOWN = dt.timedelta(days=30)


def find_pending(db: Session, raw: str, *, now: dt.datetime | None = None) -> PendingThread | None:
    """The unconfirmed thread a link names, or None (unknown, used or older than 7 days)."""
    if not raw or len(raw) > 100:
        return None
    row = db.scalar(
        select(PendingThread).where(
            PendingThread.token_hash == hashlib.sha256(raw.encode()).hexdigest()
        )
    )
    if row is None or row.thread_id is not None:
        return None
    if (now or utcnow()) - row.created_at > PENDING_LIFETIME:
        return None
    return row


def confirm_pending(db: Session, pending: PendingThread) -> int:
    """Open the thread, with the web's rules and limits (`writes.create_thread`), as its
    author: answers the thread's id. Raises NotAllowed, NotFound or DiscussionError."""
    user = db.get(User, pending.user_id)
    category = db.get(Category, pending.category_id)
    if category is None:
        raise NotFound("category")
    thread = writes.create_thread(
        db, user, writes.ThreadInput(title=pending.title, body=pending.body, category=category)
    )
    pending.thread_id = thread.id
    db.flush()
    return thread.id


def page_refusals(
    db: Session, *, page: int, now: dt.datetime | None = None
) -> Page[InboundMessage]:
    """Refused inbound mail of the last 30 days, newest first."""
    since = (now or utcnow()) - REFUSALS_SHOWN
    stmt = select(InboundMessage).where(
        InboundMessage.status == "refused", InboundMessage.received_at >= since
    )
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        db.scalars(
            stmt.order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        )
    )
    return Page(items, page, PER_PAGE, total, "/admin/inbound", {})


def refusal_counts(db: Session, *, now: dt.datetime | None = None) -> list[tuple[str, int]]:
    """How many messages were refused for each reason in the last 30 days, most first."""
    since = (now or utcnow()) - REFUSALS_SHOWN
    rows = db.execute(
        select(InboundMessage.reason, func.count())
        .where(InboundMessage.status == "refused", InboundMessage.received_at >= since)
        .group_by(InboundMessage.reason)
        .order_by(func.count().desc(), InboundMessage.reason)
    )
    return [(str(reason), int(count)) for reason, count in rows]
