"""Feed titles in the reader's language: an Atom feed's own title and subtitle are our
sentences (its entries' titles are members' content)."""

from __future__ import annotations

import feedparser
import pytest
from sqlalchemy.orm import Session

from tests.conftest import Backend, Client
from tests.i18n.pseudo import OPEN


@pytest.mark.xfail(strict=True, reason="issue 19: the feeds' titles are being marked")
@pytest.mark.parametrize(
    "url",
    ["/feeds/threads.atom", "/feeds/intel.atom", "/feeds/intel.atom?country=FR&kind=report"],
)
def test_feed_titles_in_the_pseudo_locale(
    client: Client, demo_db: Session, backend: Backend, pseudo_locale: str, url: str
) -> None:
    if backend.name != "sqlite":
        pytest.skip("the language of a feed does not depend on the database")
    client.cookies.set("forum_lang", pseudo_locale)
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content).feed
    for tag in ("title", "subtitle"):
        text = str(feed.get(tag, ""))
        assert text.startswith(OPEN), f"{url}: the feed's {tag} is not translated: {text!r}"
