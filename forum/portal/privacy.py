"""A member's rights over their data: download everything, or delete the account.

The download and the erasure gather every part of the forum: the account's own rows
here, and what each part registered with `forum.core.privacy` (`forum.plugins`
registers them all).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy import delete, inspect, or_, select, update
from sqlalchemy.orm import Session

from forum.accounts import passwords, throttle
from forum.accounts.models import (
    ApiToken,
    EmailToken,
    Membership,
    ThrottleEvent,
    User,
    UserSession,
)
from forum.accounts.service import AccountError
from forum.core.audit import AuditLog, record
from forum.core.db import Base, utcnow
from forum.core.i18n import _
from forum.core.privacy import FORMER_MEMBER_NAME, erasers, exporters
from forum.core.privacy import covered_columns as _covered_columns
from forum.notifications.models import Follow
from forum.partnerships.models import Partnership

EXPORT_FORMAT = "cluster-forum-export/1"

# The columns that refer to a member and are not in the download, with the reason. Each is
# still cleared (set to NULL) or deleted when the account is deleted.
NOT_EXPORTED: dict[str, str] = {
    "membership.decided_by_id": (
        "another member's membership, decided by this one as coordinator; the decision is "
        "in the audit entries the member made (audit_log)"
    ),
    "flag.resolved_by_id": (
        "another member's report, closed by this one as moderator; the decision is in the "
        "audit entries the member made (audit_log)"
    ),
    "notification.actor_id": (
        "another member's notification about something this one did; what they did is "
        "exported itself (posts). Erasure deletes the notification with the content, or "
        'names the "Former member" in it'
    ),
}

# The columns export_user_data() fills itself: "table.column" -> path in the export.
_CORE_COVERS: dict[str, str] = {
    "membership.user_id": "membership",
    "partnership.coordinator_id": "coordinator_of",
    "follow.user_id": "follows",
    "user_session.user_id": "sessions",
    "api_token.user_id": "api_tokens",
    "email_token.user_id": "email_links",
    "audit_log.actor_id": "audit_log",
}


def export_coverage() -> dict[str, str]:
    """Every "table.column" referring to a member that the download holds, with the path
    of its records in the download (see forum.core.privacy)."""
    return {**_CORE_COVERS, **_covered_columns()}


# --- download my data ----------------------------------------------------------------------


def _without_address(label: str) -> str:
    """An audit actor label ("Name <email>") without another person's address."""
    return re.sub(r"\s*<[^>]*>\s*$", "", label)


# Columns never exported: the fingerprints of tokens, password hashes, secrets and nonces.
SECRET_COLUMN = re.compile(r"hash|secret|nonce|password")


def _without_secrets(row: Base) -> dict[str, Any]:
    """The row's columns, but its secrets and the owner's id (the export is theirs)."""
    return {
        attr.key: getattr(row, attr.key)
        for attr in inspect(row).mapper.column_attrs
        if attr.key != "user_id" and not SECRET_COLUMN.search(attr.key)
    }


def _own_rows(
    db: Session, model: type[UserSession] | type[ApiToken] | type[EmailToken], user_id: int
) -> list[dict[str, Any]]:
    """The member's rows of a credentials table, oldest first, every column but secrets."""
    rows = db.scalars(
        select(model).where(model.user_id == user_id).order_by(model.created_at, model.id)
    )
    return [_without_secrets(row) for row in rows]


def export_user_data(db: Session, user: User) -> dict[str, Any]:
    """Everything stored about `user` and everything they wrote, JSON-ready.

    Never includes the password hash or the hashes of session, API or email tokens;
    audit entries about the member name the other person who acted but not their
    address. Each registered exporter's answer appears under its name.
    """
    membership = db.scalar(select(Membership).where(Membership.user_id == user.id))
    audit_about = [AuditLog.actor_id == user.id]
    audit_about.append((AuditLog.object_type == "user") & (AuditLog.object_id == str(user.id)))
    if membership is not None:
        audit_about.append(
            (AuditLog.object_type == "membership") & (AuditLog.object_id == str(membership.id))
        )
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow(),
        "account": {
            "id": user.id,
            "email": user.email,
            "handle": user.handle,
            "email_verified_at": user.email_verified_at,
            "name": user.name,
            "role": user.role,
            "bio": user.bio,
            "timezone": user.timezone,
            "language": user.language,
            "digest_frequency": user.digest_frequency,
            "digest_weekday": user.digest_weekday,
            "digest_hour": user.digest_hour,
            "has_password": user.password_hash is not None,
            "onboarded_at": user.onboarded_at,
            "suspended_at": user.suspended_at,
            "suspended_reason": user.suspended_reason,
            "created_at": user.created_at,
            "last_seen_at": user.last_seen_at,
            "previous_seen_at": user.previous_seen_at,
        },
        "membership": None
        if membership is None
        else {
            "id": membership.id,
            "partnership": {
                "id": membership.partnership.id,
                "slug": membership.partnership.slug,
                "name": membership.partnership.name,
            },
            "status": membership.status,
            "requested_at": membership.requested_at,
            "decided_at": membership.decided_at,
        },
        "coordinator_of": [
            {"id": p.id, "slug": p.slug, "name": p.name}
            for p in db.scalars(
                select(Partnership)
                .where(Partnership.coordinator_id == user.id)
                .order_by(Partnership.name)
            )
        ],
        "follows": [
            {"id": f.id, "type": f.target_type, "target": f.target, "created_at": f.created_at}
            for f in db.scalars(
                select(Follow)
                .where(Follow.user_id == user.id)
                .order_by(Follow.target_type, Follow.target)
            )
        ],
        # Every column but the secrets, so that metadata added later is exported too.
        "sessions": _own_rows(db, UserSession, user.id),
        "api_tokens": _own_rows(db, ApiToken, user.id),
        "email_links": _own_rows(db, EmailToken, user.id),
        "audit_log": [
            {
                "id": entry.id,
                "at": entry.created_at,
                "by": "you" if entry.actor_id == user.id else _without_address(entry.actor_label),
                "action": entry.action,
                "object_type": entry.object_type,
                "object_id": entry.object_id,
                "object_label": entry.object_label,
                "reason": entry.reason,
            }
            for entry in db.scalars(
                select(AuditLog).where(or_(*audit_about)).order_by(AuditLog.created_at)
            )
        ],
    }
    for name, exporter in exporters().items():
        data[name] = exporter(db, user)
    encoded: dict[str, Any] = jsonable_encoder(data)
    return encoded


