"""Events: the calendar of fairs, missions and conferences, who is going, and iCal tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.core.db import Base, UTCDateTime, utcnow
from forum.core.formats import country_name
from forum.core.i18n import _
from forum.events.dates import format_range, parse_date_text
from forum.partnerships.models import Partnership
from forum.taxonomy.models import Sector

ATTENDANCE_STATUSES = ("going", "interested")

event_sector = Table(
    "event_sector",
    Base.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sector.id", ondelete="CASCADE"), primary_key=True, index=True),
    # The analytics' focus: the links of one tag, read from this index alone.
    Index("ix_event_sector_sector_event", "sector_id", "event_id"),
)


class Event(Base):
    """One event, however many partnerships list it.

    Dates are whole days. `starts_on`/`ends_on` cover the source's wording: "April 2019"
    is 1–30 April, with the wording kept in `date_text` and shown as is; both are None
    when the date is unknown ("To be defined"). `date_flag` says what was wrong with an
    invalid source date ("31 April") and how it was clamped. `ends_on` is inclusive.
    """

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_ends_on_starts_on", "ends_on", "starts_on"),
        Index("ix_event_starts_on", "starts_on"),
        Index("ix_event_created_at", "created_at"),  # the analytics' weekly counts
        Index("ix_event_country_created", "country_code", "created_at"),  # ... with a focus
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(1000))
    organiser: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(200))
    # ISO 3166-1 alpha-2, or None when the place is not one country (unknown, several).
    country_code: Mapped[str | None] = mapped_column(String(2), index=True)
    # The source's own words for the place when they say more than city and country
    # ("CHINA/SINGAPORE (not determined)", "GERMANY (to be defined)"), shown as is.
    location_text: Mapped[str | None] = mapped_column(String(300))
    # True inside Europe, False outside, None unknown. For members' events: derived from
    # the country (forum.taxonomy.regions.is_european: UN M49 Europe plus the EU 27),
    # given explicitly only when there is no country. Imported events keep their
    # source's classification (the report: section 5.1 is Europe, 5.2 beyond).
    in_europe: Mapped[bool | None] = mapped_column(Boolean)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    date_text: Mapped[str | None] = mapped_column(String(200))
    date_flag: Mapped[str | None] = mapped_column(String(300))
    # Where the facts come from when they were not typed here (demo data from the report).
    source_note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    created_by: Mapped[User | None] = relationship()
    sectors: Mapped[list[Sector]] = relationship(secondary=event_sector, order_by=Sector.name)
    listings: Mapped[list[EventPartnership]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )
    attendances: Mapped[list[Attendance]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Attendance.id"
    )

    @property
    def url_path(self) -> str:
        return f"/events/{self.id}"

    @property
    def date_unknown(self) -> bool:
        return self.starts_on is None

    @property
    def exact_dates(self) -> str:
        """The covered days in words ("12–14 March 2019"), "" when unknown."""
        return format_range(self.starts_on, self.ends_on)

    @property
    def date_note(self) -> str | None:
        """What was wrong with the source's date (`date_flag`), in the reader's language:
        the wording is read again, as it was when the flag was stored."""
        if not self.date_flag:
            return None
        if self.date_text and (flag := parse_date_text(self.date_text).flag):
            return flag
        return self.date_flag

    @property
    def when_label(self) -> str:
        """The source's wording as is when there is one, else the exact days."""
        return self.date_text or self.exact_dates or _("Date to be announced")

    @property
    def country_name(self) -> str | None:
        """The country's name in the reader's language."""
        if not self.country_code:
            return None
        return country_name(self.country_code)

    @property
    def place_label(self) -> str:
        """The source's own words for the place when given, else "City, Country"."""
        if self.location_text:
            return self.location_text
        parts = [p for p in (self.city, self.country_name) if p]
        return ", ".join(parts) or _("Place to be announced")

    @property
    def place_known(self) -> bool:
        return bool(self.location_text or self.city or self.country_code)


class EventPartnership(Base):
    """A partnership that lists the event (plans to attend or organise it).

    `listed_as` keeps that partnership's own wording when it differs from the event's
    (another name or date for the same event in the report's tables).
    """

    __tablename__ = "event_partnership"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    listed_as: Mapped[str | None] = mapped_column(String(300))

    event: Mapped[Event] = relationship(back_populates="listings")
    partnership: Mapped[Partnership] = relationship()


class Attendance(Base):
    """A member's or a partnership's "going" or "interested" mark on an event."""

    __tablename__ = "event_attendance"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        UniqueConstraint("event_id", "partnership_id"),
        CheckConstraint(
            "(user_id IS NULL) <> (partnership_id IS NULL)",
            name="one_holder",
        ),
        # The going marks by time, with who they count for (the analytics' live count).
        Index("ix_event_attendance_marked_at", "marked_at", "status", "user_id", "marked_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12))
    # Who set a partnership's mark (a member of it).
    marked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the mark took its status: made, its status changed, or set again by another
    # member of the partnership (`attendance.set_attendance`); "marked going" is then.
    marked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[Event] = relationship(back_populates="attendances")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    partnership: Mapped[Partnership | None] = relationship()


class GoingWeek(Base):
    """A week in which a member marked an event "going": their own mark (`user_id`) or
    their partnership's (`marked_by_id`), by its `marked_at`, among the marks that say
    "going" now; one row per member and week, `week` its Monday in UTC
    (forum/insights/analytics_taking_part.py). Database triggers on `event_attendance` (migration
    0029) keep it equal to the marks."""

    __tablename__ = "member_going_week"
    __table_args__ = (Index("ix_member_going_week_week", "week", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class CalendarToken(Base):
    """The secret of a member's private iCal feed. Resetting it changes the URL.

    The URL's token is an HMAC of `nonce` under the instance's secret key, so the
    settings page can show it again while the database alone does not reveal it;
    lookups go by its SHA-256.
    """

    __tablename__ = "calendar_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
