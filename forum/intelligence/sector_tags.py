"""Finding the sectors (slugs) a title and summary are about, and why.

Keywords: English (`sector_keywords.py`) in every item, and the item's language's
(`sector_words.py`), matched on the text folded (lower case, no accents) on word
boundaries, longest first; spaces and hyphens inside a keyword are interchangeable
("health care", "healthcare", "e-commerce"); English and exact words take a plural "s";
`*` matches any ending (or, leading, a compound's beginning). Keywords written in capitals
(AI, EV, LNG) must match exactly. A keyword can name more than one sector ("digital health"
is digital and healthcare; food-innovation keywords are also food).

Context, not single words:

1. Names are not sectors: a keyword inside a ministry's name ("Ministry of Trade, Industry
   and Energy", "Bundesministerium für Wirtschaft und Energie", "Ministerio de Industria,
   Comercio y Turismo"), a company's name ("X Energy Ltd"), a publication's ("Military &
   Aerospace Electronics") or a venue hotel ("at the Marriott Hotel", "Hotel X hosts") is
   not read (`_NAMES`); nor is a chamber's, a federation's or an association's name, nor
   an idiom ("in good health", "godono di buona salute", "point de presse").
2. Verb senses: "to fashion", "fashioned", "fashioning ways" are not textile.
3. English words that are other words elsewhere ("media" is "average" in Italian) count in
   English items only (`sector_words.ENGLISH_ONLY`).
4. Energy named only in general words (energy, electricity) is no energy tag when the text
   is about renewable energy (`sector_words.GENERIC_ENERGY`).
5. A publication named as a source is not media: "told the newspaper Die Welt", "der
   Zeitung „Die Welt“", "une enquête du magazine Challenges", "il quotidiano La Stampa".
6. German writes nouns with a capital: a German keyword with no wildcard ("Wolle", "Mode",
   "Wein") counts only capitalised ("wolle man" is a verb).
7. Figures of speech: the "industrial fabric" of a region ("tejido industrial", "tessuto
   produttivo", "tissu économique", "social fabric") is no textile.
8. A generic list of the economy's domains is no sector: a keyword that is the only one in
   an enumeration of four or more items ("the Emirate's economy, industry, trade, and
   tourism"; "Klima, Krieg, Energie, Bevölkerungswachstum und mehr").
9. Words in another sense: "financial health", "santé financière", "health and safety" are
   no healthcare; "plastic film", "packaging film", "thin film" no media; an energy drink
   is a beverage (food), not energy; "turkey" counts for food only in lower case
   (`sector_words.LOWER_CASE_ONLY`: "Turkey" is the country). A company's name with "and"
   is a name too ("Film and Foil Solutions Ltd").
10. An aside that excludes a sector names none: "(hors salons de l'aéronautique et de la
   défense)", "(excluding aerospace)", "(ohne Tourismus)".
11. Fourth round: idioms of fruit and fashion ("bear fruit", "portent leurs fruits",
   "passare di moda"), feeding a line or a grid ("alimenter les lignes"), the media as
   audience or source ("told the media", "aux médias"), energy costs and efficiency
   (`_MORE_SENSES`, each read only with its trigger word); a sector named only to rank
   another ("derrière l'aéronautique", `_RANKED_BEHIND`).
12. "Gaming" near a casino is gambling; a workplace accident at a firm is about no sector.
13. Fifth round (`sector_senses.py`): "en train de", "un treno di misure" (no railway); the
   Spanish verb "vino a firmar" (no wine); the Silk Road (no silk); the Solar System and
   solar eclipses (no solar energy); "cosmetic changes" (no cosmetics); a TV star or a
   "hotel heiress" (a person); energy as vigour ("mucha energía"), "sur les rails", "the
   fruits of their labour", a media frenzy; olive words count only in lower case ("Oliver",
   "Pérez-Oliva" are names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from forum.intelligence.sector_keywords import ALSO, SECTOR_KEYWORDS
from forum.intelligence.sector_senses import SENSES_BY_TRIGGER
from forum.intelligence.sector_words import ENGLISH_ONLY, GENERIC_ENERGY, LOWER_CASE_ONLY, WORDS
from forum.intelligence.tag_text import fold_in_place

_LANGUAGES = ("en", "fr", "de", "es", "it")
_CAPITALISED_RUN = (
    r"(?:[A-ZÀ-Ý][\w'’-]*|and|&|et|und|y|e|de|del|des|du|la|le|für|della|dello|per"
    r"|[a-zà-ÿ]+(?=\s+[A-ZÀ-Ý]))"  # an adjective before a capitalised word ("digitale Infrastruktur")
)
_NAMES = re.compile(
    rf"""(?:\b(?:Ministry|Minister|Department|Secretary|Ministère|Ministre|ministère|
        ministre|Ministerio|Ministro|Ministero|Bundesministerium|Ministerium|Bundesminister|
        Chamber|Chambre|Cámara|Camara|Camera|Kammer|Association|Asociación|Associazione|
        Federation|Fédération|Federación|Federazione|Confederación|Verband)
        (?:\s+[A-ZÀ-Ý][\w'’-]*)?\s+(?:of|for|de\s+la|de\s+l'|de|du|des|für|del|dello|della|dell'|delle|per)\s*
        (?:{_CAPITALISED_RUN},?\s*){{1,8}})
    |(?:\b(?:[A-Z][\w&]*\s+(?:(?:and|&)\s+)?){{1,4}}(?:Ltd|Inc|Corp|Corporation|GmbH|AG|SA|S\.A\.|SpA|S\.p\.A\.|plc|LLC)\b)
    |Military\s*&\s*Aerospace\s+Electronics
    |\b(?:at|in|hosted\s+by)\s+the\s+(?:[A-Z][\w'’-]*\s+){{1,4}}(?:Hotel|Resort|Inn)\b
    |\bHotel\s+(?:[A-Z][\w'’-]*\s+){{1,3}}(?:hosts?|hosted|will\s+host)\b
    |\b(?:to|will|would|could|can|must)\s+fashion\b|\bfashion(?:ed|ing)\b
    |\b(?:good|bonne|buena|buona|in)\s+(?:health|santé|salud|salute)\b

    |\b(?:point|conférence|communiqué|revue)\s+de\s+presse\b|\bpress\s+release\b
    |\b(?:[A-Z][\w'’-]*,?\s+(?:y\s+|e\s+|et\s+|and\s+|&\s+)?){{1,6}}S\.A\.
    |\b(?:newspaper|magazine|daily|weekly|journal|Zeitung|Tageszeitung|Wochenzeitung|
        Magazin|Nachrichtenmagazin|quotidien|hebdomadaire|mensuel|magazine|revue|
        peri[óo]dico|diario|semanario|revista|giornale|quotidiano|settimanale|rivista)
        (?=\s+[„“"«»]?\s?[A-ZÀ-Ý])
    |\b(?:tejido|tessuto|tissu)\s+(?:industrial|empresarial|productivo|econ[óo]mico|social|
        comercial|produttivo|imprenditoriale|economico|industriale|sociale|industriel|
        [ée]conomique|productif|entrepreneurial|local)\b
    |\b(?:social|economic|industrial|business|urban)\s+fabric\b
    |\b(?:in\s+modalit[àa]|in\s+forma|en\s+format|en\s+version|en\s+formato|
        en\s+modalidad)\s+(?:digital[ea]?|num[ée]rique|virtual[e]?|virtuel(?:le)?|online)\b
    |\bin\s+digitaler\s+Form\b|\b(?:digital|virtual|online)\s+(?:edition|format)s?\b
    |\b(?:more|plus|più|más)\s+(?:digital[ea]?|num[ée]rique)\b
    |\bministr[eoa]s?\s+(?:d[ée]l[ée]gu[ée]e?\s+|charg[ée]e?\s+)?(?:aux|au|à\s+la|à\s+l'|du|
        de\s+la|de\s+l'|des|del|della|dello|dell'|de|for|of)\s+[\w'’-]+
        (?:\s+(?:et|e|y|and|&)\s+(?:aux|au|à\s+la|à\s+l'|du|de\s+la|des|del|della|de|la|le|les|l'|the)?\s*[\w'’-]+){{0,4}}
    |\bpoint\s+presse\b
    |\b(?:energy|power)\s+(?:efficiency|savings?)\b
    |\b[ée]conomies?\s+d['’](?:[ée]nergie|[ée]lectricit[ée])\b
    |\b(?:ahorro|risparmio)\s+(?:de\s+)?(?:energ[ií]a|energ[ée]tico|elettricit[àa])\b
    |\b(?:efficacit[ée]|efficience)\s+[ée]nerg[ée]tique\b|\beficiencia\s+energ[ée]tica\b
    |\befficienza\s+energetica\b|\bEnergieeffizienz\b""",
    re.VERBOSE,
)
# Words in another sense (rule 9), read only in texts that have one of `_SENSE_WORDS`.
_SENSES = re.compile(
    r"""\b(?i:financial|fiscal|economic|business)\s+(?i:health)\b|\bsant[ée]\s+financi[èe]re\b
    |\bsalud\s+financiera\b|\bsalute\s+finanziaria\b|\bfinanziellen?\s+Gesundheit\b
    |\b(?i:health\s+(?:and|&)\s+safety)\b
    |\b(?:plastic|flexible|packaging|cling|thin|protective|window|shrink|stretch|barrier|
        polyester|polymer)[\s-]+films?\b
    |\((?:hors|sauf|excluding|except|excl\.|à\s+l'exception|ausgenommen|außer|ohne|excepto|
        salvo|sin|tranne|eccetto|escluso|esclusi)\b[^)]{0,100}\)
""",
    re.VERBOSE,
)
# Rule 11: a sector named only to rank another one ("au deuxième rang des secteurs
# exportateurs, derrière l'aéronautique"; "solo superados por las exportaciones de coches").
_RANKED_BEHIND = re.compile(
    r"""(?i:\b(?:rang|contributeur|exportateur|situerait|ranks?|ranked|posto|puesto|
        (?:second|third)[\s-](?:largest|biggest|place|rank)|(?:secondo|terzo)\s+(?:settore|comparto)|
        (?:segundo|tercer)\s+(?:sector|lugar)|(?:zweit|dritt)(?:größt|wichtigst)\w*)\b
        [^.;]{0,80}?\b(?:derri[èe]re|apr[èe]s|behind|after|dietro|dopo|detr[áa]s\s+de|tras|
        hinter|nach))\s+[^.;]{0,90}
    |(?i:\b(?:superad[oa]s?|superat[oi]|surpassed|outranked|d[ée]pass[ée]e?s?)\s+(?:solo\s+|only\s+|
        seulement\s+|soltanto\s+)?(?:por|by|par|da|dagli|dalle|von))\s+[^.;]{0,120}""",
    re.VERBOSE,
)
_RANK_WORDS = ("rang", "contributeur", "exportateur", "situerait", "rank", "posto", "puesto",
               "largest", "biggest", "place", "settore", "comparto", "sector", "lugar", "größt",
               "wichtigst", "superad", "surpass", "outrank", "dépass", "depass", "superat")  # fmt: skip
# Rule 12: "gaming" near a casino is gambling, not video games; a workplace accident at a
# firm is not about the firm's sector.
_ACCIDENT_WORDS = ("fined", "prosecut", "guilty", "accident", "unfall", "infortunio", "hse ",
                   "health and safety")  # fmt: skip
_GAMBLING = ("casin", "gambl", "betting", "lotter", "spielbank", "scommess", "apuesta")
_WORK_ACCIDENT = re.compile(
    r"""(?i:\b(?:fined|prosecuted|pleaded\s+guilty)\b[\s\S]{0,400}?\b(?:injur\w*|accident|
        trapped|crushed|amputat\w*|lost\s+(?:part\s+of\s+)?(?:his|her|a)\s+(?:finger|hand|arm|leg))
        |\b(?:injur\w*|accident|trapped|crushed)\b[\s\S]{0,400}?\b(?:fined|prosecuted|pleaded\s+guilty)\b
        |\bfined\b[^.]{0,120}?\bafter\s+(?:a|an|one\s+of\s+its)\s+(?:worker|employee|staff\s+member)
        |\bHealth\s+and\s+Safety\s+Executive\b|\bHSE\s+investigation\b
        |\b(?:accident\s+at\s+work|workplace\s+accident|work\s+accident|Arbeitsunfall|
        accident\s+du\s+travail|accidente\s+laboral|infortunio\s+sul\s+lavoro))""",
    re.VERBOSE,
)
_SENSE_WORDS = (
    "health", "santé", "sante", "salud", "salute", "gesundheit", "film", "(hors", "(sauf",
    "(excl", "(except", "(à l'exc", "(ausgenom", "(außer", "(ohne", "(salvo", "(sin ",
    "(tranne", "(eccetto", "(esclus",
)  # fmt: skip
_ENUMERATION = re.compile(
    r"(?<![\w'’-])(?:[\w'’-]+(?:[ \t]+[\w'’-]+){0,2})(?:[ \t]*,[ \t]*[\w'’-]+(?:[ \t]+[\w'’-]+){0,2}){2,}"
    r"[ \t]*,?[ \t]+(?:and|or|et|ou|und|oder|y|o|e|ed)[ \t]+[\w'’-]+(?:[ \t]+[\w'’-]+){0,2}"
)
_ITEM_SEPARATOR = re.compile(
    r"[ \t]*,[ \t]*(?:(?:and|or|et|ou|und|oder|y|o|e|ed)[ \t]+)?|"
    r"[ \t]+(?:and|or|et|ou|und|oder|y|o|e|ed)[ \t]+"
)
_GERMAN_NOUN = re.compile(r"^[^\W\d_]+(?:[\s-][^\W\d_]+)?$")


@dataclass(frozen=True)
class _Keyword:
    text: str
    slugs: frozenset[str]
    exact: bool  # written in capitals: the text must have the same letters
    pattern: re.Pattern[str]  # this keyword alone, from where it starts
    noun: bool = False  # a German noun: counts only capitalised (rule 6)
    lower: bool = False  # counts only in lower case ("turkey", rule 9)


@dataclass(frozen=True)
class _SectorMatcher:
    # One alternation for the keywords that start a word, one for those that may start
    # inside a German compound; which keyword matched is found among those starting with
    # the same letter (a named group per keyword makes the alternation 100 times slower).
    bounded: re.Pattern[str]
    infix: re.Pattern[str] | None
    by_letter: dict[str, tuple[_Keyword, ...]]  # in the alternation's order
    infixes: tuple[_Keyword, ...]


def _keyword_body(keyword: str, plural: bool) -> str:
    folded = fold_in_place(keyword.lower())
    core = folded.strip("*")
    parts = []
    for word in (w for w in re.split(r"[\s\-]+", core) if w):
        parts.append(re.escape(word.rstrip("*")) + (r"\w*" if word.endswith("*") else ""))
    body = r"[\s\-]*".join(parts)
    return body + (r"\w*" if folded.endswith("*") else (r"s?" if plural else "") + r"(?!\w)")


def _german_nouns(language: str | None) -> frozenset[str]:
    """German keywords written without a wildcard: nouns, capitalised in German (rule 6)."""
    if language != "de":
        return frozenset()
    return frozenset(
        keyword
        for keywords in WORDS["de"].values()
        for keyword in keywords
        if "*" not in keyword and " " not in keyword
    )


def _entries(language: str | None) -> dict[str, set[str]]:
    """keyword -> slugs for an item in `language`."""
    entries: dict[str, set[str]] = {}
    english = language in (None, "en") or language not in _LANGUAGES
    for slug, keywords in SECTOR_KEYWORDS.items():
        for keyword in keywords:
            if keyword in ENGLISH_ONLY and not english:
                continue
            entries.setdefault(keyword, set()).update({slug, *ALSO.get(keyword, ())})
    tables = [WORDS["en"]] + ([] if english else [WORDS[language or "en"]])
    for table in tables:
        for slug, keywords in table.items():
            for keyword in keywords:
                entries.setdefault(keyword, set()).add(slug)
                if slug == "food-innovation":
                    entries[keyword].add("food")
                if slug == "blue-energy" and re.search("eol|wind", keyword):
                    entries[keyword].add("renewable-energy")  # offshore wind
    return entries


@cache
def _sector_matcher(language: str | None) -> _SectorMatcher:
    entries = _entries(language)
    nouns = _german_nouns(language)
    ordered = sorted(entries, key=lambda k: (-len(k.strip("*")), k))
    bounded: list[_Keyword] = []
    infixes: list[_Keyword] = []
    for keyword in ordered:
        body = _keyword_body(keyword, plural="*" not in keyword)
        exact = not any(c.islower() for c in keyword)
        noun = keyword in nouns
        lower = keyword in LOWER_CASE_ONLY
        entry = _Keyword(keyword, frozenset(entries[keyword]), exact, re.compile(body), noun, lower)
        (infixes if keyword.startswith("*") else bounded).append(entry)
    by_letter: dict[str, list[_Keyword]] = {}
    for entry in bounded:
        by_letter.setdefault(fold_in_place(entry.text.lower())[0], []).append(entry)
    return _SectorMatcher(
        re.compile(r"(?<!\w)(?:" + "|".join(k.pattern.pattern for k in bounded) + ")"),
        re.compile("|".join(k.pattern.pattern for k in infixes)) if infixes else None,
        {letter: tuple(entries_) for letter, entries_ in by_letter.items()},
        tuple(infixes),
    )


def _hits(matcher: _SectorMatcher, folded: str) -> list[tuple[int, int, _Keyword]]:
    """(start, end, keyword) of every keyword in the folded text, left to right."""
    hits = []
    for match in matcher.bounded.finditer(folded):
        for keyword in matcher.by_letter.get(folded[match.start()], ()):
            own = keyword.pattern.match(folded, match.start())
            if own is not None and own.end() == match.end():
                hits.append((match.start(), match.end(), keyword))
                break
    if matcher.infix is not None:
        for match in matcher.infix.finditer(folded):
            for keyword in matcher.infixes:
                own = keyword.pattern.match(folded, match.start())
                if own is not None and own.end() == match.end():
                    start = match.start()
                    while start > 0 and folded[start - 1].isalnum():
                        start -= 1  # the whole compound: "Naturkosmetik"
                    hits.append((start, match.end(), keyword))
                    break
    return sorted(hits, key=lambda hit: hit[0])


def _masked(text: str) -> str:
    """`text` with names and figures of speech blanked out. Matches may overlap (a chamber's
    name read inside another name's run): every start is tried."""
    blank = bytearray(len(text))
    position = 0
    while (match := _NAMES.search(text, position)) is not None:
        blank[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
        position = match.start() + 1
    lower = text.lower()
    if any(word in lower for word in _SENSE_WORDS):
        for match in _SENSES.finditer(text):
            blank[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
    for triggers, senses in SENSES_BY_TRIGGER:
        if any(word in lower for word in triggers):
            for match in senses.finditer(text):
                blank[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
    if any(word in lower for word in _RANK_WORDS):
        for match in _RANKED_BEHIND.finditer(text):
            start = match.start() + len(
                re.split(
                    r"(?i)\b(?:derri[èe]re|apr[èe]s|behind|after|dietro|"
                    r"dopo|detr[áa]s\s+de|tras|hinter|nach|por|by|par|da|dagli|dalle|von)\s",
                    match.group(0),
                    maxsplit=1,
                )[0]
            )
            blank[start : match.end()] = b"\x01" * (match.end() - start)
    return "".join(" " if flag else char for char, flag in zip(text, blank, strict=True))


def _listed_alone(text: str, hits: list[tuple[int, int, _Keyword]]) -> set[int]:
    """Starts of the hits that are the only keyword of a list of four or more (rule 8)."""
    alone: set[int] = set()
    if not hits or text.count(",") < 2:
        return alone
    for enumeration in _ENUMERATION.finditer(text):
        items, position = [], enumeration.start()
        for separator in _ITEM_SEPARATOR.finditer(text, enumeration.start(), enumeration.end()):
            items.append((position, separator.start()))
            position = separator.end()
        items.append((position, enumeration.end()))
        if len(items) < 4:
            continue
        inside = [hit for hit in hits if enumeration.start() <= hit[0] < enumeration.end()]
        with_hits = {i for i, (a, b) in enumerate(items) for hit in inside if a <= hit[0] < b}
        if len(with_hits) == 1 and len({hit[2].slugs for hit in inside}) == 1:
            alone.update(hit[0] for hit in inside)
    return alone


def find_sectors(text: str, language: str | None = None) -> dict[str, list[str]]:
    """Sector slug -> the words that triggered it, in the order first seen."""
    matcher = _sector_matcher(language)
    folded = fold_in_place(_masked(text))
    found: dict[str, list[str]] = {}
    hits = _hits(matcher, folded)
    alone = _listed_alone(text, hits)
    for start, end, keyword in hits:
        original = text[start:end]
        if keyword.exact and original.rstrip("s") != keyword.text:
            continue  # an abbreviation in the wrong case ("ai", "tv")
        if keyword.noun and not original[:1].isupper():
            continue  # a German noun in lower case is another word ("wolle man")
        if keyword.lower and original[:1].isupper():
            continue  # "Turkey" is the country, "turkey" the bird (rule 9)
        if start in alone:
            continue
        if keyword.text == "gaming" and any(word in folded for word in _GAMBLING):
            continue  # casino gaming is gambling (rule 12)
        for slug in keyword.slugs:
            words = found.setdefault(slug, [])
            if original not in words:
                words.append(original)
    lower = text.lower()
    if any(word in lower for word in _ACCIDENT_WORDS) and _WORK_ACCIDENT.search(text):
        return {}  # a workplace accident is not about the firm's sector (rule 12)
    generic = all(fold_in_place(w.lower()) in GENERIC_ENERGY for w in found.get("energy", []))
    if "renewable-energy" in found and "energy" in found and generic:
        del found["energy"]
    return found


def tag_sectors(text: str, language: str | None = None) -> set[str]:
    """Sector slugs the text is about (see the module rules)."""
    return set(find_sectors(text, language))
