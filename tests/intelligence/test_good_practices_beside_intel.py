"""The intelligence list, filtered by country or sector, serves the good practices on them
too: the repository the report's managers asked for holds both."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.discussions.models import Category
from tests.conftest import Client, sign_in, start_good_practice


def test_a_good_practice_is_found_on_the_intelligence_list_by_its_country_and_sector(
    client: Client, db: Session, member: User, categories: dict[str, Category]
) -> None:
    start_good_practice(db, member, categories["good-practices"], title="Osaka fair stand")
    start_good_practice(
        db, member, categories["good-practices"], title="Lyon buyers' day", countries=("FR",)
    )
    sign_in(client, db, member)
    by_country = client.get("/intel", params={"country": "JP"})
    assert "Good practices on the same countries and sectors" in by_country.text
    assert "Osaka fair stand" in by_country.text
    assert "Lyon buyers" not in by_country.text
    assert "/discussions?kind=good_practice&amp;country=JP" in by_country.text
    by_sector = client.get("/intel", params={"sector": "food"})
    assert "Osaka fair stand" in by_sector.text and "Lyon buyers" in by_sector.text
    assert "See all 2 good practices in the discussions" in by_sector.text
    # Unfiltered, the list is the intelligence alone.
    assert "Good practices on the same" not in client.get("/intel").text
