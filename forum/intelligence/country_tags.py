"""Finding the countries (ISO 3166-1 alpha-2) a title and summary name, and why.

The forms (`country_names`): country names in English and in the item's language (CLDR),
aliases, demonyms and adjectives of nationality, context phrases, cities and regions. The
text is read word by word; at each word the longest run of words that is a known form
wins, so "Papua New Guinea" is PG and not also GN, "Guinea-Bissau" is GW, and "Niger" never
matches inside "Nigeria". Words are compared without accents or case; the rules below
then look at how the words were written.

Rules, in order:

1. Money is not a country: currency forms ("US$3.5 billion", "NZ$", "USD", "20 million US
   dollars", "dollars américains", "US-Dollar", "dólares estadounidenses", "Swiss francs",
   "Indian rupees", "francs suisses", "russische Rubel", "pesos mexicanos", "rubli russi")
   are blanked out before reading (`MONEY`); so is a language ("available in English and
   French.", "auf Deutsch", "Spanish-language", "la langue française": `LANGUAGE`).
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
5. First-name countries (Chad, Jordan) and big cities that are also given names or
   surnames (Sofia, Milan, Kobe, Santiago, Houston...): read as a person when
   directly followed by a capitalised word that is neither a country form nor a word that
   commonly follows a country or a city in news (Government, Ministry, Basin, Airport,
   Fashion, Expo...), except in Title Case lines; since the fifth round also Paris
   ("Paris Hilton"), a surname in any script ("Jordan Díaz"), never a city in capitals (a
   dateline); read so once, the name is a person wherever no place is written
   (`country_people.py`: "Paris Hilton ... in Paris" is France).
6. A city followed by a US state ("Paris, Texas", "Savannah, Ga.") is in the US; followed by
   another country's region or name, it is there when that country has a city of that name
   ("London, Ontario" is in Canada, "Córdoba, Argentina" in Argentina).
7. Cities of a million inhabitants or more count wherever they are named; smaller cities and
   regions only where the text writes a place: after a preposition of place ("in Tallinn",
   "à Besançon", "nach Wiesbaden"), before "-based" ("Denver-based"), in a dateline
   ("SHARJAH", "Wiesbaden. ", "Savannah, Ga. –") or before a comma or a parenthesis. "Enterprise", "Corona" or "Hidalgo" in a
   sentence's flow is then no city. A city's name in another language ("Pékin", "Mailand": GeoNames' alternate names)
   counts only after a preposition of place or in a dateline, whatever the city's size:
   such names are also surnames and words ("Gerald Böse,", "Gold", "Soul"). Since the fifth
   round a place listed after one ("in Rotterdam und Antwerpen") or named with a year
   ("Tokio 2020") is written as a place too.
8. A place written the AP way, a capitalised name, a comma and a US state's abbreviation
   ("KISSIMMEE, Fla.", "PROVIDENCE, R.I.", "Jefferson City, Mo."), is in the US.
10. A province written as one ("Bac Ninh province", "the province of Phu Yen", "la
   provincia di Henan"): pycountry's top-level subdivisions of one country.
9. A city name shared by cities of several countries ("Valencia": Spain and Venezuela) is
   the one in a country the text otherwise names ("SPAIN: ... Valencia"), else the one
   `place_names` chooses.
11. A city that is also a common word ("Nice", "Split", "Bath", "Mobile", "Reading":
   `place_names.stop_name_cities`) counts only where written as a place beyond doubt:
   "Bath-based", "the city of Split", "Port of Mobile", "ville de Nice", "Split, Croatia",
   "Mobile, Ala.", or a dateline in capitals ("NICE, ").
12. A region or smaller city written as a surname is no place: right after a lone
   capitalised word that does not start the sentence, is no country word and begins no
   place or venue name ("Greater", "Port", "Regione", "Messe"...), and followed by what
   follows a person (", an economist", ", who", " said"): "Bernt Nelson, an economist".
13. Fourth round: Chad or Jordan followed by a brand's word is a brand ("its Jordan
   brand"), and read once as a person or brand is read so in the whole text; a smaller
   city whose qualifiers name another country is a place there ("Windsor, Berkshire,
   England", `country_places.qualified_elsewhere`); a smaller city before a street's or a
   quarry's word is that place ("St John's Quarry"); after a company's legal form it is
   the company's seat ("GmbH, Wiesbaden"); "Düsseldorf. Der" at a line's start is a
   dateline; a dash or a colon writes a place only at a line's start.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from forum.intelligence.country_blanks import blank_out
from forum.intelligence.country_names import (
    REGION_POPULATION,
    Form,
    FormTable,
    Kind,
    form_table,
    token_key,
)
from forum.intelligence.country_people import (
    FIRST_NAME_CITIES,
    FIRST_NAME_COUNTRIES,
    reads_as_person,
)
from forum.intelligence.country_places import (
    AGREEMENT_AFTER,
    AGREEMENT_BEFORE,
    COMPANY_BEFORE,
    DATELINE_STOP,
    FEATURE_AFTER,
    LINE_START,
    LISTED_AFTER_PLACE,
    PLACE_AFTER,
    QUALIFIER,
    YEAR_AFTER,
    qualified_elsewhere,
    stop_name_places,
)
from forum.intelligence.place_names import subdivision_countries, us_state_names
from forum.intelligence.tag_text import straight_quotes

_US_STATE_CONTEXT = re.compile(r"\b(?:Atlanta|Savannah|ATLANTA|SAVANNAH)\b|\bGa\.")
_GEORGIA_COUNTRY_CONTEXT = re.compile(r"\bTbilisi\b", re.IGNORECASE)
_TOKEN = re.compile(r"[^\W_]+")
_JOINER = re.compile(r"[\s\-'.]{1,3}")
_CONTEXT_JOINER = re.compile(r"[\s\-'.,\"“”„«»]{1,3}")  # "Georgia, USA", "“Spanish” flu"
BIG_CITY = 1_000_000

_PLACE_BEFORE = re.compile(
    r"(?:^|\W)(?:in|at|from|near|to|of|en|à|a|au|de|d'|du|des|nach|aus|bei|von|da|di|del|"
    r"della|desde|im|zu|nel|nella|dans|près|outside|across)\s+(?:the\s+|la\s+|le\s+|l')?$",
    re.IGNORECASE,
)
# Rule 12: words that begin place names, before a city placed only by a comma.
_PLACE_PREFIXES = frozenset(
    {"New", "North", "South", "East", "West", "Greater", "Central", "Downtown", "Upper"}
    | {"Lower", "Saint", "St", "Port", "Fort", "Lake", "Mount", "Old", "Grand", "Metro"}
    | {"Region", "Regione", "Land", "Freistaat", "State", "Province", "Provincia", "County"}
    | {"Comunidad", "Generalitat", "Junta", "Canton", "Kanton", "Metropolitan", "Inner"}
    | {"The", "La", "Le", "Les", "Los", "Las", "El", "Il", "Lo", "Der", "Die", "Das", "Visit"}
    | {"Messe", "Fiera", "Feria", "Expo", "Salon", "Foire", "Airport", "University", "Invest"}
)
_PREVIOUS_WORD = re.compile(r"(?<![\w'’-])([A-Z][a-z]+) $")
_CAPITALISED_BEFORE = re.compile(r"[A-Z][\w'’.-]*\s+$")
_PERSON_AFTER = re.compile(
    r",\s+(?:a|an|the|who|whose|chief|head|president|director|CEO|founder|economist|"
    r"analyst|professor|spokesman|spokeswoman|spokesperson)\b"
    r"|\s+(?:said|says|told|added|explained|noted|wrote)\b"
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\"“”«(\[|•–—-])\s*$")
# A province written as one (rule 10): "Bac Ninh province", "the province of Phu Yen",
# "la province du Québec", "la provincia de Mendoza", "la provincia di Henan".
_PROVINCE = re.compile(
    r"\b([A-ZÀ-Ý][\w'’-]*(?:[ \t-][A-ZÀ-Ý][\w'’-]*){0,2})[ \t]+[Pp]rovince\b"
    r"|\b[Pp]rovinc(?:e|ia|ie)[ \t]+(?:of|de|du|di|del|della)[ \t]+"
    r"(?:l'|la[ \t]+|le[ \t]+)?([A-ZÀ-Ý][\w'’-]*(?:[ \t-][A-ZÀ-Ý][\w'’-]*){0,2})"
    r"|\bProvinz[ \t]+([A-ZÀ-Ý][\w'’-]*(?:[ \t-][A-ZÀ-Ý][\w'’-]*){0,2})"
)
_DIRECTIONS = frozenset(
    [
        "north",
        "south",
        "east",
        "west",
        "central",
        "northern",
        "southern",
        "eastern",
        "western",
        "northwest",
        "northeast",
        "southwest",
        "southeast",
        "centre",
        "nord",
        "sud",
        "est",
        "ouest",
        "norte",
        "sur",
        "este",
        "oeste",
    ]
)
# AP style abbreviations of US states after a place and a comma (rule 8).
_AP_STATE = re.compile(
    r"\b[A-Z][\w'’.-]*,[ \t]+(?:Ala|Ariz|Ark|Calif|Colo|Conn|Del|Fla|Ga|Ill|Ind|Kan|Kans|Ky|"
    r"La|Md|Mass|Mich|Minn|Miss|Mo|Mont|Neb|Nev|N\.H|N\.J|N\.M|N\.Y|N\.C|N\.D|Okla|Ore|Pa|"
    r"R\.I|S\.C|S\.D|Tenn|Tex|Vt|Va|Wash|W\.Va|Wis|Wyo)\.(?=[\s,;:)\-–—]|$)"
)


class _Token(NamedTuple):
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


def _accept(text: str, span: tuple[int, int], form: Form, language: str | None) -> bool:
    matched = text[span[0] : span[1]]
    if form.kind is Kind.EXACT:
        return _letters(matched) in {_letters(spelling) for spelling in form.text.split("|")}
    if not form.lower_ok and not matched[0].isupper():
        return False
    if form.kind is Kind.NAME and token_key(matched) in FIRST_NAME_COUNTRIES:
        return not reads_as_person(text, span[1], language)
    if form.kind is Kind.PLACE and (
        AGREEMENT_AFTER.match(text, span[1])
        or AGREEMENT_BEFORE.search(text, max(0, span[0] - 40), span[0])
    ):
        return False  # "the Paris Agreement", "processus de Bologne" (rule 14)
    if form.kind is Kind.PLACE and token_key(matched) in FIRST_NAME_CITIES:
        return matched.isupper() or not reads_as_person(text, span[1], language)  # "DALLAS The"
    return True


def _placed(text: str, span: tuple[int, int], form: Form, language: str | None) -> bool:
    """A big city counts anywhere; a smaller city or a region only where a place is written:
    after a preposition of place, in a dateline (capitals, or followed by a comma or a
    parenthesis), before a comma or before "-based" (rule 7). A city's name in another language needs a
    preposition or a dateline, whatever the city's size."""
    if form.population <= REGION_POPULATION and _reads_as_surname(text, span, language):
        return False  # rule 12: "Bernt Nelson, an economist", "George Washington"
    if form.population >= BIG_CITY and not form.alternate:
        return True
    if FEATURE_AFTER.match(text, span[1]):
        return False  # "from St John's Quarry": a place named after the city
    before = text[max(0, span[0] - 12) : span[0]]
    if _PLACE_BEFORE.search(before) or text.startswith("-based", span[1]):
        return True  # "in Tallinn", "Denver-based"
    if LISTED_AFTER_PLACE.search(text, max(0, span[0] - 80), span[0]) or YEAR_AFTER.match(
        text, span[1]
    ):
        return True  # "in Rotterdam und Antwerpen", "Tokio 2020"
    if COMPANY_BEFORE.search(text, max(0, span[0] - 16), span[0]):
        return True  # a company's seat: "EPHY-MESS GmbH, Wiesbaden"
    line_start = LINE_START.search(text[: span[0]]) is not None
    if line_start and DATELINE_STOP.match(text, span[1]):
        return True  # a dateline closed by a full stop: "Düsseldorf. Der Energiekonzern"
    matched = text[span[0] : span[1]]
    if matched.isupper() and len(matched) > 3:
        return True
    placed_after = PLACE_AFTER.match(text, span[1])
    # a dash or a colon writes a place only in a dateline ("SHARJAH - "), not mid-line
    # ("Citigroup and Wells Fargo — a few data points")
    after = placed_after is not None and (line_start or placed_after.group(0).strip()[:1] in ",(")
    if form.alternate:
        return after and line_start
    return after


