"""The tagger's rules added in issue 27's third development round: words that are also
places, styles named after countries, and sector words in another sense, each class with
its siblings (docs/intelligence.md, "Auto-tagging"). The classes were thought of before
gathering (how taggers fail on published text), then checked on the development part; the
examples here are written for the test."""

from __future__ import annotations

import pytest

from forum.intelligence.country_tags import tag_countries
from forum.intelligence.sector_tags import tag_sectors

# Countries: a style of cooking or of product is no country (country_blanks.STYLE)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("The Italian restaurant chain opened in London", "en", {"GB"}),
        ("a Chinese Restaurant Chain Expands", "en", set()),
        ("Mexican cuisine is popular in Texas", "en", {"US"}),
        ("known for its Greek-style yogurt", "en", set()),
        ("The Greek yogurt company Chobani", "en", set()),
        ("an Italian-American-themed casual concept", "en", set()),
        ("Chef opens Italian-Inspired bistro in Paris", "en", {"FR"}),
        ("une enseigne spécialisée dans la cuisine italienne", "fr", set()),
        ("trois restaurants chinois à Lyon", "fr", {"FR"}),
        ("ein italienisches Restaurant in Köln", "de", {"DE"}),
        ("la cocina mexicana conquista Madrid", "es", {"ES"}),
        ("un ristorante giapponese a Milano", "it", {"IT"}),
    ],
)
def test_a_cuisine_or_a_style_is_no_country(text: str, language: str, expected: set[str]) -> None:
    assert tag_countries(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Italian pasta company Barilla opens in California", "en", {"IT", "US"}),
        ("exports of Italian cheese rose", "en", {"IT"}),
        ("les exportations de fromages italiens", "fr", {"IT"}),
        ("la gastronomia italiana all'estero", "it", {"IT"}),
    ],
)
def test_a_company_or_a_product_from_a_country_still_names_it(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_countries(text, language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("green chile growers in New Mexico", {"US"}),
        ("said the treasurer of the New Mexico Chile Association", {"US"}),
        ("prices of chile peppers and chile powder", set()),
        ("Maggiano's Little Italy chain", set()),
        ("a new shop in Little Tokyo", set()),
        ("Brazil nuts and cashews", set()),
        ("HSBC takes extra space in Canary Wharf", {"GB"}),
        ("Chile's copper exports rose", {"CL"}),
    ],
)
def test_peppers_nuts_and_neighbourhoods_name_no_country(text: str, expected: set[str]) -> None:
    assert tag_countries(text) == expected


# Countries: a city that is also a word counts where written as a place beyond doubt


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Bath-based BMT Defence Services opened an office", "en", {"GB"}),
        ("The bustling city of Split is a port", "en", {"HR"}),
        ("the Port of Mobile's economic impact", "en", {"US"}),
        ("Mobile, Ala. — The shipyard", "en", {"US"}),
        ("Reading, England is a tech hub", "en", {"GB"}),
        ("la ville de Nice a enregistré une hausse", "fr", {"FR"}),
        ("NICE, 12 mai (AFP) - Le trafic", "fr", {"FR"}),
        ("a New York-based company", "en", {"US"}),
    ],
)
def test_a_common_word_city_written_as_a_place(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_countries(text, language) == expected


@pytest.mark.parametrize(
    "text",
    [
        "What a nice result for reading and writing",
        "Reading: where businesses find opportunities",
        "a mobile app to split the bill",
        "a Nice day out",
        "Victoria-based firm",  # a city in Canada and a state in Australia
        "Kent-based firm",  # a county in England, a city in Washington
    ],
)
def test_a_common_word_city_without_a_sure_place_names_no_country(text: str) -> None:
    assert tag_countries(text) == set()


# Countries: weak evidence needs corroboration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Estimates from Bernt Nelson, an economist with the Farm Bureau", set()),
        ("said Maria Nelson, who leads the group", set()),
        ("The province of Nelson, the region's council said", {"NZ"}),
        ("joining Cosmoprof Worldwide Bologna, the leading beauty fair", {"IT"}),
        ("Greater Manchester, which leads the north", {"GB"}),
        ("the Regione Lombardia said", {"IT"}),
    ],
)
def test_a_place_written_as_a_surname_is_a_person(text: str, expected: set[str]) -> None:
    assert tag_countries(text, "it" if "Regione" in text else "en") == expected