# --- delete my account ---------------------------------------------------------------------


def delete_account(db: Session, user: User, *, keep_content: bool) -> bool:
    """Remove the member's personal data; answers True when the user row was kept.

    Every registered eraser runs first. Then follows, sessions, API and email tokens,
    membership and login-failure counters go, and links to the member from the audit
    log (whose `actor_label` becomes "former member #ID"), from memberships they decided and from
    partnerships they coordinated are cleared. The row itself stays only when
    `keep_content` and an eraser kept content that references it: renamed
    "Former member", with an address that cannot receive mail, no password, and
    suspended so that it can never sign in. Otherwise it is deleted.
    """
    referenced = False
    for eraser in erasers().values():
        referenced = eraser(db, user, keep_content=keep_content) or referenced
    user_id = user.id
    for stmt in (
        delete(Follow).where(Follow.user_id == user_id),
        delete(UserSession).where(UserSession.user_id == user_id),
        delete(ApiToken).where(ApiToken.user_id == user_id),
        delete(EmailToken).where(EmailToken.user_id == user_id),
        delete(Membership).where(Membership.user_id == user_id),
        delete(ThrottleEvent).where(
            ThrottleEvent.scope == "login-failure",
            ThrottleEvent.key == throttle.account_key(user.email),
        ),
        update(AuditLog)
        .where(AuditLog.actor_id == user_id)
        .values(actor_id=None, actor_label=f"former member #{user_id}"),
        update(Membership).where(Membership.decided_by_id == user_id).values(decided_by_id=None),
        update(Partnership)
        .where(Partnership.coordinator_id == user_id)
        .values(coordinator_id=None),
    ):
        db.execute(stmt.execution_options(synchronize_session="fetch"))
    # The loaded membership (and anything else cached on the row) is gone now.
    db.expire(user)
    if keep_content and referenced:
        user.name = FORMER_MEMBER_NAME
        user.email = f"deleted-{user_id}@invalid"
        user.password_hash = None
        user.email_verified_at = None
        user.role = "member"
        user.bio = ""
        user.timezone = "Europe/Brussels"
        user.language = "en"
        user.digest_frequency = "off"
        user.onboarded_at = None
        user.last_seen_at = None
        user.previous_seen_at = None
        user.suspended_at = utcnow()
        user.suspended_reason = "Account deleted by its member; their content is kept."
        db.flush()
        return True
    db.delete(user)
    db.flush()
    return False


def only_admin(db: Session, user: User) -> bool:
    """Whether `user` is the instance's last admin (who must not vanish)."""
    if not user.is_admin:
        return False
    others = db.scalar(
        select(User.id).where(User.role == "admin", User.id != user.id, User.suspended_at.is_(None))
    )
    return others is None


def delete_own_account(db: Session, user: User, *, password: str, keep_content: bool) -> bool:
    """The member deletes their account (see delete_account), proving it with their password.

    Raises AccountError for a wrong password, or when they are the last admin.
    Records the deletion in the audit log without the member's name or address.
    """
    if not passwords.verify_password(user.password_hash, password):
        raise AccountError(_("Your password is not right."), "password")
    if only_admin(db, user):
        raise AccountError(
            _("You are the only admin of this forum: make another member an admin first.")
        )
    user_id = user.id
    kept = delete_account(db, user, keep_content=keep_content)
    record(
        db,
        actor=None,
        action="user.delete",
        object_type="user",
        object_id=user_id,
        reason="Deleted by the member on their profile page.",
        details={"keep_content": keep_content, "row_kept": kept},
    )
    return kept
