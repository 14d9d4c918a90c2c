"""Sectors: the small editable taxonomy content is tagged with.

Countries are not a table: they are ISO 3166-1 alpha-2 codes, named by pycountry.
Region groups come from a committed data file (see regions.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy import JSON, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from forum.core import i18n
from forum.core.db import Base

# The languages a sector has a name in besides English, its stored `name`: those the
# forum's catalogs translate (docs/translation.md). The admin's sector form has a field
# for each.
SECTOR_NAME_LANGUAGES = ("fr", "de", "es", "it", "pl")


def localised_name(name: str, names: Mapping[str, str] | None) -> str:
    """`names` in the reader's language, else the stored English `name`."""
    return (names or {}).get(i18n.language()) or name


class Sector(Base):
    __tablename__ = "sector"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # The wording the 2019 report used, when the sector was seeded from it.
    report_label: Mapped[str | None] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The name in other languages, {"fr": "Agroalimentaire", ...}: only those written;
    # a reader whose language has none reads `name`.
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))

    @property
    def label(self) -> str:
        """The sector's name in the reader's language, else its English `name`."""
        return localised_name(self.name, self.names)

    @property
    def all_names(self) -> tuple[str, ...]:
        """Its English name and its names in other languages, each once: what search
        finds it by ("agroalimentaire" finds what is tagged Food industry)."""
        return tuple(dict.fromkeys([self.name, *(self.names or {}).values()]))


class CountryTagged:
    """Mixin for content tagged with countries through a `country_rows` relationship.

    The model names its row class in `country_row_class`; rows carry `country_code`.
    """

    country_row_class: ClassVar[type[Any]]
    country_rows: Any  # the model's relationship to its country rows

    @property
    def country_codes(self) -> list[str]:
        return [row.country_code for row in self.country_rows]

    def set_countries(self, codes: list[str]) -> None:
        """Replace the tags with `codes`, keeping the rows that stay (no needless writes)."""
        current = {row.country_code: row for row in self.country_rows}
        self.country_rows = [
            current.get(code) or self.country_row_class(country_code=code)
            for code in sorted(set(codes))
        ]
