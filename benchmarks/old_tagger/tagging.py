"""Auto-tagging: the countries and sectors a title and summary name.

The harvester tags every new entry this way. The country finder and its rules are in
`country_tags.py`, the sector finder in `sector_tags.py` (keywords in
`sector_keywords.py`), the text normalisation both share in `tag_text.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.old_tagger.country_tags import tag_countries
from benchmarks.old_tagger.sector_tags import tag_sectors


@dataclass(frozen=True)
class Tags:
    """What `tag` found: ISO alpha-2 country codes and sector slugs."""

    countries: frozenset[str]
    sectors: frozenset[str]


def tag(title: str, summary: str = "") -> Tags:
    """Countries and sectors named in a title and its summary."""
    text = f"{title}\n{summary}" if summary else title
    return Tags(frozenset(tag_countries(text)), frozenset(tag_sectors(text)))
