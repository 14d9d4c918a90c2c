"""Region groups: named sets of countries with a prefixed code (`g:eu27`, `g:asean`).

Groups are accepted wherever countries are and expanded at query time; content stores
countries only. Membership comes from the committed `data/region_groups.json`, which
names each group's source and the date its membership is stated for. No database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import pycountry

from forum.core.errors import Invalid
from forum.core.i18n import _, _l

GROUP_PREFIX = "g:"
_DATA_FILE = "region_groups.json"
# The groups' names as people read them, in their language (the data file's `name` is
# the English one, kept for a group added to the file before it is added here).
_LABELS = {
    "g:eu27": _l("European Union (27)"),
    "g:eea": _l("European Economic Area"),
    "g:efta": _l("European Free Trade Association"),
    "g:europe": _l("Europe"),
    "g:north-america": _l("North America"),
    "g:latin-america": _l("Latin America and the Caribbean"),
    "g:asean": _l("ASEAN"),
    "g:gcc": _l("Gulf Cooperation Council"),
    "g:mena": _l("Middle East and North Africa"),
    "g:sub-saharan-africa": _l("Sub-Saharan Africa"),
    "g:central-asia": _l("Central Asia"),
    "g:east-asia": _l("East Asia"),
    "g:south-asia": _l("South Asia"),
    "g:south-east-asia": _l("South-East Asia"),
    "g:oceania": _l("Oceania"),
    "g:g7": _l("G7"),
    "g:g20": _l("G20"),
    "g:oecd": _l("OECD"),
    "g:mercosur": _l("Mercosur"),
    "g:african-union": _l("African Union"),
}


class UnknownCountryError(Invalid):
    """A code that is neither an ISO 3166-1 alpha-2 country nor a known region group."""

    def __init__(self, code: str) -> None:
        super().__init__(_("unknown country or region group code: %(code)s", code=repr(code)))
        self.code = code


@dataclass(frozen=True)
class RegionGroup:
    """One region group.

    `members` are upper-case ISO 3166-1 alpha-2 codes, all known to pycountry.
    `source` names the publisher's list, `source_url` where it is published, `as_of`
    the date the membership is stated for; `definition` says which definition of the
    region is meant, `note` what was left out or added, and why.
    """

    code: str
    name: str
    members: frozenset[str]
    source: str
    as_of: date
    note: str = ""
    source_url: str = ""
    definition: str = ""

    @property
    def label(self) -> str:
        """The group's name in the reader's language."""
        label = _LABELS.get(self.code)
        return str(label) if label is not None else self.name

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.upper() in self.members


@cache
def _iso_codes() -> frozenset[str]:
    return frozenset(record.alpha_2 for record in pycountry.countries)


def _parse_group(raw: dict[str, Any], iso: frozenset[str]) -> RegionGroup:
    code = str(raw["code"])
    if not code.startswith(GROUP_PREFIX) or code != code.lower():
        raise ValueError(f"region group code must be lower case and start with 'g:': {code!r}")
    members = [str(m) for m in raw["members"]]
    unknown = sorted(m for m in members if m not in iso)
    if unknown:
        raise ValueError(f"region group {code} has codes unknown to pycountry: {unknown}")
    if len(set(members)) != len(members):
        raise ValueError(f"region group {code} lists a member twice")
    source = str(raw.get("source", "")).strip()
    if not source:
        raise ValueError(f"region group {code} names no source")
    return RegionGroup(
        code=code,
        name=str(raw["name"]),
        members=frozenset(members),
        source=source,
        as_of=date.fromisoformat(str(raw["as_of"])),
        note=str(raw.get("note", "")),
        source_url=str(raw.get("source_url", "")),
        definition=str(raw.get("definition", "")),
    )


@cache
def _groups() -> tuple[RegionGroup, ...]:
    text = (resources.files("forum.taxonomy") / "data" / _DATA_FILE).read_text("utf-8")
    iso = _iso_codes()
    groups = tuple(_parse_group(raw, iso) for raw in json.loads(text)["groups"])
    codes = [g.code for g in groups]
    if len(set(codes)) != len(codes):
        raise ValueError("region_groups.json defines a group code twice")
    return groups


def load_region_groups() -> dict[str, RegionGroup]:
    """All region groups by code, in the data file's order.

    The file is read and validated once per process (ValueError if it is invalid:
    unknown ISO codes, unprefixed or duplicate group codes, a missing source); each
    call answers a fresh dict, so callers may change it without affecting others.
    """
    return {g.code: g for g in _groups()}


@cache
def _by_code() -> dict[str, RegionGroup]:
    return load_region_groups()


def is_region_code(code: str) -> bool:
    """Whether `code` has the region-group form (`g:` prefix, any case).

    It says nothing about whether such a group exists: see get_region_group.
    """
    return code.strip().lower().startswith(GROUP_PREFIX)


def get_region_group(code: str) -> RegionGroup | None:
    """The group with this code (case-insensitive), or None for anything else."""
    return _by_code().get(code.strip().lower())


def _normalise_country(code: str) -> str:
    normal = code.strip().upper()
    if normal not in _iso_codes():
        raise UnknownCountryError(code)
    return normal


def expand_codes(codes: Iterable[str]) -> list[str]:
    """Country and group codes to the sorted, de-duplicated ISO codes they stand for.

    Group codes (`g:...`, any case) are replaced by their members; plain codes are
    upper-cased and must be ISO 3166-1 alpha-2 codes known to pycountry. Surrounding
    whitespace is ignored. Raises UnknownCountryError naming the first code that is
    neither a known country nor a known group; an empty input answers [].
    """
    out: set[str] = set()
    for code in codes:
        if is_region_code(code):
            group = get_region_group(code)
            if group is None:
                raise UnknownCountryError(code)
            out |= group.members
        else:
            out.add(_normalise_country(code))
    return sorted(out)


def groups_containing(code: str) -> list[RegionGroup]:
    """The groups that have this country as a member, in the data file's order.

    Raises UnknownCountryError when `code` is not an ISO country known to pycountry.
    """
    country = _normalise_country(code)
    return [g for g in _groups() if country in g.members]


def is_european(code: str) -> bool:
    """Whether the country counts as Europe: UN M49 Europe (`g:europe`) or an EU member.

    The EU clause adds Cyprus, which M49 places in Western Asia: to a cluster manager
    an EU member state is never a market "outside of Europe" (the report's wording).
    Türkiye, Georgia, Armenia and Azerbaijan stay outside, as in M49.
    Raises UnknownCountryError when `code` is not an ISO country known to pycountry.
    """
    country = _normalise_country(code)
    groups = _by_code()
    return country in groups["g:europe"].members or country in groups["g:eu27"].members


__all__ = [
    "GROUP_PREFIX",
    "RegionGroup",
    "UnknownCountryError",
    "expand_codes",
    "get_region_group",
    "groups_containing",
    "is_european",
    "is_region_code",
    "load_region_groups",
]
