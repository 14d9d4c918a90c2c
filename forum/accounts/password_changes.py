"""Changing a password: a reset link for a forgotten one (asked without revealing whether the
address has an account), a change by the signed-in member, and what each signs out."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.accounts import credentials, passwords
from forum.accounts.models import User, UserSession
from forum.accounts.service import (
    AccountError,
    Checks,
    find_email_token,
    get_user_by_email,
    issue_email_token,
    require_password_ok,
    use_email_token,
    validate_email,
)
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.core.i18n import _
from forum.core.jobs import enqueue
from forum.core.mail import queue_email


def request_password_reset(db: Session, settings: Settings, email: str) -> None:
    """Queue a reset request; the worker mails a link when the address has an account.

    The request does the same work (one queued job) for every well-formed address, so
    neither its answer nor its timing says whether the address has an account. One that
    cannot be an address (a NUL, a control character) queues nothing: no account has it.
    """
    try:
        email = validate_email(email)
    except AccountError:
        return
    enqueue(db, "password-reset", {"email": email})


def send_password_reset(db: Session, settings: Settings, email: str) -> bool:
    """Issue a reset token and queue its email; False when there is nobody to send to."""
    user = get_user_by_email(db, email)
    if user is None or user.is_suspended:
        return False
    raw = issue_email_token(db, user, "reset")
    queue_email(
        db,
        settings,
        "password_reset",
        to=user.email,
        language=user.language,
        timezone=user.timezone,
        context={"user": user, "link": f"{settings.base_url}/password/reset/{raw}"},
    )
    return True


def reset_password(db: Session, settings: Settings, raw: str, new_password: str) -> User:
    token = find_email_token(db, raw, "reset")
    if token is None:
        raise AccountError(_("This reset link is invalid, used or expired. Ask for a new one."))
    user = token.user
    require_password_ok(new_password, email=user.email, name=user.name)
    use_email_token(token)
    user.password_hash = passwords.hash_password(new_password)
    # Whoever knew the old password is signed out everywhere, browsers and API logins.
    ended = credentials.sign_out_everywhere_else(db, user, keep=None)
    credentials.void_account_links(db, user)
    # The link proves the address, as the verification link does.
    user.email_verified_at = user.email_verified_at or utcnow()
    _notify_password_changed(db, settings, user, ended, reset=True)
    db.flush()
    return user


def _notify_password_changed(
    db: Session, settings: Settings, user: User, ended: credentials.Ended, *, reset: bool
) -> None:
    """Tell the member, at their address, what the change ended and what it kept."""
    queue_email(
        db,
        settings,
        "password_changed",
        to=user.email,
        language=user.language,
        timezone=user.timezone,
        context={
            "user": user,
            "reset": reset,
            "sessions_ended": ended.sessions,
            "tokens_revoked": ended.tokens,
            "personal_tokens": credentials.count_personal_tokens(db, user),
        },
    )


def change_password(
    db: Session,
    settings: Settings,
    user: User,
    *,
    current: str,
    new: str,
    keep: UserSession | None,
) -> None:
    checks = Checks()
    if not passwords.verify_password(user.password_hash, current):
        checks.errors["current_password"] = _("Your current password is not right.")
    checks.run(require_password_ok, new, email=user.email, name=user.name, field="new_password")
    checks.raise_any()
    user.password_hash = passwords.hash_password(new)
    # The browser that changed it stays signed in; every other one and every API login ends.
    ended = credentials.sign_out_everywhere_else(db, user, keep=keep)
    credentials.void_account_links(db, user)
    _notify_password_changed(db, settings, user, ended, reset=False)
    db.flush()
