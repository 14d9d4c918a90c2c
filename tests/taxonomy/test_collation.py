"""Countries, region groups and sectors sorted as each language expects (ICU collation):
"Émirats arabes unis" among the E's in French, "Łotwa" right after "Luksemburg" in
Polish (CLDR's Polish order puts Ł after L, before M), in the picker, the facets'
"Show all", /countries and the profile; and country pages named in the reader's language."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import i18n
from forum.core.collation import collated, sort_key
from forum.core.filters import build_facet
from forum.core.formats import country_name
from forum.taxonomy.picker import place_choices
from forum.taxonomy.service import country_options, list_countries, place_options
from tests.conftest import Client, sign_in

FRENCH_E = ["Égypte", "Émirats arabes unis", "Équateur"]
POLISH_L = ["Luksemburg", "Łotwa", "Macedonia Północna"]


def test_code_point_order_is_what_the_collator_corrects() -> None:
    names = ["Équateur", "Zimbabwe", "Émirats arabes unis", "Égypte", "Espagne"]
    assert sorted(names).index("Zimbabwe") < sorted(names).index("Égypte"), "É after Z"
    assert collated(names, key=str, language="fr") == [
        "Égypte", "Émirats arabes unis", "Équateur", "Espagne", "Zimbabwe",
    ]  # fmt: skip
    polish = ["Łotwa", "Macedonia", "Luksemburg", "Litwa"]
    assert collated(polish, key=str, language="pl") == ["Litwa", "Luksemburg", "Łotwa", "Macedonia"]
    # The key follows the current language when none is given.
    with i18n.using("en"):
        assert sort_key("Łotwa") == sort_key("Łotwa", "en")


def consecutive(names: list[str], wanted: list[str]) -> bool:
    start = names.index(wanted[0])
    return names[start : start + len(wanted)] == wanted


def test_the_french_country_list_puts_the_emirates_between_egypt_and_ecuador(
    offered: Callable[[str], str],
) -> None:
    with i18n.using(offered("fr")):
        names = [c.label for c in list_countries()]
        options = [name for _code, name in country_options()]
        places = [name for _code, name in place_options()]
    assert consecutive(names, FRENCH_E), names[names.index("Égypte") - 2 :][:6]
    assert consecutive(options, FRENCH_E)
    assert consecutive(places, FRENCH_E)
    assert names.index("Danemark") < names.index("Égypte") < names.index("Espagne")


def test_the_polish_country_list_puts_polish_letters_where_polish_readers_expect(
    offered: Callable[[str], str],
) -> None:
    with i18n.using(offered("pl")):
        names = [c.label for c in list_countries()]
    assert consecutive(names, POLISH_L)
    assert names.index("Łotwa") < names.index("Zimbabwe"), "not after Z, as code points put it"


def test_the_picker_sorts_countries_and_regions_in_the_readers_order(
    offered: Callable[[str], str],
) -> None:
    with i18n.using(offered("fr")):
        regions_group, countries_group = place_choices()
    countries = [c.label for c in countries_group.choices]
    regions = [c.label for c in regions_group.choices]
    assert consecutive(countries, FRENCH_E)
    assert regions == collated(regions, key=str, language="fr")
    # Typing the French name finds Japan, and so does the English one.
    japan = next(c for c in countries_group.choices if c.value == "JP")
    assert japan.label == "Japon" and "Japan" in japan.search


def test_a_facets_show_all_list_is_in_the_readers_order(offered: Callable[[str], str]) -> None:
    codes = ["EC", "AE", "EG", "ES", "DK"]
    with i18n.using(offered("fr")):
        facet = build_facet(
            "country", "Pays", dict.fromkeys(codes, 1), [], label=country_name,
            url=lambda v: v, top=0,
        )  # fmt: skip
    assert facet is not None
    assert [f.label for f in facet.more] == [
        "Danemark", "Égypte", "Émirats arabes unis", "Équateur", "Espagne",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("language", "name"), [("fr", "Japon"), ("it", "Giappone"), ("pl", "Japonia"), ("de", "Japan")]
)
def test_a_country_page_is_named_in_the_readers_language(
    client: Client, offered: Callable[[str], str], language: str, name: str
) -> None:
    client.cookies.set("forum_lang", offered(language))
    page = client.get("/countries/JP")
    assert page.status_code == 200
    assert f"<h1>{name}</h1>" in page.text
    assert f'<html lang="{language}"' in page.text


def test_the_countries_page_sorts_each_region_in_the_readers_order(
    client: Client, offered: Callable[[str], str]
) -> None:
    client.cookies.set("forum_lang", offered("pl"))
    page = client.get("/countries").text
    # The EU's table: Litwa, Luksemburg, Łotwa, Malta (Ł after L: not after Z).
    names = re.findall(r'<a href="/countries/[A-Z]{2}">([^<]+)</a>', page)
    assert consecutive(names, ["Litwa", "Luksemburg", "Łotwa", "Malta"])


def test_the_profile_picker_is_in_the_members_order(
    client: Client, db: Session, member: User, offered: Callable[[str], str]
) -> None:
    member.language = offered("fr")
    db.commit()
    sign_in(client, db, member)
    page = client.get("/profile").text
    options = re.findall(r'<option value="([A-Z]{2})"[^>]*>([^<]+)</option>', page)
    names = [name for _code, name in options]
    assert consecutive(names, FRENCH_E)
