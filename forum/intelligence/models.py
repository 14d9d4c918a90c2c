"""Intelligence items, their sources and feeds, and their attachments."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    event,
    insert,
    inspect,
    true,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from forum.accounts.models import User
from forum.core.attachments import ExtractedText
from forum.core.db import Base, UTCDateTime, utcnow
from forum.core.formats import country_name
from forum.core.i18n import Labels, _l, lazy_pgettext
from forum.taxonomy.models import CountryTagged, Sector
from forum.taxonomy.regions import get_region_group
from forum.taxonomy.service import Country, countries_for


def place_name(code: str) -> str:
    """A tag's place in the reader's language: a country's common name ("South Korea",
    "Corée du Sud"), a region group's name, else the code itself."""
    group = get_region_group(code)
    if group is not None:
        return group.label
    return country_name(code) or code


def countries_by_name(codes: list[str]) -> list[Country]:
    """The known countries among `codes`, in the order of their names in the reader's
    language (pages show them with `|country_name`)."""
    return countries_for(codes)


INTEL_KINDS = (
    "report",
    "market_study",
    "news",
    "funding_call",
    "tender",
    "event_report",
    "regulation",
)
KIND_LABELS = Labels(
    report=lazy_pgettext("intelligence type", "Report"),
    market_study=_l("Market study"),
    news=_l("News"),
    funding_call=_l("Funding call"),
    tender=_l("Tender"),
    event_report=_l("Event report"),
    regulation=_l("Regulation"),
)
STATUSES = ("draft", "review", "published", "withdrawn")
STATUS_LABELS = Labels(
    draft=_l("Draft"),
    review=_l("Review"),
    published=_l("Published"),
    withdrawn=_l("Withdrawn"),
)
URL_MAX = 1000  # the length of the URL columns
# An item tagged with at most this many countries and at most this many sectors (and not
# global) is "specific": filtered lists and digests show it before broader ones.
SPECIFIC_MAX_TAGS = 5


def is_specific(is_global: bool, countries: int, sectors: int) -> bool:
    """Whether an item with these tags is specific (see SPECIFIC_MAX_TAGS)."""
    return not is_global and countries <= SPECIFIC_MAX_TAGS and sectors <= SPECIFIC_MAX_TAGS


intel_sector = Table(
    "intel_sector",
    Base.metadata,
    Column("item_id", ForeignKey("intel_item.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sector.id", ondelete="CASCADE"), primary_key=True, index=True),
    # The analytics' focus: the links of one tag, read from this index alone.
    Index("ix_intel_sector_sector_item", "sector_id", "item_id"),
)


