"""The XSS corpus through search: payloads as content and as queries come back inert in
snippets, marked titles and the search page."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.core.config import Settings
from forum.discovery.sync import close_search_engines, reindex, search_engine
from forum.discussions.models import Category
from tests.conftest import Client, Threads
from tests.security.htmlcheck import script_risks

PAYLOADS = [
    line for line in (Path(__file__).parent / "xss_payloads.txt").read_text().split("\n") if line
]


@pytest.mark.slow  # ~35 s: every payload indexed, then searched four ways
def test_payloads_in_content_and_queries_come_back_inert(
    client: Client,
    db: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
    threads: Threads,
    member: User,
    categories: dict[str, Category],
) -> None:
    for i, payload in enumerate(PAYLOADS):
        thread = threads.start(
            member, title=f"xsscase{i} {payload[:150]}", body=f"xsscase{i} {payload} xsscase{i}"
        )
        threads.reply(member, thread, f"xsscase{i} reply {payload}")
    db.commit()
    try:
        reindex(session_factory, search_engine(settings), settings)
        for i, payload in enumerate(PAYLOADS):
            for q in (f"xsscase{i}", payload[:200]):
                response = client.get("/api/v1/search", params={"q": q})
                assert response.status_code == 200, (payload, response.text)
                for hit in response.json()["hits"]:
                    for fragment in (hit["snippet"], hit["title_html"]):
                        assert script_risks(fragment) == [], (payload, fragment)
                        # Only <mark> survives as markup: everything else is escaped text.
                        bare = fragment.replace("<mark>", "").replace("</mark>", "")
                        assert "<" not in bare, (payload, fragment)
                page = client.get("/search", params={"q": q})
                assert page.status_code in (200, 422), (payload, page.status_code)
                assert script_risks(page.text) == [], payload
    finally:
        close_search_engines()
