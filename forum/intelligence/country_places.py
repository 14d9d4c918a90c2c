"""Where a text writes a place: the patterns `country_tags` reads around a city's name, and
rule 11, the cities that are also common words ("Nice", "Split", "Bath", "Mobile",
"Reading": `place_names.stop_name_cities`), counted only where written as a place beyond
doubt: "Bath-based", "the city of Split", "Port of Mobile", "ville de Nice", "Split,
Croatia", "Mobile, Ala.", "Reading, England", or a dateline in capitals ("NICE, ").
Rule 14: a city that names an agreement or a process ("the Paris Agreement", "processus de
Bologne") is no place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
# A street, quarry or park named after a smaller city is that place, not the city ("from St
# John's Quarry", "on Richmond Street").
FEATURE_AFTER = re.compile(
    r"[ \t]+(?:Quarry|Street|Road|Avenue|Lane|Square|Park|Wood|Hill|Farm|Station|Bridge|Gate|"
    r"Place|Court|Close|Drive|Terrace|Gardens|Estate|Mill|Castle|Abbey|Common|Heath|Quay|"
    r"Wharf|Dock|Docks|Crescent|Row|Way)\b"
)
# A dateline closed by a full stop at a line's start ("Düsseldorf. Der Energiekonzern").
DATELINE_STOP = re.compile(r"\.[ \t]+[A-ZÀ-Ý]")
# A company's seat after its legal form ("EPHY-MESS GmbH, Wiesbaden").
COMPANY_BEFORE = re.compile(
    r"\b(?:GmbH|AG|SE|KG|Ltd|Inc|SA|S\.A\.|SpA|S\.p\.A\.|SARL|SAS|Srl|S\.r\.l\.|plc|LLC|BV|NV)"
    r"\.?,[ \t]*$"
)
# An agreement, process or strategy named after the city where it was agreed names no
# country (rule 14): "the Paris Agreement", "Lisbon Strategy", "Bologna-Prozess", "Kyoto
# Protocol", "processus de Bologne", "Treaty of Lisbon", "Vertrag von Lissabon", "accordo
# di Parigi", "Ronda de Doha".
AGREEMENT_AFTER = re.compile(
    r"[ \t-]+(?:Agreements?|Accords?|Protocol|Process|Strategy|Declaration|Treaty|Round|"
    r"Regulation|Consensus|Agenda|Pact|Principles|Prozess|Strategie|Protokoll|Vertrag|"
    r"Abkommen|Erklärung)\b"
)
AGREEMENT_BEFORE = re.compile(
    r"(?i:\b(?:agreements?|accords?|protocols?|process|strategy|declaration|treaty|round|"
    r"protocole|processus|stratégie|déclaration|traité|cycle|acuerdos?|protocolo|proceso|"
    r"estrategia|declaración|tratado|ronda|accordi|accordo|protocollo|processo|strategia|"
    r"dichiarazione|trattato|prozess|vertrag|abkommen|protokoll|erklärung)\s+"
    r"(?:of|de|d['’]|di|del|von))\s*$"
)
# A place listed after a preposition of place ("in Rotterdam und Antwerpen", "à Lyon et
# Grenoble", "in Milan, Turin and Genoa"), and a city named with a year, as games and fairs
# are ("Tokio 2020", "Río 2016", "Expo Milano 2015").
LISTED_AFTER_PLACE = re.compile(
    r"(?i:\b(?:in|at|from|near|à|en|nach|aus|bei|im|nel|nella|dans|desde|between|zwischen|"
    r"entre|tra|fra))\s+[A-ZÀ-Ý][\w'’.-]*(?:[ \t]+[A-ZÀ-Ý][\w'’.-]*)?"
    r"(?:,[ \t]*[A-ZÀ-Ý][\w'’.-]*(?:[ \t]+[A-ZÀ-Ý][\w'’.-]*)?)*"
    r",?[ \t]+(?:and|und|et|e|ed|y|or|oder|ou|o)[ \t]+$"
)
YEAR_AFTER = re.compile(r"[ \t]+(?:19|20)\d\d\b")
_LIST_GOES_ON = re.compile(r"\s+(?:and|or|et|ou|und|oder|y|o|e|ed)\s")
# What writes a common-word city as a place beyond doubt.
_STRONG_BEFORE = re.compile(
    r"(?:\b(?i:city|town|port|ville|citt[àa]|comune|ciudad|municipio)\s+(?:of|de|di|d')\s*"
    r"|\b(?:Stadt|Hafen)\s+)$"
)


def stop_name_places(
    text: str,
    words: Sequence[tuple[int, int, str]],
    covered: list[tuple[int, int]],
    table: FormTable,
) -> list[tuple[str, str]]:
    """(words, country) of the common-word cities written as places beyond doubt (rule 11),
    among the text's `words` (start, end, folded key)."""
    found = []
    cities = stop_name_cities()
    for start, end, key in words:
        city = cities.get(key)
        if city is None or not text[start].isupper() or any(a <= start < b for a, b in covered):
            continue
        name = text[start:end]
        strong = text.startswith("-based", end) or bool(
            _STRONG_BEFORE.search(text, max(0, start - 12), start)
        )
        if LINE_START.search(text, 0, start) is not None and DATELINE_STOP.match(text, end):
            strong = True  # a dateline: "Essen. Deutsche Textilhersteller"
        if name.isupper():  # a dateline: "NICE, " at a line's start
            strong = strong or (
                LINE_START.search(text, 0, start) is not None
                and PLACE_AFTER.match(text, end) is not None
            )
        qualifier = QUALIFIER.match(text, end)
        if qualifier is not None:
            key = token_key(qualifier.group(1))
            named = table.forms.get(key)
            strong = strong or (
                (city.country == "US" and key in us_state_names())
                or city.country in any_subdivision_countries().get(key, ())
                or (named is not None and named.kind is Kind.NAME and named.country == city.country)
            )
        if strong:
            found.append((name, city.country))
    return found


def qualified_elsewhere(
    text: str, end: int, country: str, others: Sequence[str], table: FormTable
) -> bool:
    """A city followed by one to three qualifiers (", Berkshire, England, UK") of which one
    names another country than the city's own and its namesakes': the name is a place there
    ("Windsor, Berkshire, England" is not Windsor, Ontario; rule 6)."""
    for _ in range(3):
        qualifier = QUALIFIER.match(text, end)
        if qualifier is None:
            return False
        key = token_key(qualifier.group(1))
        named = table.forms.get(key)
        countries = set(any_subdivision_countries().get(key, ()))
        if key in us_state_names():
            countries.add("US")
        if named is not None and named.kind is Kind.NAME and named.country:
            countries.add(named.country)
        if countries:
            if _LIST_GOES_ON.match(text, qualifier.end()):
                return False  # a list of places: "Mexico City, Singapore and Shanghai"
            return not countries & {country, *others}
        end = qualifier.end()
    return False
