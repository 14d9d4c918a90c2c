"""People and brands named like a country or a city, for the country finder
(`country_tags.py`, rule 5): "Michael Jordan", "Nike's Jordan brand", "Sofia Coppola",
"Jordan Díaz", "Paris Hilton" are no places; "Jordan Embassy", "Sofia Airport", "Paris Air
Show" are.
"""

from __future__ import annotations

import re

from forum.intelligence.country_names import form_table, token_key

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
# Words that, right after a city that is also a given name, show the city is meant.
_PLACE_CONTEXT_WORDS = frozenset(
    [
        "Air",
        "Airport",
        "Area",
        "Bay",
        "Branch",
        "Center",
        "Centre",
        "City",
        "Conference",
        "Convention",
        "Council",
        "Declaration",
        "Design",
        "Exchange",
        "Exhibition",
        "Expo",
        "Fair",
        "Fashion",
        "Forum",
        "Games",
        "Harbor",
        "Harbour",
        "Headquarters",
        "Hub",
        "Marathon",
        "Mayor",
        "Metro",
        "Motor",
        "Olympics",
        "Opera",
        "Plant",
        "Port",
        "Region",
        "Show",
        "Station",
        "Stock",
        "Summit",
        "Terminal",
        "University",
        "Week",
        # after Paris: its region, suburbs, schools, club and fair ("CCI Paris Ile-de-France",
        # "Paris Saint-Germain", "Paris Orly", "Paris Match", "Paris Salon de l'Agriculture")
        "Ile",
        "Île",
        "Saint",
        "Orly",
        "Saclay",
        "Nanterre",
        "Dauphine",
        "Sorbonne",
        "Match",
        "Salon",
        "Bourse",
        "School",
        "Institute",
        "Club",
    ]
)
FIRST_NAME_COUNTRIES = frozenset({"chad", "jordan"})
# Big cities that are also given names or surnames ("Sofia Coppola", "Kobe Bryant", "Milan
# Kundera", "Santiago Calatrava"): read like Chad and Jordan (rule 5).
FIRST_NAME_CITIES = frozenset(
    {"sofia", "milan", "kobe", "leon", "santiago", "sydney", "adelaide", "houston", "dallas"}
    | {"regina", "columbus", "lagos", "medellin", "florence", "victoria", "paris"}
)
_BRAND_AFTER = re.compile(r"(?i)[ \t]+(?:brand|brands|label|franchise|sub-brand|sneakers|shoes)\b")
_NEXT_CAPITALISED = re.compile(r"[ \t]+([^\W\d_]+)")  # any script: "Jordan Díaz"
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


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


def reads_as_person(text: str, end: int, language: str | None) -> bool:
    """Chad/Jordan directly followed by a capitalised word that is no country context, or
    by a brand's word ("its Jordan brand")."""
    if _BRAND_AFTER.match(text, end):
        return True
    following = _NEXT_CAPITALISED.match(text, end)
    if following is None or not following.group(1)[0].isupper():
        return False
    word = following.group(1)
    if word in _COUNTRY_CONTEXT_WORDS or word in _PLACE_CONTEXT_WORDS or word.isupper():
        return False
    if token_key(word) in form_table(language).forms:
        return False
    return not _is_title_case(_line_at(text, end))
