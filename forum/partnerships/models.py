"""Partnerships: the cluster partnerships (ESCP-4i and later ones) and what they target."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import Base, UTCDateTime, utcnow
from forum.taxonomy.models import CountryTagged, Sector

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
