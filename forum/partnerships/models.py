"""Partnerships: the cluster partnerships (ESCP-4i and later ones), what they target, and the
cooperation agreements they signed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.core.db import Base, UTCDateTime, utcnow
from forum.taxonomy.models import CountryTagged, Sector
from forum.taxonomy.service import Country, get_country

partnership_sector = Table(
    "partnership_sector",
    Base.metadata,
    Column("partnership_id", ForeignKey("partnership.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sector.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class PartnershipCountry(Base):
    """A target country of a partnership (ISO 3166-1 alpha-2)."""

    __tablename__ = "partnership_country"

    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)


class Partnership(CountryTagged, Base):
    __tablename__ = "partnership"
    country_row_class = PartnershipCountry

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # Other spellings of the name, as found in sources; search and imports resolve them.
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    strand: Mapped[int | None] = mapped_column(Integer)
    website: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    # The source's own words when it names no countries ("To be defined"), or None.
    targets_note: Mapped[str | None] = mapped_column(String(200))
    # The member who approves join requests and edits the profile.
    coordinator_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # Where the facts above come from, shown on the profile page.
    source_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    sectors: Mapped[list[Sector]] = relationship(secondary=partnership_sector, order_by=Sector.name)
    country_rows: Mapped[list[PartnershipCountry]] = relationship(
        cascade="all, delete-orphan", order_by=PartnershipCountry.country_code
    )


class Agreement(Base):
    """A cooperation agreement or memorandum of understanding a partnership signed.

    Every fact the source does not state is None and shown as "unknown": the
    counterpart, its country (ISO 3166-1 alpha-2), the topic, the date. A partial
    date ("2018", "spring 2019") leaves `signed_on` None and keeps the words in
    `date_text`.
    """

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    counterpart: Mapped[str | None] = mapped_column(String(300))
    counterpart_country: Mapped[str | None] = mapped_column(String(2), index=True)
    topic: Mapped[str | None] = mapped_column(String(300))
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    date_text: Mapped[str | None] = mapped_column(String(200))
    # Where the facts come from (the report's section), shown with the agreement.
    source_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    partnership: Mapped[Partnership] = relationship()

    @property
    def country(self) -> Country | None:
        """The counterpart's country, or None when unknown."""
        return get_country(self.counterpart_country) if self.counterpart_country else None
