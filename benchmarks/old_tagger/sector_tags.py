"""Finding the sectors (slugs) a title and summary are about, by their keywords.

Conservative keyword lists per slug (`sector_keywords.py`), matched case-insensitively on
word boundaries with an optional plural "s", longest first; spaces and hyphens inside a
keyword are interchangeable ("health care", "healthcare", "e-commerce"). Keywords written
in capitals (AI, EV, LNG) must match exactly. A keyword can name more than one sector
("digital health" is digital and healthcare; food-innovation keywords are also food).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from benchmarks.old_tagger.sector_keywords import ALSO, SECTOR_KEYWORDS
from benchmarks.old_tagger.tag_text import scan, whole_words, words_regex


@dataclass(frozen=True)
class _SectorMatcher:
    pattern: re.Pattern[str]
    keywords: dict[str, tuple[str, frozenset[str]]]  # key -> (keyword, slugs)


def _sector_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "", text.casefold())


def _keyword_regex(keyword: str) -> str:
    return words_regex(re.split(r"[\s\-]+", keyword), r"[\s\-]*") + "s?"


@cache
def _sector_matcher() -> _SectorMatcher:
    slugs_by_key: dict[str, set[str]] = {}
    keyword_by_key: dict[str, str] = {}
    for slug, slug_keywords in SECTOR_KEYWORDS.items():
        for keyword in slug_keywords:
            key = _sector_key(keyword)
            slugs_by_key.setdefault(key, set()).add(slug)
            slugs_by_key[key].update(ALSO.get(keyword, ()))
            keyword_by_key[key] = keyword
    ordered = sorted(keyword_by_key.values(), key=lambda k: (-len(k), k))
    pattern = whole_words(_keyword_regex(k) for k in ordered)
    keywords = {key: (keyword_by_key[key], frozenset(slugs)) for key, slugs in slugs_by_key.items()}
    return _SectorMatcher(pattern, keywords)


def tag_sectors(text: str) -> set[str]:
    """Sector slugs whose keywords the text contains."""
    matcher = _sector_matcher()

    def read(match: re.Match[str]) -> frozenset[str] | None:
        matched = match.group(0)
        key = _sector_key(matched)
        entry = matcher.keywords.get(key)
        if entry is None and key.endswith("s"):
            entry = matcher.keywords.get(key[:-1])
        if entry is None:
            return None
        keyword, slugs = entry
        if not any(c.islower() for c in keyword) and matched.rstrip("s") != keyword:
            return None  # an abbreviation in the wrong case ("ai", "tv")
        return slugs

    found: set[str] = set()
    for slugs in scan(matcher.pattern, text, read):
        found.update(slugs)
    return found