def _reads_as_surname(text: str, span: tuple[int, int], language: str | None) -> bool:
    """A region or smaller city written as a person's surname (rule 12): right after a
    capitalised word that is alone (no capitalised word before it), does not start the
    sentence, is no country word and begins no place or venue name, and followed by what
    follows a person ("Bernt Nelson, an economist", "Nelson said")."""
    if _PERSON_AFTER.match(text, span[1]) is None:
        return False
    previous = _PREVIOUS_WORD.search(text, max(0, span[0] - 30), span[0])
    if previous is None or previous.group(1) in _PLACE_PREFIXES:
        return False
    if _SENTENCE_START.search(text, 0, previous.start(1)) is not None:
        return False
    if _CAPITALISED_BEFORE.search(text, max(0, previous.start(1) - 30), previous.start(1)):
        return False  # a name of several capitalised words ("Cosmoprof Worldwide Bologna")
    return token_key(previous.group(1)) not in form_table(language).forms


def _qualifier(text: str, end: int, form: Form, table: FormTable) -> tuple[str, int] | None:
    """The country a place's qualifier names and where the qualifier ends (rule 6): ",
    Texas" / ", Ga." is the US; ", Ontario" or ", Argentina" is that country when it has a
    city of the place's name ("London, Ontario"; "Córdoba, Argentina")."""
    qualifier = QUALIFIER.match(text, end)
    if qualifier is None:
        return None
    key = token_key(qualifier.group(1))
    if key in us_state_names():
        return "US", qualifier.end()
    countries = set(subdivision_countries().get(key, ()))
    named = table.forms.get(key)
    if named is not None and named.kind in (Kind.PLACE, Kind.NAME) and named.country:
        countries.add(named.country)
    for code in form.others:
        if code in countries:
            return code, qualifier.end()
    return None


