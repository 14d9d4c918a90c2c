"""Finding the countries (ISO 3166-1 alpha-2) a title and summary name, and why.

The forms (`country_names`): country names in English and in the item's language (CLDR),
aliases, demonyms and adjectives of nationality, context phrases, cities and regions. The
text is read word by word; at each word the longest run of words that is a known form
wins, so "Papua New Guinea" is PG and not also GN, "Guinea-Bissau" is GW, and "Niger" never
matches inside "Nigeria". Words are compared without accents or case; the rules below
then look at how the words were written.

Rules, in order:

1. Money is not a country: currency forms ("US$3.5 billion", "NZ$", "USD", "20 million US
   dollars", "dollars américains", "US-Dollar", "dólares estadounidenses") are blanked out
   before reading (`MONEY`).
2. Context phrases ("Indian Ocean", "guinea pig", "fine china", "Michael Jordan", "state of
   Georgia"...) match in any capitalisation and win as the longer match; each tags the
   country it names, or none.
3. Capitalisation: country names count in lower case too ("russia's"), except those that
   are also ordinary words or given names (`CAPITAL_ONLY`: Chad, Jordan, Georgia, Guinea,
   Niger, Turkey, China...); English demonyms, cities and regions need a capital;
   adjectives of nationality in French, German, Spanish and Italian count in any case
   ("exportations françaises", "deutsche Unternehmen"). Abbreviations (US, UK, UAE, EEUU)
   must be written with their exact letters' case, so "us" is not the US.
4. Georgia: GE, unless the text has US-state context: Atlanta, Savannah or "Ga." named
   without Tbilisi (then US). "Georgia, USA", "state of Georgia", "Georgia Tech" and "Georgia
   Ports Authority" are context phrases for US.
5. First-name countries (Chad, Jordan): read as a person when directly followed by a
   capitalised word that is neither a country form nor a word that commonly follows a
   country in news (Government, Ministry, Basin, EU...), except in Title Case lines.
6. A city followed by a US state ("Paris, Texas", "Savannah, Ga.") is in the US.
7. Cities of a million inhabitants or more count wherever they are named; smaller cities and
   regions only where the text writes a place: after a preposition of place ("in Tallinn",
   "à Besançon", "nach Wiesbaden"), in a dateline ("SHARJAH", "Wiesbaden. ", "Savannah,
   Ga. –") or before a comma or a parenthesis. "Enterprise", "Corona" or "Hidalgo" in a
   sentence's flow is then no city.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forum.intelligence.country_names import Form, Kind, form_table, token_key
from forum.intelligence.place_names import us_state_names
from forum.intelligence.tag_text import straight_quotes

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
_FIRST_NAME_COUNTRIES = frozenset({"chad", "jordan"})
_US_STATE_CONTEXT = re.compile(r"\b(?:Atlanta|Savannah|ATLANTA|SAVANNAH)\b|\bGa\.")
_GEORGIA_COUNTRY_CONTEXT = re.compile(r"\bTbilisi\b", re.IGNORECASE)
_NEXT_CAPITALISED = re.compile(r"[ \t]+([A-Z][A-Za-z]*)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_TOKEN = re.compile(r"[^\W_]+")
_JOINER = re.compile(r"[\s\-'.]{1,3}")
_CONTEXT_JOINER = re.compile(r"[\s\-'.,]{1,3}")  # "Georgia, USA"
BIG_CITY = 1_000_000
_PLACE_BEFORE = re.compile(
    r"(?:^|\W)(?:in|at|from|near|to|of|en|à|a|au|de|d'|du|des|nach|aus|bei|von|da|di|del|"
    r"della|desde|im|zu|nel|nella|dans|près|outside|across)\s+(?:the\s+|la\s+|le\s+|l')?$",
    re.IGNORECASE,
)
_PLACE_AFTER = re.compile(r"\s*[,(]|\s*[-–—:]\s")
_QUALIFIER = re.compile(r",\s*([A-Z][A-Za-z]+\.?(?:\s[A-Z][a-z]+)?)")

# Currency forms: blanked out before countries are read (rule 1).
MONEY = re.compile(
    r"""(?:\b(?:US|NZ|HK|A|AU|C|CA|S|NT)\s?\$)
    |\bUSD\b
    |\b(?:US|U\.S\.|American|Australian|Canadian|New\ Zealand|Hong\ Kong|Singapore)\s(?:dollars?|cents?)\b
    |\bdollars?\s(?:US|U\.S\.|américains?|americains?|canadiens?|australiens?|néo-zélandais)\b
    |\b(?:US|Hongkong|Singapur|Kanada|Australische?n?)-Dollar[sn]?\b
    |\bd[óo]lar(?:es)?\s(?:estadounidenses?|americanos?|canadienses?|australianos?)\b
    |\bdollari?\s(?:Usa|USA|americani|statunitensi|canadesi|australiani)\b""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    key: str


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.start(), m.end(), token_key(m.group(0))) for m in _TOKEN.finditer(text)]


