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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from forum.intelligence.sector_keywords import ALSO, SECTOR_KEYWORDS
from forum.intelligence.sector_words import ENGLISH_ONLY, GENERIC_ENERGY, WORDS
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
    |(?:\b(?:[A-Z][\w&]*\s+){{1,3}}(?:Ltd|Inc|Corp|Corporation|GmbH|AG|SA|S\.A\.|SpA|S\.p\.A\.|plc|LLC)\b)
    |Military\s*&\s*Aerospace\s+Electronics
    |\b(?:at|in|hosted\s+by)\s+the\s+(?:[A-Z][\w'’-]*\s+){{1,4}}(?:Hotel|Resort|Inn)\b
    |\bHotel\s+(?:[A-Z][\w'’-]*\s+){{1,3}}(?:hosts?|hosted|will\s+host)\b
    |\b(?:to|will|would|could|can|must)\s+fashion\b|\bfashion(?:ed|ing)\b
    |\b(?:good|bonne|buena|buona|in)\s+(?:health|santé|salud|salute)\b
    |\b(?:point|conférence|communiqué|revue)\s+de\s+presse\b|\bpress\s+release\b
    |\b(?:[A-Z][\w'’-]*,?\s+(?:y\s+|e\s+|et\s+|and\s+|&\s+)?){{1,6}}S\.A\.""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Keyword:
    text: str
    slugs: frozenset[str]
    exact: bool  # written in capitals: the text must have the same letters
    pattern: re.Pattern[str]  # this keyword alone, from where it starts


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
    ordered = sorted(entries, key=lambda k: (-len(k.strip("*")), k))
    bounded: list[_Keyword] = []
    infixes: list[_Keyword] = []
    for keyword in ordered:
        body = _keyword_body(keyword, plural="*" not in keyword)
        exact = not any(c.islower() for c in keyword)
        entry = _Keyword(keyword, frozenset(entries[keyword]), exact, re.compile(body))
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
    return _NAMES.sub(lambda m: " " * len(m.group(0)), text)


def find_sectors(text: str, language: str | None = None) -> dict[str, list[str]]:
    """Sector slug -> the words that triggered it, in the order first seen."""
    matcher = _sector_matcher(language)
    folded = fold_in_place(_masked(text))
    found: dict[str, list[str]] = {}
    for start, end, keyword in _hits(matcher, folded):
        original = text[start:end]
        if keyword.exact and original.rstrip("s") != keyword.text:
            continue  # an abbreviation in the wrong case ("ai", "tv")
        for slug in keyword.slugs:
            words = found.setdefault(slug, [])
            if original not in words:
                words.append(original)
    generic = all(fold_in_place(w.lower()) in GENERIC_ENERGY for w in found.get("energy", []))
    if "renewable-energy" in found and "energy" in found and generic:
        del found["energy"]
    return found


def tag_sectors(text: str, language: str | None = None) -> set[str]:
    """Sector slugs the text is about (see the module rules)."""
    return set(find_sectors(text, language))
