"""Auto-tagging: countries (ISO 3166-1 alpha-2) and sectors (slugs) found in a title and summary.

Countries
---------
Surface forms are pycountry's `name`, `common_name` and `official_name` (a leading "the "
dropped), plus the committed `data/country_aliases.json`: aliases (USA, UK, South Korea,
Vietnam, Ivory Coast...), demonyms (Japanese, Emirati, Brazilian...) and context phrases.
All forms go into one compiled alternation, longest first, with word boundaries on both
sides, so at any position the longest form wins: "Papua New Guinea" is PG and not also GN,
"Guinea-Bissau" is GW, "Niger" never matches inside "Nigeria" or "Nigerian".

Rules, in order:

1. Context phrases ("Indian Ocean", "guinea pig", "fine china", "Christmas turkey",
   "Michael Jordan", "Jordan River", "state of Georgia", "New Jersey"...) match in any
   capitalisation and win as the longer match; each tags the country it names, or none.
2. Capitalisation: a name, alias or demonym counts only when its first letter is upper
   case, so "turkey", "china", "chad" and "polish" are not countries. Aliases without
   lower-case letters (US, U.S., UK, UAE, DRC) must match exactly, so "us" is not the US.
3. Georgia: GE, unless the text has US-state context: Atlanta or Savannah named without
   Tbilisi (then US). "Georgia, USA", "state of Georgia" and "Georgia Tech" are context
   phrases for US.
4. First-name countries (Chad, Jordan): read as a person when directly followed by a
   capitalised word ("Chad Thompson", "Jordan Lee") that is neither a country form nor a
   word that commonly follows a country in news (Government, Ministry, Basin, EU, ...).
   The rule is off in Title Case lines, where every word is capitalised anyway.
   "Michael Jordan", "Air Jordan" and "Jordan River" are context phrases for no country.

Sectors
-------
Conservative keyword lists per slug (SECTOR_KEYWORDS), matched case-insensitively on word
boundaries with an optional plural "s", longest first; spaces and hyphens inside a keyword
are interchangeable ("health care", "healthcare", "e-commerce"). Keywords written in
capitals (AI, EV, LNG) must match exactly. A keyword can name more than one sector
("digital health" is digital and healthcare; food-innovation keywords are also food).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pycountry

_ALIASES_FILE = "country_aliases.json"

# Words that, right after "Chad" or "Jordan", show the country is meant.
_COUNTRY_CONTEXT_WORDS = frozenset(
    [
        "Agency",
        "Army",
        "Authority",
        "Bank",
        "Basin",
        "Business",
        "Central",
        "Chamber",
        "Commerce",
        "Council",
        "Customs",
        "Delegation",
        "Development",
        "Embassy",
        "Export",
        "Exports",
        "Government",
        "Import",
        "Imports",
        "Investment",
        "King",
        "Minister",
        "Ministers",
        "Ministry",
        "Mission",
        "National",
        "Office",
        "Parliament",
        "Pavilion",
        "President",
        "Prime",
        "Republic",
        "Senate",
        "State",
        "Trade",
        "Valley",
    ]
)
_FIRST_NAME_COUNTRIES = frozenset({"TD", "JO"})
_US_STATE_CONTEXT = re.compile(r"\b(?:Atlanta|Savannah)\b")
_GEORGIA_COUNTRY_CONTEXT = re.compile(r"\bTbilisi\b")
_NEXT_CAPITALISED = re.compile(r"[ \t]+([A-Z][A-Za-z]*)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")

# Sector slugs of the project (forum.taxonomy.service.REPORT_SECTORS) and their keywords.
SECTOR_KEYWORDS: dict[str, tuple[str, ...]] = {
    "blue-energy": (
        "blue energy",
        "ocean energy",
        "marine energy",
        "marine renewable",
        "tidal energy",
        "tidal power",
        "tidal turbine",
        "tidal stream",
        "wave energy",
        "wave power",
        "offshore wind",
        "floating wind",
        "floating offshore",
    ),
    "cosmetics": (
        "cosmetic",
        "cosmetics",
        "beauty",
        "skincare",
        "skin care",
        "perfume",
        "perfumery",
        "fragrance",
        "make-up",
        "makeup",
        "personal care",
        "nail polish",
        "haircare",
        "hair care",
        "lipstick",
    ),
    "digital": (
        "digital",
        "software",
        "SaaS",
        "cybersecurity",
        "cyber security",
        "artificial intelligence",
        "AI",
        "cloud computing",
        "data centre",
        "data center",
        "e-commerce",
        "fintech",
        "digitalisation",
        "digitalization",
        "ICT",
        "IoT",
        "internet of things",
        "big data",
        "blockchain",
        "5G",
        "app developer",
        "IT services",
        "IT outsourcing",
        "IT companies",
        "IT firms",
    ),
    "energy": (
        "energy",
        "oil and gas",
        "crude oil",
        "natural gas",
        "LNG",
        "gas pipeline",
        "petroleum",
        "refinery",
        "power grid",
        "electricity",
        "grid operator",
        "nuclear",
        "hydrogen",
        "energy storage",
        "battery storage",
        "power plant",
        "utilities",
    ),
    "environmental-observation": (
        "environmental observation",
        "earth observation",
        "satellite imagery",
        "remote sensing",
        "environmental monitoring",
        "air quality",
        "water quality",
        "climate monitoring",
        "pollution monitoring",
        "biodiversity monitoring",
        "emissions monitoring",
        "weather station",
        "environmental sensor",
        "wildfire detection",
        "drought monitoring",
        "flood monitoring",
        "Copernicus",
    ),
    "food": (
        "food",
        "foods",
        "agri-food",
        "agrifood",
        "dairy",
        "cheese",
        "wine",
        "winemaker",
        "olive oil",
        "palm oil",
        "meat",
        "seafood",
        "beverage",
        "bakery",
        "confectionery",
        "coffee",
        "cocoa",
        "chocolate",
        "fruit",
        "vegetable",
        "organic produce",
        "halal",
        "pasta",
        "spirits",
        "brewer",
        "brewery",
        "craft beer",
        "poultry",
        "fisheries",
        "aquaculture",
        "gourmet",
        "delicatessen",
    ),
    "food-innovation": (
        "food innovation",
        "foodtech",
        "food tech",
        "alternative protein",
        "plant-based",
        "cultivated meat",
        "cultured meat",
        "precision fermentation",
        "insect protein",
        "novel food",
        "functional food",
        "vertical farming",
        "meat substitute",
        "dairy alternative",
    ),
    "healthcare": (
        "healthcare",
        "health care",
        "medical",
        "medtech",
        "hospital",
        "pharmaceutical",
        "pharma",
        "biotech",
        "biotechnology",
        "diagnostics",
        "telemedicine",
        "e-health",
        "digital health",
        "clinical trial",
        "vaccine",
        "life sciences",
        "health",
    ),
    "high-tech": (
        "high-tech",
        "high tech",
        "hightech",
        "semiconductor",
        "microelectronics",
        "microchip",
        "chipmaker",
        "photonics",
        "robotics",
        "robot",
        "nanotechnology",
        "quantum",
        "advanced manufacturing",
        "aerospace",
        "3D printing",
        "additive manufacturing",
        "laser",
        "optoelectronics",
        "deep tech",
        "deeptech",
        "electronics",
        "precision engineering",
    ),
    "sustainable-hospitality": (
        "sustainable hospitality",
        "hospitality",
        "hotel",
        "hotelier",
        "tourism",
        "ecotourism",
        "eco-tourism",
        "agritourism",
        "tourist",
        "eco-resort",
        "holiday resort",
    ),
    "maritime-observation": (
        "maritime observation",
        "maritime surveillance",
        "ocean observation",
        "ocean monitoring",
        "sonar",
        "underwater drone",
        "underwater vehicle",
        "autonomous underwater",
        "AUV",
        "hydrographic",
        "oceanographic",
        "buoy",
        "vessel tracking",
        "ship tracking",
        "seabed mapping",
        "subsea sensor",
        "marine sensor",
        "coastal surveillance",
    ),
    "media": (
        "media",
        "broadcasting",
        "broadcaster",
        "film",
        "filmmaker",
        "audiovisual",
        "publishing",
        "publisher",
        "television",
        "TV",
        "streaming",
        "journalism",
        "newsroom",
        "video game",
        "animation studio",
        "music industry",
        "advertising",
        "podcast",
        "cinema",
        "news outlet",
    ),
    "railway": (
        "railway",
        "rail",
        "railroad",
        "rolling stock",
        "locomotive",
        "high-speed train",
        "freight train",
        "passenger train",
        "train operator",
        "train manufacturer",
        "tram",
        "tramway",
        "metro line",
        "signalling",
        "ERTMS",
    ),
    "renewable-energy": (
        "renewable",
        "renewable energy",
        "solar",
        "photovoltaic",
        "PV",
        "wind farm",
        "wind power",
        "wind energy",
        "wind turbine",
        "onshore wind",
        "offshore wind",
        "floating wind",
        "geothermal",
        "biomass",
        "biogas",
        "biomethane",
        "hydropower",
        "hydroelectric",
        "green hydrogen",
        "clean energy",
        "green energy",
    ),
    "smart-mobility": (
        "smart mobility",
        "electric vehicle",
        "EV",
        "e-mobility",
        "electromobility",
        "charging station",
        "charging point",
        "charging network",
        "autonomous vehicle",
        "autonomous driving",
        "self-driving",
        "connected car",
        "car-sharing",
        "carsharing",
        "ride-hailing",
        "micromobility",
        "micro-mobility",
        "e-scooter",
        "e-bike",
        "bike-sharing",
        "mobility-as-a-service",
        "MaaS",
        "urban mobility",
        "traffic management",
        "electric bus",
    ),
    "textile": (
        "textile",
        "apparel",
        "garment",
        "clothing",
        "fashion",
        "fabric",
        "yarn",
        "cotton",
        "wool",
        "silk",
        "denim",
        "knitwear",
        "technical textile",
        "nonwoven",
        "weaving",
        "footwear",
        "linen",
        "sportswear",
    ),
}

# Keywords that also name a second sector.
_ALSO: dict[str, tuple[str, ...]] = {
    "digital health": ("digital",),
    "offshore wind": ("blue-energy", "renewable-energy"),
    "floating wind": ("blue-energy", "renewable-energy"),
    "nail polish": ("cosmetics",),
}
for _keyword in SECTOR_KEYWORDS["food-innovation"]:
    _ALSO[_keyword] = ("food",)


@dataclass(frozen=True)
class Tags:
    """What `tag` found: ISO alpha-2 country codes and sector slugs."""

    countries: frozenset[str]
    sectors: frozenset[str]


@dataclass(frozen=True)
class _Form:
    """One surface form: what it tags (None: nothing) and how strictly it must match."""

    country: str | None
    text: str
    context: bool  # a context phrase: any capitalisation
    exact: bool  # an abbreviation: exact capitalisation


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _key(text: str) -> str:
    """Lookup key for a matched text: accents off, case folded, whitespace collapsed."""
    return " ".join(_strip_accents(text).replace("’", "'").casefold().split())


def _form_regex(text: str) -> str:
    """The regex for a surface form: escaped, any run of whitespace between words."""
    return r"\s+".join(re.escape(part) for part in text.split())


def _load_aliases() -> dict[str, Any]:
    raw = resources.files("forum.intelligence").joinpath("data", _ALIASES_FILE).read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def _pycountry_names() -> Iterator[tuple[str, str]]:
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if not value:
                continue
            if value.lower().startswith("the "):
                value = value[4:]
            yield country.alpha_2, value


def _plural_ok(demonym: str) -> bool:
    return not demonym.endswith(("s", "h", "ese"))


@dataclass(frozen=True)
class _CountryMatcher:
    pattern: re.Pattern[str]
    forms: dict[str, _Form]


@cache
def _country_matcher() -> _CountryMatcher:
    data = _load_aliases()
    forms: dict[str, _Form] = {}
    surfaces: set[str] = set()  # every spelling the regex must find
    plural: set[str] = set()

    def add(form: _Form) -> None:
        forms[_key(form.text)] = form
        surfaces.update({form.text, _strip_accents(form.text)})

    # Lowest priority first: later entries overwrite earlier ones with the same key.
    for code, name in _pycountry_names():
        add(_Form(code, name, context=False, exact=False))
    for code, names in data["aliases"].items():
        for name in names:
            add(_Form(code, name, context=False, exact=not any(c.islower() for c in name)))
    for code, names in data["demonyms"].items():
        for name in names:
            add(_Form(code, name, context=False, exact=False))
            if _plural_ok(name):
                plural.add(_key(name))
    for entry in data["contexts"]:
        add(_Form(entry["country"], entry["phrase"], context=True, exact=False))

    alternatives = []
    for surface in sorted(surfaces, key=lambda text: (-len(text), text)):
        regex = _form_regex(surface)
        if _key(surface) in plural:
            regex += "s?"
        alternatives.append(regex)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
    return _CountryMatcher(pattern, forms)


def _lookup(forms: dict[str, _Form], matched: str) -> _Form | None:
    key = _key(matched)
    form = forms.get(key)
    if form is None and key.endswith("s"):
        form = forms.get(key[:-1])
    return form


def _line_at(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text[start : end if end >= 0 else len(text)]


def _is_title_case(line: str) -> bool:
    """Most longer words capitalised (a Title Case headline)."""
    words: list[str] = [w for w in _WORD.findall(line)[1:] if len(w) >= 4]
    if len(words) < 3:
        return False
    return sum(w[0].isupper() for w in words) / len(words) >= 0.7


def _reads_as_person(text: str, end: int, forms: dict[str, _Form]) -> bool:
    """Chad/Jordan directly followed by a capitalised word that is no country context."""
    following = _NEXT_CAPITALISED.match(text, end)
    if following is None:
        return False
    word = following.group(1)
    if word in _COUNTRY_CONTEXT_WORDS or word.isupper() or _lookup(forms, word) is not None:
        return False
    return not _is_title_case(_line_at(text, end))


def _accept(text: str, match: re.Match[str], form: _Form, forms: dict[str, _Form]) -> bool:
    matched = match.group(0)
    if form.context:
        return True
    if form.exact:
        return matched == form.text
    if not matched[0].isupper():
        return False
    if form.country in _FIRST_NAME_COUNTRIES and _key(matched) in {"chad", "jordan"}:
        return not _reads_as_person(text, match.end(), forms)
    return True


def _normalise(text: str) -> str:
    return text.replace("’", "'")


def tag_countries(text: str) -> set[str]:
    """ISO 3166-1 alpha-2 codes of the countries the text names (see the module rules)."""
    matcher = _country_matcher()
    text = _normalise(text)
    found: set[str] = set()
    position = 0
    while True:
        match = matcher.pattern.search(text, position)
        if match is None:
            break
        form = _lookup(matcher.forms, match.group(0))
        if form is None or not _accept(text, match, form, matcher.forms):
            # Not this form here; a shorter one may still start further on inside it.
            position = match.start() + 1
            continue
        position = match.end()
        code = form.country
        if (
            code == "GE"
            and _key(match.group(0)) == "georgia"
            and _US_STATE_CONTEXT.search(text)
            and not _GEORGIA_COUNTRY_CONTEXT.search(text)
        ):
            code = "US"
        if code is not None:
            found.add(code)
    return found


@dataclass(frozen=True)
class _SectorMatcher:
    pattern: re.Pattern[str]
    keywords: dict[str, tuple[str, frozenset[str]]]  # key -> (keyword, slugs)


def _sector_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "", text.casefold())


def _keyword_regex(keyword: str) -> str:
    parts = re.split(r"[\s\-]+", keyword)
    return r"[\s\-]*".join(re.escape(part) for part in parts) + "s?"


@cache
def _sector_matcher() -> _SectorMatcher:
    slugs_by_key: dict[str, set[str]] = {}
    keyword_by_key: dict[str, str] = {}
    for slug, slug_keywords in SECTOR_KEYWORDS.items():
        for keyword in slug_keywords:
            key = _sector_key(keyword)
            slugs_by_key.setdefault(key, set()).add(slug)
            slugs_by_key[key].update(_ALSO.get(keyword, ()))
            keyword_by_key[key] = keyword
    ordered = sorted(keyword_by_key.values(), key=lambda k: (-len(k), k))
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(_keyword_regex(k) for k in ordered) + r")(?!\w)",
        re.IGNORECASE,
    )
    keywords = {key: (keyword_by_key[key], frozenset(slugs)) for key, slugs in slugs_by_key.items()}
    return _SectorMatcher(pattern, keywords)


def tag_sectors(text: str) -> set[str]:
    """Sector slugs whose keywords the text contains."""
    matcher = _sector_matcher()
    found: set[str] = set()
    position = 0
    while True:
        match = matcher.pattern.search(text, position)
        if match is None:
            break
        matched = match.group(0)
        key = _sector_key(matched)
        entry = matcher.keywords.get(key)
        if entry is None and key.endswith("s"):
            entry = matcher.keywords.get(key[:-1])
        if entry is None:
            position = match.start() + 1
            continue
        keyword, slugs = entry
        if not any(c.islower() for c in keyword) and matched.rstrip("s") != keyword:
            position = match.start() + 1  # an abbreviation in the wrong case ("ai", "tv")
            continue
        position = match.end()
        found.update(slugs)
    return found


def tag(title: str, summary: str = "") -> Tags:
    """Countries and sectors named in a title and its summary."""
    text = f"{title}\n{summary}" if summary else title
    return Tags(frozenset(tag_countries(text)), frozenset(tag_sectors(text)))
