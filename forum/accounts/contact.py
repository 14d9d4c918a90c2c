"""Contact: a member writes to another member (or a partnership's coordinator) by email.

The platform relays the message and keeps no copy beyond the queued mail job. The
recipient's address is never shown to the sender; the mail's Reply-To is the sender's
address, so a reply goes straight to them. Each sender may relay at most HOURLY_LIMIT
messages an hour and DAILY_LIMIT a day, counted in `throttle_event` rows.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import ThrottleEvent, User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.formats import format_number
from forum.core.i18n import _, ngettext
from forum.core.mail import queue_email
from forum.core.text import clean_line, control_characters_message, has_control_characters
from forum.partnerships.models import Partnership

SUBJECT_MAX = 150
MESSAGE_MAX = 5_000
HOURLY_LIMIT = 5
DAILY_LIMIT = 20
THROTTLE_SCOPE = "contact"
_WINDOWS = (
    (dt.timedelta(hours=1), HOURLY_LIMIT, "hour"),
    (dt.timedelta(days=1), DAILY_LIMIT, "day"),
)


class ContactError(ValueError):
    """The message cannot be relayed. `field` names the form field at fault, when there
    is one; `status` is the HTTP status a page should answer with."""

    def __init__(self, message: str, field: str | None = None, *, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


class ContactLimitReached(Exception):
    """The sender relayed as many messages as allowed; `retry_after` is in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


def can_receive(user: User) -> bool:
    """Whether messages may be relayed to this member: only to a confirmed, active address."""
    return user.is_verified and not user.is_suspended


def sender_problem(sender: User) -> str | None:
    """Why this member may not write to anyone right now, or None when they may."""
    if sender.is_suspended:
        return _("Your account is suspended: you cannot send messages.")
    if not sender.is_verified:
        return _(
            "Confirm your email address before writing to members: replies will go to it. "
            "You can ask for a new confirmation link on your profile."
        )
    return None


def _check_limits(db: Session, sender: User, now: dt.datetime) -> None:
    key = str(sender.id)
    for window, limit, wording in _WINDOWS:
        sent = list(
            db.scalars(
                select(ThrottleEvent.created_at)
                .where(ThrottleEvent.scope == THROTTLE_SCOPE, ThrottleEvent.key == key)
                .where(ThrottleEvent.created_at > now - window)
                .order_by(ThrottleEvent.created_at.desc())
                .limit(limit)
            )
        )
        if len(sent) >= limit:
            # Free again when the oldest of the last `limit` messages leaves the window.
            wait = math.ceil((sent[-1] + window - now).total_seconds())
            minutes = max(1, math.ceil(wait / 60))
            raise ContactLimitReached(_limit_message(wording, limit, minutes), wait)


def _limit_message(window: str, limit: int, minutes: int) -> str:
    if window == "hour":
        return ngettext(
            "You have sent %(limit)s messages in less than an hour, the most the platform "
            "relays. You can write again in %(num)s minute.",
            "You have sent %(limit)s messages in less than an hour, the most the platform "
            "relays. You can write again in %(num)s minutes.",
            minutes,
            limit=limit,
        )
    return ngettext(
        "You have sent %(limit)s messages in less than a day, the most the platform "
        "relays. You can write again in %(num)s minute.",
        "You have sent %(limit)s messages in less than a day, the most the platform "
        "relays. You can write again in %(num)s minutes.",
        minutes,
        limit=limit,
    )


def send_contact(
    db: Session,
    settings: Settings,
    sender: User,
    recipient: User,
    subject: str,
    message: str,
    *,
    partnership: Partnership | None = None,
) -> None:
    """Queue `message` from `sender` to `recipient` by email, with Reply-To the sender.

    `partnership` is given when the sender wrote to its coordinator. Raises ContactError
    (sender suspended or unverified, recipient unreachable, a message to oneself, an empty
    or too long message or subject) and ContactLimitReached; nothing is queued then.
    Counts one `contact` throttle event per relayed message; flushes, never commits.
    """
    problem = sender_problem(sender)
    if problem:
        raise ContactError(problem, status=403)
    if sender.id == recipient.id:
        raise ContactError(_("This is you: write to someone else."), status=400)
    if not can_receive(recipient):
        raise ContactError(_("Messages cannot reach %(name)s.", name=recipient.name), status=404)
    for field, text in (("subject", subject), ("message", message)):
        if has_control_characters(text):
            raise ContactError(control_characters_message(), field)
    subject = clean_line(subject)
    if len(subject) > SUBJECT_MAX:
        raise ContactError(
            _(
                "Keep the subject to %(max)s characters (it has %(count)s).",
                max=SUBJECT_MAX,
                count=len(subject),
            ),
            "subject",
        )
    message = message.replace("\r\n", "\n").strip()
    if not message:
        raise ContactError(_("Write your message."), "message")
    if len(message) > MESSAGE_MAX:
        raise ContactError(
            _(
                "Keep the message to %(max)s characters (it has %(count)s).",
                max=format_number(MESSAGE_MAX),
                count=format_number(len(message)),
            ),
            "message",
        )
    now = utcnow()
    _check_limits(db, sender, now)
    db.add(ThrottleEvent(scope=THROTTLE_SCOPE, key=str(sender.id), created_at=now))
    sender_partnership = sender.partnership
    queue_email(
        db,
        settings,
        "contact",
        to=recipient.email,
        language=recipient.language,
        timezone=recipient.timezone,
        reply_to=sender.email,
        context={
            "recipient_name": recipient.name,
            "sender_name": sender.name,
            "sender_handle": sender.handle or "",
            "sender_partnership": sender_partnership.name if sender_partnership else "",
            "partnership": partnership.name if partnership else "",
            "subject": subject,
            "message": message,
        },
    )
    db.flush()
