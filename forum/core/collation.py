"""Sorting names as the reader's language sorts them: ICU collation (PyICU).

Plain string order puts "Émirats arabes unis" after "Zimbabwe" (É comes after z in
Unicode) and "Łotwa" after "Macedonia"; a French reader looks for the first among the
E's, a Polish reader for the second right after "Luksemburg". The collator of the reader's
language (CLDR's rules, through ICU) knows both. Every sorted list of countries, region
groups and sectors a reader sees (pickers, facets, country lists) sorts with `sort_key`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

import icu

from forum.core import i18n

T = TypeVar("T")

# One collator per thread and locale: ICU's collators are cheap to keep and each thread
# gets its own, so that none is shared between two requests answered at once.
_local = threading.local()


def _collator(locale: str) -> icu.Collator:
    table: dict[str, icu.Collator] = _local.__dict__.setdefault("collators", {})
    collator = table.get(locale)
    if collator is None:
        collator = table[locale] = icu.Collator.createInstance(icu.Locale(locale))
    return collator


def collation_locale(language: str | None = None) -> str:
    """The CLDR locale whose order `language` (the reader's, by default) sorts in."""
    return i18n.babel_locale(language or i18n.language())


def sort_key(text: str, language: str | None = None) -> bytes:
    """The key that sorts `text` as readers of `language` (the current one by default)
    expect: accents and case after the letters, each alphabet's own letters in place."""
    return bytes(_collator(collation_locale(language)).getSortKey(text))


def collated(
    items: Iterable[T], key: Callable[[T], str], *, language: str | None = None
) -> list[T]:
    """`items` sorted by `key(item)` in the order of `language` (the reader's by default)."""
    collator = _collator(collation_locale(language))
    return sorted(items, key=lambda item: bytes(collator.getSortKey(key(item))))


__all__ = ["collated", "collation_locale", "sort_key"]
