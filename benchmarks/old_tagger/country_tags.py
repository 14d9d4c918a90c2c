"""Finding the countries (ISO 3166-1 alpha-2) a title and summary name.

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
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pycountry

from benchmarks.old_tagger.tag_text import (
    fold,
    scan,
    straight_quotes,
    strip_accents,
    whole_words,
    words_regex,
)

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


@dataclass(frozen=True)
class _Form:
    """One surface form: what it tags (None: nothing) and how strictly it must match."""

    country: str | None
    text: str
    context: bool  # a context phrase: any capitalisation
    exact: bool  # an abbreviation: exact capitalisation


def _load_aliases() -> dict[str, Any]:
    raw = (
        resources.files("benchmarks.old_tagger").joinpath("data", _ALIASES_FILE).read_text("utf-8")
    )
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
        forms[fold(form.text)] = form
        surfaces.update({form.text, strip_accents(form.text)})

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
                plural.add(fold(name))
    for entry in data["contexts"]:
        add(_Form(entry["country"], entry["phrase"], context=True, exact=False))

    alternatives = []
    for surface in sorted(surfaces, key=lambda text: (-len(text), text)):
        regex = words_regex(surface.split(), r"\s+")
        if fold(surface) in plural:
            regex += "s?"
        alternatives.append(regex)
    pattern = whole_words(alternatives)
    return _CountryMatcher(pattern, forms)


def _lookup(forms: dict[str, _Form], matched: str) -> _Form | None:
    key = fold(matched)
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
    if form.country in _FIRST_NAME_COUNTRIES and fold(matched) in {"chad", "jordan"}:
        return not _reads_as_person(text, match.end(), forms)
    return True


def tag_countries(text: str) -> set[str]:
    """ISO 3166-1 alpha-2 codes of the countries the text names (see the module rules)."""
    matcher = _country_matcher()
    text = straight_quotes(text)

    def read(match: re.Match[str]) -> tuple[_Form, re.Match[str]] | None:
        form = _lookup(matcher.forms, match.group(0))
        if form is None or not _accept(text, match, form, matcher.forms):
            return None
        return form, match

    found: set[str] = set()
    for form, match in scan(matcher.pattern, text, read):
        code = form.country
        if (
            code == "GE"
            and fold(match.group(0)) == "georgia"
            and _US_STATE_CONTEXT.search(text)
            and not _GEORGIA_COUNTRY_CONTEXT.search(text)
        ):
            code = "US"
        if code is not None:
            found.add(code)
    return found
