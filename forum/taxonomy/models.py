"""Sectors: the small editable taxonomy content is tagged with.

Countries are not a table: they are ISO 3166-1 alpha-2 codes, named by pycountry.
Region groups come from a committed data file (see regions.py).
"""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import Base


class Sector(Base):
    __tablename__ = "sector"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # The wording the 2019 report used, when the sector was seeded from it.
    report_label: Mapped[str | None] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
