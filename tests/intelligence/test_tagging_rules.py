"""The tagger's rules added in issue 27's second development round, one test per class of
error with its siblings (docs/intelligence.md, "Auto-tagging"). The classes were found in
the labelled set's development part; the examples here are written for the test."""

from __future__ import annotations

import pytest

from forum.intelligence.country_tags import tag_countries
from forum.intelligence.sector_tags import tag_sectors

# Countries


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("exportations géorgiennes de vin", "fr", {"GE"}),
        ("georgische Winzer exportieren", "de", {"GE"}),
        ("vino georgiano en Europa", "es", {"GE"}),
        ("les investisseurs estoniens", "fr", {"EE"}),
        ("aziende pakistane e filippine", "it", {"PK", "PH"}),
        ("Schweizer Unternehmen liefern Züge", "de", {"CH"}),
        ("le big tech americane", "it", {"US"}),
        ("esportazioni verso il Sud Africa", "it", {"ZA"}),
    ],
)
def test_adjectives_of_nationality_in_four_languages(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_countries(text, language) == expected


@pytest.mark.parametrize(
    "text",
    [
        "KISSIMMEE, Fla. — The agency said on Monday",
        "PROVIDENCE, R.I. (AP) — A utility proposes a pipeline",
        "a plant in Jefferson City, Mo., where the firm",
        "Pascagoula, Miss. – The terminal",
    ],
)
def test_us_state_abbreviations_after_a_place(text: str) -> None:
    assert tag_countries(text) == {"US"}


def test_a_qualifier_chooses_the_country_of_a_shared_city_name() -> None:
    assert tag_countries("a plant in London, Ontario, opens") == {"CA"}
    assert tag_countries("growers in Córdoba, Argentina.") == {"AR"}
    assert tag_countries("Paris, Texas, hosts a fair") == {"US"}
    assert tag_countries("London, UK") == {"GB"}


def test_a_shared_city_name_is_in_the_country_the_text_names() -> None:
    assert tag_countries("SPAIN: FGV ordered trams from Stadler Rail Valencia.") == {"ES"}
    assert tag_countries("Argentine growers met in Córdoba.") == {"AR"}
    assert tag_countries("Spanish olive oil from Córdoba.") == {"ES"}


def test_a_citys_other_language_name_needs_a_written_place() -> None:
    assert tag_countries("sagte Gerald Böse, Vorsitzender der Messe", "de") == set()
    assert tag_countries("Gold and Soul Food on the menu") == set()
    assert tag_countries("Die Messe nach Mailand verlegt", "de") == {"IT"}
    assert tag_countries("Handelsmission in Kiew", "de") == {"UA"}
    assert tag_countries("assembled at the company's New York plants") == {"US"}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("paid 3 million Swiss francs and 2 billion Indian rupees", "en"),
        ("revenue of 40 billion Chinese yuan and 2 trillion Japanese yen", "en"),
        ("a loan of 300 million Korean won", "en"),
        ("500 millions de francs suisses", "fr"),
        ("Umsatz in russische Rubel umgerechnet", "de"),
        ("10.000 millones de pesos mexicanos", "es"),
        ("due miliardi di rubli russi", "it"),
    ],
)
def test_currencies_are_not_countries(text: str, language: str) -> None:
    assert tag_countries(text, language) == set()


def test_the_japanese_won_is_not_a_currency() -> None:
    assert tag_countries("the Japanese won the tender") == {"JP"}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The call is available in English and French.", "en"),
        ("Spanish-language broadcasters and French-speaking viewers", "en"),
        ("Der Leitfaden ist auch auf Deutsch.", "de"),
        ("La brochure est disponible en français.", "fr"),
        ("la langue française et la lingua italiana", "fr"),
        ("Il bando è pubblicato anche in italiano.", "it"),
    ],
)
def test_languages_are_not_countries(text: str, language: str) -> None:
    assert tag_countries(text, language) == set()


def test_a_language_word_before_a_noun_is_still_a_country() -> None:
    assert tag_countries("invest in French companies") == {"FR"}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Offshore wind in the Irish Sea and the English Channel", "en"),
        ("LNG terminals on the Gulf of Mexico and the Arabian Sea", "en"),
        ("plataformas en el golfo de México", "es"),
        ("Swiss cheese, Brussels sprouts and Belgian waffles", "en"),
        ("a German shepherd and an Irish coffee", "en"),
    ],
)
def test_seas_and_products_named_after_a_country_name_none(text: str, language: str) -> None:
    assert tag_countries(text, language) == set()


