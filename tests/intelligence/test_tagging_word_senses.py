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


# Fourth round (issue 27): idioms and verb senses, media as audience, rankings, casinos,
# workplace accidents; and the sector words that name a sector's companies.


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("The talks with Brussels are expected to bear fruit this year", "en", set()),
        ("Cutting red tape is the low-hanging fruit", "en", set()),
        ("exports of fresh fruit to Asia", "en", {"food"}),
        ("Retro styles are back in fashion, said the banker", "en", set()),
        ("the loans are repaid in a timely fashion", "en", set()),
        ("new jobs in fashion and footwear", "en", {"textile"}),
        ("nos efforts à l'export portent leurs fruits", "fr", set()),
        ("c'est le fruit d'un long travail des PME", "fr", set()),
        ("le fruit de la passion et les mangues", "fr", {"food"}),
        ("les exportations de fruits et légumes", "fr", {"food"}),
        ("vini e formaggi non passano mai di moda", "it", {"food"}),
        ("le sfilate di moda a Milano", "it", {"textile"}),
        ("el aceite de oliva está de moda en Japón", "es", {"food"}),
        ("Regionale Produkte kommen wieder in Mode", "de", set()),
    ],
)
def test_idioms_of_fruit_and_fashion_are_no_sector(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_sectors(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("ces rames viendront alimenter les lignes Intercités", "fr", {"railway"}),
        ("l'alimentation électrique du site est assurée", "fr", set()),
        ("le secteur de l'alimentation animale", "fr", {"food"}),
        ("la planta alimentará la red con energía solar", "es", {"renewable-energy"}),
        ("un autobus alimentato a idrogeno", "it", {"energy"}),
        ("la industria de alimentos exporta más", "es", {"food"}),
    ],
)
def test_feeding_a_line_or_a_grid_is_no_food(text: str, language: str, expected: set[str]) -> None:
    assert tag_sectors(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("the minister told the media on Tuesday that exports rose", "en", set()),
        ("according to local media reports, the plant will close", "en", set()),
        ("According to a KSLA-TV report, the mill will shut", "en", set()),
        ("a déclaré le ministre aux médias", "fr", set()),
        ("selon les médias locaux, l'usine fermera", "fr", set()),
        ("lors d'un point accordé à certains médias d'information", "fr", set()),
        ("laut Medienberichten schließt das Werk", "de", set()),
        ("the media group bought two radio stations", "en", {"media"}),
        ("les médias audiovisuels publics", "fr", {"media"}),
    ],
)
def test_media_as_audience_or_source_is_no_media(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_sectors(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("au deuxième rang des secteurs exportateurs, derrière l'aéronautique.", "fr", set()),
        ("le troisième contributeur, après l'aéronautique et les vins et spiritueux.", "fr", set()),
        ("the second largest exporter after aerospace.", "en", set()),
        ("solo superados por las exportaciones de coches y medicamentos.", "es", set()),
        ("il secondo settore dopo la moda.", "it", set()),
        ("la cosmétique française, après des années de croissance, recule.", "fr", {"cosmetics"}),
        ("the cosmetics group opened a plant after the merger.", "en", {"cosmetics"}),
        (
            "the second phase of the resort, after the hotel opened.",
            "en",
            {"sustainable-hospitality"},
        ),
        ("la deuxième édition, après une pause, accueille l'aéronautique.", "fr", {"high-tech"}),
    ],
)
def test_a_sector_named_only_to_rank_another_is_none(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_sectors(text, language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Nevada Gaming Commission approved the casino's sale", set()),
        ("a gaming operator running slot machines at the casino", set()),
        ("the gaming studio released two console titles", {"media"}),
    ],
)
def test_casino_gaming_is_gambling(text: str, expected: set[str]) -> None:
    assert tag_sectors(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A bakery firm has been fined £40,000 after a worker was injured by a mixer", set()),
        ("The dairy was prosecuted after an employee lost part of his finger", set()),
        ("An HSE investigation found the brewery had no guard; it was fined", set()),
        ("a workplace accident at the textile mill", set()),
        ("The dairy cooperative opened a cheese plant", {"food"}),
    ],
)
def test_a_workplace_accident_is_not_about_the_firms_sector(text: str, expected: set[str]) -> None:
    assert tag_sectors(text) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Nike reported higher quarterly revenue", "en", {"textile"}),
        ("Inditex y H&M abren tiendas en India", "es", {"textile"}),
        ("Primark and Uniqlo cut prices", "en", {"textile"}),
        ("L'Oréal and Shiseido raised prices", "en", {"cosmetics"}),
        ("the European Space Agency signed two contracts", "en", {"high-tech"}),
        ("un parque eólico flotante frente a Canarias", "es", {"blue-energy", "renewable-energy"}),
        ("un parco eolico galleggiante in Sicilia", "it", {"blue-energy", "renewable-energy"}),
        ("ein schwimmender Windpark vor Norwegen", "de", {"blue-energy", "renewable-energy"}),
    ],
)
def test_companies_and_words_that_name_a_sector(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_sectors(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("par la chute du coût de l'énergie et la baisse des taux", "fr", set()),
        ("les coûts énergétiques pèsent sur la filière textile", "fr", {"textile"}),
        ("i costi energetici penalizzano le aziende tessili", "it", {"textile"}),
        ("energy bills hit bakers across the county", "en", set()),
        ("elevar la eficiencia energética de los trenes", "es", {"railway"}),
        ("le groupe énergétique a nommé une directrice générale", "fr", {"energy"}),
        ("EDF et Engie investissent dans le nucléaire", "fr", {"energy"}),
        (
            "Iberdrola construirá dos parques eólicos marinos",
            "es",
            {"blue-energy", "renewable-energy"},
        ),
        ("Der Energiekonzern RWE baut einen Solarpark", "de", {"renewable-energy"}),
    ],
)
def test_energy_costs_are_no_sector_and_energy_groups_are_energy(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_sectors(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("L'entreprise est en train de négocier un contrat à l'export", "fr", set()),
        ("un train de mesures pour les PME", "fr", set()),
        ("le train de nuit reprend du service", "fr", {"railway"}),
        ("il governo vara un treno di misure", "it", set()),
        ("non perdere il treno della ripresa", "it", set()),
        ("il nuovo treno regionale di Alstom", "it", {"railway"}),
        ("llevan un tren de vida elevado", "es", set()),
        ("el tren de alta velocidad llega a Granada", "es", {"railway"}),
        ("El ministro vino a inaugurar la feria", "es", set()),
        ("El presidente vino acompañado de empresarios", "es", set()),
        ("las exportaciones de vino a China crecen", "es", {"food"}),
        ("el vino a granel baja de precio", "es", {"food"}),
    ],
)
def test_a_train_of_measures_and_came_are_no_railway_or_wine(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_sectors(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("the ancient Silk Road connected Eurasian countries", "en", set()),
        ("les nouvelles routes de la soie", "fr", set()),
        ("la Nuova Via della Seta", "it", set()),
        ("la Ruta de la Seda", "es", set()),
        ("die Neue Seidenstraße", "de", set()),
        ("silk exports from India rose", "en", {"textile"}),
        ("le marché de la soie lyonnaise", "fr", {"textile"}),
        ("il primo pianeta esterno al Sistema Solare", "it", set()),
        ("astronomers found planets beyond the solar system", "en", set()),
        ("the solar eclipse and a solar storm", "en", set()),
        ("un'eclissi solare totale", "it", set()),
        ("un sistema solare termico per la casa", "it", {"renewable-energy"}),
        ("un sistema solar fotovoltaico para autoconsumo", "es", {"renewable-energy"}),
        ("The board made only cosmetic changes to the plan", "en", set()),
        ("des changements purement cosmétiques", "fr", set()),
        ("rein kosmetische Korrekturen am Haushalt", "de", set()),
        ("cambios meramente cosméticos", "es", set()),
        ("modifiche cosmetiche al decreto", "it", set()),
        ("cosmetic exports rose 8%", "en", {"cosmetics"}),
        ("the reality TV star launched a perfume", "en", {"cosmetics"}),
        ("der Reality-TV-Star zeigt ihre neue Bekleidung", "de", {"textile"}),
        ("a TV channel bought the rights", "en", {"media"}),
        ("Oscar Pérez-Oliva Fraga inauguró la feria", "es", set()),
        ("Oliver Zipse said sales rose", "en", set()),
        ("el aceite de oliva y los olivares", "es", {"food"}),
        ("olive growers in Puglia", "en", {"food"}),
    ],
)
def test_the_silk_road_the_solar_system_cosmetic_changes_and_names_are_no_sector(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_sectors(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("The team showed great energy in the second half", "en", set()),
        ("El equipo mostró mucha energía en el partido", "es", set()),
        ("Avec beaucoup d'énergie, l'équipe a gagné", "fr", set()),
        ("La squadra ha mostrato grande energia", "it", set()),
        ("Mit viel Energie gewann die Mannschaft", "de", set()),
        ("Der Konzern investiert viel in Energie und Netze", "de", {"energy"}),
        ("le projet est sur les rails", "fr", set()),
        ("les rails du tramway seront remplacés", "fr", {"railway"}),
        ("the fruits of their labour", "en", set()),
        ("exports of fruits and vegetables", "en", {"food"}),
        ("The media frenzy around the launch", "en", set()),
        ("Der Medienrummel um den Star", "de", set()),
        ("a media group bought the newspaper", "en", {"media"}),
        ("The hotel heiress launched a perfume", "en", {"cosmetics"}),
        ("The hotel group opened a resort", "en", {"sustainable-hospitality"}),
    ],
)
def test_energy_as_vigour_rails_fruits_and_media_as_figures_are_no_sector(
    text: str, language: str, expected: set[str]
) -> None:
    assert tag_sectors(text, language) == expected
