"""What is blanked out of a text before its countries are read (`country_tags`, rules 1 and 2).

Money is not a country ("US$3.5 billion", "Swiss francs"), nor is a language ("available in
English and French.", "la langue française"), nor a style of cooking or of product named
after a country: "an Italian restaurant chain", "la cuisine italienne", "italienische
Küche", "Greek-style yogurt", "Italian-inspired", "an Italian-American-themed concept". An
Italian company, Italian cheese exports or "la gastronomia italiana all'estero" still name
Italy: only the restaurant, the cuisine and the "-style" compound are a style.
"""

from __future__ import annotations

import re

# Currency forms: blanked out before countries are read (rule 1).
MONEY = re.compile(
    r"""(?:\b(?:US|NZ|HK|A|AU|C|CA|S|NT)\s?\$)
    |\bUSD\b
    |\b(?:US|U\.S\.|American|Australian|Canadian|New\ Zealand|Hong\ Kong|Singapore)\s(?:dollars?|cents?)\b
    |\bdollars?\s(?:US|U\.S\.|américains?|americains?|canadiens?|australiens?|néo-zélandais)\b
    |\b(?:US|Hongkong|Singapur|Kanada|Australische?n?)-Dollar[sn]?\b
    |\bd[óo]lar(?:es)?\s(?:estadounidenses?|americanos?|canadienses?|australianos?)\b
    |\bdollari?\s(?:Usa|USA|americani|statunitensi|canadesi|australiani)\b
    |\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?\s(?:francs?|pounds?|pesos?|rupees?|rupiahs?|yen|yuan|
        renminbi|roubles?|rubles?|liras?|lire|kron[ae]|krone[rn]?|kronor|rand|reais|riyals?|
        rials?|dirhams?|dinars?|baht|ringgit|shekels?|zlot[yi]s?|forints?|korun[ay]|levs?|
        hryvnias?|tenges?|dongs?|nairas?|cedis?|shillings?)\b
    |\b(?:South\ )?Korean\ won\b|\bBrazilian\ reals?\b
    |\b(?:francs?|roubles?|yens?|yuans?|pesos|roupies?|dirhams?|dinars?|réals?|rands?|
        zlotys?|forints?|couronnes?|francos?|rublos?|yenes|yuanes|rupias?|dinares|coronas?|
        reales|liras?|libras?|franchi|rubli|rupie|dinari|corone|lire|sterline)\s[a-zà-ÿ]+
    |\b(?:[a-zäöüß]+(?:e|en|er|es)|Schweizer)\s(?:Franken|Rubel|Yen|Yuan|Peso|Pesos|Rupien?|
        Dirham|Dinar|Kronen?|Rand|Lira|Zloty|Forint)\b""",
    re.VERBOSE,
)
_LANGUAGE_NAMES = (
    r"English|French|German|Spanish|Italian|Portuguese|Russian|Chinese|Japanese|Arabic|Dutch|"
    r"Korean|Polish|Turkish|Greek|anglais|français|francais|allemand|espagnol|italien|portugais|"
    r"Englisch|Deutsch|Französisch|Spanisch|Italienisch|inglés|francés|alemán|español|"
    r"italiano|inglese|francese|tedesco|spagnolo"
)
# A language is not a country (rule 1): "available in English and French.", "auf Deutsch",
# "French-speaking", "Spanish-language", "la langue française", "in lingua italiana".
LANGUAGE = re.compile(
    rf"""\b(?:in|into|en|auf|from|dall'|dal|del)\s+(?:{_LANGUAGE_NAMES})
        (?:\s*(?:,|and|or|et|ou|und|oder|y|e|o)\s*(?:{_LANGUAGE_NAMES}))*(?=\s*(?:[,.;:)]|$))
    |\b(?:{_LANGUAGE_NAMES})[- ](?:language|speaking|speakers?|versions?|translations?|
        subtitles?|edition|sprachig\w*)\b
    |\b(?:langue|lingua|lengua|idioma)\s+[a-zà-ÿ]+""",
    re.VERBOSE | re.MULTILINE,
)


_CUISINE_DEMONYMS = (
    r"Italian|French|Chinese|Japanese|Thai|Indian|Mexican|Greek|Spanish|Turkish|Lebanese|"
    r"Korean|Vietnamese|Moroccan|American|Peruvian|German|Portuguese|Brazilian|Persian|Cuban"
)
_NOT_AN_ADJECTIVE = (
    r"in|at|on|of|and|or|de|du|des|en|a|à|au|aux|et|la|le|les|el|los|las|y|di|da|del|della|"
    r"nel|nella|il|lo|gli|e|con|avec|with"
)
# A style, not a country (rule 1): a demonym before a restaurant or a cuisine (English,
# German), a restaurant or a cuisine before an adjective (French, Spanish, Italian), and
# any "X-style", "X-inspired", "X-themed" compound.
STYLE = re.compile(
    rf"""\b[A-Z][a-z]+(?:-[A-Z][a-z]+)*-(?i:style|inspired|themed)\b
    |\b(?:{_CUISINE_DEMONYMS})(?:-American)?\s+(?i:restaurants?|restaurant\s+chains?|eater(?:y|ies)|
        cuisine|cooking|dishes|yogh?urts?)\b
    |\b(?i:restaurants?|restaurantes?|ristoranti|ristorante|cuisine|cocina|cucina|brasseries?|
        pizzerias?|trattorias?|plats|platos|piatti)\s+(?!(?:{_NOT_AN_ADJECTIVE})\b)[a-zà-ÿ]+
    |\b[a-zäöü]+(?:e|en|es|er)\s+(?:Restaurants?|Küche|Gerichte|Spezialitäten)\b""",
    re.VERBOSE,
)


# STYLE is read only in texts that have one of these (most have none).
_STYLE_WORDS = (
    "style", "inspired", "themed", "restaura", "ristorant", "cuisine", "cocina", "cucina",
    "küche", "gerichte", "spezialit", "pizzeria", "trattoria", "brasserie", "plats", "platos",
    "piatti", "eater", "cooking", "dishes", "ogurt", "oghurt",
)  # fmt: skip


def blank_out(text: str) -> str:
    """`text` with its money, languages and styles blanked out (spaces of the same length)."""
    lower = text.lower()
    patterns = (
        (MONEY, LANGUAGE, STYLE) if any(w in lower for w in _STYLE_WORDS) else (MONEY, LANGUAGE)
    )
    for pattern in patterns:
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text