def test_new_england_is_in_the_us() -> None:
    assert tag_countries("manufacturers from New England") == {"US"}


def test_cities_that_are_given_names() -> None:
    assert tag_countries("Sofia Coppola said on Monday that the film sold well") == set()
    assert tag_countries("the late Kobe Bryant was a brand ambassador") == set()
    assert tag_countries("the novelist Milan Kundera wrote") == set()
    assert tag_countries("Milan Fashion Week opens") == {"IT"}
    assert tag_countries("the fair moves to Sofia.") == {"BG"}
    assert tag_countries("Paris Air Show contracts") == {"FR"}


# Sectors


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("sagte Künast der Zeitung „Die Welt“ am Montag", "de"),
        ("une enquête du magazine Challenges montre", "fr"),
        ("selon le quotidien Le Monde", "fr"),
        ("the minister told the newspaper Le Figaro", "en"),
        ("secondo il quotidiano La Stampa", "it"),
        ("según el diario El País", "es"),
    ],
)
def test_a_publication_named_as_a_source_is_not_media(text: str, language: str) -> None:
    assert tag_sectors(text, language) == set()


def test_media_as_the_subject_still_counts() -> None:
    assert tag_sectors("newspaper publishers merge") == {"media"}
    assert tag_sectors("Zeitungsverlage und Rundfunk", "de") == {"media"}


def test_german_nouns_count_only_capitalised() -> None:
    assert tag_sectors("wie man es wolle, sagte er", "de") == set()
    assert tag_sectors("Wolle und Seide aus Italien", "de") == {"textile"}
    assert tag_sectors("digitale Infrastruktur", "de") == {"digital"}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("regenerar el tejido industrial de la región", "es"),
        ("il tessuto produttivo del territorio", "it"),
        ("le tissu économique local", "fr"),
        ("the social fabric of the region", "en"),
    ],
)
def test_the_industrial_fabric_is_a_figure_of_speech(text: str, language: str) -> None:
    assert tag_sectors(text, language) == set()


def test_fabric_as_a_product_is_textile() -> None:
    assert tag_sectors("fabric makers and garment exporters") == {"textile"}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("the development of the Emirate's economy, industry, trade, and tourism", "en"),
        ("Herausforderungen wie Klima, Krieg, Energie, Bevölkerungswachstum und mehr", "de"),
    ],
)
def test_a_generic_list_of_domains_is_no_sector(text: str, language: str) -> None:
    assert tag_sectors(text, language) == set()


