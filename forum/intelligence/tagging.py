"""Auto-tagging: the countries and sectors a title and summary name, and why.

The harvester tags every new entry this way, in the entry's language. The country finder
and its rules are in `country_tags.py` (its forms in `country_names.py`, cities and regions
in `place_names.py`), the sector finder in `sector_tags.py` (keywords in
`sector_keywords.py`), the text normalisation both share in `tag_text.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from forum.intelligence.country_tags import find_countries
from forum.intelligence.sector_tags import find_sectors


@dataclass(frozen=True)
class Tags:
    """What `tag` found: ISO alpha-2 country codes and sector slugs, and for each the words
    that triggered it (`reasons["countries"]["JP"] == ["Tokyo"]`)."""

    countries: frozenset[str]
    sectors: frozenset[str]
    reasons: Mapping[str, Mapping[str, list[str]]] = field(default_factory=dict, compare=False)


def tag(title: str, summary: str = "", language: str | None = None) -> Tags:
    """Countries and sectors named in a title and its summary, read in `language` (an ISO
    639-1 code; None or an unknown language: English only)."""
    text = f"{title}\n{summary}" if summary else title
    countries = find_countries(text, language)
    sectors = find_sectors(text, language)
    return Tags(
        frozenset(countries),
        frozenset(sectors),
        {"countries": countries, "sectors": sectors},
    )