def _candidates(table: FormTable, tokens: list[_Token], index: int) -> list[tuple[int, str, Form]]:
    """(size, key, form) of the forms that start at token `index`, longest first: the runs of
    1, 2... words read while they begin some form's key."""
    found: list[tuple[int, str, Form]] = []
    key = ""
    for size in range(1, min(table.longest, len(tokens) - index) + 1):
        key = tokens[index + size - 1].key if size == 1 else f"{key} {tokens[index + size - 1].key}"
        if key not in table.prefixes:
            break
        form = table.forms.get(key)
        if form is not None:
            found.append((size, key, form))
    found.reverse()
    return found


def find_countries(text: str, language: str | None = None) -> dict[str, list[str]]:
    """Country code -> the words that named it, in the order first seen (see the rules)."""
    table = form_table(language)
    text = blank_out(straight_quotes(text))
    tokens = _tokens(text)
    found_provinces = _provinces(text)
    provinces = [(words, code) for words, code, _, _ in found_provinces]
    inside = [(start, end) for _, _, start, end in found_provinces]
    matches: list[
        tuple[str, str, Form, bool, bool]
    ] = []  # code, words, form, unqualified, at a place
    people: set[str] = set()  # first-name countries read as a person or brand (rule 5)
    covered: list[tuple[int, int]] = []  # the spans of the forms read
    index = 0
    skip_to = 0  # the end of a qualifier already read ("London, Ontario")
    while index < len(tokens):
        start = tokens[index].start
        if start < skip_to or any(a <= start < b for a, b in inside):
            index += 1  # a qualifier already read, or inside a province's words
            continue
        taken = 1
        for size, key, form in _candidates(table, tokens, index):
            last = index + size - 1
            if size > 1 and not _joined(text, tokens, index, last, form):
                continue
            span = (tokens[index].start, tokens[last].end)
            if not _accept(text, span, form, language):
                if key in FIRST_NAME_COUNTRIES or (
                    form.kind is Kind.PLACE and key in FIRST_NAME_CITIES
                ):
                    people.add(key)  # a person or a brand once: so wherever no place is written
                continue
            if form.kind is Kind.PLACE and not _placed(text, span, form, language):
                continue
            taken = size
            covered.append(span)
            code = form.country
            if code == "GE" and key == "georgia" and _georgia_is_us_state(text):
                code = "US"
            qualified = _qualifier(text, span[1], form, table) if form.kind is Kind.PLACE else None
            if qualified is not None:
                code, skip_to = qualified
            elif (
                form.kind is Kind.PLACE
                and code is not None
                and form.population < BIG_CITY
                and qualified_elsewhere(text, span[1], code, form.others, table)
            ):
                code = None  # "Windsor, Berkshire, England" (rule 6)
            if code is not None:
                before = text[max(0, span[0] - 12) : span[0]]
                at_place = _PLACE_BEFORE.search(before) is not None or text.startswith(
                    "-based", span[1]
                )
                matches.append((code, text[span[0] : span[1]], form, qualified is None, at_place))
            break
        index += taken
    if people:  # "Michael Jordan ... Jordan accounts for": one sense in one text
        matches = [m for m in matches if token_key(m[1]) not in people or m[4]]
    named = {code for code, _, form, _, _ in matches if form.kind is not Kind.PLACE}
    found: dict[str, list[str]] = {}
    for code, words, form, unqualified, _ in matches:
        if form.others and unqualified and code not in named:  # rule 9
            code = next((other for other in form.others if other in named), code)
        if words not in found.setdefault(code, []):
            found[code].append(words)
    for state in _AP_STATE.finditer(text):  # rule 8
        if state.group(0) not in found.setdefault("US", []):
            found["US"].append(state.group(0))
    for words, code in [*provinces, *stop_name_places(text, tokens, covered, table)]:
        if words not in found.setdefault(code, []):
            found[code].append(words)
    return {code: words for code, words in found.items() if words}


def _provinces(text: str) -> list[tuple[str, str, int, int]]:
    """(words, country, start, end) of each province written as one (rule 10)."""
    found = []
    for province in _PROVINCE.finditer(text):
        name = next(group for group in province.groups() if group)
        key = token_key(name)
        if all(word in _DIRECTIONS for word in key.split()):
            continue  # "North West Province" is in more than one country
        codes = subdivision_countries().get(key, ())
        if len(codes) == 1:
            found.append((province.group(0), codes[0], province.start(), province.end()))
    return found


def _georgia_is_us_state(text: str) -> bool:
    return bool(_US_STATE_CONTEXT.search(text)) and not _GEORGIA_COUNTRY_CONTEXT.search(text)


def tag_countries(text: str, language: str | None = None) -> set[str]:
    """ISO 3166-1 alpha-2 codes of the countries the text names (see the module rules)."""
    return set(find_countries(text, language))
