"""The insights page in the pseudo-locale `xx`: headings, captions, chart titles and
labels pass through gettext; the numbers in its tables and charts and the country names
through the formatting helpers. Plurals follow the count."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.core import i18n
from forum.insights.charts import Level, MapShape
from tests.conftest import Client
from tests.i18n.pseudo import pseudo


def test_the_insights_page_in_the_pseudo_locale(
    client: Client, demo_db: Session, pseudo_locale: str
) -> None:
    client.cookies.set("forum_lang", pseudo_locale)
    html = client.get("/insights").text
    assert f'<html lang="{pseudo_locale}"' in html
    assert f"<h1>{pseudo('Insights')}</h1>" in html
    assert f"<caption>{pseudo('Partnerships by target country')}</caption>" in html
    assert f'<th scope="col">{pseudo("Country")}</th>' in html
    # The figures of the report's Table 1, each through |number; the names through CLDR.
    assert f">{pseudo('United States')}</a></th>" in html
    assert f'<td data-code="US">{pseudo("8")}</td>' in html
    us = pseudo("%(name)s: %(count)s partnerships") % {
        "name": pseudo("United States"),
        "count": pseudo("8"),
    }
    assert f"<title>{us}</title>" in html
    assert "United States: 8 partnerships" not in html


def test_the_map_says_partnership_or_partnerships_by_the_count(pseudo_locale: str) -> None:
    assert Level(1, 1, 1).label == "1 partnership"
    assert Level(2, 2, 2).label == "2 partnerships"
    assert Level(3, 3, 4).label == "3–4 partnerships"
    one = MapShape("JP", "Japan", None, None, 1, 1)
    two = MapShape("JP", "Japan", None, None, 2, 1)
    assert (one.title, two.title) == ("Japan: 1 partnership", "Japan: 2 partnerships")
    with i18n.using(pseudo_locale):
        assert Level(1, 1, 1).label == pseudo(f"{pseudo('1')} partnership")
        assert Level(2, 2, 2).label == pseudo(f"{pseudo('2')} partnerships")