def test_a_list_of_one_sectors_products_still_counts() -> None:
    assert tag_sectors("wines, cheeses, hams and olive oil") == {"food"}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("le ministre délégué aux PME et au tourisme, dans un point presse", "fr"),
        ("la ministra del turismo ha detto", "it"),
        ("fiere in presenza o in modalità digitale", "it"),
        ("le salon se tiendra en format numérique", "fr"),
        ("the digital edition of the fair", "en"),
        ("new energy efficiency rules for factories", "en"),
        ("des économies d'énergie dans les ateliers", "fr"),
        ("incentivi per il risparmio energetico", "it"),
    ],
)
def test_portfolios_formats_and_savings_are_no_sectors(text: str, language: str) -> None:
    assert tag_sectors(text, language) == set()


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("AAE buys a freight wagon fleet", "en", {"railway"}),
        ("a batch of 20 LRVs", "en", {"railway"}),
        ("neue Güterwagen für die Bahn", "de", {"railway"}),
        ("Renfe compra 30 vagones", "es", {"railway"}),
        ("nuovi carri merci", "it", {"railway"}),
        ("low-cost maritime awareness and vessel monitoring", "en", {"maritime-observation"}),
        ("two spacecraft for the space agency", "en", {"high-tech"}),
        ("des parcs éoliens maritimes", "fr", {"blue-energy", "renewable-energy"}),
        ("la fourniture d'équipements de communication", "fr", {"digital"}),
        ("telecommunications equipment makers", "en", {"digital"}),
    ],
)
def test_sector_words_added_with_their_siblings(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_sectors(text, language) == expected


def test_a_province_written_as_one() -> None:
    assert tag_countries("a trip to northern Bac Ninh province on March 25") == {"VN"}
    assert tag_countries("The central province of Phu Yen and the Lao province") == {"VN", "LA"}
    assert tag_countries("invited by Henan province's vice-governor") == {"CN"}
    assert tag_countries("in the Province of Ontario") == {"CA"}
    assert tag_countries("la provincia de Mendoza", "es") == {"AR"}
    assert tag_countries("the province is excited") == set()


def test_direction_words_alone_name_no_region() -> None:
    assert tag_countries("the North West Province") == set()
    assert tag_countries("firms in the North West of England") == {"GB"}


def test_a_place_before_a_currency_word_is_still_a_place() -> None:
    assert tag_countries("the province of Phu Yen") == {"VN"}
    assert tag_countries("Schweizer Firmen", "de") == {"CH"}


def test_pharmacies_and_nutraceuticals_are_healthcare() -> None:
    assert tag_sectors("a deal with the largest pharmacy chain") == {"healthcare"}
    assert tag_sectors("hemp nutraceuticals company") == {"healthcare"}
    assert tag_sectors("Apotheken und Kliniken", "de") == {"healthcare"}


def test_a_more_digital_economy_is_no_sector() -> None:
    assert tag_sectors("a greener, more digital, and resilient economy") == set()
    assert tag_sectors("une économie plus numérique", "fr") == set()
    assert tag_sectors("digital transformation of SMEs") == {"digital"}


def test_chip_makers_are_high_tech() -> None:
    assert tag_sectors("the chip maker's quarterly results") == {"high-tech"}
    assert tag_sectors("der Spezialist für Analog-Chips", "de") == {"high-tech"}
    assert tag_sectors("un fabricant de puces", "fr") == {"high-tech"}


# Fourth round (issue 27): qualifier chains, places named after a smaller city, brands named
# like a country, words that are cities, datelines with a full stop, companies' seats and
# regional adjectives.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a hotel group based in Windsor, Berkshire, England, UK", {"GB"}),
        ("the castle in Richmond, North Yorkshire, England", {"GB"}),
        ("a start-up in Hamilton, Bermuda", {"BM"}),
        ("a hospital in Windsor, Ontario", {"CA"}),
        ("offices in Mexico City, Singapore and Shanghai", {"MX", "SG", "CN"}),
        ("London, Ontario and Paris, Texas", {"CA", "US"}),
    ],
)
def test_a_qualifier_chain_names_the_places_country(text: str, expected: set[str]) -> None:
    assert tag_countries(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stone from St John's Quarry in Jersey", {"JE"}),
        ("the shop on Richmond Road in Guernsey", {"GG"}),
        ("a new office in Windsor Park in Belfast", {"GB"}),
        ("a new office in Windsor", {"CA"}),
        ("she lives on London Road", {"GB"}),
    ],
)
def test_a_place_named_after_a_smaller_city_is_not_the_city(text: str, expected: set[str]) -> None:
    assert tag_countries(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nike's Jordan brand grew 6%; Jordan accounts for a sixth of sales", set()),
        ("sales of the Jordan label and Jordan shoes", set()),
        ("Michael Jordan signed in 1984", set()),
        ("exports to Jordan and Lebanon", {"JO", "LB"}),
        ("King Abdullah of Jordan met Michael Jordan", {"JO"}),
        ("Michael Jordan and the Jordan Brand", set()),
    ],
)
def test_a_brand_named_like_a_country_is_read_so_in_the_whole_text(
    text: str, expected: set[str]
) -> None:
    assert tag_countries(text) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Ferrovie: Fontana - entro 20 mesi i nuovi treni", "it", set()),
        ("una fontana in piazza", "it", set()),
        ("el color amarillo de la marca", "es", set()),
        ("Modesto, Calif. (AP) — growers said", "en", {"US"}),
    ],
)
def test_words_that_are_cities(text: str, language: str, expected: set[str]) -> None:
    assert tag_countries(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Düsseldorf. Der Energiekonzern bestellte Turbinen", "de", {"DE"}),
        ("Bordeaux. Le salon ouvre ses portes", "fr", {"FR"}),
        ("Essen. Deutsche Hersteller lassen im Ausland nähen", "de", {"DE"}),
        ("Wir essen. Dann reden wir", "de", set()),
        ("Interview mit dem Geschäftsführer, EPHY-MESS GmbH, Wiesbaden", "de", {"DE"}),
        ("Acme Ltd, Reading said", "en", set()),
        ("Das norddeutsche Unternehmen baut Fundamente", "de", {"DE"}),
        ("Werke in Ostdeutschland und Süddeutschland", "de", {"DE"}),
        ("la vallisoletana Ibervento y la empresa coruñesa", "es", {"ES"}),
        ("en aguas de Escocia y de Irlanda del Norte", "es", {"GB"}),
        ("un parc éolien au large de l'Écosse", "fr", {"GB"}),
        ("ein Windpark vor Schottland", "de", {"GB"}),
    ],
)
def test_datelines_seats_and_regional_words(text: str, language: str, expected: set[str]) -> None:
    assert tag_countries(text, language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reports from Citigroup and Wells Fargo — a few data points", set()),
        ("brands such as Amazon and Reno — two names", set()),
        ("SHARJAH - The emirate's exports rose", {"AE"}),
        ("Wiesbaden – Die Landesregierung", {"DE"}),
        ("new offices in Reno, Nevada", {"US"}),
    ],
)
def test_a_dash_writes_a_place_only_in_a_dateline(text: str, expected: set[str]) -> None:
    assert tag_countries(text) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("el triple salto de Jordan Díaz", "es", set()),
        ("Sofia Álvarez dirige la empresa", "es", set()),
        ("Milan Škriniar a signé", "fr", set()),
        ("las exportaciones a Jordania y a Sofía", "es", {"JO", "BG"}),
        ("Sofia Airport reopened", "en", {"BG"}),
    ],
)
def test_a_given_name_city_before_a_surname_in_any_script_is_a_person(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_countries(text, language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Paris Hilton launched her 18th scent", set()),
        ("Paris Hilton Adds a Scent\nthe star Paris Hilton said", set()),
        ("Paris Hilton opened a shop in Paris", {"FR"}),
        ("Sydney Sweeney wore jeans; the Sydney-based brand grew", {"AU"}),
        ("Le club Paris Saint-Germain a gagné", {"FR"}),
        ("la CCI Paris Ile-de-France organise un salon", {"FR"}),
        ("Paris Match publie une enquête", {"FR"}),
        ("The Paris Air Show opens on Monday", {"FR"}),
        ("DALLAS The chain opens; Dallas-based Brinker said", {"US"}),
        ("Michael Jordan signed; exports to Jordan rose", {"JO"}),
    ],
)
def test_paris_and_other_given_name_cities_read_as_a_person_once_are_so_where_no_place_is_written(
    text: str, expected: set[str]
) -> None:
    assert tag_countries(text) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("The Paris Agreement on climate was signed in 2015", "en", set()),
        ("The Treaty of Lisbon and the Lisbon Strategy", "en", set()),
        ("Die Lissabon-Strategie und der Vertrag von Lissabon", "de", set()),
        ("l'accordo di Parigi sul clima", "it", set()),
        ("la Ronda de Doha de la OMC", "es", set()),
        ("The Kyoto Protocol expired", "en", set()),
        ("EU leaders met in Lisbon to agree the strategy", "en", {"PT"}),
        ("The EU-Japan Agreement was signed", "en", {"JP"}),
        ("The Paris Air Show opens on Monday", "en", {"FR"}),
    ],
)
def test_an_agreement_or_a_process_named_after_a_city_names_no_country(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_countries(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("The “Spanish” flu of 1918 killed millions", "en", set()),
        ("lessons from the Spanish flu for the economy", "en", set()),
        ("la grippe espagnole de 1918", "fr", set()),
        ("la gripe española mató a millones", "es", set()),
        ("a game of Russian roulette with the budget", "en", set()),
        ("From the US to Spain, after the Spanish Flu", "en", {"ES", "US"}),
        ("Spanish exports of olive oil rose", "en", {"ES"}),
    ],
)
def test_a_disease_or_an_idiom_named_after_a_country_names_none(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_countries(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("die Konkurrenz in Rotterdam und Antwerpen", "de", {"BE", "NL"}),
        ("des usines à Lyon et Grenoble", "fr", {"FR"}),
        ("offices in Milan, Turin and Genoa", "en", {"IT"}),
        ("los Juegos de Río 2016 y Tokio 2020", "es", {"JP"}),
        ("the Windsor 2020 plan", "en", {"CA"}),
        ("Windsor backed the plan", "en", set()),
        ("In Germany and Reading the results", "en", {"DE"}),
    ],
)
def test_a_place_listed_after_a_preposition_or_named_with_a_year_is_a_place(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_countries(text, language) == expected
