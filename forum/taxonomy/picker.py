"""The choices of the country, region and sector pickers: grouped, named in the reader's language, with the text that typing matches.

Every form where a member chooses countries, region groups or sectors renders these through
`ui.picker` (templates/macros/ui.html): a native `<select>` that works without scripts,
which forum/static/js/picker.js turns into a type-to-filter control. Each choice carries
its search text (`data-search`): its name in the reader's language and in English, and
its codes, so that "jap", "JP", "Japon" (in French) and "ASEAN" all find what they name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from forum.core import i18n
from forum.core.collation import collated
from forum.core.formats import country_name
from forum.core.i18n import _
from forum.taxonomy.models import Sector
from forum.taxonomy.regions import GROUP_PREFIX, load_region_groups
from forum.taxonomy.service import list_countries


@dataclass(frozen=True)
class Choice:
    """One option: the value the form submits, its label, and the text typing matches."""

    value: str
    label: str
    search: str


@dataclass(frozen=True)
class ChoiceGroup:
    """An `<optgroup>`: suggestions first, then regions, then countries (or sectors)."""

    label: str
    choices: tuple[Choice, ...]
    suggested: bool = False


def _search_text(*parts: str | None) -> str:
    """The distinct words of `parts`, in order, one space apart."""
    seen: dict[str, str] = {}
    for part in parts:
        for word in (part or "").split():
            seen.setdefault(word.casefold(), word)
    return " ".join(seen.values())


@lru_cache(maxsize=32)
def _countries(language: str) -> tuple[Choice, ...]:
    """Every country, named and sorted in `language` (the reader's: part of the key so
    that one process serves every language from its cache)."""
    english = {}
    with i18n.using(i18n.DEFAULT_LANGUAGE):
        for country in list_countries():
            english[country.code] = country_name(country.code)
    out = []
    for country in list_countries():
        label = country_name(country.code)
        record = pycountry.countries.get(alpha_2=country.code)
        alpha_3 = str(getattr(record, "alpha_3", ""))
        search = _search_text(label, english[country.code], country.name, country.code, alpha_3)
        out.append(Choice(value=country.code, label=label, search=search))
    return tuple(collated(out, key=lambda c: c.label, language=language))


@lru_cache(maxsize=32)
def _regions(language: str) -> tuple[Choice, ...]:
    """Every region group, named and sorted in `language`, labelled "(region)"."""
    groups = list(load_region_groups().values())
    with i18n.using(i18n.DEFAULT_LANGUAGE):
        english = {g.code: g.label for g in groups}
    out = []
    for group in groups:
        label = _("%(name)s (region)", name=group.label)
        short = group.code.removeprefix(GROUP_PREFIX).replace("-", " ")
        search = _search_text(group.label, english[group.code], group.name, short)
        out.append(Choice(value=group.code, label=label, search=search))
    return tuple(collated(out, key=lambda c: c.label, language=language))


def _split(
    choices: Iterable[Choice], suggested: Iterable[str]
) -> tuple[list[Choice], list[Choice]]:
    """(the suggested choices in the order of `suggested`, the others in their order)."""
    wanted = list(dict.fromkeys(v for v in suggested if v))
    by_value = {c.value: c for c in choices}
    first = [by_value[v] for v in wanted if v in by_value]
    taken = {c.value for c in first}
    return first, [c for c in by_value.values() if c.value not in taken]


def place_choices(*, regions: bool = True, suggested: Iterable[str] = ()) -> list[ChoiceGroup]:
    """The places a form offers: `suggested` (the member's partnership's target countries)
    first, then the region groups (unless `regions` is false), then every country; each
    value once, empty groups left out."""
    language = i18n.language()
    pool = (*(_regions(language) if regions else ()), *_countries(language))
    first, rest = _split(pool, suggested)
    groups = [
        ChoiceGroup(_("Suggested: your partnership's targets"), tuple(first), suggested=True),
        ChoiceGroup(_("Regions"), tuple(c for c in rest if c.value.startswith(GROUP_PREFIX))),
        ChoiceGroup(_("Countries"), tuple(c for c in rest if not c.value.startswith(GROUP_PREFIX))),
    ]
    return [g for g in groups if g.choices]


def sector_choices(
    sectors: Sequence[Sector], *, suggested: Iterable[str] = ()
) -> list[ChoiceGroup]:
    """The sectors a form offers, named and sorted in the reader's language (else by
    their English name): `suggested` slugs (the member's partnership's sectors) first.
    Typing finds a sector by its name in the reader's language or in English, its slug
    or the report's label."""
    pool = [
        Choice(
            value=s.slug,
            label=s.label,
            search=_search_text(s.label, s.name, s.slug.replace("-", " "), s.report_label),
        )
        for s in collated(sectors, key=lambda s: s.label)
    ]
    first, rest = _split(pool, suggested)
    groups = [
        ChoiceGroup(_("Suggested: your partnership's sectors"), tuple(first), suggested=True),
        ChoiceGroup(_("Sectors"), tuple(rest)),
    ]
    return [g for g in groups if g.choices]
