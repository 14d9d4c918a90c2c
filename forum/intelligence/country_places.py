"""Where a text writes a place: the patterns `country_tags` reads around a city's name, and
rule 11, the cities that are also common words ("Nice", "Split", "Bath", "Mobile",
"Reading": `place_names.stop_name_cities`), counted only where written as a place beyond
doubt: "Bath-based", "the city of Split", "Port of Mobile", "ville de Nice", "Split,
Croatia", "Mobile, Ala.", "Reading, England", or a dateline in capitals ("NICE, ").
"""

from __future__ import annotations

import re

from forum.intelligence.country_names import FormTable, Kind, token_key
from forum.intelligence.place_names import (
    any_subdivision_countries,
    stop_name_cities,
    us_state_names,
)

# After a place: a comma, a parenthesis or a dash ("Wiesbaden (dpa)", "SHARJAH - ").
PLACE_AFTER = re.compile(r"\s*[,(]|\s*[-–—:]\s")
# Only blanks since the line's start (a dateline).
LINE_START = re.compile(r"(?:^|\n)[ \t]*$")
# A place's qualifier: ", Texas", ", Ga.", ", Ontario", ", Argentina".
QUALIFIER = re.compile(r",\s*([A-Z][A-Za-z]+\.?(?:\s[A-Z][a-z]+)?)")
# What writes a common-word city as a place beyond doubt.
_STRONG_BEFORE = re.compile(
    r"(?:\b(?i:city|town|port|ville|citt[àa]|comune|ciudad|municipio)\s+(?:of|de|di|d')\s*"
    r"|\b(?:Stadt|Hafen)\s+)$"
)
_STOP_NAME = re.compile(r"\b(?:[A-Z][a-zà-ÿ]+|[A-Z]{4,})\b")


def stop_name_places(
    text: str, covered: list[tuple[int, int]], table: FormTable
) -> list[tuple[str, str]]:
    """(words, country) of the common-word cities written as places beyond doubt (rule 11)."""
    found = []
    cities = stop_name_cities()
    for name in _STOP_NAME.finditer(text):
        city = cities.get(token_key(name.group(0)))
        if city is None or any(a <= name.start() < b for a, b in covered):
            continue
        strong = text.startswith("-based", name.end()) or bool(
            _STRONG_BEFORE.search(text, max(0, name.start() - 12), name.start())
        )
        if name.group(0).isupper():  # a dateline: "NICE, " at a line's start
            strong = strong or (
                LINE_START.search(text, 0, name.start()) is not None
                and PLACE_AFTER.match(text, name.end()) is not None
            )
        qualifier = QUALIFIER.match(text, name.end())
        if qualifier is not None:
            key = token_key(qualifier.group(1))
            named = table.forms.get(key)
            strong = strong or (
                (city.country == "US" and key in us_state_names())
                or city.country in any_subdivision_countries().get(key, ())
                or (named is not None and named.kind is Kind.NAME and named.country == city.country)
            )
        if strong:
            found.append((name.group(0), city.country))
    return found
