"""Countries, region groups and sectors: lookups, validation and seeding."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import pycountry
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.core.collation import collated
from forum.core.errors import Invalid
from forum.core.formats import country_name
from forum.core.i18n import _
from forum.taxonomy.models import Sector
from forum.taxonomy.regions import (
    UnknownCountryError,
    expand_codes,
    get_region_group,
    load_region_groups,
)


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    official_name: str | None = None

    @property
    def label(self) -> str:
        """The country's common name in the reader's language (CLDR)."""
        return country_name(self.code)

    @property
    def url(self) -> str:
        return f"/countries/{self.code}"


@cache
def _countries() -> dict[str, Country]:
    out = {}
    for record in pycountry.countries:
        # pycountry's common_name is the everyday name ("Taiwan", "Bolivia").
        name = getattr(record, "common_name", None) or record.name
        out[record.alpha_2] = Country(
            code=record.alpha_2, name=name, official_name=getattr(record, "official_name", None)
        )
    return out


def list_countries() -> list[Country]:
    """Every country, sorted by its name in the reader's language (ICU collation: a
    French reader finds "Émirats arabes unis" among the E's)."""
    return collated(_countries().values(), key=lambda c: c.label)


def country_options() -> list[tuple[str, str]]:
    """(code, name) of every country for a form's select, named and sorted in the
    reader's language."""
    return collated(((c.code, c.label) for c in _countries().values()), key=lambda o: o[1])


def place_options() -> list[tuple[str, str]]:
    """(code, name) of the places a form may choose: the region groups ("ASEAN
    (region)"), then every country, named and sorted in the reader's language."""
    groups = collated(load_region_groups().values(), key=lambda g: g.label)
    regions = [(g.code, _("%(name)s (region)", name=g.label)) for g in groups]
    return regions + country_options()


def get_country(code: str) -> Country | None:
    return _countries().get(code.upper())


def countries_for(codes: Iterable[str]) -> list[Country]:
    """The known countries among `codes`, sorted by name in the reader's language."""
    table = _countries()
    return collated((table[c] for c in codes if c in table), key=lambda c: c.label)


def resolve_country_filter(values: Sequence[str]) -> list[str]:
    """Turn filter input (ISO codes and region-group codes) into ISO codes.

    Raises UnknownCountryError naming the first value that is neither.
    """
    return expand_codes(v.strip() for v in values if v.strip())


def country_label(code: str) -> str:
    """A country's or a region group's name in the reader's language; the code itself
    when it is neither."""
    group = get_region_group(code)
    if group:
        return group.label
    country = get_country(code)
    return country.label if country else code


# The sectors of the 2019 report (Table 1), with the short slugs content is tagged with.
REPORT_SECTORS: tuple[tuple[str, str, str], ...] = (
    ("blue-energy", "Blue energy", "Blue Energy"),
    ("cosmetics", "Cosmetics", "Cosmetic Industry"),
    ("digital", "Digital industry", "Digital Industry"),
    ("energy", "Energy", "Energy Industry"),
    ("environmental-observation", "Environmental observation", "Environmental Observatory"),
    ("food", "Food industry", "Food Industry"),
    ("food-innovation", "Food innovation", "Food Innovation"),
    ("healthcare", "Healthcare", "Healthcare"),
    ("high-tech", "High-tech industry", "High Tech Industry"),
    ("sustainable-hospitality", "Sustainable hospitality", "Hospitality Sustainable Development"),
    ("maritime-observation", "Maritime observation", "Maritime Observation Technologies"),
    ("media", "Media", "Media"),
    ("railway", "Railway innovation", "Railway Innovation"),
    ("renewable-energy", "Renewable energies", "Renewable Energies"),
    ("smart-mobility", "Smart mobility", "Smart Mobility"),
    ("textile", "Textile", "Textile"),
)