def _joined(text: str, tokens: list[_Token], first: int, last: int, form: Form) -> bool:
    """Words first..last are separated only by spaces, hyphens, apostrophes or dots (and
    commas in a context phrase)."""
    joiner = _CONTEXT_JOINER if form.kind is Kind.CONTEXT else _JOINER
    return all(
        joiner.fullmatch(text, tokens[i].end, tokens[i + 1].start) is not None
        for i in range(first, last)
    )


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalpha())


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


def _reads_as_person(text: str, end: int, language: str | None) -> bool:
    """Chad/Jordan directly followed by a capitalised word that is no country context."""
    following = _NEXT_CAPITALISED.match(text, end)
    if following is None:
        return False
    word = following.group(1)
    if word in _COUNTRY_CONTEXT_WORDS or word.isupper():
        return False
    if token_key(word) in form_table(language).forms:
        return False
    return not _is_title_case(_line_at(text, end))


def _accept(text: str, span: tuple[int, int], form: Form, language: str | None) -> bool:
    matched = text[span[0] : span[1]]
    if form.kind is Kind.EXACT:
        return _letters(matched) in {_letters(spelling) for spelling in form.text.split("|")}
    if not form.lower_ok and not matched[0].isupper():
        return False
    if form.kind is Kind.NAME and token_key(matched) in _FIRST_NAME_COUNTRIES:
        return not _reads_as_person(text, span[1], language)
    return True


def _placed(text: str, span: tuple[int, int], form: Form) -> bool:
    """A big city counts anywhere; a smaller city or a region only where a place is written:
    after a preposition of place, in a dateline (capitals, or followed by a comma or a
    parenthesis), or before a comma (rule 7)."""
    if form.population >= BIG_CITY:
        return True
    before = text[max(0, span[0] - 12) : span[0]]
    if _PLACE_BEFORE.search(before):
        return True
    matched = text[span[0] : span[1]]
    return (matched.isupper() and len(matched) > 3) or _PLACE_AFTER.match(text, span[1]) is not None


def _qualified_us(text: str, end: int) -> bool:
    """A place followed by ", Texas" / ", Ga." (rule 6)."""
    qualifier = _QUALIFIER.match(text, end)
    return qualifier is not None and token_key(qualifier.group(1)) in us_state_names()


def _blank_money(text: str) -> str:
    return MONEY.sub(lambda m: " " * len(m.group(0)), text)


def find_countries(text: str, language: str | None = None) -> dict[str, list[str]]:
    """Country code -> the words that named it, in the order first seen (see the rules)."""
    table = form_table(language)
    text = _blank_money(straight_quotes(text))
    tokens = _tokens(text)
    found: dict[str, list[str]] = {}
    index = 0
    while index < len(tokens):
        taken = 1
        for size in range(min(table.longest, len(tokens) - index), 0, -1):
            last = index + size - 1
            key = " ".join(t.key for t in tokens[index : last + 1])
            form = table.forms.get(key)
            if form is None or (size > 1 and not _joined(text, tokens, index, last, form)):
                continue
            span = (tokens[index].start, tokens[last].end)
            if not _accept(text, span, form, language):
                continue
            if form.kind is Kind.PLACE and not _placed(text, span, form):
                continue
            taken = size
            code = form.country
            if code == "GE" and key == "georgia" and _georgia_is_us_state(text):
                code = "US"
            if form.kind is Kind.PLACE and _qualified_us(text, span[1]):
                code = "US"
            if code is not None:
                words = found.setdefault(code, [])
                if text[span[0] : span[1]] not in words:
                    words.append(text[span[0] : span[1]])
            break
        index += taken
    return found


def _georgia_is_us_state(text: str) -> bool:
    return bool(_US_STATE_CONTEXT.search(text)) and not _GEORGIA_COUNTRY_CONTEXT.search(text)


def tag_countries(text: str, language: str | None = None) -> set[str]:
    """ISO 3166-1 alpha-2 codes of the countries the text names (see the module rules)."""
    return set(find_countries(text, language))
