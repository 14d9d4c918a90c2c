"""Every name a reader may type for a country or a region group, both ways.

`country_names("MA")` is what finds a country: its English everyday and short names and
their translations in the main EU languages (pycountry's iso3166-1 catalogs: `Maroc`,
`Marokko`, `Marocco`, `Marruecos` ...). Official names stay out: "Kingdom of" or
"Republic of" would make every country answer to "kingdom".

`find_place("japon")` goes the other way: the ISO code or region-group code that a name
stands for, ignoring case, accents and the hyphens or underscores a search box needs
instead of spaces (`country:south_korea`), or None when nothing is called that.
"""

from __future__ import annotations

import gettext
import unicodedata
from functools import cache

import pycountry

from forum.core.i18n import available, using
from forum.taxonomy.regions import GROUP_PREFIX, load_region_groups

# The languages whose country names are known besides English: the most spoken official
# languages of the EU, and those of the report's partnerships.
COUNTRY_NAME_LANGUAGES = ("fr", "de", "it", "es", "nl", "pt", "pl", "sv", "da", "fi", "cs", "el")


@cache
def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


@cache
def country_names(code: str) -> tuple[str, ...]:
    """Every name of the country `code` a reader may type, English first, without repeats."""
    record = pycountry.countries.get(alpha_2=code)
    if record is None:
        return (code,)
    english = [getattr(record, "common_name", None), record.name]
    names = [name for name in english if name]
    for language in COUNTRY_NAME_LANGUAGES:
        for name in english:
            if name:
                translated = _translations(language).gettext(name)
                if translated != name:
                    names.append(translated)
    return tuple(dict.fromkeys(names))


_AS_SPACES = str.maketrans({"-": " ", "_": " ", "'": " ", "’": " "})


def name_key(text: str) -> str:
    """The lookup key of a typed name: accents off, case folded, and the `-`, `_` and
    apostrophes a search box word has instead of spaces as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_AS_SPACES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


@cache
def _places() -> dict[str, str]:
    table: dict[str, str] = {}
    for record in pycountry.countries:
        for name in country_names(record.alpha_2):
            # The first country to claim a name keeps it.
            table.setdefault(name_key(name), record.alpha_2)
    for code, group in load_region_groups().items():
        bare = code.removeprefix(GROUP_PREFIX)
        # A group is found by its code without the prefix ("asean") and its names in
        # every interface language; a country's own name wins over a group's.
        labels = {bare, group.name}
        for language in available():
            with using(language):
                labels.add(group.label)
        for label in labels:
            table.setdefault(name_key(label), code)
    return table


def find_place(name: str) -> str | None:
    """The ISO code or region-group code called `name` in a known language, or None."""
    return _places().get(name_key(name))