# Their names in the forum's other languages, as cluster managers there call the sector
# (migration 0025 gave them to the sectors already there). Admins change them at
# /admin/sectors.
REPORT_SECTOR_NAMES: dict[str, dict[str, str]] = {
    "blue-energy": {
        "fr": "Énergies marines", "de": "Meeresenergie", "es": "Energías marinas",
        "it": "Energie marine", "pl": "Energetyka morska",
    },
    "cosmetics": {
        "fr": "Cosmétique", "de": "Kosmetik", "es": "Cosmética",
        "it": "Cosmetica", "pl": "Przemysł kosmetyczny",
    },
    "digital": {
        "fr": "Industrie numérique", "de": "Digitalwirtschaft", "es": "Industria digital",
        "it": "Industria digitale", "pl": "Przemysł cyfrowy",
    },
    "energy": {
        "fr": "Énergie", "de": "Energie", "es": "Energía",
        "it": "Energia", "pl": "Energetyka",
    },
    "environmental-observation": {
        "fr": "Observation de l'environnement", "de": "Umweltbeobachtung",
        "es": "Observación medioambiental", "it": "Osservazione ambientale",
        "pl": "Monitoring środowiska",
    },
    "food": {
        "fr": "Agroalimentaire", "de": "Lebensmittelindustrie", "es": "Industria alimentaria",
        "it": "Industria alimentare", "pl": "Przemysł spożywczy",
    },
    "food-innovation": {
        "fr": "Innovation alimentaire", "de": "Lebensmittelinnovation",
        "es": "Innovación alimentaria", "it": "Innovazione alimentare",
        "pl": "Innowacje spożywcze",
    },
    "healthcare": {
        "fr": "Santé", "de": "Gesundheitswirtschaft", "es": "Salud",
        "it": "Sanità", "pl": "Ochrona zdrowia",
    },
    "high-tech": {
        "fr": "Industries de haute technologie", "de": "Hochtechnologie",
        "es": "Industria de alta tecnología", "it": "Industria high-tech",
        "pl": "Przemysł zaawansowanych technologii",
    },
    "sustainable-hospitality": {
        "fr": "Hôtellerie durable", "de": "Nachhaltiges Gastgewerbe",
        "es": "Hostelería sostenible", "it": "Ospitalità sostenibile",
        "pl": "Zrównoważone hotelarstwo",
    },
    "maritime-observation": {
        "fr": "Observation maritime", "de": "Meeresbeobachtung", "es": "Observación marítima",
        "it": "Osservazione marittima", "pl": "Obserwacja morza",
    },
    "media": {
        "fr": "Médias", "de": "Medien", "es": "Medios de comunicación",
        "it": "Media", "pl": "Media",
    },
    "railway": {
        "fr": "Innovation ferroviaire", "de": "Bahninnovation", "es": "Innovación ferroviaria",
        "it": "Innovazione ferroviaria", "pl": "Innowacje kolejowe",
    },
    "renewable-energy": {
        "fr": "Énergies renouvelables", "de": "Erneuerbare Energien",
        "es": "Energías renovables", "it": "Energie rinnovabili",
        "pl": "Odnawialne źródła energii",
    },
    "smart-mobility": {
        "fr": "Mobilité intelligente", "de": "Intelligente Mobilität",
        "es": "Movilidad inteligente", "it": "Mobilità intelligente",
        "pl": "Inteligentna mobilność",
    },
    "textile": {
        "fr": "Textile", "de": "Textilindustrie", "es": "Industria textil",
        "it": "Tessile", "pl": "Przemysł tekstylny",
    },
}  # fmt: skip


def seed_sectors(session: Session) -> int:
    """Create the report's sectors that are missing, with their names in every language;
    answers how many were added.

    Existing sectors keep their (possibly admin-edited) names.
    """
    existing = set(session.scalars(select(Sector.slug)))
    added = 0
    for position, (slug, name, label) in enumerate(REPORT_SECTORS):
        if slug not in existing:
            names = dict(REPORT_SECTOR_NAMES.get(slug, {}))
            session.add(
                Sector(slug=slug, name=name, names=names, report_label=label, position=position)
            )
            added += 1
    session.flush()
    return added


def list_sectors(session: Session) -> list[Sector]:
    """Every sector, sorted by its name in the reader's language."""
    return collated(session.scalars(select(Sector)), key=lambda s: s.label)


def sector_labels(session: Session) -> dict[str, str]:
    """Each sector's name in the reader's language (else its English name), by slug: the
    words of facets and filter chips."""
    return {s.slug: s.label for s in session.scalars(select(Sector))}


def get_sector(session: Session, slug: str) -> Sector | None:
    return session.scalar(select(Sector).where(Sector.slug == slug))


class UnknownSectorError(Invalid):
    """A sector slug the taxonomy does not hold."""

    def __init__(self, slug: str) -> None:
        super().__init__(_("unknown sector: %(slug)s", slug=repr(slug)))
        self.slug = slug


def resolve_sectors(session: Session, slugs: Sequence[str]) -> list[Sector]:
    """The sectors named by `slugs`; raises UnknownSectorError naming the first unknown one."""
    wanted = [s.strip().lower() for s in slugs if s.strip()]
    if not wanted:
        return []
    found = {s.slug: s for s in session.scalars(select(Sector).where(Sector.slug.in_(wanted)))}
    for slug in wanted:
        if slug not in found:
            raise UnknownSectorError(slug)
    return [found[slug] for slug in dict.fromkeys(wanted)]


__all__ = [
    "Country",
    "UnknownCountryError",
    "UnknownSectorError",
    "countries_for",
    "country_label",
    "country_options",
    "get_country",
    "get_sector",
    "list_countries",
    "list_sectors",
    "resolve_country_filter",
    "resolve_sectors",
    "sector_labels",
    "seed_sectors",
]
