"""Users and what authenticates them: sessions, API tokens, one-time email tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.core.db import Base, UTCDateTime, utcnow
from forum.core.i18n import Labels, _l
from forum.partnerships.models import Partnership

ROLES = ("member", "moderator", "admin")
# A role as people read it (the codes above stay the stored values).
ROLE_LABELS = Labels(member=_l("member"), moderator=_l("moderator"), admin=_l("admin"))
MEMBERSHIP_STATUS_LABELS = Labels(
    pending=_l("pending"), approved=_l("approved"), rejected=_l("rejected")
)
DIGEST_FREQUENCIES = ("weekly", "daily", "off")


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased and stripped: one account per address, whatever the casing.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # What @mentions use: derived from the name, unique, lower case.
    handle: Mapped[str | None] = mapped_column(String(60), unique=True)
    # None until an invited member sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="member")
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    bio: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    language: Mapped[str] = mapped_column(String(8), default="en")
    digest_frequency: Mapped[str] = mapped_column(String(10), default="weekly")
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0)  # Monday
    digest_hour: Mapped[int] = mapped_column(Integer, default=7)
    # Set once the member has been through the interests step of joining.
    onboarded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    suspended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    suspended_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The one activity record (forum.accounts.sessions.touch): when the member was last
    # seen, written at most every TOUCH_EVERY, and when their previous visit ended, moved
    # on when a visit starts after a gap of VISIT_GAP ("Since your last visit").
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    previous_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    membership: Mapped[Membership | None] = relationship(
        back_populates="user",
        uselist=False,
        cascade="all, delete-orphan",
        foreign_keys="Membership.user_id",
    )

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_moderator(self) -> bool:
        return self.role in ("moderator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def partnership(self) -> Partnership | None:
        """The partnership this member belongs to, once approved."""
        if self.membership and self.membership.status == "approved":
            return self.membership.partnership
        return None

    @property
    def target_countries(self) -> list[str]:
        """The target countries of the member's partnership: a picker's suggestions."""
        partnership = self.partnership
        return partnership.country_codes if partnership else []

    @property
    def target_sectors(self) -> list[str]:
        """The sectors (slugs) of the member's partnership: a picker's suggestions."""
        partnership = self.partnership
        return [s.slug for s in partnership.sectors] if partnership else []


class Membership(Base):
    """A member's request to belong to a partnership, and its answer. One per member."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="pending")  # approved, rejected
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(back_populates="membership", foreign_keys=[user_id])
    partnership: Mapped[Partnership] = relationship()


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A bearer token for the JSON API: personal (named, revocable) or from /auth/token."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown so a member can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="personal")  # or "login"
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class EmailToken(Base):
    """A single-use link sent by email: verify, reset, email change, invitation."""

    __tablename__ = "email_token"
    __table_args__ = (Index("ix_email_token_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))  # verify, reset, email-change, invite
    new_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class ThrottleEvent(Base):
    """One counted attempt (a request from an IP, a failed login for an email)."""

    __tablename__ = "throttle_event"
    __table_args__ = (Index("ix_throttle_event_scope_key_at", "scope", "key", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class MemberActivity(Base):
    """A week in which a member was seen signed in (forum/accounts/activity.py): one row
    per member and week, `week` the Monday in UTC; kept 13 months, for the count of
    active members each week."""

    __tablename__ = "member_activity"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed on its own: the weekly count and the retention job read by week.
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True, index=True)


__all__ = [
    "DIGEST_FREQUENCIES",
    "MEMBERSHIP_STATUS_LABELS",
    "ROLES",
    "ROLE_LABELS",
    "ApiToken",
    "EmailToken",
    "MemberActivity",
    "Membership",
    "ThrottleEvent",
    "User",
    "UserSession",
]
