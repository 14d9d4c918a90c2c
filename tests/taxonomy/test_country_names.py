"""Country names as the reader's language writes them (CLDR), on the country pages and in
the forms' lists; the region groups' names translatable."""

from __future__ import annotations

from forum.core import i18n
from forum.taxonomy.regions import get_region_group
from forum.taxonomy.service import country_label, country_options, get_country
from tests.conftest import Client
from tests.i18n.pseudo import pseudo


def test_a_country_page_heading_in_french(client: Client, french: str) -> None:
    client.cookies.set("forum_lang", french)
    page = client.get("/countries/KR")
    assert page.status_code == 200
    assert '<html lang="fr"' in page.text
    assert "<h1>Corée du Sud</h1>" in page.text
    assert "<title>Corée du Sud" in page.text
    client.cookies.set("forum_lang", "en")
    assert "<h1>South Korea</h1>" in client.get("/countries/KR").text


def test_country_names_and_options_follow_the_language(french: str) -> None:
    japan = get_country("JP")
    assert japan is not None
    assert japan.label == "Japan"
    with i18n.using(french):
        assert japan.label == "Japon"
        assert country_label("g:eu27") == "European Union (27)"  # no French catalog here
        assert dict(country_options())["DE"] == "Allemagne"


def test_region_group_names_pass_through_gettext(pseudo_locale: str) -> None:
    group = get_region_group("g:asean")
    assert group is not None
    assert group.label == group.name == "ASEAN"
    with i18n.using(pseudo_locale):
        assert group.label == pseudo("ASEAN")
        assert country_label("JP") == pseudo("Japan")