class IntelCountry(Base):
    __tablename__ = "intel_country"
    __table_args__ = (
        # The analytics' focus: the links of one tag, read from this index alone.
        Index("ix_intel_country_code_item", "country_code", "item_id"),
    )

    item_id: Mapped[int] = mapped_column(
        ForeignKey("intel_item.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)


class Feed(Base):
    """A source harvested on a schedule; its items are tagged with its defaults."""

    __tablename__ = "feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(1000), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(String(1000))
    default_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    default_sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    default_kind: Mapped[str] = mapped_column(String(20), default="news")
    interval_minutes: Mapped[int] = mapped_column(Integer, default=360)
    # False: harvested items wait in review for a moderator.
    auto_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_fetched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    next_fetch_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_status: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)
    # The last harvest that did not fail (stored, or "not modified"); kept here because
    # the runs below are pruned.
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    items_added: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FeedRun(Base):
    """One harvest of one feed, written in the transaction that stores its outcome, for
    the harvesting health of /admin/analytics; deleted after `feed_runs.KEEP_DAYS` by a
    periodic job."""

    __tablename__ = "feed_run"
    __table_args__ = (Index("ix_feed_run_feed_finished", "feed_id", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    items_added: Mapped[int] = mapped_column(Integer, default=0)
    # Entries recognised as held already: harvested before, or recorded as another
    # source of an existing item.
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))


class IntelItem(CountryTagged, Base):
    __tablename__ = "intel_item"
    country_row_class = IntelCountry
    __table_args__ = (
        Index("ix_intel_item_status_added", "status", "added_at"),
        # Filtered lists: specific items first, each group newest first.
        Index("ix_intel_item_status_specific_added", "status", "specific", "added_at"),
        Index("ix_intel_item_status_deadline", "status", "deadline"),
        # The harvester's "have we seen this entry of this feed" lookup.
        Index("ix_intel_item_feed_entry", "feed_id", "entry_id"),
        Index("ix_intel_item_added_feed", "added_at", "feed_id"),  # the analytics' counts
        Index("ix_intel_item_feed_added", "feed_id", "added_at"),  # ... by source
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="news")
    source_name: Mapped[str | None] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(String(1000))
    # The original document or article.
    url: Mapped[str | None] = mapped_column(String(1000))
    # `url` normalised (scheme, host case, tracking parameters) to find the same item twice.
    canonical_url: Mapped[str | None] = mapped_column(String(1000), index=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feed.id", ondelete="SET NULL"))
    entry_id: Mapped[str | None] = mapped_column(String(500))
    # Other sources that published the same item (harvest dedup across feeds).
    also_from: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(8))
    # The words that triggered each automatic tag: {"countries": {"JP": ["Tokyo"]},
    # "sectors": {"food": ["sake"]}} (the harvester's tagger; None for other items).
    tag_reasons: Mapped[dict[str, dict[str, list[str]]] | None] = mapped_column(JSON)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    is_global: Mapped[bool] = mapped_column(Boolean, default=False)
    # is_specific(...) of its tags, kept by every flush that changes them (_keep_specific).
    specific: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    status: Mapped[str] = mapped_column(String(20), default="draft")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # Where the content comes from when it is not a member's own (demo data, imports).
    source_note: Mapped[str | None] = mapped_column(Text)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    author: Mapped[User | None] = relationship()
    feed: Mapped[Feed | None] = relationship()
    sectors: Mapped[list[Sector]] = relationship(secondary=intel_sector, order_by=Sector.name)
    country_rows: Mapped[list[IntelCountry]] = relationship(
        cascade="all, delete-orphan", order_by=IntelCountry.country_code
    )
    attachments: Mapped[list[IntelAttachment]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="IntelAttachment.id"
    )

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def url_path(self) -> str:
        return f"/intel/{self.id}"


class ItemWeek(Base):
    """A week in which a member added an intelligence item (one the content flow counts
    as written by members: no feed), whatever its status now: one row per author and
    week, `week` its Monday in UTC (forum/insights/analytics_taking_part.py). Database triggers
    on `intel_item` (migration 0029) keep it equal to the items."""

    __tablename__ = "member_item_week"
    __table_args__ = (Index("ix_member_item_week_week", "week", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class IntelAttachment(ExtractedText, Base):
    """A file attached to an item, with the text extracted from it (or why not)."""

    __tablename__ = "intel_attachment"
    __table_args__ = (Index("ix_intel_attachment_sha256", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("intel_item.id", ondelete="CASCADE"), index=True
    )
    uploader_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    original_name: Mapped[str] = mapped_column(String(200))
    storage_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item: Mapped[IntelItem] = relationship(back_populates="attachments")


class IntelRevision(Base):
    """One value, changed by every flush that changes items or their tags.

    Lists cache their totals and facet counts per revision (`counts.cached_counts`), so
    a page of /intel costs its page of rows, not a count of the whole repository, until
    the next change.
    """

    __tablename__ = "intel_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


_TAG_ATTRIBUTES = ("is_global", "country_rows", "sectors")


@event.listens_for(Session, "before_flush")
def _keep_specific(session: Session, _context: object, _instances: object) -> None:
    """Every new item, and every item whose tags change, records whether it is specific.

    Unchanged tags are not read (their history says so without loading them)."""
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, IntelItem):
            continue
        state = inspect(obj)
        if obj in session.new or any(
            state.attrs[name].history.has_changes() for name in _TAG_ATTRIBUTES
        ):
            specific = is_specific(bool(obj.is_global), len(obj.country_rows), len(obj.sectors))
            if obj.specific is not specific:
                obj.specific = specific


@event.listens_for(Session, "before_flush")
def _move_revision_on(session: Session, _context: object, _instances: object) -> None:
    """Every flush that adds, changes or deletes an item or its countries moves the
    revision on (sector and status changes mark the item itself as changed).

    Registered with the tables, so that every process that writes items moves it."""
    changed = (*session.new, *session.dirty, *session.deleted)
    if not any(isinstance(obj, IntelItem | IntelCountry) for obj in changed):
        return
    # A random value rather than a counter: a rolled-back change must never leave a
    # revision number that another change later reuses for different content.
    value = secrets.randbits(62)
    connection = session.connection()
    moved = connection.execute(
        update(IntelRevision).where(IntelRevision.id == 1).values(value=value)
    )
    if moved.rowcount == 0:
        connection.execute(insert(IntelRevision).values(id=1, value=value))


class TagCorrection(Base):
    """A tag a reviewer or an item's author added to or removed from an item, with the
    item's text at the time: `forum tagging export` writes these as labelled examples."""

    __tablename__ = "tag_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("intel_item.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(20))  # "countries" or "sectors"
    code: Mapped[str] = mapped_column(String(60))  # ISO alpha-2 code or sector slug
    action: Mapped[str] = mapped_column(String(10))  # "added" or "removed"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    url: Mapped[str | None] = mapped_column(String(1000))
