"""Writes forum/intelligence/data/country_words.json: the demonyms (adjectives of
nationality) and the everyday short names and abbreviations that CLDR's territory names
(Babel) lack, in French, German, Spanish and Italian.

CLDR gives one name per country and locale ("Chine", "China", "Cina"); news also writes
the adjective ("exportations françaises", "deutsche Unternehmen", "aceite español",
"industria cosmetica italiana"). The table below holds each adjective's base form
(masculine singular; German: the stem) for the countries trade news names most; the
script writes every inflected form. Run it after editing the table:

    python tools/make_country_words.py

Reviewed by hand: forms that are also ordinary words ("romano" is Roman, not Romanian;
"indiano"/"indio" also mean indigenous American) are left out.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = (
    Path(__file__).resolve().parent.parent
    / "forum"
    / "intelligence"
    / "data"
    / "country_words.json"
)

# code: (French, German stem, Spanish, Italian); "" where the language has none we trust.
ADJECTIVES: dict[str, tuple[str, str, str, str]] = {
    "AE": ("émirien", "emiratisch", "emiratí", "emiratino"),
    "AR": ("argentin", "argentinisch", "argentino", "argentino"),
    "AT": ("autrichien", "österreichisch", "austriaco", "austriaco"),
    "AU": ("australien", "australisch", "australiano", "australiano"),
    "BE": ("belge", "belgisch", "belga", "belga"),
    "BR": ("brésilien", "brasilianisch", "brasileño", "brasiliano"),
    "CA": ("canadien", "kanadisch", "canadiense", "canadese"),
    "CH": ("suisse", "schweizerisch", "suizo", "svizzero"),
    "CI": ("ivoirien", "ivorisch", "marfileño", "ivoriano"),
    "CL": ("chilien", "chilenisch", "chileno", "cileno"),
    "CN": ("chinois", "chinesisch", "chino", "cinese"),
    "CO": ("colombien", "kolumbianisch", "colombiano", "colombiano"),
    "CZ": ("tchèque", "tschechisch", "checo", "ceco"),
    "DE": ("allemand", "deutsch", "alemán", "tedesco"),
    "DK": ("danois", "dänisch", "danés", "danese"),
    "DZ": ("algérien", "algerisch", "argelino", "algerino"),
    "EG": ("égyptien", "ägyptisch", "egipcio", "egiziano"),
    "ES": ("espagnol", "spanisch", "español", "spagnolo"),
    "FI": ("finlandais", "finnisch", "finlandés", "finlandese"),
    "FR": ("français", "französisch", "francés", "francese"),
    "GB": ("britannique", "britisch", "británico", "britannico"),
    "GR": ("grec", "griechisch", "griego", "greco"),
    "HU": ("hongrois", "ungarisch", "húngaro", "ungherese"),
    "ID": ("indonésien", "indonesisch", "indonesio", "indonesiano"),
    "IE": ("irlandais", "irisch", "irlandés", "irlandese"),
    "IL": ("israélien", "israelisch", "israelí", "israeliano"),
    "IN": ("", "indisch", "", ""),
    "IT": ("italien", "italienisch", "italiano", "italiano"),
    "JP": ("japonais", "japanisch", "japonés", "giapponese"),
    "KR": ("sud-coréen", "südkoreanisch", "surcoreano", "sudcoreano"),
    "MA": ("marocain", "marokkanisch", "marroquí", "marocchino"),
    "MX": ("mexicain", "mexikanisch", "mexicano", "messicano"),
    "NG": ("nigérian", "nigerianisch", "nigeriano", "nigeriano"),
    "NL": ("néerlandais", "niederländisch", "neerlandés", "olandese"),
    "NO": ("norvégien", "norwegisch", "noruego", "norvegese"),
    "NZ": ("néo-zélandais", "neuseeländisch", "neozelandés", "neozelandese"),
    "PE": ("péruvien", "peruanisch", "peruano", "peruviano"),
    "PL": ("polonais", "polnisch", "polaco", "polacco"),
    "PT": ("portugais", "portugiesisch", "portugués", "portoghese"),
    "RO": ("roumain", "rumänisch", "rumano", "rumeno"),
    "RU": ("russe", "russisch", "ruso", "russo"),
    "SA": ("saoudien", "saudisch", "saudí", "saudita"),
    "SE": ("suédois", "schwedisch", "sueco", "svedese"),
    "SN": ("sénégalais", "senegalesisch", "senegalés", "senegalese"),
    "TN": ("tunisien", "tunesisch", "tunecino", "tunisino"),
    "TR": ("turc", "türkisch", "turco", "turco"),
    "UA": ("ukrainien", "ukrainisch", "ucraniano", "ucraino"),
    "US": ("américain", "amerikanisch", "estadounidense", "statunitense"),
    "VN": ("vietnamien", "vietnamesisch", "vietnamita", "vietnamita"),
    "ZA": ("sud-africain", "südafrikanisch", "sudafricano", "sudafricano"),
    # Added with the second development round (issue 27): post-Soviet, Balkan, Gulf,
    # Asian, African and Latin American trade partners. Left out where the adjective is
    # also a word or a common surname: Italian "serbo" ("in serbo": in store), "giordano"
    # (Giordano), "bengalese" (Bengal is also India's).
    "AM": ("arménien", "armenisch", "armenio", "armeno"),
    "AO": ("angolais", "angolanisch", "angoleño", "angolano"),
    "AZ": ("azerbaïdjanais", "aserbaidschanisch", "azerbaiyano", "azero"),
    "BG": ("bulgare", "bulgarisch", "búlgaro", "bulgaro"),
    "BY": ("biélorusse", "belarussisch", "bielorruso", "bielorusso"),
    "CM": ("camerounais", "kamerunisch", "camerunés", "camerunense"),
    "CU": ("cubain", "kubanisch", "cubano", "cubano"),
    "CY": ("chypriote", "zypriotisch", "chipriota", "cipriota"),
    "EC": ("équatorien", "ecuadorianisch", "ecuatoriano", "ecuadoriano"),
    "EE": ("estonien", "estnisch", "estonio", "estone"),
    "ET": ("éthiopien", "äthiopisch", "etíope", "etiope"),
    "GE": ("géorgien", "georgisch", "georgiano", "georgiano"),
    "GH": ("ghanéen", "ghanaisch", "ghanés", "ghanese"),
    "HR": ("croate", "kroatisch", "croata", "croato"),
    "IQ": ("irakien", "irakisch", "iraquí", "iracheno"),
    "IR": ("iranien", "iranisch", "iraní", "iraniano"),
    "IS": ("islandais", "isländisch", "islandés", "islandese"),
    "JO": ("jordanien", "jordanisch", "jordano", ""),
    "KE": ("kényan", "kenianisch", "keniano", "keniota"),
    "KW": ("koweïtien", "kuwaitisch", "kuwaití", "kuwaitiano"),
    "KZ": ("kazakhstanais", "kasachisch", "kazajo", "kazako"),
    "LB": ("libanais", "libanesisch", "libanés", "libanese"),
    "LT": ("lituanien", "litauisch", "lituano", "lituano"),
    "LU": ("luxembourgeois", "luxemburgisch", "luxemburgués", "lussemburghese"),
    "LV": ("letton", "lettisch", "letón", "lettone"),
    "MD": ("moldave", "moldauisch", "moldavo", "moldavo"),
    "MT": ("maltais", "maltesisch", "maltés", "maltese"),
    "MY": ("malaisien", "malaysisch", "malasio", "malese"),
    "PH": ("philippin", "philippinisch", "filipino", "filippino"),
    "PK": ("pakistanais", "pakistanisch", "pakistaní", "pakistano"),
    "QA": ("qatari", "katarisch", "catarí", "qatariota"),
    "RS": ("serbe", "serbisch", "serbio", ""),
    "SG": ("singapourien", "singapurisch", "singapurense", "singaporiano"),
    "SI": ("slovène", "slowenisch", "esloveno", "sloveno"),
    "SK": ("slovaque", "slowakisch", "eslovaco", "slovacco"),
    "TH": ("thaïlandais", "thailändisch", "tailandés", "tailandese"),
    "TW": ("taïwanais", "taiwanisch", "taiwanés", "taiwanese"),
    "UY": ("uruguayen", "uruguayisch", "uruguayo", "uruguaiano"),
    "UZ": ("ouzbek", "usbekisch", "uzbeko", "uzbeko"),
    "VE": ("vénézuélien", "venezolanisch", "venezolano", "venezuelano"),
}

# Adjectives that do not inflect, or whose everyday form the table's rule does not make:
# German "Schweizer Unternehmen" (CH), Italian "americano" (in Italian news the US; Spanish
# "americano" is the continent's and left out).
INVARIANT: dict[str, dict[str, list[str]]] = {
    "fr": {},
    "de": {"CH": ["Schweizer"], "LU": ["Luxemburger"], "LI": ["Liechtensteiner"]},
    "es": {},
    "it": {"US": ["americano", "americana", "americani", "americane"]},
}

# Short names and abbreviations CLDR lacks (CLDR's own names are read at run time).
ALIASES: dict[str, dict[str, list[str]]] = {
    "fr": {
        "US": ["États-Unis", "Etats-Unis", "USA"],
        "GB": [
            "Royaume-Uni",
            "Grande-Bretagne",
            "Angleterre",
            "Écosse",
            "Ecosse",
            "Pays de Galles",
            "Irlande du Nord",
        ],
        "AE": ["Émirats arabes unis", "Emirats arabes unis", "Émirats", "EAU"],
        "BE": ["Wallonie", "Flandre", "Bruxelles-Capitale"],
        "CD": ["RDC", "République démocratique du Congo"],
        "CG": ["Congo-Brazzaville", "République du Congo"],
        "KR": ["Corée du Sud"],
    },
    "de": {
        "US": ["USA", "Vereinigte Staaten", "Vereinigten Staaten"],
        "GB": [
            "Großbritannien",
            "Grossbritannien",
            "England",
            "Vereinigtes Königreich",
            "Schottland",
            "Nordirland",
        ],
        "DE": [
            "Norddeutschland",
            "Süddeutschland",
            "Ostdeutschland",
            "Westdeutschland",
            "Mitteldeutschland",
            "Südwestdeutschland",
            "Nordwestdeutschland",
        ],
        "AE": ["Vereinigte Arabische Emirate", "Vereinigten Arabischen Emiraten", "VAE"],
        "NL": ["Niederlanden", "Holland"],
        "CH": ["Schweiz"],
        "RU": ["Russischen Föderation", "Russische Föderation"],
        "KR": ["Südkorea"],
    },
    "es": {
        "US": ["EEUU", "EE.UU.", "EE. UU.", "Estados Unidos", "USA"],
        "GB": [
            "Reino Unido",
            "Gran Bretaña",
            "Inglaterra",
            "Escocia",
            "País de Gales",
            "Irlanda del Norte",
        ],
        "AE": ["Emiratos Árabes Unidos", "Emiratos"],
        "KR": ["Corea del Sur"],
    },
    "it": {
        "US": ["Usa", "USA", "Stati Uniti"],
        "GB": [
            "Regno Unito",
            "Gran Bretagna",
            "Inghilterra",
            "Scozia",
            "Galles",
            "Irlanda del Nord",
        ],
        "AE": ["Emirati Arabi Uniti", "Emirati"],
        "KR": ["Corea del Sud"],
        "ZA": ["Sud Africa"],
    },
}


def french(base: str) -> list[str]:
    if base.endswith("e"):
        return [base, base + "s"]
    if base.endswith("ien"):
        return [base, base + "s", base + "ne", base + "nes"]
    if base.endswith("s"):
        return [base, base + "e", base + "es"]
    if base.endswith("c"):  # grec, turc
        feminine = base + "que" if base == "grec" else base[:-1] + "que"  # grecque, turque
        return [base, base + "s", feminine, feminine + "s"]
    return [base, base + "s", base + "e", base + "es"]


def german(stem: str) -> list[str]:
    return [stem, *(stem + ending for ending in ("e", "en", "er", "es", "em"))]


def spanish(base: str) -> list[str]:
    if base.endswith("o"):
        return [base, base[:-1] + "a", base + "s", base[:-1] + "as"]
    if base.endswith(("és", "án")):
        plain = base[:-2] + base[-2].replace("é", "e").replace("á", "a") + base[-1]
        return [base, plain + "a", plain + "es", plain + "as"]
    if base.endswith("ol"):
        return [base, base + "a", base + "es", base + "as"]
    if base.endswith(("í", "a")):
        return [base, base + "s", base + "es"] if base.endswith("í") else [base, base + "s"]
    return [base, base + "s"]


def italian(base: str) -> list[str]:
    if base.endswith("co"):  # austriaco: austriaci; tedesco: tedeschi; greco: greci
        plural = base[:-1] + ("hi" if base.endswith("sco") else "i")
        return [base, base[:-1] + "a", plural, base[:-1] + "he"]
    if base.endswith("o"):
        return [base, base[:-1] + "a", base[:-1] + "i", base[:-1] + "e"]
    if base.endswith("a"):  # belga, saudita, vietnamita
        return [base, base[:-1] + "i", base[:-1] + "e"]
    return [base, base[:-1] + "i"]


# Adjectives of big cities, which the rules count for their country ("la société
# lyonnaise", "Bremer Unternehmen", "aziende milanesi"): base forms, inflected like the
# nationality adjectives. Left out: words with a common other sense ("Wiener", "gallego" the
# language, "romano").
CITY_ADJECTIVES: dict[str, dict[str, list[str]]] = {
    "fr": {
        "FR": [
            "parisien",
            "lyonnais",
            "marseillais",
            "bordelais",
            "toulousain",
            "nantais",
            "lillois",
            "niçois",
            "strasbourgeois",
            "montpelliérain",
            "rennais",
        ],
    },
    "de": {
        "DE": [
            "Bremer",
            "Münchner",
            "Kölner",
            "Stuttgarter",
            "Düsseldorfer",
            "Berliner",
            "Hamburger",
            "Leipziger",
            "Dresdner",
            "Nürnberger",
            "Frankfurter",
            "Hannoveraner",
        ],
    },
    "es": {
        "ES": [
            "madrileño",
            "barcelonés",
            "sevillano",
            "alicantino",
            "malagueño",
            "bilbaíno",
            "vallisoletano",
            "zaragozano",
            "murciano",
            "vigués",
            "coruñés",
        ],
    },
    "it": {
        "IT": [
            "milanese",
            "torinese",
            "napoletano",
            "fiorentino",
            "veneziano",
            "bolognese",
            "genovese",
            "bresciano",
            "bergamasco",
            "veronese",
            "padovano",
        ],
    },
}

# Adjectives of a country's parts that hold its adjective ("das norddeutsche Unternehmen",
# "ostdeutsche Länder"), inflected like the nationality adjectives.
REGION_ADJECTIVES: dict[str, dict[str, list[str]]] = {
    "de": {
        "DE": [
            f"{part}deutsch"
            for part in (
                "nord",
                "süd",
                "ost",
                "west",
                "mittel",
                "nordwest",
                "südwest",
                "nordost",
                "südost",
            )
        ],
    },
}

INFLECT = {"fr": french, "de": german, "es": spanish, "it": italian}
LANGUAGES = ("fr", "de", "es", "it")


def build() -> dict[str, object]:
    adjectives: dict[str, dict[str, list[str]]] = {language: {} for language in LANGUAGES}
    for code, bases in ADJECTIVES.items():
        for language, base in zip(LANGUAGES, bases, strict=True):
            if base:
                forms = sorted(set(INFLECT[language](base)))
                adjectives[language][code] = forms
    for language, table in CITY_ADJECTIVES.items():
        for code, bases in table.items():
            forms = {
                form
                for base in bases
                for form in ([base] if language == "de" else INFLECT[language](base))
            }
            adjectives[language][code] = sorted(set(adjectives[language].get(code, [])) | forms)
    for language, table in REGION_ADJECTIVES.items():
        for code, bases in table.items():
            forms = {form for base in bases for form in INFLECT[language](base)}
            adjectives[language][code] = sorted(set(adjectives[language].get(code, [])) | forms)
    for language, extra in INVARIANT.items():
        for code, forms in extra.items():
            adjectives[language][code] = sorted(
                set(adjectives[language].get(code, [])) | set(forms)
            )
    return {
        "source": "Generated by tools/make_country_words.py; edit the table there, not here.",
        "adjectives": adjectives,
        "aliases": ALIASES,
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