# Sectors: words in another sense


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("The Buzz on Energy Drinks", "en", {"food"}),
        ("sales of energy drinks and sports drinks rose", "en", {"food"}),
        ("holiday turkey prices rise with avian flu", "en", {"food"}),
        ("Turkey's exports of steel rose", "en", set()),
        ("a new Greek yogurt plant", "en", {"food"}),
        ("green chile and chili pepper growers", "en", {"food"}),
        ("A Guide to Measuring Small Business Financial Health", "en", set()),
        ("the financial health of firms", "en", set()),
        ("la santé financière des PME", "fr", set()),
        ("la salute finanziaria delle imprese", "it", set()),
        ("fined under the Health and Safety at Work Act", "en", set()),
        ("Film and Foil Solutions Ltd makes flexible film", "en", set()),
        ("a plant for plastic film and packaging film", "en", set()),
        ("a new film festival in Cannes", "en", {"media"}),
    ],
)
def test_words_in_another_sense(text: str, language: str, expected: set[str]) -> None:
    assert tag_sectors(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("the Italian restaurant chain opens two restaurants", "en", {"sustainable-hospitality"}),
        ("a restaurateur and campsite owner", "en", {"sustainable-hospitality"}),
        ("Both restaurants offer plant-based meat", "en", {"food", "food-innovation"}),
        (
            "les campings ont fait carton plein: 130 millions de nuitées",
            "fr",
            {"sustainable-hospitality"},
        ),
        ("un réseau de restaurants en restauration rapide", "fr", {"sustainable-hospitality"}),
        ("die Systemgastronomie und Campingplätze", "de", {"sustainable-hospitality"}),
        ("las pernoctaciones en casas rurales", "es", {"sustainable-hospitality"}),
        ("crescono le aziende agrituristiche e i campeggi", "it", {"sustainable-hospitality"}),
        ("sneakers and footwear retailers", "en", {"textile"}),
    ],
)
def test_restaurants_camping_and_agritourism_are_hospitality(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_sectors(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("les salons (hors salons de l'aéronautique et de la défense) signent", "fr", set()),
        ("revenue (excluding aerospace) rose", "en", set()),
        ("Umsatz (ohne Tourismus) stieg", "de", set()),
        ("exports of aerospace parts (excluding engines) rose", "en", {"high-tech"}),
    ],
)
def test_an_aside_excluding_a_sector_names_none(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_sectors(text, language) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a Persian rug and Egyptian cotton sheets",
        "Bermuda shorts and French windows",
        "a Turkish bath, a Swedish massage and German measles",
    ],
)
def test_products_and_idioms_named_after_a_country_name_none(text: str) -> None:
    assert tag_countries(text) == set()


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("la société lyonnaise « Classe Export »", "fr", {"FR"}),
        ("le trafic de l'aéroport niçois a chuté", "fr", {"FR"}),
        ("teilte das Bremer Unternehmen mit", "de", {"DE"}),
        ("ein Münchner Start-up", "de", {"DE"}),
        ("la Institución Ferial Alicantina", "es", {"ES"}),
        ("las empresas madrileñas exportan", "es", {"ES"}),
        ("le aziende milanesi e torinesi", "it", {"IT"}),
    ],
)
def test_adjectives_of_big_cities_name_their_country(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_countries(text, language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Denver-based Ball Corp reported", {"US"}),
        ("a Tallinn-based startup raised funds", {"EE"}),
        ("the Georgia-Pacific mill", {"US"}),
        ("Moscow Mule and Singapore Sling cocktails", set()),
        ("Lima beans and Dubai chocolate", set()),
    ],
)
def test_based_phrases_and_drinks_named_after_places(text: str, expected: set[str]) -> None:
    assert tag_countries(text) == expected
